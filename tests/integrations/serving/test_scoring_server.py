"""The scoring server as a real process: every input format answers model.predict, bad
requests get a 4xx with a clear message, and the answers match MLflow's server byte for byte;
``autolog models predict`` scores CSV and JSON files."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.integrations.serving.conftest import COLUMNS, frame

MODELS = ["logreg", "xgboost"]


def _bodies(X: Any) -> dict[str, tuple[str, str]]:
    """The same rows in each request format that both servers accept for a column signature."""
    rows = X.to_numpy().tolist()
    records = X.to_dict(orient="records")
    return {
        "dataframe_split": ("application/json",
                            json.dumps({"dataframe_split": {"columns": COLUMNS, "data": rows}})),
        "dataframe_records": ("application/json", json.dumps({"dataframe_records": records})),
        "instances": ("application/json", json.dumps({"instances": records})),
        "inputs": ("application/json",
                   json.dumps({"inputs": {c: X[c].tolist() for c in COLUMNS}})),
        "csv": ("text/csv", X.to_csv(index=False)),
        "json_charset": ("application/json; charset=utf-8",
                         json.dumps({"dataframe_split": {"columns": COLUMNS, "data": rows}})),
    }


FORMATS = list(_bodies(frame(1, 0)))


def _model(served: dict[str, Any], name: str) -> Any:
    if name not in served["models"]:
        pytest.skip(f"{name} is not installed")
    return served["models"][name]


@pytest.mark.parametrize("name", MODELS)
@pytest.mark.parametrize("fmt", FORMATS)
def test_each_input_format_answers_model_predict(served: dict[str, Any], name: str,
                                                 fmt: str) -> None:
    """Every request format scores the rows exactly as the native model's predict does."""
    logged = _model(served, name)
    X = frame(7, 1)
    content_type, body = _bodies(X)[fmt]
    status, answer = served["servers"][name].post(body, content_type)
    assert status == 200, answer
    assert json.loads(answer) == {"predictions": logged.native.predict(X).tolist()}


@pytest.mark.parametrize("name", MODELS)
@pytest.mark.parametrize("fmt", FORMATS)
def test_answers_match_mlflow_models_serve_byte_for_byte(
        served: dict[str, Any], mlflow_served: dict[str, Any], name: str, fmt: str) -> None:
    """autolog's /invocations answers the same status and bytes as `mlflow models serve`."""
    _model(served, name)
    content_type, body = _bodies(frame(25, 2))[fmt]
    ours = served["servers"][name].post(body, content_type)
    theirs = mlflow_served[name].post(body, content_type)
    assert ours[0] == 200
    assert ours == theirs


@pytest.mark.parametrize(("body", "content_type", "status", "words"), [
    (json.dumps({"dataframe_split": {"columns": ["a", "b", "c", "x"], "data": [[1.0] * 4]}}),
     "application/json", 400, ["missing required column 'd'", "double"]),
    (json.dumps({"dataframe_records": [{"a": "high", "b": 1.0, "c": 2.0, "d": 3.0}]}),
     "application/json", 400, ["column 'a'", "expects double"]),
    ('{"dataframe_split": {"columns": ["a"', "application/json", 400, ["not valid JSON"]),
    ("[1, 2, 3]", "application/json", 400, ["must be an object", "dataframe_split"]),
    (json.dumps({"rows": [[1, 2, 3, 4]]}), "application/json", 400, ["exactly one of"]),
    (json.dumps({"dataframe_split": {"columns": COLUMNS, "data": [[1.0, 2.0]]}}),
     "application/json", 400, ["row 0 has 2 values", "expected 4"]),
    ('a,b,c,d\n1,2,3,4\n5,6,"7\n', "text/csv", 400, ["not valid CSV"]),
    ("", "text/csv", 400, ["not valid CSV"]),
    ("a,b,c,d\n1,2,3,4\n", "text/plain", 415, ["'text/plain' is not supported", "text/csv"]),
    ("a,b,c,d\n1,2,3,4\n", "text/csv; charset=latin-1", 415, ["charset=utf-8"]),
    ("x" * 70_000, "application/json", 413, ["70000 bytes", "at most 65536"]),
])
def test_a_bad_request_gets_a_4xx_naming_the_problem(
        served: dict[str, Any], body: str, content_type: str | None, status: int,
        words: list[str]) -> None:
    """Wrong columns, wrong types, malformed bodies, unsupported types and oversized bodies
    get MLflow's error JSON with a 4xx status and a message that names the problem."""
    code, answer = served["servers"]["logreg"].post(body, content_type)
    assert code == status
    error = json.loads(answer)
    assert set(error) == {"error_code", "message"}
    assert "Traceback" not in error["message"]
    for word in words:
        assert word in error["message"]


