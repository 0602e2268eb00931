"""The model directory matches what MLflow's save_model writes, without starting a process."""

from __future__ import annotations

import json
import os
import subprocess
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml

from autolog import models
from autolog.errors import InvalidInputError
from autolog.models import model_dir

X = np.random.default_rng(1).random((30, 3))
Y = X.sum(axis=1)
FRAME = pd.DataFrame(X, columns=["a", "b", "c"])


def _read(path: Path) -> dict[str, Any]:
    return yaml.safe_load((path / "MLmodel").read_text())


def _mlflow_save(flavor: str, model: Any, path: Path, **kwargs: Any) -> dict[str, Any]:
    module = pytest.importorskip(f"mlflow.{flavor}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # explicit requirements: MLflow would otherwise infer them in a subprocess (slow)
        module.save_model(model, str(path), pip_requirements=["placeholder"], **kwargs)
    return _read(path)


def _models() -> dict[str, tuple[str, Any, dict[str, Any], dict[str, Any]]]:
    pytest.importorskip("sklearn")  # the core environment has no framework
    from sklearn.linear_model import LinearRegression

    out: dict[str, tuple[str, Any, dict[str, Any], dict[str, Any]]] = {
        "sklearn": ("sklearn", LinearRegression().fit(X, Y), {},
                    {"serialization_format": "cloudpickle"}),
    }
    try:
        import xgboost as xgb

        out["xgboost"] = ("xgboost", xgb.train({"nthread": 1}, xgb.DMatrix(X, label=Y), 2),
                          {}, {"model_format": "json"})
    except ImportError:
        pass
    try:
        import lightgbm as lgb

        booster = lgb.train({"verbose": -1, "num_threads": 1}, lgb.Dataset(X, label=Y), 2)
        out["lightgbm"] = ("lightgbm", booster, {}, {"serialization_format": "cloudpickle"})
        model = lgb.LGBMRegressor(n_estimators=2, verbose=-1, n_jobs=1).fit(X, Y)
        out["lightgbm-sklearn"] = ("lightgbm", model, {}, {"serialization_format": "cloudpickle"})
    except ImportError:
        pass
    try:
        import torch

        out["pytorch"] = ("pytorch", torch.nn.Linear(3, 1), {"save_state_dict": False},
                          {"serialization_format": "pickle"})
    except ImportError:
        pass
    return out


MODELS = _models()
VOLATILE = {"model_uuid", "utc_time_created", "model_size_bytes"}
# keys MLflow 3 writes that describe features we do not have (logged models, prompts, type hints)
MLFLOW_ONLY = {"model_id", "prompts", "is_signature_from_type_hint", "type_hint_from_example"}


@pytest.mark.parametrize("case", sorted(MODELS))
def test_mlmodel_matches_mlflow_save_model(case: str, tmp_path: Path) -> None:
    """Flavor sections, python_function section and top-level keys equal MLflow's save_model output."""
    flavor, model, ours_kwargs, theirs_kwargs = MODELS[case]
    expected = _mlflow_save(flavor, model, tmp_path / "theirs", **theirs_kwargs)
    models.save_model(flavor, model, tmp_path / "ours", **ours_kwargs)
    ours = _read(tmp_path / "ours")
    assert ours["flavors"] == expected["flavors"]
    strip = VOLATILE | MLFLOW_ONLY
    assert {k: v for k, v in ours.items() if k not in strip} == {
        k: v for k, v in expected.items() if k not in strip
    }
    assert len(ours["model_uuid"]) == 32
    assert ours["utc_time_created"].count(":") == 2 and len(ours["utc_time_created"]) >= 19


@pytest.mark.parametrize("example", [FRAME.head(3), X[:3], {"a": X[:2]}, [{"a": 1.0}]],
                         ids=["dataframe", "ndarray", "dict-of-arrays", "records"])
def test_input_example_files_match_mlflow(example: Any, tmp_path: Path) -> None:
    """input_example.json, serving_input_example.json and saved_input_example_info are MLflow's."""
    from sklearn.linear_model import LinearRegression

    model = LinearRegression().fit(X, Y)
    expected = _mlflow_save("sklearn", model, tmp_path / "theirs", input_example=example,
                            serialization_format="cloudpickle")
    info = models.save_model("sklearn", model, tmp_path / "ours", input_example=example)
    ours = _read(tmp_path / "ours")
    assert ours["saved_input_example_info"] == expected["saved_input_example_info"]
    assert info.saved_input_example_info == expected["saved_input_example_info"]
    for name in ("input_example.json", "serving_input_example.json"):
        assert json.loads((tmp_path / "ours" / name).read_text()) == json.loads(
            (tmp_path / "theirs" / name).read_text())
    if "signature" in expected:  # MLflow drops the signature when predicting the example fails
        assert ours["signature"]["inputs"] == expected["signature"]["inputs"]


def test_input_example_reads_back_as_its_type(tmp_path: Path) -> None:
    """A DataFrame example reads back as an equal DataFrame."""
    from sklearn.linear_model import LinearRegression

    models.save_model("sklearn", LinearRegression().fit(FRAME, Y), tmp_path / "m",
                      input_example=FRAME.head(3))
    pd.testing.assert_frame_equal(model_dir.read_input_example(str(tmp_path / "m")), FRAME.head(3))


def test_environment_files_come_from_metadata_without_a_subprocess(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """requirements.txt, python_env.yaml and conda.yaml pin installed versions and spawn no process."""
    from importlib import metadata

    from sklearn.linear_model import LinearRegression

    def no_process(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a subprocess was started")

    monkeypatch.setattr(subprocess, "Popen", no_process)
    models.save_model("sklearn", LinearRegression().fit(X, Y), tmp_path / "m")
    reqs = (tmp_path / "m" / "requirements.txt").read_text().splitlines()
    assert f"scikit-learn=={metadata.version('scikit-learn')}" in reqs
    assert f"cloudpickle=={metadata.version('cloudpickle')}" in reqs
    assert reqs[0].startswith("mlflow")
    env = yaml.safe_load((tmp_path / "m" / "python_env.yaml").read_text())
    assert env["dependencies"] == ["-r requirements.txt"]
    conda = yaml.safe_load((tmp_path / "m" / "conda.yaml").read_text())
    assert conda["dependencies"][-1] == {"pip": reqs}


def test_invalid_serialization_format_names_it_and_the_allowed_ones(tmp_path: Path) -> None:
    """serialization_format='joblib' is an InvalidInputError naming it and cloudpickle/pickle/skops."""
    from sklearn.linear_model import LinearRegression

    with pytest.raises(InvalidInputError, match=r"'joblib'.*'cloudpickle', 'pickle', 'skops'"):
        models.save_model("sklearn", LinearRegression().fit(X, Y), tmp_path / "m",
                          serialization_format="joblib")
    assert not (tmp_path / "m").exists()


def test_unknown_flavor_names_the_known_ones(tmp_path: Path) -> None:
    """An unknown flavor name is an InvalidInputError listing the flavors."""
    with pytest.raises(InvalidInputError, match=r"'keras'.*lightgbm, pytorch, sklearn, xgboost"):
        models.save_model("keras", object(), tmp_path / "m")


def test_saving_into_a_non_empty_directory_is_refused(tmp_path: Path) -> None:
    """save_model never overwrites: a non-empty target is an error and is left untouched."""
    from sklearn.linear_model import LinearRegression

    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "keep.txt").write_text("x")
    with pytest.raises(InvalidInputError, match="not empty"):
        models.save_model("sklearn", LinearRegression().fit(X, Y), tmp_path / "m")
    assert os.listdir(tmp_path / "m") == ["keep.txt"]


def test_skops_refuses_untrusted_types_at_save_time(tmp_path: Path) -> None:
    """A skops save of a model with types skops does not trust fails early, naming the types."""
    pytest.importorskip("skops")
    from sklearn.tree import DecisionTreeRegressor

    model = DecisionTreeRegressor(max_depth=2).fit(X, Y)
    with pytest.raises(InvalidInputError, match=r"sklearn\.tree\._tree\.Tree"):
        models.save_model("sklearn", model, tmp_path / "m", serialization_format="skops")
    models.save_model("sklearn", model, tmp_path / "ok", serialization_format="skops",
                      skops_trusted_types=["sklearn.tree._tree.Tree"])
    np.testing.assert_allclose(models.load_model(tmp_path / "ok").predict(X), model.predict(X))


def test_pytorch_state_dict_is_saved_beside_the_pickled_module(tmp_path: Path) -> None:
    """The pytorch flavor writes data/state_dict.pth, loadable with weights_only=True."""
    torch = pytest.importorskip("torch")
    net = torch.nn.Linear(3, 1)
    models.save_model("pytorch", net, tmp_path / "m")
    state = torch.load(tmp_path / "m" / "data" / "state_dict.pth", weights_only=True)
    assert set(state) == {"weight", "bias"}


def test_unsupported_uri_scheme_is_an_error() -> None:
    """load_model('s3://…') says which URIs are supported."""
    with pytest.raises(InvalidInputError, match="runs:/<run_id>/<artifact_path>, models:/"):
        models.load_model("s3://bucket/x")


def test_a_directory_without_mlmodel_is_an_error(tmp_path: Path) -> None:
    """Loading a folder without an MLmodel file names the folder."""
    with pytest.raises(InvalidInputError, match="no MLmodel"):
        models.load_model(tmp_path)


def test_yaml_files_are_written_exactly_as_pyyaml_safe_dump_writes_them(tmp_path: Path) -> None:
    """autolog's own emitter (PyYAML costs ~10 ms to import) must not change a byte of what
    MLflow's ``yaml.safe_dump`` would write, for every YAML file of a model directory."""
    from sklearn.linear_model import LinearRegression

    model = LinearRegression().fit(np.arange(6.0).reshape(3, 2), [0.0, 1.0, 2.0])
    target = str(tmp_path / "m")
    models.save_model("sklearn", model, target, input_example=np.zeros((1, 2)))
    for name, options in ((model_dir.MLMODEL, {"default_flow_style": False}),
                          (model_dir.CONDA_ENV, {"default_flow_style": False}),
                          (model_dir.PYTHON_ENV, {"sort_keys": False})):
        with open(os.path.join(target, name), encoding="utf-8") as f:
            written = f.read()
        assert written == yaml.safe_dump(yaml.safe_load(written), **options), name


STRANGE = ["yes", "No", "null", "~", "", " x", "x ", "a: b", "a #b", "#x", "1.5", "1e3", "0x1F",
           "1:20", "2001-12-14", "<<", "=", "3.11", "3.11.7", "-r x", "-1", "- a", "it's", "'a",
           "0abc", "6d5b42919f7d4718beb994be5f409c3d", "[1]", "{a: 1}", "a,b", "@x", "%x", "!x"]


def test_model_yaml_reads_back_as_written_for_any_ascii_string() -> None:
    """Every document of mappings, lists and scalars reads back with ``yaml.safe_load`` as
    what was dumped: the strings YAML would read as something else (booleans, numbers,
    dates, indicators) are quoted; 20,000 random strings of YAML's special characters too."""
    import random
    import string

    from autolog.models import model_yaml

    doc = {"w": STRANGE, "m": {s or "e": [s, {"z": s, "n": None, "i": 7, "b": True}]
                               for s in STRANGE}, "empty": {}, "none": [], "k": [{}, []]}
    for sort_keys in (True, False):
        assert yaml.safe_load(model_yaml.dumps(doc, sort_keys=sort_keys)) == doc
    rng = random.Random(0)
    alphabet = string.ascii_letters + string.digits + " '\":#-?[]{},&*!|>%@`.=_<~+/\\"
    for _ in range(20_000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 8)))
        one = {"k": text, text or "e": [text, {"z": text}]}
        assert yaml.safe_load(model_yaml.dumps(one)) == one, text


