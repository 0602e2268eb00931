"""Shared fixtures. Strict test mode is on for the whole suite: an error in autolog's own
hooks fails the test instead of becoming a warning."""

from __future__ import annotations

import os

os.environ.setdefault("AUTOLOG_TESTING", "1")
os.environ.pop("AUTOLOG_TRACKING_URI", None)

from collections.abc import Iterator
from pathlib import Path

import pytest

from autolog import testing
from autolog.tracking import fluent


@pytest.fixture(autouse=True)
def _isolated_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Every test gets its own local store and working directory, and leaves no active run."""
    monkeypatch.chdir(tmp_path)
    store = tmp_path / "store"
    fluent.set_tracking_uri(str(store))
    yield store
    testing.reset()
