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


def test_register_model_tags_the_run() -> None:
    """register_model returns the new version and records the name as a run tag."""
    with autolog.start_run() as run:
        pass
    assert autolog.register_model(f"runs:/{run.info.run_id}/model", "clf").version == "1"
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


# ---------------------------------------------------------------------------- MLflow's key rules
MLFLOW_REFUSED_KEYS = ["a//b", ".", "a/", "..", "/a", "", "..a", "a/../b", "./a", "a/./b",
                       "a" * 251, "a\n", "a\tb", "a\\b", "a!b", "\u00a0"]
MLFLOW_ACCEPTED_KEYS = ["a..b", "a.", "é/ü", "a b:c", "a" * 250, "x/y-z_1.2", "_", "-"]


@pytest.mark.parametrize("key", MLFLOW_REFUSED_KEYS)
@pytest.mark.parametrize("kind", ["metric", "param", "tag"])
def test_keys_mlflow_refuses_are_refused_for_every_kind(key: str, kind: str) -> None:
    """`a//b`, `.`, `a/`, `..`, absolute, empty, over-long and a trailing newline raise
    InvalidInputError naming the key, whether it is a metric, param or tag key."""
    log = {"metric": lambda: autolog.log_metric(key, 1.0),
           "param": lambda: autolog.log_param(key, 1),
           "tag": lambda: autolog.set_tag(key, "v")}[kind]
    with autolog.start_run(), pytest.raises(InvalidInputError) as info:
        log()
    assert f"{kind} key" in str(info.value)
    if key:
        assert repr(key)[:30] in str(info.value)


@pytest.mark.parametrize("key", MLFLOW_ACCEPTED_KEYS)
def test_keys_mlflow_accepts_are_stored(key: str) -> None:
    """Keys inside MLflow's rules (`a..b`, non-ASCII letters, 250 characters) are stored."""
    with autolog.start_run() as run:
        autolog.log_metric(key, 1.0)
        autolog.log_param(key, "p")
        autolog.set_tag(key, "t")
    data = autolog.get_run(run.info.run_id).data
    assert data.metrics[key] == 1.0 and data.params[key] == "p" and data.tags[key] == "t"


def test_key_rules_agree_with_mlflow_except_the_trailing_newline() -> None:
    """On generated keys, validate_key refuses exactly what MLflow's own name check refuses,
    plus a trailing newline (which MLflow's `$` lets through and its stores then refuse)."""
    mlflow_validation = pytest.importorskip("mlflow.utils.validation")
    from hypothesis import given, settings
    from hypothesis import strategies as st
    from mlflow.exceptions import MlflowException

    @settings(max_examples=400, deadline=None, database=None, derandomize=True)
    @given(st.text(alphabet="a./ :-_\n!é", max_size=8))
    def agree(key: str) -> None:
        try:
            mlflow_validation._validate_metric(key, 1.0, 0, 0)
            mlflow_ok = not key.endswith("\n")
        except MlflowException:
            mlflow_ok = False
        try:
            V.validate_key(key)
            ours_ok = True
        except InvalidInputError:
            ours_ok = False
        assert ours_ok == mlflow_ok, key

    agree()


@pytest.mark.parametrize("key", [None, ["a"], {"a": 1}, b"a"])
def test_non_string_keys_are_invalid_input_not_type_errors(key: object) -> None:
    """An unhashable or non-string key raises InvalidInputError naming its type."""
    with pytest.raises(InvalidInputError, match=type(key).__name__):
        V.validate_key(key)


def test_a_refused_key_stays_refused() -> None:
    """The cache of checked keys never lets a refused key through on a second call."""
    for _ in range(2):
        with pytest.raises(InvalidInputError, match="'a//b'"):
            V.validate_key("a//b")


# ---------------------------------------------------------------------------- values
def test_a_metric_value_beyond_a_double_is_invalid_input_naming_it() -> None:
    """10**400 raises InvalidInputError naming the value and its digits, not OverflowError."""
    with autolog.start_run(), pytest.raises(InvalidInputError, match=r"'m'.*10000.*401 digits"):
        autolog.log_metric("m", 10**400)


def test_booleans_are_not_metric_values_but_other_numbers_are() -> None:
    """As in MLflow, True is refused; Decimal and Fraction are numbers and are stored."""
    from decimal import Decimal
    from fractions import Fraction

    with autolog.start_run() as run:
        with pytest.raises(InvalidInputError, match="booleans excluded"):
            autolog.log_metric("flag", np.bool_(True))
        autolog.log_metrics({"dec": Decimal("1.5"), "frac": Fraction(1, 4)})
    assert autolog.get_run(run.info.run_id).data.metrics == {"dec": 1.5, "frac": 0.25}


@pytest.mark.parametrize("step", [2**63, -(2**63) - 1, 1e19, 10**30])
def test_steps_beyond_64_bits_are_refused_naming_the_value(step: int) -> None:
    """A step outside the signed 64-bit range raises InvalidInputError naming it."""
    with autolog.start_run(), pytest.raises(InvalidInputError, match=r"step .*64-bit") as info:
        autolog.log_metric("m", 1.0, step=step)
    assert repr(step)[:15] in str(info.value)
    with autolog.start_run(), pytest.raises(InvalidInputError, match="step"):
        autolog.log_metrics({"m": 1.0}, step=step)


