"""How scikit-learn estimators get patched: lazily, completely, and revertibly."""

from __future__ import annotations

import gc
import subprocess
import sys
import textwrap
import warnings
import weakref

import numpy as np
import pytest
from sk_helpers import enable

import autolog
from autolog import session, wrapping
from autolog.testing import capture_runs


def test_enabling_does_not_import_sklearn_submodules() -> None:
    """autolog.sklearn.autolog() before importing sklearn imports no estimator module; classes
    are patched as their modules are imported later."""
    script = textwrap.dedent("""
        import sys
        import autolog
        autolog.sklearn.autolog(log_system_metrics=False)
        assert "sklearn" not in sys.modules
        import sklearn
        assert "sklearn.ensemble" not in sys.modules and "sklearn.linear_model" not in sys.modules
        from sklearn.ensemble import RandomForestClassifier
        from autolog import session, wrapping
        print(wrapping.is_patched(RandomForestClassifier.__mro__[3], "fit"))
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "True"


def test_methods_are_patched_on_the_class_that_defines_them() -> None:
    """fit of RandomForestClassifier is patched on BaseForest, which defines it."""
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.ensemble._forest import BaseForest

    assert "fit" not in RandomForestClassifier.__dict__
    assert wrapping.is_patched(BaseForest, "fit")


def test_third_party_estimator_defined_after_enabling_is_autologged() -> None:
    """A BaseEstimator subclass defined after autolog() gets its own fit patched and logged."""
    from sklearn.base import BaseEstimator, RegressorMixin

    class MeanRegressor(RegressorMixin, BaseEstimator):
        def __init__(self, shrink: float = 0.0) -> None:
            self.shrink = shrink

        def fit(self, X: np.ndarray, y: np.ndarray) -> MeanRegressor:
            self.mean_ = float(np.mean(y)) * (1 - self.shrink)
            return self

        def predict(self, X: np.ndarray) -> np.ndarray:
            return np.full(len(X), self.mean_)

    assert wrapping.is_patched(MeanRegressor, "fit")
    with capture_runs() as runs:
        MeanRegressor(shrink=0.5).fit(np.ones((10, 2)), np.arange(10.0))
    assert len(runs) == 1
    assert runs[0].data.params == {"shrink": "0.5"}
    assert "training_mean_squared_error" in runs[0].data.metrics


def test_an_estimator_class_that_nothing_else_holds_is_collected() -> None:
    """The integration remembers the classes it patched weakly: a class defined after
    autolog() (patched by the class hook) and dropped by the user is collected, so that
    autolog keeps no part of scikit-learn alive beyond the user's own references."""
    from sklearn.base import BaseEstimator

    class Scratch(BaseEstimator):
        def fit(self, X: np.ndarray, y: np.ndarray) -> BaseEstimator:
            return self

    assert wrapping.is_patched(Scratch, "fit")
    with capture_runs() as runs:
        Scratch().fit(np.ones((4, 2)), np.arange(4.0))
    assert len(runs) == 1
    autolog.flush()  # estimator.txt is written: the queued work held the estimator
    gone = weakref.ref(Scratch)
    del Scratch
    gc.collect()
    assert gone() is None


def test_disable_reverts_every_patch_including_the_class_hook() -> None:
    """autolog(disable=True) restores fit, predict, metrics and __init_subclass__ exactly."""
    import sklearn.metrics
    from sklearn.base import BaseEstimator
    from sklearn.linear_model import LogisticRegression

    autolog.autolog(disable=True)
    assert "__init_subclass__" not in BaseEstimator.__dict__
    assert not wrapping.is_patched(LogisticRegression, "fit")
    assert not wrapping.patched_targets("sklearn")
    inner = sklearn.metrics.accuracy_score.__wrapped__
    cells = sklearn.metrics.accuracy_score.__closure__
    assert any(c.cell_contents is inner for c in cells)

    class Later(BaseEstimator):
        def fit(self, X: object) -> Later:
            return self

    assert not wrapping.is_patched(Later, "fit")
    with capture_runs() as runs:
        LogisticRegression().fit(np.eye(4), [0, 1, 0, 1])
    assert runs == []


def test_re_enabling_patches_again() -> None:
    """disable then enable: fits are logged again."""
    from sklearn.linear_model import Ridge

    autolog.autolog(disable=True)
    enable()
    with capture_runs() as runs:
        Ridge().fit(np.eye(4), [0.0, 1.0, 0.0, 1.0])
    assert len(runs) == 1


def test_no_attributes_are_stamped_on_estimators_or_predictions(binary: tuple) -> None:
    """Fitting and predicting add only scikit-learn's own attributes to the estimator."""
    from sklearn.linear_model import LogisticRegression

    X, y = binary
    with session.suppressed():
        bare = LogisticRegression().fit(X, y)
    with capture_runs(), autolog.start_run():
        model = LogisticRegression().fit(X, y)
        prediction = model.predict(X)
    assert sorted(vars(model)) == sorted(vars(bare))
    assert not hasattr(prediction, "__dict__")


def test_pipeline_steps_are_not_runs_of_their_own(binary: tuple) -> None:
    """A Pipeline fit is one run: the steps' fits are nested calls."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, y = binary
    with capture_runs() as runs:
        make_pipeline(StandardScaler(), LogisticRegression()).fit(X, y)
    assert len(runs) == 1


def test_fit_transform_and_fit_predict_each_log_a_run() -> None:
    """fit_transform of a transformer and fit_predict of a clusterer create one run each."""
    from sklearn.cluster import KMeans
    from sklearn.decomposition import PCA

    X = np.random.RandomState(0).rand(50, 3)
    with capture_runs() as runs:
        PCA(2).fit_transform(X)
        KMeans(n_clusters=2, n_init=2, random_state=0).fit_predict(X)
    assert len(runs) == 2
    assert runs[0].data.params["n_components"] == "2"
    assert runs[1].data.params["n_clusters"] == "2"


def test_predict_and_score_are_patched_once_a_model_of_the_class_is_autologged() -> None:
    """Post-training hooks go on the classes of autologged models when their fit returns
    (only such models' predictions are attributed to runs), not on every class at import."""
    script = textwrap.dedent("""
        import autolog
        autolog.autolog(log_system_metrics=False, log_models=False)
        from sklearn.base import ClassifierMixin
        from sklearn.datasets import make_classification
        from sklearn.linear_model import LogisticRegression
        from sklearn.neighbors import KNeighborsClassifier
        from autolog import wrapping
        X, y = make_classification(n_samples=60, random_state=0)
        before = [wrapping.is_patched(LogisticRegression, "predict_proba"),
                  wrapping.is_patched(ClassifierMixin, "score")]
        LogisticRegression().fit(X, y)
        after = [wrapping.is_patched(LogisticRegression, "predict_proba"),
                 wrapping.is_patched(ClassifierMixin, "score"),
                 wrapping.is_patched(KNeighborsClassifier, "predict_proba")]
        print(before, after)
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "[False, False] [True, True, False]"


def test_a_fit_that_logs_no_model_loads_only_what_logging_a_run_needs(tmp_path) -> None:
    """Every module is objects and import time in the user's process: a fit with
    ``log_models=False`` loads no model-directory code, no search grammar, no model
    registry and no matplotlib-drawing module."""
    script = textwrap.dedent(f"""
        import sys
        import autolog
        autolog.set_tracking_uri({str(tmp_path / "store")!r})
        autolog.autolog(log_models=False)
        from sklearn.datasets import make_classification
        from sklearn.linear_model import LogisticRegression
        X, y = make_classification(n_samples=60, random_state=0)
        LogisticRegression().fit(X, y)
        assert autolog.flush()
        print(" ".join(sorted(m for m in sys.modules if m.startswith("autolog"))))
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         timeout=120, cwd=tmp_path)
    assert out.returncode == 0, out.stderr[-2000:]
    loaded = set(out.stdout.split())
    assert "autolog.backends.local" in loaded  # the run was logged
    assert loaded.isdisjoint({
        "autolog.models.model_io", "autolog.models.flavors", "autolog.tracking.search",
        "autolog.tracking.search_syntax", "autolog.tracking.registry_search",
        "autolog.tracking.registry_entities", "autolog.plot_rendering", "autolog.drawing_guard"})


def test_logging_a_model_imports_no_yaml_and_reads_no_distribution_metadata(tmp_path) -> None:
    """The first model a fit logs writes MLmodel and the environment files without PyYAML
    (~10 ms to import) and pins versions without parsing distributions' METADATA (~1 ms a
    package); the directory loads in MLflow."""
    script = textwrap.dedent(f"""
        import sys
        from importlib import metadata
        read = []
        original = metadata.PathDistribution.read_text
        def counted(self, filename):
            read.append(filename)
            return original(self, filename)
        metadata.PathDistribution.read_text = counted
        import autolog
        autolog.set_tracking_uri({str(tmp_path / "store")!r})
        autolog.autolog(log_models=True)
        from sklearn.datasets import make_classification
        from sklearn.linear_model import LogisticRegression
        X, y = make_classification(n_samples=60, random_state=0)
        read.clear()
        LogisticRegression().fit(X, y)
        assert autolog.flush()
        print("yaml" in sys.modules, sorted(set(read)))
        print(autolog.last_active_run().info.run_id)
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         timeout=120, cwd=tmp_path)
    assert out.returncode == 0, out.stderr[-2000:]
    loaded, run_id = out.stdout.split("\n")[:2]
    assert loaded == "False []"
    from sklearn.datasets import make_classification

    found = list((tmp_path / "store").rglob("MLmodel"))
    assert len(found) == 1 and run_id in str(found[0])
    X, _ = make_classification(n_samples=60, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # MLflow's own notes on type hints
        pyfunc = pytest.importorskip("mlflow.pyfunc")  # not in the oldest-sklearn environment

        assert pyfunc.load_model(str(found[0].parent)).predict(X[:5]).shape == (5,)


def test_an_autologged_fit_holds_the_writer_until_it_returns(tmp_path) -> None:
    """What a fit logs is written once the fit is over (the writer then takes the
    interpreter lock from no one); the run is complete when fit returns."""
    from sklearn.linear_model import LogisticRegression

    from autolog.tracking.writer import get_writer

    held: list[bool] = []

    class Probe(LogisticRegression):
        def fit(self, X, y, sample_weight=None):  # type: ignore[no-untyped-def]
            held.append(get_writer()._meta.held and get_writer()._bulk.held)
            return super().fit(X, y, sample_weight)

    autolog.set_tracking_uri(str(tmp_path / "store"))
    enable()
    X = np.random.default_rng(0).normal(size=(60, 3))
    y = (X[:, 0] > 0).astype(int)
    Probe().fit(X, y)
    assert held == [True]
    assert not get_writer()._meta.held and not get_writer()._bulk.held
    run = autolog.last_active_run()
    assert run is not None and run.info.status == "FINISHED"
    assert "training_accuracy_score" in run.data.metrics
