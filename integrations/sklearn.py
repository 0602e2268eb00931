"""scikit-learn autologging: ``autolog.sklearn.autolog()`` (or ``autolog.autolog()``).

What is patched
    ``fit``, ``fit_transform`` and ``fit_predict`` of every ``BaseEstimator`` subclass,
    scikit-learn's own and third-party ones, on the class that defines the method. Classes
    are patched as their modules are imported (the existing subclasses when ``sklearn`` is
    imported, later ones through a patched ``BaseEstimator.__init_subclass__``), so enabling
    imports nothing. ``predict``, ``predict_proba``, ``predict_log_proba``,
    ``decision_function`` and ``score`` are patched too (for post-training metrics; they
    never create runs), on the classes of autologged models when their fit returns, as are
    the ``sklearn.metrics`` scoring functions (at import) and the cross-validation helpers
    (whose fold fits are not runs). ``autolog.sklearn.autolog(disable=True)`` reverts all.

What is logged, per outermost fit (one run; nested fits of pipelines, meta-estimators,
searches and ``cross_val_score`` folds are part of it). Standalone fits of scikit-learn's
preprocessing and feature-manipulation estimators (``sklearn.preprocessing``,
``sklearn.impute``, ``sklearn.feature_extraction``, ``sklearn.feature_selection``,
``ColumnTransformer``) make no run, as in MLflow.
    * tags ``estimator_name`` and ``estimator_class`` (on child runs too: the seed's);
    * params: ``get_params(deep=True)`` (``deep=False`` for searches), stringified; keys
      and values past the store's limits are cut and named in the tag
      ``autolog.truncated_params``;
    * training metrics (``log_training_metrics``): classifiers ``training_accuracy_score``,
      ``training_precision_score``, ``training_recall_score``, ``training_f1_score``
      (``average="weighted"``, or ``"binary"`` for ``pos_label``), ``training_log_loss`` and
      ``training_roc_auc`` (with ``predict_proba``), ``training_score``; regressors
      ``training_mean_squared_error``, ``training_root_mean_squared_error``,
      ``training_mean_absolute_error``, ``training_r2_score``, ``training_score``; any
      other estimator with ``score`` (clusterers included) ``training_score`` when fitted
      with ``y``, nothing without (as MLflow). Sample weights are respected;
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
      ``best_<param>`` params, ``best_cv_score``, the fitted search as ``model/`` and its
      best estimator as ``best_estimator/``, ``cv_results.csv``, and child runs (tag
      ``mlflow.parentRunId``) for the best ``max_tuning_runs`` candidates by rank, each with
      the seed estimator's full params updated with the candidate's, the numeric
      ``cv_results_`` columns except the per-fold ``split*`` ones as metrics, and the
      training data as an input (MLflow's layout).

Post-training metrics (``log_post_training_metrics``)
    ``y_pred = model.predict(X_test)`` then ``accuracy_score(y_test, y_pred)`` or
    ``model.score(X_test, y_test)`` log ``accuracy_score_X_test`` /
    ``LogisticRegression_score_X_test`` (``{metric}-{n}_{dataset}`` from the second call of
    a metric) to the model's run, whether that run is active or ended with the fit (an ended
    run keeps its status), with ``X_test`` (given to ``predict``) as an input of context
    ``eval`` and ``metric_info.json`` mapping each key to the call that made it, as MLflow
    does. The dataset name is the caller's variable name for the data passed to
    ``predict``/``score`` (``X_test-2`` for a second object under that name), else
    ``unknown_dataset``. Metric functions imported with ``from sklearn.metrics import f``
    before ``autolog()`` count too (MLflow misses those).

Flags (besides the common ones; see ``autolog()`` below, checked by ``FLAGS``)
    ``log_training_metrics=True``, ``log_post_training_metrics=True``,
    ``max_tuning_runs=5`` (None: all; negative or not an int: an error at ``autolog()``),
    ``serialization_format="cloudpickle"``, ``pos_label=None``,
    ``registered_model_name=None``, ``log_plots=True`` (True: plot data as JSON; ``"png"``:
    JSON and PNGs; False: no plots).

After the fit
    Datasets, training metrics, the description, a search's child runs and each model are
    logged as separate steps: a ``predict`` that raises, say, skips what needs it (the
    model is then logged without a signature) and the rest is still logged. The signature
    and input example come from rows of ``X`` copied before ``fit`` (a step that mutates
    ``X`` in place does not change them). Where MLflow skips something with a warning (a
    search with ``refit=False`` has no model, ``X`` cannot be sliced, the model cannot be
    pickled, ``pos_label`` on multiclass data, a param cut to the store's limit), autolog
    warns once (an ``AutologWarning``) with the reason.

Different from MLflow on purpose
    Any ``BaseEstimator`` subclass is patched, third-party ones too (MLflow: scikit-learn's
    own); plots are logged as JSON data and drawn where viewed; ``estimator.txt`` instead of
    ``estimator.html`` at fit time; the tag ``autolog.integration``; dataset inputs are
    named after the variable (MLflow: ``dataset``); thread-safe sessions, any import order,
    nothing stamped on the user's estimators (MLflow sets ``_mlflow_run_id``).

Limits
    Sparse input is never densified and training data is never copied. Fits inside joblib
    worker processes are not patched there, so they create no runs. Metric functions
    without scikit-learn's ``validate_params`` wrapper, imported with ``from … import``
    before ``autolog()``, are not seen. Classes defined inside a fit are patched at the
    next fit. ``estimator.html`` shows the logged model: ``log_models=False`` has none.
"""

