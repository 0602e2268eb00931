"""scikit-learn autologging: ``autolog.sklearn.autolog()`` (or ``autolog.autolog()``).

What is patched
    ``fit``, ``fit_transform`` and ``fit_predict`` of every ``BaseEstimator`` subclass,
    scikit-learn's own and third-party ones, on the class that defines the method. Classes
    are patched as their modules are imported (the existing subclasses when ``sklearn`` is
    imported, later ones through a patched ``BaseEstimator.__init_subclass__``), so enabling
    imports nothing. ``predict``, ``predict_proba``, ``predict_log_proba``,
    ``decision_function`` and ``score`` are patched too (for post-training metrics; they
    never create runs), as are the ``sklearn.metrics`` scoring functions and the
    cross-validation helpers (whose fold fits are not runs). ``autolog.sklearn.autolog(
    disable=True)`` reverts all of it.

What is logged, per outermost fit (one run; nested fits of pipelines, meta-estimators,
searches and ``cross_val_score`` folds are part of it)
    * params: ``get_params(deep=True)`` (``deep=False`` for searches), stringified; keys
      and values past the store's limits are cut and named in the tag
      ``autolog.truncated_params``;
    * training metrics (``log_training_metrics``): classifiers ``training_accuracy_score``,
      ``training_precision_score``, ``training_recall_score``, ``training_f1_score``
      (``average="weighted"``, or ``"binary"`` for ``pos_label``), ``training_log_loss`` and
      ``training_roc_auc`` (with ``predict_proba``), ``training_score``; regressors
      ``training_mean_squared_error``, ``training_root_mean_squared_error``,
      ``training_mean_absolute_error``, ``training_r2_score``, ``training_score``;
      clusterers ``training_silhouette_score`` (up to 2,000 rows) and ``training_score``.
      Sample weights are respected;
    * plots as data (``log_plots``, with the training metrics):
      ``training_confusion_matrix.json`` (classifiers, up to 100 classes: the counts of
      scikit-learn's ``confusion_matrix`` with their labels) plus, for binary classifiers
      with ``predict_proba``, ``training_roc_curve.json`` (scikit-learn's ``roc_curve``
      points and the ``roc_auc_score``) and
      ``training_precision_recall_curve.json`` (``precision_recall_curve`` points and the
      ``average_precision_score``); curves are thinned to at most 1,000 points, the AUC
      and AP are the full curve's. The schema is in ``autolog.plots``. They are written on
      the writer thread of the training process; nothing else starts, matplotlib is not
      imported. Pictures are drawn where they are wanted, under MLflow's names
      (``training_confusion_matrix.png``, ``training_roc_curve.png``,
      ``training_precision_recall_curve.png`` and ``estimator.html`` from the logged
      model): ``autolog runs show RUN_ID --plots DIR``, ``autolog export`` to MLflow, and
      runs tracked into MLflow directly. ``log_plots="png"`` also draws the PNGs into the
      run at fit time (on the writer thread; needs matplotlib), ``log_plots=False`` logs
      no plots;
    * artifacts: ``estimator.txt`` (the estimator's repr);
    * the model (sklearn flavor, ``log_models``) with its signature
      (``log_model_signatures``) and input example (``log_input_examples``); the training
      data as an input with context ``train`` (``log_datasets``);
    * searches (``GridSearchCV``, ``RandomizedSearchCV``, ``HalvingGridSearchCV`` …):
      ``best_<param>`` params, ``best_cv_score``, the best estimator as the model,
      ``cv_results.csv``, and child runs (tag ``mlflow.parentRunId``) for the best
      ``max_tuning_runs`` candidates by rank with their params and the numeric
      ``cv_results_`` columns as metrics.

Post-training metrics (``log_post_training_metrics``)
    ``y_pred = model.predict(X_test)`` then ``accuracy_score(y_test, y_pred)`` or
    ``model.score(X_test, y_test)`` log ``accuracy_score_X_test`` /
    ``LogisticRegression_score_X_test`` (``{metric}-{n}_{dataset}`` from the second call) to
    the model's run, with ``X_test`` as an input of context ``eval``. The dataset name is the
    caller's variable name for the data passed to ``predict``/``score``, else
    ``unknown_dataset``. Logged only while the model's run is active (the model was fitted
    inside the user's ``start_run()`` block); calls after the run ended are skipped.

Flags (besides the common ones)
    ``log_training_metrics=True``, ``log_post_training_metrics=True``,
    ``max_tuning_runs=5`` (None: all), ``serialization_format="cloudpickle"``,
    ``pos_label=None``, ``registered_model_name=None``, ``log_plots=True`` (True: plot
    data as JSON; ``"png"``: JSON and PNGs; False: no plots).

Limits
    Sparse input is never densified and training data is never copied. Fits inside joblib
    worker processes are not patched there, so they create no runs. Metric functions
    without scikit-learn's ``validate_params`` wrapper, imported with ``from … import``
    before ``autolog()``, are not seen. Classes defined inside a fit are patched at the
    next fit. ``estimator.html`` shows the logged model, so a run logged with
    ``log_models=False`` has none.
"""

