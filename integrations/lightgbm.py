"""LightGBM autologging: ``autolog.lightgbm.autolog()`` (or ``autolog.autolog()``).

What is patched
    ``lightgbm.train``, ``lightgbm.cv`` and the ``fit`` of the scikit-learn estimators
    (``LGBMModel`` and every subclass in ``lightgbm.sklearn`` that defines its own ``fit``:
    ``LGBMClassifier``, ``LGBMRegressor``, ``LGBMRanker``). A ``fit`` calls ``train``
    inside; only the outermost call logs, so each training is one run. ``from lightgbm
    import train`` made *before* autolog was enabled keeps the unpatched function.

What is logged
    * Params: every booster parameter as given plus the training arguments
      (``num_boost_round``, ``feature_name``, ``categorical_feature``, and for ``cv``
      ``nfold``, ``stratified``, ``shuffle``, ``metrics``, ``seed`` …; never data, callables
      or ``verbose_eval``); for the scikit-learn API, those of the ``train`` call inside
      ``fit``, as MLflow logs them (the params as LightGBM resolves them: the effective
      ``objective``, ``metric``, ``num_threads``; ``num_boost_round`` = ``n_estimators``,
      ``keep_training_booster``; not ``get_params()``).
    * Metrics, through a callback added to a *copy* of the user's callbacks:
      ``<eval name>-<metric>`` at step = iteration (``valid_0-multi_logloss``; ``@``
      written ``_at_``); ``lightgbm.cv`` logs one run with ``valid-<metric>-mean`` and
      ``valid-<metric>-stdv``. With early stopping (``early_stopping_rounds``, the
      ``early_stopping_round`` param or an ``early_stopping`` callback):
      ``best_iteration`` (``booster.best_iteration``, 1-based as LightGBM reports it),
      ``stopped_iteration`` (the number of iterations run, MLflow's value for LightGBM) and
      one more point of each eval metric at ``step = stopped_iteration`` holding the best
      iteration's value.
    * Artifacts: ``feature_importance_split.json``/``feature_importance_gain.json``
      (MLflow's files: feature to value), written on the writer thread. Their pictures,
      ``feature_importance_<type>.png``, are drawn from the JSON where they are wanted
      (``autolog runs show RUN_ID --plots DIR``, ``autolog export`` to MLflow, runs tracked
      into MLflow directly), or into the run at fit time with ``log_plots="png"`` (needs
      matplotlib); no process is started and matplotlib is not imported at fit time
      otherwise. The model (lightgbm flavor) with its signature and, with
      ``log_input_examples``, an input example; the training and validation data as dataset
      inputs (contexts ``train`` and ``eval``; a training set also listed among the
      validation sets is an eval input too, as MLflow); the signature comes from rows
      copied before training (``lgb.Dataset`` raw data is sampled before LightGBM frees
      it; data given as a file path is not sampled).

Flags: see ``autolog.lightgbm.autolog`` (``help(autolog.lightgbm.autolog)``): the common
ones of ``autolog.autolog`` plus ``registered_model_name`` (a version in the store's
model registry, the local one or MLflow's) and ``log_plots``. ``autolog.lightgbm.log_model``,
``save_model`` and ``load_model`` work as MLflow's.
"""

from __future__ import annotations

import inspect
from types import ModuleType
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from autolog import flags as F
from autolog import session
from autolog.integration import Integration, enable_by_name
from autolog.lazy import flavor_functions, lazy_module
from autolog.session import Call

if TYPE_CHECKING:
    from . import _common, _gbm
else:  # numpy-heavy: loaded with the first training, not by autolog()
    _gbm = lazy_module("autolog.integrations._gbm")
    _common = lazy_module("autolog.integrations._common")

IMPORTANCE_TYPES = ("split", "gain")
# MLflow's list: ``keep_training_booster`` (and, where lightgbm has them, ``verbose_eval``
# and ``evals_result``) are logged as MLflow logs them
_TRAIN_EXCLUDED = ("params", "train_set", "valid_sets", "valid_names", "fobj", "feval",
                   "init_model", "callbacks", "learning_rates", "evals_result")
