"""scikit-learn: what is logged after a fit, each piece failing alone.

Datasets, training metrics, the estimator's description, a search's child runs and the
models are logged in turn; an error raised by the user's model (a ``predict`` that raises)
skips that piece with a warning and the rest is still logged, as in MLflow. The model's
signature and input example come from rows of ``X`` copied before ``fit`` (see
``FitHook.before``), so a fit that mutates ``X`` in place does not change them.
"""

from __future__ import annotations

from typing import Any

from autolog.session import Call
from autolog.tracking import fluent

from . import _common
from . import _sklearn_log as sklearn_log
from . import _sklearn_post_training as post_training
from . import _sklearn_training_metrics as training_metrics


def log(call: Call, result: Any) -> None:
    """Each piece fails alone (``_common.step``): datasets, training metrics, the
    description, the search's runs and the models."""
    estimator, run_id, cfg = call.instance, call.run_id, call.config
    if run_id is None or estimator is None:
        return
    X, y, weight = sklearn_log.fit_inputs(call)
    if cfg.get("log_datasets") and X is not None:
        with _common.step(call, "the training dataset input"):
            sklearn_log.log_dataset(X, y, None, "train", run_id)
    if cfg.get("log_training_metrics") and X is not None:
        with _common.step(call, "the training metrics"):
            _warn_pos_label(call, estimator)
            metrics, plots = training_metrics.compute(call, estimator, X, y, weight, result)
            if metrics:
                fluent.log_metrics(metrics, run_id=run_id)
            sklearn_log.log_plots(plots, training_metrics.PREFIX, run_id, cfg.get("log_plots", True))
    with _common.step(call, "the estimator description"):
        sklearn_log.log_description(estimator, run_id, call.state.get("params"))
    best = None
    if call.state.get("search"):
        with _common.step(call, "the search's child runs and cv_results"):
            sklearn_log.log_search(call, estimator, run_id, X, y)
        best = getattr(estimator, "best_estimator_", None)
    if cfg.get("log_models") and X is not None:
        sample = call.state.get("sample")
        if not call.state.get("search") or best is not None:
            with _common.step(call, "the model"):
                sklearn_log.log_model(call, estimator, sample)
        else:  # a search not refit cannot predict: MLflow logs no model then either
            _common.warn_skipped(call, "the model", "the search was fitted with refit=False, "
                                 "so it has no best estimator and cannot predict")
        if best is not None:
            with _common.step(call, "the best estimator"):
                sklearn_log.log_model(call, best, sample, artifact_path="best_estimator",
                                      register=False)
    post_training.remember_model(estimator, run_id)


def _warn_pos_label(call: Call, estimator: Any) -> None:
    """``pos_label`` applies to binary classification only (MLflow warns likewise)."""
    classes = getattr(estimator, "classes_", None)
    if call.config.get("pos_label") is not None and classes is not None and len(classes) > 2:
        _common.warn_skipped(call, "pos_label", f"it applies to binary classification only; "
                             f"{len(classes)} classes: the metrics are averaged over them")