def test_model_yaml_writes_ids_and_numbers_as_pyyaml_does() -> None:
    """Strings of digits and letters starting with a digit (run ids, model uuids, numbers as
    text): the same bytes as ``yaml.safe_dump``, quoted exactly where PyYAML reads an integer
    (0b101, 0x1f, 017, 42) and plain elsewhere (0bde..., 1e5, 09). A uuid that begins with
    "0b" was quoted once for every 256 models."""
    import random

    from autolog.models import model_yaml

    rng = random.Random(0)
    texts = ["0b101", "0b102", "0bde6164de0e4aea9002be71ba1b4a0c", "0x1f", "0X1F", "0xg", "0o17",
             "0B1", "1e5", "12E4", "0e12345", "09", "0189", "0", "07", "42", "6d5b42919f7d47"]
    alphabet = "0123456789abcdefxoABEX"
    texts += [rng.choice("0123456789") + "".join(rng.choice(alphabet)
                                                for _ in range(rng.randint(0, 6)))
              for _ in range(20_000)]
    texts += [f"{prefix}{rng.getrandbits(120):030x}" for prefix in ("0b", "0x", "1e", "0")
              for _ in range(200)]
    for text in texts:
        doc = {"model_uuid": text, "run_id": [text]}
        assert model_yaml.dumps(doc) == yaml.safe_dump(doc, default_flow_style=False), text


@pytest.mark.parametrize("value", [1.5, "héllo", "two\nlines", (1, 2), [[1]], {1: "a"},
                                   np.int64(3)], ids=repr)
def test_model_yaml_hands_anything_else_to_pyyaml(value: Any) -> None:
    """A value outside mappings, lists, ASCII strings, ints, booleans and None: the whole
    document is PyYAML's, output and errors alike."""
    from autolog.models import model_yaml

    doc = {"a": "plain", "v": value}
    try:
        expected = yaml.safe_dump(doc, default_flow_style=False)
    except yaml.YAMLError as exc:
        with pytest.raises(type(exc)):
            model_yaml.dumps(doc)
    else:
        assert model_yaml.dumps(doc) == expected