_CV_EXCLUDED = ("params", "train_set", "folds", "fobj", "feval", "init_model", "fpreproc",
                "callbacks", "verbose_eval", "show_stdv", "eval_train_metric",
                "return_cvbooster")


class AutologCallback:
    """A LightGBM callback that runs first (lowest ``order``), so that it records the
    iteration on which ``early_stopping`` or a user's callback stops training."""

    def __init__(self, call: Call, recorder: _gbm.EvalRecorder, cv: bool = False) -> None:
        self.order = -1_000_000
        self.before_iteration = False
        self.model: Any = None
        self._call = call
        self._recorder = recorder
        self._cv = cv
        self._keys: dict[tuple[str, str], tuple[str, str]] = {}

    def __call__(self, env: Any) -> None:
        with self._call.isolate("callback"):
            self.model = env.model
            keys = self._keys
            values: dict[str, float] = {}
            for item in env.evaluation_result_list or ():
                names = keys.get((item[0], item[1]))
                if names is None:
                    names = keys[(item[0], item[1])] = self._names(item[0], item[1])
                values[names[0]] = float(item[2])
                if self._cv and len(item) > 4 and item[4] is not None:
                    values[names[1]] = float(item[4])
            self._recorder.record(env.iteration, values)

    def _names(self, data_name: str, metric_name: str) -> tuple[str, str]:
        if not self._cv:
            return _gbm.metric_key(data_name, metric_name), ""
        if data_name == "cv_agg":  # lightgbm < 4.6: ("cv_agg", "valid l2", mean, _, std)
            data_name, _, rest = metric_name.partition(" ")
            if not rest:
                data_name, rest = "valid", metric_name
            metric_name = rest
        key = _gbm.metric_key(data_name, metric_name)
        return f"{key}-mean", f"{key}-stdv"


def _best_iteration(model: Any) -> int | None:
    best = getattr(model, "best_iteration", 0) if model is not None else 0
    return int(best) if best is not None and best > 0 else None


def _finish(recorder: _gbm.EvalRecorder, model: Any) -> None:
    best = _best_iteration(model)
    recorder.finish(best_iteration=best, best_step=None if best is None else best - 1)


def _importances(call: Call, booster: Any) -> None:
    names = booster.feature_name()
    found = {
        kind: dict(zip(names, booster.feature_importance(importance_type=kind).tolist(), strict=False))
        for kind in IMPORTANCE_TYPES
    }
    _gbm.log_importances(call, found)


def _raw(dataset: Any) -> tuple[Any, Any]:
    """An ``lgb.Dataset``'s raw data and labels, taken before LightGBM frees them (held for
    the duration of the call only; data given as a file path is not described)."""
    data = getattr(dataset, "data", None)
    if data is None or isinstance(data, (str, bytes)) or hasattr(data, "__fspath__"):
        return None, None
    return data, getattr(dataset, "label", None)


# ---------------------------------------------------------------------------- native API
class TrainHook(session.Hook):
    """``lightgbm.train`` (and ``lightgbm.cv`` with ``cv=True``)."""

    def __init__(self, cv: bool = False) -> None:
        self.cv = cv

    def before(self, call: Call) -> None:
        bound = _gbm.bind(_gbm.original(call), call)
        if bound is None or call.run_id is None:
            return
        args = bound.arguments
        excluded = _CV_EXCLUDED if self.cv else _TRAIN_EXCLUDED
        _gbm.log_params(call, {**dict(args.get("params") or {}),
                               **_gbm.training_params(bound, excluded)})
        recorder = _gbm.EvalRecorder(call.run_id)
        callback = AutologCallback(call, recorder, cv=self.cv)
        call.state["recorder"], call.state["callback"] = recorder, callback
        # sample now: LightGBM frees a Dataset's raw data once it is constructed
        call.state["train"] = _raw(args.get("train_set"))
        # copied before training: the signature describes the data as passed
        call.state["sample"] = _common.snapshot(call, _gbm.head(call.state["train"][0]))
        if not self.cv:
            train_set = args.get("train_set")
            names = list(args.get("valid_names") or ())
            call.state["valid"] = [  # the training set too when listed, as MLflow
                (names[i] if i < len(names) else f"valid_{i}",
                 call.state["train"] if v is train_set else _raw(v))
                for i, v in enumerate(args.get("valid_sets") or ())
            ]
        _gbm.with_callback(call, bound, "callbacks", callback)

    def after(self, call: Call, result: Any) -> None:
        recorder: _gbm.EvalRecorder | None = call.state.get("recorder")
        if recorder is None:
            return
        callback: AutologCallback = call.state["callback"]
        _finish(recorder, result if not self.cv else callback.model)
        features, labels = call.state["train"]
        _gbm.log_dataset(call, features, labels, "train", "train")
        if self.cv:
            return
        for name, (valid_features, valid_labels) in call.state["valid"]:
            _gbm.log_dataset(call, valid_features, valid_labels, "eval", name)
        _importances(call, result)
        _common.log_model(call, "lightgbm", result, call.state.get("sample"), result.predict)

    def on_error(self, call: Call, exc: BaseException) -> None:
        _gbm.keep_metrics(call)


