"""XGBoost autologging: ``autolog.xgboost.autolog()`` (or ``autolog.autolog()``).

What is patched
    ``xgboost.train`` and the ``fit`` of the scikit-learn estimators (``XGBModel`` and every
    subclass in ``xgboost.sklearn`` that defines its own ``fit``: ``XGBClassifier``,
    ``XGBRegressor``, ``XGBRanker``, ``XGBRFClassifier``, ``XGBRFRegressor``). A ``fit``
    calls ``train`` inside; only the outermost call logs, so each training is one run.
    ``DMatrix.__init__`` is patched too, to keep a five-row sample of the data a DMatrix is
    built from (for the signature and input example; the data itself is neither copied
    nor referenced). ``from xgboost import train`` made *before* autolog
    was enabled keeps the unpatched function.

What is logged
    * Params, as MLflow logs them: every booster parameter as given plus ``train``'s own
      arguments (``num_boost_round``, ``early_stopping_rounds``, ``maximize``,
      ``verbose_eval``, ``custom_metric``); for the scikit-learn API, those of the
      ``train`` call inside ``fit`` (the effective ``objective``, ``num_class``,
      ``num_boost_round`` = ``n_estimators``; not ``get_params()``).
    * Metrics: ``<eval name>-<metric>`` at step = iteration (``validation-logloss``;
      ``validation_0-logloss`` for the scikit-learn API; ``@`` written ``_at_``). The
      native API logs through a callback placed ahead of the user's callbacks (in a new
      list: the user's list is not touched); the scikit-learn API, whose ``fit`` takes no
      per-call callbacks, logs the estimator's ``evals_result()`` after ``fit``. With early
      stopping (``early_stopping_rounds`` or an ``EarlyStopping`` callback):
      ``best_iteration`` (``booster.best_iteration``, 0-based), ``stopped_iteration`` (the
      last iteration's index, 0-based too, as MLflow) and one more point of each eval metric at
      ``step = stopped_iteration`` holding the best iteration's value.
    * Artifacts: ``feature_importance_<type>.json`` (MLflow's file: feature to value) for
      each type in the ``importance_types`` flag (default weight, as MLflow), written
      on the writer thread. Its picture, ``feature_importance_<type>.png``, is drawn from
      the JSON where it is wanted (``autolog runs show RUN_ID --plots DIR``, ``autolog
      export`` to MLflow, runs tracked into MLflow directly), or into the run at fit time
      with ``log_plots="png"`` (needs matplotlib); no process is started and matplotlib is
      not imported at fit time otherwise. ``log_plots=False`` draws no PNG anywhere at fit
      time (the JSON stays: set ``importance_types=()`` to drop it). The model (xgboost
      flavor) with its signature (from the data as passed, copied before training) and,
      with ``log_input_examples``, an input example.
    * Datasets, as MLflow records them: each DMatrix (training, and every ``evals`` entry,
      the training one included) described by what it holds (float32 features, profile
      ``[rows, columns]``, MLflow's digest), read back without densifying it (a DMatrix
      built before ``autolog()`` is described too); for ``fit``, ``X`` and each
      ``eval_set`` entry as the DMatrix ``fit`` builds (contexts ``train`` and ``eval``).

Flags: see ``autolog.xgboost.autolog`` (``help(autolog.xgboost.autolog)``): the common
ones of ``autolog.autolog`` plus ``importance_types``, ``registered_model_name`` (a version
in the store's model registry, the local one or MLflow's), ``model_format`` and ``log_plots``.
``autolog.xgboost.log_model``, ``save_model`` and ``load_model`` work as MLflow's.
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from types import ModuleType
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from autolog import flags as F
from autolog import session
from autolog.integration import Integration, enable_by_name
from autolog.lazy import flavor_functions, lazy_module
from autolog.session import Call

if TYPE_CHECKING:
    from . import _common, _gbm, _xgboost_data
else:  # numpy-heavy: loaded with the first training, not by autolog()
    _gbm = lazy_module("autolog.integrations._gbm")
    _xgboost_data = lazy_module("autolog.integrations._xgboost_data")
    _common = lazy_module("autolog.integrations._common")

# DMatrix -> a copy of its first rows; weak keys: no DMatrix is kept alive
_SOURCES: weakref.WeakKeyDictionary[Any, _Source] = weakref.WeakKeyDictionary()
# MLflow's list: ``custom_metric`` and ``verbose_eval`` are logged, as MLflow logs them
_TRAIN_EXCLUDED = ("params", "dtrain", "evals", "obj", "feval", "evals_result", "xgb_model",
                   "callbacks", "learning_rates")
_callback_class: Any = None


def _new_callback(call: Call, recorder: _gbm.EvalRecorder) -> Any:
    """An ``xgboost.callback.TrainingCallback`` (the class is built at first use, so that
    this module does not import xgboost)."""
    global _callback_class
    if _callback_class is None:
        from xgboost.callback import TrainingCallback

        class AutologCallback(TrainingCallback):  # type: ignore[misc,unused-ignore]
            """Records ``<eval name>-<metric>`` of every iteration into an EvalRecorder."""

            def __init__(self, call: Call, recorder: _gbm.EvalRecorder) -> None:
                super().__init__()
                self._call = call
                self._recorder = recorder
                self._keys: dict[tuple[str, str], str] = {}
                self._log: Any = None
                self._seen = 0
                self._epoch = -1

            def after_iteration(self, model: Any, epoch: int, evals_log: Any) -> bool:
                with self._call.isolate("callback"):
                    self._log, self._epoch = evals_log, epoch
                    self._seen += 1
                    self._record(epoch, evals_log, -1)
                return False

            def after_training(self, model: Any) -> Any:
                # xgboost < 2 keeps callbacks in a set and stops at the first that asks to:
                # the iteration an EarlyStopping ended may have skipped us; catch up here.
                with self._call.isolate("callback"):
                    log = self._log
                    lengths = [len(v) for m in (log or {}).values() for v in m.values()]
                    total = max(lengths, default=0)
                    for index in range(self._seen, total):
                        self._epoch += 1
                        self._record(self._epoch, log, index)
                return model

            def _record(self, epoch: int, evals_log: Any, index: int) -> None:
                keys = self._keys
                values: dict[str, float] = {}
                for data_name, metrics in evals_log.items():
                    for metric_name, log in metrics.items():
                        key = keys.get((data_name, metric_name))
                        if key is None:
                            key = keys[(data_name, metric_name)] = _gbm.metric_key(
                                data_name, metric_name)
                        value = log[index]
                        values[key] = float(value[0] if type(value) is tuple else value)
                self._recorder.record(epoch, values)

        _callback_class = AutologCallback
    return _callback_class(call, recorder)


def _flat_params(params: Any) -> dict[str, Any]:
    """``params`` as a dict; a list of pairs may repeat a key (``eval_metric``): a list."""
    if params is None:
        return {}
    if isinstance(params, dict):
        return dict(params)
    out: dict[str, Any] = {}
    for key, value in params:
        if key in out:
            previous = out[key]
            out[key] = [*previous, value] if isinstance(previous, list) else [previous, value]
        else:
            out[key] = value
    return out


def _uses_early_stopping(rounds: Any, callbacks: Any) -> bool:
    if rounds:
        return True
    from xgboost.callback import EarlyStopping

    return any(isinstance(c, EarlyStopping) for c in callbacks or ())


def _best_iteration(booster: Any) -> int | None:
    best = booster.attr("best_iteration")
    return int(best) if best is not None else None


def _importances(call: Call, booster: Any) -> None:
    types = call.config.get("importance_types") or ()
    if isinstance(types, str):
        types = (types,)
    found: dict[str, Any] = {}
    for importance_type in types:
        try:
            found[importance_type] = booster.get_score(importance_type=importance_type)
        except Exception as exc:  # noqa: BLE001 - e.g. gblinear supports weight only
            session.report_error(call.integration, call.place,
                                  f"feature importance {importance_type!r}", exc, True)
    _gbm.log_importances(call, found)


# ---------------------------------------------------------------------------- DMatrix
class DMatrixHook(session.Hook):
    """Keep a five-row sample of each DMatrix's data (for the signature and input example)."""

    def after(self, call: Call, result: Any) -> None:
        bound = _gbm.bind(_gbm.original(call), call)
        if bound is None or call.instance is None:
            return
        sample = _gbm.head(bound.arguments.get("data"))
        if sample is not None:
            _SOURCES[call.instance] = _Source(
                _common.snapshot(call, sample), bool(bound.arguments.get("enable_categorical", False)))


