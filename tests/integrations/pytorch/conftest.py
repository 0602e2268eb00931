from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

HERE = Path(__file__).parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

pytest.importorskip("torch")
pytest.importorskip("lightning")

# Lightning's own advice, not ours: silenced by name, for this folder only.
_LIGHTNING_WARNINGS = (
    "ignore:.*does not have many workers",
    "ignore:.*LeafSpec.*",
    "ignore:.*smaller than the logging interval",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in Path(str(item.fspath)).parents:
            for spec in _LIGHTNING_WARNINGS:
                item.add_marker(pytest.mark.filterwarnings(spec))


@pytest.fixture(autouse=True)
def _pytorch_autolog() -> Iterator[None]:
    """Each test starts with the pytorch integration on (no system metrics, models or
    datasets unless the test asks) and ends with it off and reverted."""
    import autolog

    autolog.pytorch.autolog(log_system_metrics=False, log_models=False, log_datasets=False)
    yield
    autolog.pytorch.autolog(disable=True)
