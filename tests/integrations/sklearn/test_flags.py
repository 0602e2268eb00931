"""The typed flags of autolog.sklearn.autolog and how they combine with autolog.autolog."""

from __future__ import annotations

import inspect

import pytest
from sk_helpers import enable

import autolog
from autolog.errors import InvalidInputError
from autolog.testing import capture_runs


def test_sklearn_autolog_has_an_explicit_signature_with_every_flag() -> None:
    """autolog.sklearn.autolog names every flag of its table plus the common ones."""
    from autolog.integrations import sklearn as integration

    from autolog import flags

    names = set(inspect.signature(integration.autolog).parameters)
    assert names == set(integration.FLAGS) | set(flags.COMMON)
    assert integration.SklearnIntegration.flag_table is integration.FLAGS


@pytest.mark.parametrize(("flag", "bad"), [("serialization_format", "json"),
                                           ("log_post_training_metrics", "yes"),
                                           ("pos_label", 1.5), ("log_plots", "svg")])
def test_a_bad_flag_value_is_refused_naming_the_flag(flag: str, bad: object) -> None:
    """A value outside a flag's table entry raises InvalidInputError naming flag and value."""
    with pytest.raises(InvalidInputError, match=flag):
        autolog.sklearn.autolog(**{flag: bad})  # type: ignore[arg-type]


def test_global_autolog_does_not_re_enable_a_framework_the_user_disabled(binary: tuple) -> None:
    """sklearn.autolog(disable=True) then autolog.autolog(): fits make no run (MLflow's rule);
    sklearn.autolog() enables it again."""
    from sklearn.linear_model import LogisticRegression

    autolog.sklearn.autolog(disable=True)
    autolog.autolog(log_system_metrics=False, log_models=False)
    with capture_runs() as runs:
        LogisticRegression().fit(*binary)
    assert runs == []
    enable()
    with capture_runs() as runs:
        LogisticRegression().fit(*binary)
    assert len(runs) == 1


def test_log_model_signatures_false_logs_the_model_without_a_signature(binary: tuple) -> None:
    """log_model_signatures=False (even with input examples): the model's MLmodel has none."""
    from sklearn.linear_model import LogisticRegression

    enable(log_models=True, log_model_signatures=False, log_input_examples=True)
    LogisticRegression().fit(*binary)
    run_id = autolog.last_active_run().info.run_id
    autolog.flush()
    with open(autolog.download_artifacts(run_id, "model/MLmodel")) as f:
        mlmodel = f.read()
    assert "signature" not in mlmodel and "saved_input_example_info" in mlmodel