# ---------------------------------------------------------------------------- scikit-learn API
class FitHook(session.Hook):
    """``LGBMModel.fit`` and subclasses."""

    def before(self, call: Call) -> None:
        estimator = call.instance
        bound = _gbm.bind(_gbm.original(call), call)
        if estimator is None or bound is None or call.run_id is None:
            return
        args = bound.arguments
        recorder = _gbm.EvalRecorder(call.run_id)
        call.state["recorder"] = recorder
        call.state["fit_args"] = {k: args.get(k) for k in ("X", "y", "eval_set", "eval_names",
                                                           "eval_X", "eval_y", "eval_metric",
                                                           "early_stopping_rounds")}
        # taken before fit: the signature and example describe the data as passed
        call.state["sample"] = _common.snapshot(call, _gbm.head(args.get("X")))
        _gbm.with_callback(call, bound, "callbacks", AutologCallback(call, recorder))

    def after(self, call: Call, result: Any) -> None:
        recorder: _gbm.EvalRecorder | None = call.state.get("recorder")
        estimator = call.instance
        if recorder is None or estimator is None:
            return
        fit_args = call.state["fit_args"]
        with call.isolate("params"):
            _gbm.log_params(call, _train_params(estimator, fit_args))
        booster = estimator.booster_
        _finish(recorder, booster)
        X = fit_args["X"]
        _gbm.log_dataset(call, X, fit_args["y"], "train", "train")
        names = list(fit_args["eval_names"] or ())
        for i, (eval_X, eval_y) in enumerate(_eval_pairs(fit_args)):  # X too when listed
            _gbm.log_dataset(call, eval_X, eval_y, "eval",
                             names[i] if i < len(names) else f"valid_{i}")
        _importances(call, booster)
        _common.log_model(call, "lightgbm", estimator, call.state.get("sample"), estimator.predict)

    def on_error(self, call: Call, exc: BaseException) -> None:
        _gbm.keep_metrics(call)


def _train_params(estimator: Any, fit_args: dict[str, Any]) -> dict[str, Any]:
    """What ``fit`` passed to ``lightgbm.train``, as MLflow logs it: the estimator's params
    as LightGBM resolves them for training (the effective ``objective``, ``metric`` merged
    with ``eval_metric``'s built-in names, ``num_threads``) and ``train``'s own arguments
    (``num_boost_round`` = ``n_estimators``, ``keep_training_booster``)."""
    import lightgbm

    try:  # LightGBM's own resolution (private, stable since 3.0): exactly what fit passes
        params = dict(estimator._process_params(stage="fit"))
    except Exception:  # noqa: BLE001 - lightgbm < 4: the public params, less what fit drops
        params = dict(estimator.get_params(deep=True))
        for name in ("n_estimators", "class_weight", "importance_type", "silent"):
            params.pop(name, None)
        if params.get("objective") is None:  # the objective fit chose
            params["objective"] = getattr(estimator, "objective_", None)
    eval_metric = fit_args.get("eval_metric")
    given = eval_metric if isinstance(eval_metric, list) else [eval_metric]
    builtin = [m for m in given if isinstance(m, str)]
    metric = params.get("metric")
    metric = [metric] if isinstance(metric, (str, type(None))) else list(metric)
    params["metric"] = [m for m in [*[e for e in builtin if e not in metric], *metric]
                        if m is not None]
    if fit_args.get("early_stopping_rounds") is not None:  # lightgbm < 4: a fit argument
        params["early_stopping_rounds"] = fit_args["early_stopping_rounds"]
    train = {name: p.default for name, p in
             inspect.signature(getattr(lightgbm.train, "__wrapped__", lightgbm.train)).parameters.items()
             if name not in _TRAIN_EXCLUDED and p.default is not inspect.Parameter.empty}
    train["num_boost_round"] = estimator.n_estimators
    return {**params, **train}


