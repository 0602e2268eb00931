"""Fixtures for the UI tests: the store of ``ui_store.py`` (made once per session) and a
UI server over it, in a thread, on a free 127.0.0.1 port."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("starlette")
pytest.importorskip("uvicorn")
pytest.importorskip("sklearn")

HERE = str(Path(__file__).parent)
if HERE not in sys.path:
    sys.path.insert(0, HERE)

import ui_server  # noqa: E402
import ui_store  # noqa: E402

from autolog.tracking import fluent  # noqa: E402


@pytest.fixture(scope="session")
def store_data(tmp_path_factory: pytest.TempPathFactory) -> ui_store.UIStoreData:
    """The store described in the module docstring (made once per session)."""
    previous = fluent.get_tracking_uri()
    try:
        return ui_store.make_store(tmp_path_factory.mktemp("ui"))
    finally:
        fluent.set_tracking_uri(previous)


@pytest.fixture(scope="session")
def ui(store_data: ui_store.UIStoreData) -> Iterator[ui_server.UIServer]:
    """A UI server over ``store_data`` on a free 127.0.0.1 port."""
    running = ui_server.start(store_data.uri)
    yield running
    running.stop()
