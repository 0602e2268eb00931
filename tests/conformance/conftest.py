from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

HERE = Path(__file__).parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from toy_integration import ToyIntegration  # noqa: E402

from autolog import integration  # noqa: E402

integration.register(ToyIntegration())


@pytest.fixture(autouse=True)
def _autolog_off() -> Iterator[None]:
    """Each test starts and ends with every integration disabled and reverted."""
    import autolog

    autolog.autolog(disable=True)
    yield
    autolog.autolog(disable=True)