from __future__ import annotations

import sys
from types import ModuleType
from typing import TYPE_CHECKING, Any, ClassVar

from autolog import patching
from autolog.integration import Integration, integration_autolog
from autolog.lazy import flavor_functions, lazy_module
from autolog.patching import Call

if TYPE_CHECKING:
    from autolog.tracking import fluent
else:  # the tracking core loads with the first fit, not with autolog()
    fluent = lazy_module("autolog.tracking.fluent")

# numpy-heavy helpers load with the first fit, not with autolog() (which imports this module)
sklearn_log = lazy_module("autolog.integrations._sklearn_log")
training_metrics = lazy_module("autolog.integrations._sklearn_training_metrics")
post_training = lazy_module("autolog.integrations._sklearn_post_training")

FIT_METHODS = ("fit", "fit_transform", "fit_predict")
SCORE_METHODS = ("predict", "predict_proba", "predict_log_proba", "decision_function", "score")
# Module-level helpers that scikit-learn runs in joblib workers (threads, too): a session
# opened around them keeps the estimator fits inside (folds, trees, one-vs-rest…) from
# becoming runs of their own. Names that a version lacks are skipped.
_WORKER_HELPERS: dict[str, tuple[str, ...]] = {
    "sklearn.model_selection._validation": (
        "_fit_and_score", "_fit_and_predict", "_permutation_test_score"),
    "sklearn.ensemble._forest": ("_parallel_build_trees",),
    "sklearn.ensemble._bagging": ("_parallel_build_estimators",),
    "sklearn.ensemble._base": ("_fit_single_estimator",),
    "sklearn.multioutput": ("_fit_estimator",),
    "sklearn.multiclass": ("_fit_binary", "_fit_ovo_binary"),
    "sklearn.pipeline": ("_fit_transform_one", "_fit_one"),
}


def defining_class(cls: type, name: str) -> type | None:
    """The class along ``cls``'s MRO whose ``__dict__`` defines ``name`` (None for object)."""
    for klass in cls.__mro__:
        if name in klass.__dict__:
            return None if klass is object else klass
    return None


def _subclasses(root: type) -> list[type]:
    seen: dict[type, None] = {}
    stack = [root]
    while stack:
        sub: type
        for sub in type.__subclasses__(stack.pop()):
            if sub not in seen:
                seen[sub] = None
                stack.append(sub)
    return list(seen)


# ---------------------------------------------------------------------------- fit
_sample_weight_index: dict[Any, int | None] = {}


def _fit_inputs(call: Call) -> tuple[Any, Any, Any]:
    args, kwargs = call.args, call.kwargs
    X = args[0] if args else kwargs.get("X")
    y = args[1] if len(args) > 1 else kwargs.get("y", kwargs.get("Y"))
    weight = kwargs.get("sample_weight")
    if weight is None and len(args) > 2:
        fn: Any = getattr(type(call.instance), call.name, None)
        if fn not in _sample_weight_index:
            try:
                import inspect  # costly to import; needed only here, at the first fit

                names = [p for p in inspect.signature(fn).parameters if p != "self"]
                _sample_weight_index[fn] = names.index("sample_weight") if "sample_weight" in names else None
            except (TypeError, ValueError):
                _sample_weight_index[fn] = None
        index = _sample_weight_index[fn]
        if index is not None and len(args) > index:
            weight = args[index]
    return X, y, weight


class FitHook:
    """Params before the fit; metrics, artifacts, model and search runs after it."""

    def __init__(self, integration: SklearnIntegration) -> None:
        self.integration = integration

    def before(self, call: Call) -> None:
        if call.run_id is None or call.instance is None:
            return
        self.integration.rescan_if_imported()
        estimator = call.instance
        search = sklearn_log.is_search(estimator)
        call.state["search"] = search
        call.state["params"] = sklearn_log.log_params(estimator.get_params(deep=not search), call.run_id)

    def after(self, call: Call, result: Any) -> None:
        estimator, run_id, cfg = call.instance, call.run_id, call.config
        if run_id is None or estimator is None:
            return
        X, y, weight = _fit_inputs(call)
        if cfg.get("log_datasets") and X is not None:
            sklearn_log.log_dataset(X, y, None, "train", run_id)
        if cfg.get("log_training_metrics") and X is not None:
            metrics, plots = training_metrics.compute(call, estimator, X, y, weight, result)
            if metrics:
                fluent.log_metrics(metrics, run_id=run_id)
            sklearn_log.log_plots(plots, training_metrics.PREFIX, run_id, cfg.get("log_plots", True))
        sklearn_log.log_description(estimator, run_id, call.state.get("params"))
        model = estimator
        if call.state.get("search"):
            sklearn_log.log_search(call, estimator, run_id)
            model = getattr(estimator, "best_estimator_", None)
        if cfg.get("log_models") and model is not None and X is not None:
            sklearn_log.log_model(call, model, X)
        post_training.remember_model(estimator, run_id)


