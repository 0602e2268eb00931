"""``autolog models serve`` and ``autolog models predict``.

Importing this module is cheap (click only): the server, the model and pandas are imported
when a command runs. :func:`add_commands` attaches both commands to a click group.
"""

from __future__ import annotations

import os
import sys

import click

from autolog.errors import AutologError

_TYPES = {".csv": "csv", ".json": "json"}


@click.command("serve")
@click.option("-m", "--model-uri", required=True,
              help="runs:/<run_id>/<path>, models:/<name>/<version>, models:/<name>@<alias>, "
                   "models:/<name>/latest, models:/<name>/<stage>, a file: URI or a local path.")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to bind (the server has no authentication).")
@click.option("--port", "-p", default=5001, show_default=True, type=int)
@click.option("--workers", "-w", default=1, show_default=True, type=int,
              help="Server processes, each with its own copy of the model.")
@click.option("--max-body-bytes", default=None, type=int,
              help="Largest request body accepted (default 64 MiB); larger ones get 413.")
@click.option("--timeout", default=60.0, show_default=True, type=float,
              help="Seconds a request may take before it is answered 504; 0: no limit.")
def serve_command(model_uri: str, host: str, port: int, workers: int,
                  max_body_bytes: int | None, timeout: float) -> None:
    """Serve a model with MLflow's scoring protocol: POST /invocations (JSON or CSV),
    GET /ping, /health, /version."""
    from autolog import serving

    limit = serving.DEFAULT_MAX_BODY_BYTES if max_body_bytes is None else max_body_bytes
    try:
        serving.serve(model_uri, host=host, port=port, workers=workers, max_body_bytes=limit,
                      timeout=timeout if timeout != 0 else None)
    except AutologError as exc:
        raise click.ClickException(_one_line(exc)) from None


@click.command("predict")
@click.option("-m", "--model-uri", required=True,
              help="runs:/<run_id>/<path>, models:/<name>/<version>, models:/<name>@<alias>, "
                   "models:/<name>/latest, models:/<name>/<stage>, a file: URI or a local path.")
@click.option("-i", "--input-path", required=True, type=click.Path(dir_okay=False),
              help="A CSV file (header row, then rows) or a JSON file in the /invocations format.")
@click.option("-o", "--output-path", default=None, type=click.Path(dir_okay=False),
              help="Where to write {\"predictions\": ...} (default: standard output).")
@click.option("-t", "--content-type", type=click.Choice(["json", "csv"]), default=None,
              help="Format of the input (default: from its extension, .csv or .json).")
def predict_command(model_uri: str, input_path: str, output_path: str | None,
                    content_type: str | None) -> None:
    """Score a file with a model: the same parsing, signature check and output as the
    server's /invocations."""
    kind = content_type or _TYPES.get(os.path.splitext(input_path)[1].lower())
    if kind is None:
        raise click.ClickException(
            f"cannot tell the format of {input_path!r} from its extension; name a .csv or "
            ".json file or pass --content-type json|csv")
    try:
        with open(input_path, "rb") as f:
            body = f.read()
    except OSError as exc:
        raise click.ClickException(f"cannot read {input_path!r}: {exc.strerror}") from None
    try:
        from autolog.models import load_pyfunc
        from autolog.serving import protocol

        model = load_pyfunc(model_uri)
        data, params = protocol.parse_body(
            body, protocol.CONTENT_TYPE_CSV if kind == "csv" else protocol.CONTENT_TYPE_JSON)
        payload = protocol.encode_predictions(protocol.predict(model, data, params))
    except AutologError as exc:
        raise click.ClickException(_one_line(exc)) from None
    if output_path is None:
        sys.stdout.buffer.write(payload + b"\n")
        sys.stdout.flush()
        return
    try:
        with open(output_path, "wb") as f:
            f.write(payload)
    except OSError as exc:
        raise click.ClickException(f"cannot write {output_path!r}: {exc.strerror}") from None


def _one_line(exc: BaseException) -> str:
    from autolog.redaction import redact

    return redact(" ".join(str(exc).split()))


def add_commands(group: click.Group) -> None:
    """Attach ``serve`` and ``predict`` to ``group`` (the ``autolog models`` group)."""
    group.add_command(serve_command, "serve")
    group.add_command(predict_command, "predict")
