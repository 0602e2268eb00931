"""Bad input is refused in the caller with an error that names the value."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

import autolog
from autolog.errors import InvalidInputError, ParamConflictError
from autolog.tracking import validation as V


@pytest.mark.parametrize(
    ("key", "match"),
    [
        ("", "must not be empty"),
        ("a" * 251, "at most 250"),
        ("bad!key", "bad!key"),
        ("../escape", "relative path"),
        ("/abs", "relative path"),
        (3, "must be a string"),
    ],
)
def test_bad_metric_keys_are_refused_with_the_key_named(key: object, match: str) -> None:
    """Empty, too long, out-of-set, '..' and absolute keys raise InvalidInputError."""
    with autolog.start_run(), pytest.raises(InvalidInputError, match=match):
        autolog.log_metric(key, 1.0)  # type: ignore[arg-type]


def test_allowed_key_characters_are_accepted() -> None:
    """Letters, digits, _ - . space : and / make a valid key."""
    with autolog.start_run() as run:
        autolog.log_metric("a/b c:d-e_f.g", 1.0)
    assert autolog.get_run(run.info.run_id).data.metrics == {"a/b c:d-e_f.g": 1.0}


@pytest.mark.parametrize("value", ["1.0", None, [1], {"a": 1}, True, 1 + 2j])
def test_non_numeric_metric_values_are_refused(value: object) -> None:
    """Strings, None, lists, dicts, booleans and complex numbers are not metric values."""
    with autolog.start_run(), pytest.raises(InvalidInputError, match="metric 'm' has value"):
        autolog.log_metric("m", value)  # type: ignore[arg-type]


def test_nan_infinity_and_numpy_scalars_are_accepted() -> None:
    """NaN and infinities are accepted as in MLflow; numpy scalars convert to float."""
    with autolog.start_run() as run:
        autolog.log_metrics({"nan": float("nan"), "inf": float("inf"), "np": np.float32(2.5),
                             "int": np.int64(3)})
    metrics = autolog.get_run(run.info.run_id).data.metrics
    assert math.isnan(metrics["nan"]) and metrics["inf"] == math.inf
    assert metrics["np"] == 2.5 and metrics["int"] == 3.0


def test_relogging_a_param_with_another_value_is_an_error() -> None:
    """Params are immutable: the same value is a no-op, a different one names both."""
    with autolog.start_run():
        autolog.log_param("lr", 0.1)
        autolog.log_param("lr", 0.1)
        with pytest.raises(ParamConflictError, match=r"'lr'.*'0.1'.*'0.2'"):
            autolog.log_param("lr", 0.2)


def test_long_param_values_are_truncated_with_a_warning() -> None:
    """Values over 6,000 characters are cut to 6,000 with a warning naming the key."""
    with autolog.start_run() as run, pytest.warns(autolog.AutologWarning, match="'long'"):
        autolog.log_param("long", "x" * 7000)
    assert len(autolog.get_run(run.info.run_id).data.params["long"]) == 6000


def test_truncation_can_be_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """AUTOLOG_TRUNCATE_LONG_VALUES=false turns truncation into an error."""
    monkeypatch.setenv("AUTOLOG_TRUNCATE_LONG_VALUES", "false")
    with autolog.start_run(), pytest.raises(InvalidInputError, match="6000"):
        autolog.log_param("long", "x" * 7000)


def test_unknown_tracking_uri_scheme_names_the_scheme() -> None:
    """A URI whose scheme no backend handles is refused by set_tracking_uri."""
    with pytest.raises(InvalidInputError, match="'nosuch'.*known schemes"):
        autolog.set_tracking_uri("nosuch://x")


@pytest.mark.parametrize("path", ["../out", "/etc", "a/../../b"])
def test_artifact_paths_outside_the_run_are_refused(path: str, tmp_path: object) -> None:
    """artifact_path with '..' or absolute parts is refused before anything is written."""
    with autolog.start_run(), pytest.raises(InvalidInputError, match="relative path"):
        autolog.log_text("hello", f"{path}/x.txt")


def test_bad_step_is_refused() -> None:
    """A step must be an integer."""
    with autolog.start_run(), pytest.raises(InvalidInputError, match="step"):
        autolog.log_metric("m", 1.0, step="one")  # type: ignore[arg-type]


def test_log_outside_a_run_starts_one_implicitly() -> None:
    """As in MLflow, log_metric with no active run starts a run."""
    autolog.log_metric("m", 1.0)
    run = autolog.active_run()
    assert run is not None
    autolog.end_run()
    assert autolog.get_run(run.info.run_id).data.metrics == {"m": 1.0}


def test_register_model_without_a_registry_tags_the_run() -> None:
    """On the local store (no registry) register_model records the name as a tag."""
    with autolog.start_run() as run:
        pass
    assert autolog.register_model(f"runs:/{run.info.run_id}/model", "clf") is None
    assert autolog.get_run(run.info.run_id).data.tags["autolog.registered_model_name"] == "clf"


@pytest.mark.parametrize(("uri", "name"), [("model", "x"), ("runs:/abc", "x"), ("runs:/a/m", "")])
def test_register_model_bad_input_names_the_value(uri: str, name: str) -> None:
    """A URI that is not runs:/<id>/<path>, or an empty name, is refused naming it."""
    with pytest.raises(InvalidInputError, match="model_uri|registered model name"):
        autolog.register_model(uri, name)


def test_check_inside_follows_links_and_parent_references(tmp_path: Path) -> None:
    root = tmp_path / "artifacts"
    (root / "sub").mkdir(parents=True)
    outside = tmp_path / "outside"
    outside.mkdir()
    (root / "in").symlink_to(root / "sub")
    (root / "out").symlink_to(outside)
    V.check_inside(str(root), str(root / "sub" / "new" / "file.txt"), "artifact")
    V.check_inside(str(root), str(root / "in" / "file.txt"), "artifact")  # a link kept inside
    V.check_inside(str(root), str(root), "artifact")
    for escaping in (root / "out" / "file.txt", root / "in" / ".." / ".." / "outside" / "f",
                     root / ".." / "outside", tmp_path / "artifacts2" / "f"):
        with pytest.raises(InvalidInputError, match="outside the run's artifact folder"):
            V.check_inside(str(root), str(escaping), "artifact")
