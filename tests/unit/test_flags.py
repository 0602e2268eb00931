"""Typed flags: each framework's autolog() has an explicit signature matching its
integration's flags, and a bad value is an error naming the flag, the value and what is
allowed. No framework needs to be installed: enabling only registers import hooks."""

from __future__ import annotations

import inspect
import re
from collections.abc import Iterator
from typing import Any

import pytest

import autolog
from autolog import config
from autolog import flags as F
from autolog.errors import InvalidInputError
from autolog.integration import get_integration

FRAMEWORKS = ("xgboost", "lightgbm", "pytorch")


@pytest.fixture(autouse=True)
def _disabled() -> Iterator[None]:
    yield
    autolog.autolog(disable=True)


def test_the_common_table_has_the_common_defaults() -> None:
    """flags.COMMON declares every common flag with config.COMMON_FLAGS' default."""
    assert F.defaults(F.COMMON) == config.COMMON_FLAGS


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_autolog_signature_lists_every_flag_with_its_default(framework: str) -> None:
    """inspect.signature(autolog.<framework>.autolog) names every flag the integration
    takes, each with the integration's default, a type annotation and a docstring line."""
    fn = getattr(autolog, framework).autolog
    integration = get_integration(framework)
    parameters = inspect.signature(fn).parameters
    assert sorted(parameters) == integration.allowed_flags()
    defaults = {**config.COMMON_FLAGS, **integration.flags}
    for name, parameter in parameters.items():
        assert parameter.default == defaults[name], name
        assert parameter.annotation is not inspect.Parameter.empty, name
        assert re.search(rf"^\s+{name}:", fn.__doc__ or "", re.MULTILINE), name


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_mlflow_flag_names_are_all_accepted(framework: str) -> None:
    """Every flag of mlflow.<framework>.autolog is a flag of ours."""
    mlflow_module = pytest.importorskip(f"mlflow.{framework}")
    theirs = set(inspect.signature(mlflow_module.autolog).parameters)
    assert theirs <= set(inspect.signature(getattr(autolog, framework).autolog).parameters)


BAD: list[tuple[str, str, Any]] = [
    ("xgboost", "importance_types", ["weight", "nonsense"]),
    ("xgboost", "importance_types", 3),
    ("xgboost", "model_format", "pickle"),
    ("xgboost", "registered_model_name", ""),
    ("xgboost", "log_plots", "jpeg"),
    ("xgboost", "log_models", "yes"),
    ("lightgbm", "registered_model_name", 7),
    ("lightgbm", "log_datasets", None),
    ("lightgbm", "extra_tags", ["a"]),
    ("pytorch", "log_every_n_epoch", 0),
    ("pytorch", "log_every_n_epoch", "x"),
    ("pytorch", "log_every_n_epoch", True),
    ("pytorch", "log_every_n_step", -1),
    ("pytorch", "checkpoint", "yes"),
    ("pytorch", "checkpoint_mode", "avg"),
    ("pytorch", "checkpoint_monitor", ""),
    ("pytorch", "checkpoint_save_freq", "batch"),
    ("pytorch", "checkpoint_save_freq", 0),
    ("pytorch", "checkpoint_save_weights_only", 1),
]


@pytest.mark.parametrize(("framework", "flag", "value"), BAD)
def test_a_bad_flag_value_names_the_flag_and_the_value(framework: str, flag: str,
                                                       value: Any) -> None:
    """autolog.<framework>.autolog(<flag>=<bad value>) raises InvalidInputError naming
    the flag and the value, and enables nothing."""
    with pytest.raises(InvalidInputError, match=re.escape(f"{flag}={value!r}")) as info:
        getattr(autolog, framework).autolog(**{flag: value})
    assert "must be" in str(info.value)
    assert not get_integration(framework).active


@pytest.mark.parametrize("flag", ["checkpoint_monitor", "checkpoint_mode"])
def test_best_only_checkpoints_need_a_monitor_and_a_mode(flag: str) -> None:
    """checkpoint_save_best_only=True with checkpoint_monitor/mode None is an error naming
    the flag; with checkpoint_save_best_only=False, None is accepted (as MLflow)."""
    with pytest.raises(InvalidInputError, match=f"{flag}=None"):
        autolog.pytorch.autolog(**{flag: None})
    autolog.pytorch.autolog(checkpoint_save_best_only=False, **{flag: None})
    assert get_integration("pytorch").config[flag] is None


def test_good_values_are_kept_in_the_integration_config() -> None:
    """Valid values reach the integration's config as given."""
    autolog.xgboost.autolog(importance_types="gain", model_format="ubj", log_plots="png")
    cfg = get_integration("xgboost").config
    assert (cfg["importance_types"], cfg["model_format"], cfg["log_plots"]) == ("gain", "ubj", "png")


def test_check_flags_leaves_unknown_names_to_the_caller() -> None:
    """check_flags ignores names in neither table (the unknown-flag check reports them)."""
    F.check_flags("toy", {"n": F.Flag(1, F.is_positive_int, "a positive integer")},
                  {"n": 2, "whatever": object()})
    with pytest.raises(InvalidInputError, match=r"autolog toy: flag n=0 .* a positive integer"):
        F.check_flags("toy", {"n": F.Flag(1, F.is_positive_int, "a positive integer")}, {"n": 0})