# ---------------------------------------------------------------------------- predict, score
def _predict_hook(call: Call, original: Any) -> Any:
    result = original(*call.args, **call.kwargs)
    if call.config.get("log_post_training_metrics"):
        run_id = post_training.model_run(call.instance)
        if run_id is not None:
            X = call.args[0] if call.args else call.kwargs.get("X")
            post_training.remember_prediction(result, run_id, post_training.dataset_name(X), X)
    return result


def _score_hook(call: Call, original: Any) -> Any:
    result = original(*call.args, **call.kwargs)
    if call.config.get("log_post_training_metrics"):
        run_id = post_training.model_run(call.instance)
        if run_id is not None:
            import weakref

            X = call.args[0] if call.args else call.kwargs.get("X")
            try:
                x_ref: Any = weakref.ref(X)
            except TypeError:
                x_ref = None
            post_training.log_eval(call, run_id, f"{type(call.instance).__name__}_score",
                                   post_training.dataset_name(X), x_ref, result)
    return result


def _passthrough(call: Call, original: Any) -> Any:
    """Worker helpers (cross-validation folds, ensemble members): the fits they make run
    inside this session, so are no runs."""
    return original(*call.args, **call.kwargs)


# ---------------------------------------------------------------------------- integration
class SklearnIntegration(Integration):
    name = "sklearn"
    modules = ("sklearn", "sklearn.metrics", *_WORKER_HELPERS)
    requirements = ("scikit-learn >= 1.3",)
    flags: ClassVar[dict[str, Any]] = {
        "log_training_metrics": True,
        "log_post_training_metrics": True,
        "max_tuning_runs": 5,
        "serialization_format": "cloudpickle",
        "pos_label": None,
        "registered_model_name": None,
        "log_plots": True,
    }

    def __init__(self) -> None:
        super().__init__()
        self._fit_hook = FitHook(self)
        self._done: set[tuple[type, str]] = set()
        self._modules_seen = 0

    def _patch(self, module: ModuleType) -> None:
        if module.__name__ == "sklearn":
            from sklearn.base import BaseEstimator

            patching.safe_patch(self, BaseEstimator, "__init_subclass__", self._on_new_class,
                                creates_run=False)
            self._sweep()
        elif module.__name__ == "sklearn.metrics":
            post_training.patch_metrics(self, module)
        elif module.__name__ in _WORKER_HELPERS:
            for name in _WORKER_HELPERS[module.__name__]:
                if callable(vars(module).get(name)):
                    patching.safe_patch(self, module, name, _passthrough, creates_run=False)

    def enable(self, **flags: Any) -> None:
        if "log_plots" in flags:
            from autolog.plots import check_log_plots

            check_log_plots(flags["log_plots"])
        super().enable(**flags)

    def _unpatch(self) -> None:
        post_training.unpatch_metrics()
        patching.revert(self)
        self._done.clear()

    def _on_new_class(self, call: Call, original: Any) -> Any:
        result = original(*call.args, **call.kwargs)
        if isinstance(call.instance, type):
            self.patch_class(call.instance)
        return result

    def _sweep(self) -> None:
        self._modules_seen = len(sys.modules)
        base = sys.modules.get("sklearn.base")
        if base is not None:
            for cls in _subclasses(base.BaseEstimator):
                self.patch_class(cls)

    def rescan_if_imported(self) -> None:
        """Classes created inside a fit (lazy imports) missed the class hook: sweep again."""
        if len(sys.modules) != self._modules_seen and self.active:
            with self._lock:
                self._sweep()

    def patch_class(self, cls: type) -> None:
        if _foreign(cls):
            return  # XGBoost/LightGBM estimators belong to their own integration
        for names, hook in ((FIT_METHODS, self._fit_hook), (SCORE_METHODS, None)):
            for name in names:
                owner = defining_class(cls, name)
                if owner is None or (owner, name) in self._done:
                    continue
                self._done.add((owner, name))
                if hook is None:
                    target: Any = _score_hook if name == "score" else _predict_hook
                    patching.safe_patch(self, owner, name, target, creates_run=False)
                else:
                    patching.safe_patch(self, owner, name, hook)


def _foreign(cls: type) -> bool:
    """True for estimator classes that another integration claims (XGBoost's, LightGBM's)."""
    from autolog.integration import owner_of

    return owner_of(cls) not in (None, "sklearn")


autolog = integration_autolog("sklearn")
log_model, save_model, load_model = flavor_functions("sklearn")