class _Source:
    __slots__ = ("enable_categorical", "sample")

    def __init__(self, sample: Any, enable_categorical: bool) -> None:
        self.sample, self.enable_categorical = sample, enable_categorical


# ---------------------------------------------------------------------------- xgboost.train
class TrainHook(session.Hook):
    """``xgboost.train``: params before, a metrics callback during, the rest after."""

    def before(self, call: Call) -> None:
        bound = _gbm.bind(_gbm.original(call), call)
        if bound is None or call.run_id is None:
            return
        args = bound.arguments
        _gbm.log_params(call, {**_flat_params(args.get("params")),
                               **_gbm.training_params(bound, _TRAIN_EXCLUDED)})
        recorder = _gbm.EvalRecorder(call.run_id)
        call.state["recorder"] = recorder
        call.state["early_stopping"] = _uses_early_stopping(
            args.get("early_stopping_rounds"), args.get("callbacks"))
        call.state["dtrain"] = args.get("dtrain")
        call.state["evals"] = list(args.get("evals") or ())
        _gbm.with_callback(call, bound, "callbacks", _new_callback(call, recorder), first=True)

    def after(self, call: Call, booster: Any) -> None:
        recorder: _gbm.EvalRecorder | None = call.state.get("recorder")
        if recorder is None:
            return
        best = _best_iteration(booster) if call.state["early_stopping"] else None
        recorder.finish(best_iteration=best, best_step=best, last_index=True)
        _importances(call, booster)
        dtrain = call.state["dtrain"]
        _log_dmatrix(call, dtrain, "train", "train")
        for dmatrix, name in call.state["evals"]:  # dtrain too when listed, as MLflow
            _log_dmatrix(call, dmatrix, "eval", str(name))
        source = _SOURCES.get(dtrain) if dtrain is not None else None
        _common.log_model(call, "xgboost", booster, source.sample if source else None,
                          _dmatrix_predictor(booster, dtrain, source) if source else None,
                          model_format=call.config.get("model_format", "json"))

    def on_error(self, call: Call, exc: BaseException) -> None:
        _gbm.keep_metrics(call)


