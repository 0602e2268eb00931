"""What the scikit-learn integration logs besides metrics: parameters, the estimator's
description, plot data (JSON, see ``autolog.plots``), the model, datasets, and
hyperparameter-search runs. See ``autolog.integrations.sklearn`` for the user documentation."""

from __future__ import annotations

import io
import numbers
import sys
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
from autolog.integrations import _common
from autolog.integrations import _sklearn_signatures as signatures

from autolog import config, session
from autolog.tracking import fluent, runs

if TYPE_CHECKING:
    from autolog.session import Call

TRUNCATED_TAG = "autolog.truncated_params"


# ---------------------------------------------------------------------------- params
_sample_weight_index: dict[Any, int | None] = {}


def fit_inputs(call: Call) -> tuple[Any, Any, Any]:
    """(X, y, sample_weight) of a fit call, positional or by keyword."""
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


def stringify(value: Any, reprs: dict[int, str] | None = None) -> str:
    """``str(value)``, as MLflow logs it (an estimator's repr). ``reprs`` remembers the
    reprs of estimators already seen (by id) while the caller holds their owner: a
    pipeline's deep params hold each step twice (``steps`` and the step's own name), and an
    estimator's repr costs scikit-learn a signature inspection."""
    if value is None or isinstance(value, (str, bool, numbers.Number)):
        return str(value)
    if hasattr(value, "get_params"):
        if reprs is None:
            return repr(value)
        text = reprs.get(id(value))
        if text is None:
            text = reprs[id(value)] = repr(value)
        return text
    if reprs is not None and type(value) in (list, tuple):  # str() of these is their repr
        items = ", ".join(stringify(v, reprs) if hasattr(v, "get_params") or type(v) in (list, tuple)
                          else repr(v) for v in value)
        if type(value) is list:
            return f"[{items}]"
        return f"({items},)" if len(value) == 1 else f"({items})"
    return str(value)


def clean_params(params: dict[str, Any]) -> tuple[dict[str, str], list[str]]:
    """Stringified params with keys and values cut to the store's limits, and the keys that
    were cut (reported in a tag instead of a warning per value)."""
    out: dict[str, str] = {}
    cut: list[str] = []
    reprs: dict[int, str] = {}
    key_limit, value_limit = config.MAX_KEY_LENGTH, config.MAX_PARAM_VALUE_LENGTH
    for raw_key, raw_value in params.items():
        key = _common.sanitize_key(str(raw_key)) or "_"
        value = stringify(raw_value, reprs)
        if len(key) > key_limit or len(value) > value_limit:
            cut.append(key[:key_limit])
            key, value = key[:key_limit], value[:value_limit]
        out[key] = value
    return out, cut


Described = tuple[tuple[str, str, str], ...]  # (key, type name, value as logged)


def log_params(params: dict[str, Any], run_id: str,
               on_cut: Callable[[list[str]], None] | None = None) -> Described | None:
    """Log ``params``; return them as logged, with their types, when that describes them
    exactly (no key merged, no value cut or elided by numpy's printing, "..."), else None.
    ``on_cut`` is told the keys whose key or value was cut to the store's limits."""
    cleaned, cut = clean_params(params)
    fluent.log_params(cleaned, run_id=run_id, on_conflict="warn")
    if cut:
        fluent.set_tag(TRUNCATED_TAG, ",".join(cut), run_id=run_id)
        if on_cut is not None:
            on_cut(cut)
        return None
    if len(cleaned) != len(params) or any("..." in value for value in cleaned.values()):
        return None
    return tuple((key, type(raw).__qualname__, value)
                 for (key, value), raw in zip(cleaned.items(), params.values(), strict=True))


def log_estimator_params(estimator: Any, run_id: str, deep: bool,
                         on_cut: Callable[[list[str]], None] | None = None) -> Described | None:
    """``log_params`` of the estimator's ``get_params(deep=deep)``, each signature that
    scikit-learn inspects for it computed once (``_sklearn_signatures``)."""
    with signatures.cached(estimator):
        return log_params(estimator.get_params(deep=deep), run_id, on_cut)


# ---------------------------------------------------------------------------- artifacts
# class -> {params as logged: repr}; bounded per class. Weak: a cache must not keep a class
# (and its module) alive that the user dropped.
_texts: weakref.WeakKeyDictionary[type, dict[Described, str]] = weakref.WeakKeyDictionary()
MAX_TEXTS = 256