from __future__ import annotations

import sys
import weakref
from types import ModuleType
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from autolog import flags as F
from autolog import session, wrapping
from autolog.integration import Integration, enable_by_name
from autolog.lazy import flavor_functions, lazy_module
from autolog.session import Call

if TYPE_CHECKING:
    from autolog.tracking import fluent
else:  # the tracking core loads with the first fit, not with autolog()
    fluent = lazy_module("autolog.tracking.fluent")

# numpy-heavy helpers load with the first fit, not with autolog() (which imports this module)
sklearn_log = lazy_module("autolog.integrations._sklearn_log")
post_training = lazy_module("autolog.integrations._sklearn_post_training")
_common = lazy_module("autolog.integrations._common")
after_fit = lazy_module("autolog.integrations._sklearn_after_fit")

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


#: preprocessing and feature-manipulation estimators: their standalone fits make no run (as
#: in MLflow); inside a pipeline or a search they are part of its run
EXCLUDED_MODULES = ("sklearn.preprocessing", "sklearn.impute", "sklearn.feature_extraction",
                    "sklearn.feature_selection")
EXCLUDED_CLASSES = frozenset({"sklearn.compose._column_transformer.ColumnTransformer"})


def excluded(cls: type) -> bool:
    """True for scikit-learn's data-manipulation classes, whose fits make no run."""
    module = cls.__module__
    return any(module == m or module.startswith(m + ".") for m in EXCLUDED_MODULES) or \
        f"{module}.{cls.__qualname__}" in EXCLUDED_CLASSES


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
class FitHook(session.Hook):
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
        fluent.set_tags(sklearn_log.estimator_tags(estimator), run_id=call.run_id)
        call.state["params"] = sklearn_log.log_estimator_params(
            estimator, call.run_id, deep=not search,
            on_cut=lambda keys: _common.warn_skipped(
                call, f"the full value of params {keys}",
                "longer than the store's limit: truncated, and listed in the "
                f"{sklearn_log.TRUNCATED_TAG} tag"))
        if call.config.get("log_models"):  # copied before fit: the data as passed
            call.state["sample"] = sklearn_log.model_sample(call, sklearn_log.fit_inputs(call)[0])

    def after(self, call: Call, result: Any) -> None:
        if call.run_id is not None and call.instance is not None:
            self.integration.patch_scoring(type(call.instance))
        after_fit.log(call, result)