def _log_dmatrix(call: Call, dmatrix: Any, context: str, name: str) -> None:
    """MLflow's record of the DMatrix (its float32 data read back, ``_xgboost_data``):
    a DMatrix built before ``autolog()`` is described as well."""
    if dmatrix is None or call.run_id is None or not call.config.get("log_datasets"):
        return
    try:
        record = _xgboost_data.from_dmatrix(dmatrix, name)
    except Exception as exc:  # noqa: BLE001 - e.g. a QuantileDMatrix keeps no data to read
        _common.warn_skipped(call, f"the {context} dataset input ({name})", exc)
        return
    _gbm.log_record(call, record, context)


def _dmatrix_predictor(booster: Any, dtrain: Any, source: _Source) -> Any:
    def predict(sample: Any) -> Any:
        import xgboost

        kwargs: dict[str, Any] = {"enable_categorical": source.enable_categorical}
        if not hasattr(sample, "iloc"):
            kwargs["feature_names"] = dtrain.feature_names
            kwargs["feature_types"] = dtrain.feature_types
        return booster.predict(xgboost.DMatrix(sample, **kwargs))

    return predict


# ---------------------------------------------------------------------------- scikit-learn API
class FitHook(session.Hook):
    """``XGBModel.fit`` and subclasses: what MLflow logs from the ``train`` call inside
    ``fit`` (its params, eval metrics, the DMatrix datasets, early stopping), the model."""

    def before(self, call: Call) -> None:
        estimator = call.instance
        if estimator is None or call.run_id is None:
            return
        bound = _gbm.bind(_gbm.original(call), call)
        fit_args = dict(bound.arguments) if bound is not None else {}
        call.state["fit_args"] = fit_args
        # taken before fit: the signature and example describe the data as passed
        call.state["sample"] = _common.snapshot(call, _gbm.head(fit_args.get("X")))

    def after(self, call: Call, result: Any) -> None:
        estimator = call.instance
        fit_args = call.state.get("fit_args")
        if estimator is None or fit_args is None:
            return
        with call.isolate("params"):
            _gbm.log_params(call, _xgboost_data.train_params(estimator, fit_args, _TRAIN_EXCLUDED))
        booster = estimator.get_booster()
        recorder = _gbm.EvalRecorder(str(call.run_id))
        _gbm.record_history(recorder, getattr(estimator, "evals_result_", None) or {})
        rounds = fit_args.get("early_stopping_rounds") or getattr(estimator, "early_stopping_rounds", None)
        early = _uses_early_stopping(
            rounds, [*(getattr(estimator, "callbacks", None) or ()), *(fit_args.get("callbacks") or ())])
        best = _best_iteration(booster) if early else None
        recorder.finish(best_iteration=best, best_step=best, last_index=True)
        _importances(call, booster)
        with call.isolate("datasets"):
            X = fit_args.get("X")
            if call.config.get("log_datasets"):
                _gbm.log_record(call, _xgboost_data.from_fit_data(X, estimator, "train"), "train")
                for i, pair in enumerate(fit_args.get("eval_set") or ()):
                    _gbm.log_record(call, _xgboost_data.from_fit_data(pair[0], estimator,
                                                                      f"validation_{i}"), "eval")
        _common.log_model(call, "xgboost", estimator, call.state.get("sample"), estimator.predict,
                          model_format=call.config.get("model_format", "json"))