def log_description(estimator: Any, run_id: str, params: Described | None = None) -> None:
    """``estimator.txt``, on the writer thread. The text (1-2 ms: scikit-learn inspects
    signatures) is made once for an estimator of the same class whose ``params`` (all of
    them, as ``log_params`` returned them) were the same. ``estimator.html`` is not drawn
    here: it is drawn from the logged model where it is viewed (``autolog.plots``)."""

    def write() -> None:
        texts = _texts.setdefault(type(estimator), {})
        text = texts.get(params) if params is not None else None
        if text is None:
            with session.suppressed(), signatures.cached(estimator):
                text = repr(estimator)
            if params is not None and len(texts) < MAX_TEXTS:
                texts[params] = text
        fluent.log_text(text, "estimator.txt", run_id=run_id)

    fluent.defer(run_id, write)


def log_plots(plots: dict[str, Any], prefix: str, run_id: str, mode: Any = True) -> None:
    """The data of the confusion matrix (and, for binary classifiers, of the ROC and
    precision-recall curves) as JSON artifacts (``autolog.plots`` has the schema), built
    and written on the writer thread; with ``mode="png"`` their PNGs too, drawn there."""
    if not plots or mode is False:
        return
    from autolog import plots as plot_data

    cm = plots.get("confusion_matrix")
    found: Any = plots.get("labels")
    labels: list[Any] = found.tolist() if hasattr(found, "tolist") else list(found or ())
    curve, positive = plots.get("curve"), plots.get("positive")

    def write() -> None:
        found: list[tuple[str, dict[str, Any] | None]] = []
        if cm is not None:
            found.append(("confusion_matrix", plot_data.confusion_matrix_data(cm, labels)))
        if curve is not None:
            fps, tps = curve
            found.append(("roc_curve", plot_data.roc_curve_data(fps, tps, positive)))
            found.append(("precision_recall_curve", plot_data.precision_recall_data(fps, tps, positive)))
        for name, data in found:
            if data is None:
                continue
            text = plot_data.dumps(data)
            fluent.log_text(text, f"{prefix}{name}.json", run_id=run_id)
            if mode == "png":
                from autolog import plot_rendering  # matplotlib: only for eager PNGs

                plot_rendering.log_png(data, f"{prefix}{name}.png", run_id)

    fluent.defer(run_id, write)


# ---------------------------------------------------------------------------- data and models
SAMPLE_ROWS = 5


def _head(data: Any, n: int = SAMPLE_ROWS) -> Any:
    if data is None:
        return None
    if hasattr(data, "iloc"):
        return data.iloc[:n]
    try:
        return data[:n]
    except Exception:  # noqa: BLE001 - an input we cannot slice: no example
        return None


_data: list[Any] = []


def _data_module() -> Any:
    if not _data:
        try:
            from autolog import data  # type: ignore[attr-defined,unused-ignore]

            _data.append(data)
        except ImportError:
            _data.append(None)
    return _data[0]


def dataset_of(X: Any, y: Any, name: str | None) -> Any:
    """``X`` (and ``y``) as a dataset (the data module fingerprints a bounded sample;
    nothing is copied here), or None for data it does not describe."""
    datasets = _data_module()
    if datasets is None:
        return None  # the data module is not available in this build
    if hasattr(X, "iloc") and hasattr(X, "columns"):
        return datasets.from_pandas(X, name=name)
    if not isinstance(X, np.ndarray) and not hasattr(X, "tocsr"):
        return None  # lists and other containers: scikit-learn copies them, we do not
    targets = y.to_numpy() if hasattr(y, "to_numpy") else y
    if targets is not None and not isinstance(targets, np.ndarray):
        targets = None
    return datasets.from_numpy(X, name=name, targets=targets)


def log_dataset(X: Any, y: Any, name: str | None, context: str, run_id: str) -> None:
    """Record ``X`` (and ``y``) as an input of the run."""
    dataset = dataset_of(X, y, name)
    if dataset is not None:
        fluent.log_input(dataset, context=context, run_id=run_id)


def model_sample(call: Call, X: Any) -> Any:
    """A copy of the first rows of ``X`` for the signature and input example, taken before
    ``fit`` (which may mutate ``X``); None, with a warning as MLflow's, when ``X`` cannot
    be sliced."""
    if X is None:
        return None
    head = _head(X)
    if head is None:
        _common.warn_skipped(call, "a model signature and input example",
                             f"the training data ({type(X).__name__}) cannot be sliced")
        return None
    return _common.snapshot(call, head)