def _eval_pairs(fit_args: dict[str, Any]) -> list[tuple[Any, Any]]:
    """Validation (X, y) pairs from ``eval_set`` or (lightgbm >= 4.7) ``eval_X``/``eval_y``."""
    if fit_args.get("eval_set"):
        pairs = fit_args["eval_set"]
        return [tuple(p) for p in (pairs if isinstance(pairs, list) else [pairs])]
    eval_X, eval_y = fit_args.get("eval_X"), fit_args.get("eval_y")
    if eval_X is None:
        return []
    if not isinstance(eval_X, (list, tuple)):
        eval_X, eval_y = [eval_X], [eval_y]
    eval_y = list(eval_y) if isinstance(eval_y, (list, tuple)) else [eval_y] * len(eval_X)
    return list(zip(eval_X, eval_y, strict=False))


# ---------------------------------------------------------------------------- integration
FLAGS: dict[str, F.Flag] = {
    "registered_model_name": F.REGISTERED_MODEL_NAME,
    "log_plots": F.LOG_PLOTS,
}


class LightGBMIntegration(Integration):
    name = "lightgbm"
    modules = ("lightgbm",)
    requirements = ("lightgbm >= 3.3",)
    flags: ClassVar[dict[str, Any]] = F.defaults(FLAGS)
    flag_table = FLAGS

    def _patch(self, module: ModuleType) -> None:
        session.safe_patch(self, module, "train", TrainHook())
        session.safe_patch(self, module, "cv", TrainHook(cv=True))
        sklearn_api = getattr(module, "sklearn", None)
        base = getattr(sklearn_api, "LGBMModel", None)
        if base is None:
            return
        hook = FitHook()
        for klass in _gbm.fit_classes(sklearn_api, base):
            session.safe_patch(self, klass, "fit", hook)


def autolog(
    log_input_examples: bool = False,
    log_model_signatures: bool = True,
    log_models: bool = True,
    log_datasets: bool = True,
    disable: bool = False,
    exclusive: bool = False,
    disable_for_unsupported_versions: bool = False,
    silent: bool = False,
    registered_model_name: str | None = None,
    extra_tags: dict[str, Any] | None = None,
    log_system_metrics: bool = True,
    log_plots: bool | Literal["png"] = True,
) -> None:
    """Enable (or, with ``disable=True``, disable) LightGBM autologging.

    Every flag is set on each call: a flag left out takes its default. A bad value is an
    ``InvalidInputError`` naming the flag.

    Args:
        log_input_examples: log five training rows as the model's input example.
        log_model_signatures: log the model's signature, inferred from five training rows.
        log_models: log the trained model (lightgbm flavor) under ``model/``.
        log_datasets: log the training and validation data as dataset inputs.
        disable: revert every patch and stop autologging LightGBM.
        exclusive: keep autologged content out of runs the user started.
        disable_for_unsupported_versions: do not patch a LightGBM outside the supported
            range (by default it is patched, with a warning).
        silent: no warnings from autologging itself.
        registered_model_name: register each logged model under this name in the
            store's model registry (the local store's or MLflow's).
        extra_tags: tags set on every run that autologging opens.
        log_system_metrics: sample CPU, memory, disk, network and GPU metrics during runs
            that autologging opens.
        log_plots: True logs the feature importance plots as data (drawn where viewed);
            ``"png"`` also draws the PNGs at fit time; False draws no PNG at fit time.
    """
    enable_by_name("lightgbm", dict(locals()))  # exactly the parameters above


log_model, save_model, load_model = flavor_functions("lightgbm")

__all__ = ["LightGBMIntegration", "autolog", "load_model", "log_model", "save_model"]