def test_ping_health_and_version_answer(served: dict[str, Any]) -> None:
    """/ping and /health answer 200 once the model is loaded; /version names autolog's."""
    import autolog

    server = served["servers"]["logreg"]
    assert server.get("/ping")[0] == 200
    assert server.get("/health")[0] == 200
    assert server.get("/version") == (200, autolog.__version__.encode())


def _cli(store: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "autolog", "--tracking-uri", str(store),
                           "models", *args], capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("suffix", [".csv", ".json"])
def test_models_predict_scores_a_file(served: dict[str, Any], tmp_path: Path,
                                      suffix: str) -> None:
    """`autolog models predict` writes the predictions of a CSV or JSON file, as the server
    would answer them."""
    logged = _model(served, "logreg")
    X = frame(11, 3)
    source = tmp_path / f"in{suffix}"
    if suffix == ".csv":
        X.to_csv(source, index=False)
    else:
        source.write_text(json.dumps({"dataframe_records": X.to_dict(orient="records")}))
    out = tmp_path / "out.json"
    done = _cli(served["store"], "predict", "-m", logged.uri, "-i", str(source), "-o", str(out))
    assert done.returncode == 0, done.stderr
    assert json.loads(out.read_text()) == {"predictions": logged.native.predict(X).tolist()}


def test_models_predict_refuses_input_that_misses_a_column(served: dict[str, Any],
                                                            tmp_path: Path) -> None:
    """A file without a column of the signature is a one-line error and a non-zero exit."""
    source = tmp_path / "in.csv"
    frame(3, 4).drop(columns="c").to_csv(source, index=False)
    done = _cli(served["store"], "predict", "-m", served["models"]["logreg"].path,
                "-i", str(source))
    assert done.returncode != 0
    assert "missing required column 'c'" in done.stderr
    assert "Traceback" not in done.stderr


def test_serve_an_unknown_model_is_a_one_line_error(served: dict[str, Any],
                                                    tmp_path: Path) -> None:
    """A model path that does not exist stops `serve` with a one-line error naming it."""
    missing = tmp_path / "no-such-model"
    done = _cli(served["store"], "serve", "-m", str(missing), "--port", "0")
    assert done.returncode != 0
    assert str(missing) in done.stderr
    assert "Traceback" not in done.stderr


def test_serve_on_a_port_in_use_is_a_one_line_error(served: dict[str, Any]) -> None:
    """A port that another socket listens on stops `serve` with an error naming the port."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        done = _cli(served["store"], "serve", "-m", served["models"]["logreg"].path,
                    "--port", str(port))
    assert done.returncode != 0
    assert f"port {port} on 127.0.0.1 is already in use" in done.stderr
    assert "Traceback" not in done.stderr


def test_the_listening_socket_sends_small_answers_without_delay() -> None:
    """serve's socket is TCP with TCP_NODELAY, so answers do not wait for a delayed ACK."""
    from autolog.serving import bind

    sock = bind("127.0.0.1", 0)
    try:
        assert sock.proto == socket.IPPROTO_TCP
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
    finally:
        sock.close()