def log_model(call: Call, model: Any, sample: Any, artifact_path: str = "model",
              register: bool = True) -> None:
    """The fitted model (sklearn flavor) with its signature and optional input example
    (from ``sample``, a few rows copied before fit), through the integrations' shared model
    step (then registered if asked)."""
    predict = model.predict if hasattr(model, "predict") else None
    _common.log_model(call, "sklearn", model, sample, predict, artifact_path=artifact_path,
                      register=register,
                      serialization_format=call.config.get("serialization_format"))


# ---------------------------------------------------------------------------- search
def is_search(estimator: Any) -> bool:
    module = sys.modules.get("sklearn.model_selection._search")
    return module is not None and isinstance(estimator, module.BaseSearchCV)


def _rank_key(cv_results: dict[str, Any], refit: Any) -> str | None:
    if isinstance(refit, str) and f"rank_test_{refit}" in cv_results:
        return f"rank_test_{refit}"
    if "rank_test_score" in cv_results:
        return "rank_test_score"
    return next((k for k in cv_results if k.startswith("rank_test_")), None)


def cv_results_csv(cv_results: dict[str, Any]) -> str:
    try:
        import pandas as pd

        return str(pd.DataFrame(cv_results).to_csv(index=False))
    except ImportError:
        import csv

        buffer = io.StringIO()
        writer = csv.writer(buffer)
        keys = list(cv_results)
        writer.writerow(keys)
        for i in range(len(cv_results[keys[0]])):
            writer.writerow([cv_results[k][i] for k in keys])
        return buffer.getvalue()


def estimator_tags(estimator: Any) -> dict[str, str]:
    """MLflow's ``estimator_name`` and ``estimator_class`` tags for ``estimator``."""
    cls = type(estimator)
    return {"estimator_name": cls.__name__, "estimator_class": f"{cls.__module__}.{cls.__qualname__}"}


def log_search(call: Call, search: Any, run_id: str, X: Any = None, y: Any = None) -> None:
    """Best params and score on the parent run, ``cv_results.csv``, and child runs for the
    best ``max_tuning_runs`` candidates (created, logged and ended here, by id): each with
    the seed estimator's full parameter set updated with the candidate's values, its tags
    ``estimator_name``/``estimator_class``, the numeric ``cv_results_`` columns except the
    per-fold ``split*`` ones as metrics, and the training data as an input (as MLflow)."""
    cv_results = getattr(search, "cv_results_", None)
    if cv_results is None:
        return
    best_params = getattr(search, "best_params_", None)
    if best_params:
        log_params({f"best_{k}": v for k, v in best_params.items()}, run_id)
    best_score = getattr(search, "best_score_", None)
    if isinstance(best_score, numbers.Real):
        fluent.log_metric("best_cv_score", float(best_score), run_id=run_id)
    # formatted on the writer thread: a search never changes its cv_results_ once fitted
    # (a new fit makes a new dict)
    fluent.defer(run_id, lambda: fluent.log_text(cv_results_csv(cv_results), "cv_results.csv",
                                                 run_id=run_id))
    limit = call.config.get("max_tuning_runs")
    rank_key = _rank_key(cv_results, getattr(search, "refit", None))
    n = len(cv_results["params"])
    order = list(range(n)) if rank_key is None else \
        sorted(range(n), key=lambda i: (cv_results[rank_key][i], i))
    if limit is not None:
        order = order[: max(int(limit), 0)]
    metric_columns = [
        k for k, v in cv_results.items()
        if not k.startswith(("param", "split")) and isinstance(v, np.ndarray) and v.dtype.kind in "biuf"
    ]
    seed = getattr(search, "estimator", None)
    base_params: dict[str, Any] = {}
    if seed is not None and hasattr(seed, "get_params"):
        with signatures.cached(seed):
            base_params = seed.get_params(deep=not is_search(seed))
    base_tags = {"mlflow.autologging": "sklearn", "autolog.integration": "sklearn",
                 **(estimator_tags(seed) if seed is not None else {})}
    # the same data for every child: fingerprinted once
    dataset = dataset_of(X, y, None) if order and call.config.get("log_datasets") and X is not None else None
    for i in order:
        child = fluent.start_run(nested=True, parent_run_id=run_id, tags=base_tags,
                                 log_system_metrics=False)
        child_id = child.info.run_id
        try:
            with signatures.cached(seed):  # the seed's nested estimators: their reprs
                log_params({**base_params, **cv_results["params"][i]}, child_id)
            fluent.log_metrics({k: float(cv_results[k][i]) for k in metric_columns},
                               run_id=child_id)
            if dataset is not None:
                fluent.log_input(dataset, context="train", run_id=child_id)
        finally:
            runs.end(child_id, "FINISHED")
    if order:
        runs.remember(run_id)  # last_active_run() is the parent, as in MLflow