# ---------------------------------------------------------------------------- predict, score
def _after_predict(call: Call, result: Any) -> None:
    if call.config.get("log_post_training_metrics"):
        run_id = post_training.model_run(call.instance)
        if run_id is not None:
            X = call.args[0] if call.args else call.kwargs.get("X")
            name = post_training.dataset_name(run_id, X)
            post_training.remember_prediction(result, run_id, name)
            post_training.log_eval_dataset(call, run_id, name, X)


def _after_score(call: Call, result: Any) -> None:
    if call.config.get("log_post_training_metrics"):
        run_id = post_training.model_run(call.instance)
        if run_id is not None:
            post_training.log_score(call, run_id, result)


_predict_hook = session.After(_after_predict)
_score_hook = session.After(_after_score)
#: worker helpers (cross-validation folds, ensemble members): the fits they make run inside
#: this session, so are no runs; nothing else to do
_passthrough = session.Hook()


# ---------------------------------------------------------------------------- integration
SERIALIZATION_FORMATS = ("cloudpickle", "pickle", "skops")


def _tuning_runs(value: Any) -> bool:
    return value is None or (type(value) is int and value >= 0)


FLAGS: dict[str, F.Flag] = {
    "log_training_metrics": F.Flag(True, F.is_bool, "True or False"),
    "log_post_training_metrics": F.Flag(True, F.is_bool, "True or False"),
    "max_tuning_runs": F.Flag(5, _tuning_runs, "a non-negative integer or None (all)"),
    "serialization_format": F.Flag("cloudpickle", F.one_of(*SERIALIZATION_FORMATS),
                                   " or ".join(map(repr, SERIALIZATION_FORMATS))),
    "pos_label": F.Flag(None, lambda v: v is None or isinstance(v, (int, str)),
                        "None, an int or a str label"),
    "registered_model_name": F.REGISTERED_MODEL_NAME,
    "log_plots": F.LOG_PLOTS,
}


class SklearnIntegration(Integration):
    name = "sklearn"
    modules = ("sklearn", "sklearn.metrics", *_WORKER_HELPERS)
    requirements = ("scikit-learn >= 1.3",)
    flags: ClassVar[dict[str, Any]] = F.defaults(FLAGS)
    flag_table = FLAGS

    def __init__(self) -> None:
        super().__init__()
        self._fit_hook = FitHook(self)
        # weak, so as not to keep scikit-learn alive (see ``autolog.wrapping._Patch``)
        self._done = {n: weakref.WeakSet[type]() for n in (*FIT_METHODS, *SCORE_METHODS)}
        self._swept = weakref.WeakSet[type]()  # classes patch_class has seen
        self._modules_seen = 0

    def _patch(self, module: ModuleType) -> None:
        if module.__name__ == "sklearn":
            from sklearn.base import BaseEstimator

            session.on_return(self, BaseEstimator, "__init_subclass__", self._on_new_class)
            self._sweep()
        elif module.__name__ == "sklearn.metrics":
            post_training.patch_metrics(self, module)
        elif module.__name__ in _WORKER_HELPERS:
            for name in _WORKER_HELPERS[module.__name__]:
                if callable(vars(module).get(name)):
                    session.safe_patch(self, module, name, _passthrough, creates_run=False)

    def _unpatch(self) -> None:
        post_training.unpatch_metrics()
        wrapping.revert(self.name)
        for patched in self._done.values():
            patched.clear()
        self._swept.clear()

    def _on_new_class(self, cls: Any, result: Any) -> None:
        if isinstance(cls, type):
            self.patch_class(cls)

    def _sweep(self) -> None:
        self._modules_seen = len(sys.modules)
        base = sys.modules.get("sklearn.base")
        if base is not None:
            for cls in _subclasses(base.BaseEstimator):
                if cls not in self._swept:  # a sweep after a lazy import: only new classes
                    self.patch_class(cls)

    def rescan_if_imported(self) -> None:
        """Classes created inside a fit (lazy imports) missed the class hook: sweep again."""
        if len(sys.modules) != self._modules_seen and self.active:
            with self._lock:
                self._sweep()

    def patch_class(self, cls: type) -> None:
        self._swept.add(cls)
        if _foreign(cls):
            return  # XGBoost/LightGBM estimators belong to their own integration
        if excluded(cls):  # their fits, own or inherited, open a session that makes no run
            for name in FIT_METHODS:
                if callable(getattr(cls, name, None)) and cls not in self._done[name]:
                    self._done[name].add(cls)
                    session.safe_patch(self, cls, name, _passthrough, creates_run=False)
        for name in FIT_METHODS:
            owner = defining_class(cls, name)
            if owner is not None and owner not in self._done[name] and not excluded(owner):
                self._done[name].add(owner)
                session.safe_patch(self, owner, name, self._fit_hook)

    def patch_scoring(self, cls: type) -> None:
        """Patch the predict and score methods of ``cls`` (post-training metrics) once an
        estimator of it is autologged, not every class's at import: few are ever fitted."""
        with self._lock:
            for name in SCORE_METHODS:
                owner = defining_class(cls, name)
                if owner is None or owner in self._done[name]:
                    continue
                self._done[name].add(owner)
                target: Any = _score_hook if name == "score" else _predict_hook
                session.safe_patch(self, owner, name, target, creates_run=False)