# ---------------------------------------------------------------------------- integration
IMPORTANCE_TYPES = ("weight", "gain", "cover", "total_gain", "total_cover")
MODEL_FORMATS = ("xgb", "json", "ubj")


def _importance_types(value: Any) -> bool:
    if value is None or isinstance(value, str):
        return value is None or value in IMPORTANCE_TYPES
    return isinstance(value, (list, tuple)) and all(v in IMPORTANCE_TYPES for v in value)


FLAGS: dict[str, F.Flag] = {
    "importance_types": F.Flag(("weight",), _importance_types,
                               f"None or a list of {', '.join(map(repr, IMPORTANCE_TYPES))}"),
    "registered_model_name": F.REGISTERED_MODEL_NAME,
    "model_format": F.Flag("json", F.one_of(*MODEL_FORMATS),
                           " or ".join(map(repr, MODEL_FORMATS))),
    "log_plots": F.LOG_PLOTS,
}


class XGBoostIntegration(Integration):
    name = "xgboost"
    modules = ("xgboost",)
    requirements = ("xgboost >= 1.7",)
    flags: ClassVar[dict[str, Any]] = F.defaults(FLAGS)
    flag_table = FLAGS

    def _patch(self, module: ModuleType) -> None:
        session.safe_patch(self, module, "train", TrainHook())
        session.safe_patch(self, module.DMatrix, "__init__", DMatrixHook(), creates_run=False)
        sklearn_api = getattr(module, "sklearn", None)
        base = getattr(sklearn_api, "XGBModel", None)
        if base is None:
            return
        hook = FitHook()
        for klass in _gbm.fit_classes(sklearn_api, base):
            session.safe_patch(self, klass, "fit", hook)


def autolog(
    importance_types: Sequence[str] | None = ("weight",),
    log_input_examples: bool = False,
    log_model_signatures: bool = True,
    log_models: bool = True,
    log_datasets: bool = True,
    disable: bool = False,
    exclusive: bool = False,
    disable_for_unsupported_versions: bool = False,
    silent: bool = False,
    registered_model_name: str | None = None,
    model_format: Literal["xgb", "json", "ubj"] = "json",
    extra_tags: dict[str, Any] | None = None,
    log_system_metrics: bool = True,
    log_plots: bool | Literal["png"] = True,
) -> None:
    """Enable (or, with ``disable=True``, disable) XGBoost autologging.

    Every flag is set on each call: a flag left out takes its default. A bad value is an
    ``InvalidInputError`` naming the flag.

    Args:
        importance_types: feature importance types logged as
            ``feature_importance_<type>.json``: any of ``"weight"``, ``"gain"``,
            ``"cover"``, ``"total_gain"``, ``"total_cover"``; None or ``()`` logs none.
        log_input_examples: log five training rows as the model's input example.
        log_model_signatures: log the model's signature, inferred from five training rows.
        log_models: log the trained model (xgboost flavor) under ``model/``.
        log_datasets: log the training and eval data as dataset inputs.
        disable: revert every patch and stop autologging XGBoost.
        exclusive: keep autologged content out of runs the user started.
        disable_for_unsupported_versions: do not patch an XGBoost outside the supported
            range (by default it is patched, with a warning).
        silent: no warnings from autologging itself.
        registered_model_name: register each logged model under this name in the
            store's model registry (the local store's or MLflow's).
        model_format: the model file's format: ``"json"``, ``"ubj"`` or ``"xgb"``.
        extra_tags: tags set on every run that autologging opens.
        log_system_metrics: sample CPU, memory, disk, network and GPU metrics during runs
            that autologging opens.
        log_plots: True logs the feature importance plot as data (drawn where viewed);
            ``"png"`` also draws the PNG at fit time; False draws no PNG at fit time.
    """
    enable_by_name("xgboost", dict(locals()))  # exactly the parameters above


log_model, save_model, load_model = flavor_functions("xgboost")

__all__ = ["XGBoostIntegration", "autolog", "load_model", "log_model", "save_model"]
