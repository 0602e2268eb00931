from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

HERE = Path(__file__).parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

pytest.importorskip("torch")
import helpers  # noqa: E402 - after the path insert and the torch check

if helpers.PACKAGE is None:
    pytest.skip("neither lightning nor pytorch_lightning is installed", allow_module_level=True)

# Tests that start a script importing the `lightning` package by name (or run the example
# that does): with only pytorch_lightning installed (the py311-test-pl-* environments) they
# are skipped, saying why, and everything else runs on pytorch_lightning.
_NEEDS_LIGHTNING_PACKAGE = (
    "test_distributed.py::test_ddp_logs_one_run_from_global_rank_zero",
    "test_examples.py::test_example_runs_and_logs_one_run[lightning_mlp",
    "test_import_order.py::test_import_order_does_not_matter[autolog-first-lightning]",
    "test_import_order.py::test_import_order_does_not_matter[framework-first-lightning]",
)

# Lightning's own advice, not ours: silenced by name, for this folder only.
_LIGHTNING_WARNINGS = (
    "ignore:.*does not have many workers",
    "ignore:.*LeafSpec.*",
    "ignore:.*smaller than the logging interval",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    lightning_missing = helpers.PACKAGE != "lightning.pytorch"
    for item in items:
        if HERE in Path(str(item.fspath)).parents:
            for spec in _LIGHTNING_WARNINGS:
                item.add_marker(pytest.mark.filterwarnings(spec))
            local_id = item.nodeid.rsplit("/", 1)[-1]
            if lightning_missing and local_id.startswith(_NEEDS_LIGHTNING_PACKAGE):
                item.add_marker(pytest.mark.skip(
                    reason="imports the `lightning` package by name; only pytorch_lightning "
                           "is installed"))


@pytest.fixture(autouse=True)
def _pytorch_autolog() -> Iterator[None]:
    """Each test starts with the pytorch integration on (no system metrics, models or
    datasets unless the test asks) and ends with it off and reverted."""
    import autolog

    autolog.pytorch.autolog(log_system_metrics=False, log_models=False, log_datasets=False)
    yield
    autolog.pytorch.autolog(disable=True)
