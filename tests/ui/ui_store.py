"""The UI tests' store: one local store made by real autologged scikit-learn fits (three
LogisticRegression fits, a grid search with child runs, a registered model with an alias),
plus a run with metric histories (one of 5,000 steps with a single spike), a run whose
name, param, tag and HTML artifact carry script, a CSV, an image, and a symlink that points
out of a run's artifacts."""

from __future__ import annotations

import os
import struct
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

import autolog
from autolog.tracking import fluent

XSS = ('<img src=x onerror="window.__pwned=1;alert(1)">'
       '<script>window.__pwned=1;alert(1)</script>')
SPIKE_VALUE = 1000.0
SPIKE_STEP = 3217
LONG_STEPS = 5000
LOSS_STEPS = 50
SYSTEM_SAMPLES = 40


def png_bytes(width: int = 24, height: int = 16) -> bytes:
    """A small valid PNG (a gradient), made without an imaging library."""
    rows = b"".join(b"\x00" + b"".join(bytes((x * 10 % 256, y * 15 % 256, 128))
                                         for x in range(width)) for y in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data +
                struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) +
            chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


@dataclass
class UIStoreData:
    uri: str
    lr_runs: dict[float, str] = field(default_factory=dict)  # C -> run id
    parent_id: str = ""
    child_ids: list[str] = field(default_factory=list)
    history_id: str = ""
    history2_id: str = ""
    xss_id: str = ""
    model_name: str = "ui-clf"


def make_store(root: Path) -> UIStoreData:
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GridSearchCV
    from sklearn.utils import estimator_html_repr

    uri = str(root / "store")
    data = UIStoreData(uri)
    fluent.set_tracking_uri(uri)
    autolog.autolog(silent=True)
    try:
        rng = np.random.RandomState(0)
        X = rng.normal(size=(120, 4))
        y = (X[:, 0] + 0.3 * rng.normal(size=120) > 0).astype(int)
        for c in (0.1, 0.5, 2.0):
            model = LogisticRegression(C=c).fit(X, y)
            run = autolog.last_active_run()
            assert run is not None
            data.lr_runs[c] = run.info.run_id
        autolog.log_text(estimator_html_repr(model), "estimator.html",
                         run_id=data.lr_runs[2.0])
        GridSearchCV(LogisticRegression(), {"C": [0.2, 1.0, 5.0]}, cv=3).fit(X, y)
        parent = autolog.last_active_run()
        assert parent is not None
        data.parent_id = parent.info.run_id
        data.child_ids = [r.info.run_id for r in autolog.search_runs(
            filter_string=f"tags.mlflow.parentRunId = '{data.parent_id}'")]
    finally:
        autolog.autolog(disable=True)
    start = int(time.time() * 1000) - 600_000  # histories logged over the last 10 minutes
    with autolog.start_run(run_name="histories") as run:
        data.history_id = run.info.run_id
        for step in range(LOSS_STEPS):
            autolog.log_metric("loss", 1.0 / (step + 1) + 0.02 * np.sin(step / 3),
                               step=step, timestamp=start + 2000 * step)
        for step in range(LONG_STEPS):
            value = SPIKE_VALUE if step == SPIKE_STEP else float(np.sin(step / 50.0))
            autolog.log_metric("long", value, step=step, timestamp=start + 20 * step)
        for step in range(SYSTEM_SAMPLES):  # as the system-metrics sampler logs them
            autolog.log_metrics({"system/cpu_utilization_percentage": 40 + 30 * np.sin(step / 4),
                                 "system/system_memory_usage_megabytes": 900.0 + 8 * step},
                                step=step, timestamp=start + 10_000 * step)
        autolog.log_param("C", "9.0")
    with autolog.start_run(run_name="histories-2") as run:
        data.history2_id = run.info.run_id
        for step in range(LOSS_STEPS):
            autolog.log_metric("loss", 2.0 / (step + 2) + 0.05 * np.sin(step), step=step,
                               timestamp=start + 2500 * step)
    with autolog.start_run(run_name="xss " + XSS) as run:
        data.xss_id = run.info.run_id
        autolog.log_param("payload", XSS)
        autolog.set_tag("payload", XSS)
        autolog.log_metric("score", 0.5)
        autolog.log_text(f"<html><body><h1>evil</h1>{XSS}</body></html>", "evil.html")
        autolog.log_text("a,b,c\n1,2,3\n4,\"5,x\",6\n", "table.csv")
        image = root / "picture.png"
        image.write_bytes(png_bytes())
        autolog.log_artifact(str(image), "images")
    autolog.flush()
    version = autolog.register_model(f"runs:/{data.lr_runs[0.5]}/model", data.model_name)
    assert version is not None
    autolog.MlflowClient().set_registered_model_alias(data.model_name, "champion",
                                                      version.version)
    # a symlink inside a run's artifacts that points out of them
    run_dir = autolog.get_run(data.xss_id).info.artifact_uri
    os.symlink(os.path.join(uri, "autolog.db"), os.path.join(run_dir, "escape.db"))
    return data