@pytest.mark.parametrize("timestamp", [2**63, -1, 1e30])
def test_timestamps_outside_0_to_2_63_are_refused_naming_the_value(timestamp: int) -> None:
    """A timestamp below 0 or beyond a signed 64-bit integer raises InvalidInputError."""
    with autolog.start_run(), pytest.raises(InvalidInputError, match=r"timestamp .*64-bit"):
        autolog.log_metric("m", 1.0, timestamp=timestamp)


def test_the_64_bit_extremes_are_stored_exactly() -> None:
    """Steps -2**63 and 2**63-1 and timestamp 2**63-1 are accepted and read back as logged."""
    with autolog.start_run() as run:
        autolog.log_metric("m", 1.0, step=-(2**63), timestamp=0)
        autolog.log_metric("m", 2.0, step=2**63 - 1, timestamp=2**63 - 1)
    history = autolog.get_metric_history(run.info.run_id, "m")
    assert [(m.step, m.timestamp, m.value) for m in history] == [
        (-(2**63), 0, 1.0), (2**63 - 1, 2**63 - 1, 2.0)]


def test_a_refused_value_never_reaches_the_queue() -> None:
    """After bad steps, timestamps, keys and values raise, the good calls of the same run all
    land and the history holds exactly the good rows."""
    with autolog.start_run() as run:
        autolog.log_metric("a", 0.5, step=1)
        bad_calls = [
            lambda: autolog.log_metric("a", 1.0, step=2**63),
            lambda: autolog.log_metric("a", 1.0, step=1, timestamp=2**63),
            lambda: autolog.log_metric("a", 10**400, step=1),
            lambda: autolog.log_metric("a//b", 1.0, step=1),
            lambda: autolog.log_metrics({"a": 1.0, "a\n": 2.0}, step=3),
        ]
        for call in bad_calls:
            with pytest.raises(InvalidInputError):
                call()
        autolog.log_metric("a", 2.0, step=2)
    assert autolog.flush() is True
    history = autolog.get_metric_history(run.info.run_id, "a")
    assert [(m.step, m.value) for m in history] == [(1, 0.5), (2, 2.0)]
    assert autolog.get_run(run.info.run_id).data.metrics == {"a": 2.0}


def test_long_tag_values_are_truncated_at_8000_with_a_warning() -> None:
    """As in MLflow, a tag value over 8,000 characters is cut to 8,000 with a warning."""
    with autolog.start_run() as run, pytest.warns(autolog.AutologWarning, match="'note'.*8000"):
        autolog.set_tag("note", "x" * 9000)
    assert len(autolog.get_run(run.info.run_id).data.tags["note"]) == 8000


def test_tag_truncation_can_be_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """AUTOLOG_TRUNCATE_LONG_VALUES=false makes an over-long tag value an error too."""
    monkeypatch.setenv("AUTOLOG_TRUNCATE_LONG_VALUES", "false")
    with autolog.start_run(), pytest.raises(InvalidInputError, match="'note'.*8000"):
        autolog.set_tag("note", "x" * 9000)


# ---------------------------------------------------------------------------- tracking URIs
@pytest.mark.parametrize(
    ("uri", "match"),
    [
        (None, "URI None must be a (non-empty )?string"),
        (3, "URI 3 must be a (non-empty )?string"),
        ("", "empty"),
        ("http://", "'http://' has no host"),
        ("https://", "'https://' has no host"),
        ("http://:5000", "has no host"),
        ("http://host:port", "does not parse"),
        ("mlflow:", "names no MLflow store"),
        ("mlflow:http://", "has no host"),
    ],
)
def test_unusable_tracking_uris_are_refused_and_leave_the_uri_unchanged(
        uri: object, match: str) -> None:
    """None, empty, a server URL without a host and a bare `mlflow:` raise
    InvalidInputError naming the URI; the current tracking URI stays as it was."""
    before = autolog.get_tracking_uri()
    with pytest.raises(InvalidInputError, match=match):
        autolog.set_tracking_uri(uri)  # type: ignore[arg-type]
    assert autolog.get_tracking_uri() == before


def test_a_refused_tracking_uri_never_shows_its_password() -> None:
    """The error for a server URL with credentials but no host names it without the password."""
    with pytest.raises(InvalidInputError) as info:
        autolog.set_tracking_uri("http://ann:hunter2@")
    assert "hunter2" not in str(info.value) and "has no host" in str(info.value)


def test_check_uri_returns_the_text_of_a_path() -> None:
    """backends.check_uri accepts an os.PathLike and returns its text."""
    from autolog import backends

    assert backends.check_uri(Path("some/store")) == "some/store"
    assert backends.check_uri("mlflow:sqlite:///m.db") == "mlflow:sqlite:///m.db"
