from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

CONFORMANCE = Path(__file__).parent.parent / "conformance"
if str(CONFORMANCE) not in sys.path:
    sys.path.insert(0, str(CONFORMANCE))

from toy_integration import ToyIntegration  # noqa: E402

from autolog import integration  # noqa: E402


@pytest.fixture
def toy() -> Iterator[integration.Integration]:
    """The toy integration, enabled without system metrics, reverted afterwards."""
    found = integration._registry.get("toy") or integration.register(ToyIntegration())
    found.enable(log_system_metrics=False)
    yield found
    found.disable()