def _foreign(cls: type) -> bool:
    """True for estimator classes that another integration claims (XGBoost's, LightGBM's)."""
    from autolog.integration import owner_of

    return owner_of(cls) not in (None, "sklearn")


def autolog(
    log_input_examples: bool = False,
    log_model_signatures: bool = True,
    log_models: bool = True,
    log_datasets: bool = True,
    disable: bool = False,
    exclusive: bool = False,
    disable_for_unsupported_versions: bool = False,
    silent: bool = False,
    max_tuning_runs: int | None = 5,
    log_post_training_metrics: bool = True,
    serialization_format: Literal["cloudpickle", "pickle", "skops"] = "cloudpickle",
    registered_model_name: str | None = None,
    pos_label: int | str | None = None,
    extra_tags: dict[str, Any] | None = None,
    log_system_metrics: bool = True,
    log_training_metrics: bool = True,
    log_plots: bool | Literal["png"] = True,
) -> None:
    """Enable (or, with ``disable=True``, disable) scikit-learn autologging.

    Every flag is set on each call: a flag left out takes its default. A bad value is an
    ``InvalidInputError`` naming the flag. After ``disable=True`` a global
    ``autolog.autolog()`` leaves scikit-learn off until this function enables it again.

    Args:
        log_input_examples: log five training rows as the model's input example.
        log_model_signatures: log the model's signature, inferred from five training rows
            and their predictions; False logs none.
        log_models: log the fitted model (sklearn flavor) under ``model/`` (and a search's
            best estimator under ``best_estimator/``).
        log_datasets: log the training data (context ``train``) and, for post-training
            metrics, the data given to ``predict`` (context ``eval``) as dataset inputs.
        disable: revert every patch and stop autologging scikit-learn.
        exclusive: keep autologged content out of runs the user started.
        disable_for_unsupported_versions: do not patch a scikit-learn outside the
            supported range (by default it is patched, with a warning).
        silent: no warnings from autologging itself.
        max_tuning_runs: child runs for the best this many candidates of a search; None
            for all, 0 for none.
        log_post_training_metrics: log metric calls and ``score`` on an autologged model's
            predictions into the model's run (also after that run ended).
        serialization_format: how the model is saved: ``"cloudpickle"``, ``"pickle"`` or
            ``"skops"``.
        registered_model_name: register each logged model under this name, where the
            store has a model registry.
        pos_label: the positive class for binary training metrics (precision, recall, f1);
            None averages them weighted by support.
        extra_tags: tags set on every run that autologging opens.
        log_system_metrics: sample CPU, memory, disk, network and GPU metrics during runs
            that autologging opens.
        log_training_metrics: log the ``training_*`` metrics and plots.
        log_plots: True logs plots as data (drawn where viewed); ``"png"`` also draws the
            PNGs at fit time; False logs no plots.
    """
    enable_by_name("sklearn", dict(locals()))  # exactly the parameters above


log_model, save_model, load_model = flavor_functions("sklearn")
