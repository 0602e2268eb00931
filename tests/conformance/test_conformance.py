"""The patch-safety contract, for every registered integration's patch targets and for a
toy integration that covers every kind of target. See DESIGN.md, 'Patch-safety contract'."""

from __future__ import annotations

import importlib
import inspect
import os
import pickle
import subprocess
import sys
import textwrap
import threading
import warnings
from pathlib import Path
from typing import Any

import pytest
from cases.base import Case

import autolog
from autolog import session, wrapping
from autolog.errors import AutologWarning
from autolog.integration import get_integration
from autolog.testing import capture_runs

HERE = Path(__file__).parent


def _all_cases() -> list[Case]:
    found: list[Case] = []
    for path in sorted((HERE / "cases").glob("*.py")):
        if path.stem in ("__init__", "base"):
            continue
        module = importlib.import_module(f"cases.{path.stem}")
        found.extend(module.CASES)
    return found


def _available(case: Case) -> bool:
    try:
        importlib.import_module(case.module)
    except Exception:  # noqa: BLE001 - framework not installed in this environment
        return False
    try:
        get_integration(case.integration)
    except Exception:  # noqa: BLE001 - integration not built yet
        return False
    return True


CASES = [
    pytest.param(c, id=c.id, marks=pytest.mark.skipif(not _available(c), reason=f"{c.module} or integration missing"))
    for c in _all_cases()
]


def _enable(case: Case, **flags: Any) -> None:
    get_integration(case.integration).enable(log_system_metrics=False, log_models=False, **flags)
    if case.prepare is not None:
        with capture_runs():
            case.prepare()


def _raw(case: Case) -> Any:
    return case.owner().__dict__.get(case.name)


@pytest.mark.parametrize("case", CASES)
def test_wrapper_keeps_name_signature_and_docstring(case: Case) -> None:
    """The patched attribute has the original's name, signature and docstring."""
    original = getattr(case.owner(), case.name)
    name, doc = original.__name__, original.__doc__
    signature = inspect.signature(original)
    _enable(case)
    patched = getattr(case.owner(), case.name)
    assert wrapping.is_patched(case.owner(), case.name)
    assert patched.__name__ == name
    assert patched.__doc__ == doc
    assert inspect.signature(patched) == signature


@pytest.mark.parametrize("case", CASES)
def test_result_is_the_object_the_original_returned(case: Case) -> None:
    """The call returns the very object the original returns, and the same values."""
    bare, _ = case.call()
    _enable(case)
    with capture_runs() as runs:
        result, expected = case.call()
    if expected is not None:
        assert result is expected
    assert case.fingerprint(result) == case.fingerprint(bare)
    if case.creates_run:
        assert len(runs) == 1 and runs[0].info.status == "FINISHED"


@pytest.mark.parametrize("case", CASES)
def test_user_exception_propagates_unchanged_and_fails_the_run(case: Case) -> None:
    """A user error keeps its type, is raised once, and ends the autolog run FAILED."""
    with pytest.raises(case.error) as bare_info:
        case.fail()
    _enable(case)
    with capture_runs() as runs, pytest.raises(case.error) as info:
        case.fail()
    assert type(info.value) is type(bare_info.value)
    assert str(info.value) == str(bare_info.value)
    if case.creates_run:
        assert [r.info.status for r in runs] == ["FAILED"]


class _Faulty(session.Hook):
    """Wraps a hook so that one phase raises autolog's own error."""

    def __init__(self, hook: Any, phase: str) -> None:
        self.hook, self.phase = hook, phase

    def before(self, call: Any) -> None:
        if self.phase == "before":
            raise RuntimeError("injected fault in before")
        before = getattr(self.hook, "before", None)
        if before is not None:
            before(call)

    def after(self, call: Any, result: Any) -> None:
        after = getattr(self.hook, "after", None)
        if after is not None:
            after(call, result)
        if self.phase == "after":
            raise RuntimeError("injected fault in after")

    def on_error(self, call: Any, exc: BaseException) -> None:
        self.hook.on_error(call, exc)


@pytest.mark.parametrize("phase", ["before", "after"])
@pytest.mark.parametrize("case", CASES)
def test_hook_failure_leaves_the_users_result_identical(
    case: Case, phase: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An error in autolog's own hook is one warning; the result equals the bare call's."""
    monkeypatch.delenv("AUTOLOG_TESTING")
    bare, _ = case.call()
    _enable(case)
    record = next(p for p in wrapping._patches[case.integration]
                  if p.owner() is case.owner() and p.name == case.name).handler
    faulty = _Faulty(record.hook, phase)
    monkeypatch.setattr(record, "hook", faulty)
    session._reported.clear()
    with capture_runs() as runs, pytest.warns(AutologWarning, match="injected fault"):
        result, expected = case.call()
    if expected is not None:
        assert result is expected
    assert case.fingerprint(result) == case.fingerprint(bare)
    if case.creates_run:
        assert runs[0].info.status == "FINISHED"
        assert "injected fault" in runs[0].data.tags["autolog.error"]


@pytest.mark.parametrize("case", CASES)
def test_disable_restores_the_identical_original(case: Case) -> None:
    """autolog(disable=True) puts back the very object that was there (or nothing, when the
    attribute was inherited)."""
    before = _raw(case)
    _enable(case)
    assert _raw(case) is not before
    autolog.autolog(disable=True)
    assert _raw(case) is before
    assert not wrapping.is_patched(case.owner(), case.name)


@pytest.mark.parametrize("case", CASES)
def test_enabling_twice_patches_once_and_logs_one_run(case: Case) -> None:
    """Repeated autolog() calls are idempotent: one wrapper layer, one run per call."""
    _enable(case)
    first = _raw(case)
    _enable(case)
    autolog.autolog(log_system_metrics=False, log_models=False)
    assert _raw(case) is first
    with capture_runs() as runs:
        case.call()
    assert len(runs) == (1 if case.creates_run else 0)


@pytest.mark.parametrize("case", [c for c in CASES if c.values[0].creates_run])
def test_eight_threads_each_get_their_own_run(case: Case) -> None:
    """Concurrent calls in 8 threads are each logged, to a run of their own."""
    _enable(case)
    errors: list[BaseException] = []
    barrier = threading.Barrier(8)

    def work() -> None:
        try:
            barrier.wait()
            case.call()
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    with capture_runs() as runs:
        threads = [threading.Thread(target=work) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert errors == []
    assert len(runs) == 8
    assert len({r.info.run_id for r in runs}) == 8
    assert all(r.info.status == "FINISHED" for r in runs)


@pytest.mark.parametrize("case", CASES)
def test_patched_functions_pickle_by_reference(case: Case) -> None:
    """pickle.dumps works on the patched attribute and unpickles to the patched attribute."""
    _enable(case)
    patched = getattr(case.owner(), case.name)
    restored = pickle.loads(pickle.dumps(patched))
    assert restored == patched or restored is patched or (
        getattr(restored, "__wrapped__", None) is getattr(patched, "__wrapped__", None)
    )
    assert wrapping.is_patched(case.owner(), case.name)


@pytest.mark.parametrize("case", CASES)
def test_a_wrapper_kept_after_disabling_pickles_as_the_original(case: Case) -> None:
    """A reference to the wrapper taken while enabled still pickles once autolog is
    disabled: to what is installed where the original was defined."""
    _enable(case)
    patched = case.owner().__dict__[case.name]
    autolog.autolog(disable=True)
    if not hasattr(patched, "__qualname__") or "<" in patched.__qualname__:
        pytest.skip("not a named function or method")
    restored = pickle.loads(pickle.dumps(patched))
    assert restored.__qualname__ == patched.__qualname__
    assert not isinstance(restored, wrapping._patched_class())


@pytest.mark.parametrize("case", CASES)
def test_unsupported_version_warns_or_skips(case: Case, monkeypatch: pytest.MonkeyPatch) -> None:
    """Outside the supported range: a warning and patching, or no patching at all with
    disable_for_unsupported_versions=True."""
    integration = get_integration(case.integration)
    monkeypatch.setattr(integration, "requirements", (f"{integration.distribution()} >= 999",))
    integration._patched.clear()
    with pytest.warns(AutologWarning, match="supported"):
        _enable(case)
    assert wrapping.is_patched(case.owner(), case.name)
    autolog.autolog(disable=True)
    _enable(case, disable_for_unsupported_versions=True)
    assert not wrapping.is_patched(case.owner(), case.name)


_ORDER_SCRIPT = """
import sys
sys.path.insert(0, {here!r})
from autolog.integration import register, get_integration
try:
    get_integration({integration!r})
except Exception:
    from toy_integration import ToyIntegration
    register(ToyIntegration())
import autolog
from autolog.testing import capture_runs
{first}
{second}
with capture_runs() as runs:
    {call}
print("RUNS", len(runs))
"""


@pytest.mark.parametrize("order", ["autolog-first", "framework-first"])
@pytest.mark.parametrize("case", [c for c in CASES if c.values[0].creates_run])
def test_import_order_does_not_matter(case: Case, order: str, tmp_path: Path) -> None:
    """autolog() before or after importing the framework: the call is logged either way."""
    enable = f"get_integration({case.integration!r}).enable(log_system_metrics=False, log_models=False)"
    imp = f"import {case.module}"
    first, second = (enable, imp) if order == "autolog-first" else (imp, enable)
    script = _ORDER_SCRIPT.format(here=str(HERE), integration=case.integration, first=first,
                                  second=second, call=textwrap.indent(case.script, "    ").strip())
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         timeout=120, env={**os.environ, "AUTOLOG_TESTING": "1"}, cwd=tmp_path)
    assert out.returncode == 0, out.stderr[-3000:]
    assert "RUNS 1" in out.stdout


def test_nested_patched_calls_log_once() -> None:
    """train() calls Model.fit inside: only the outermost call is logged."""
    import toy_framework

    get_integration("toy").enable(log_system_metrics=False)
    with capture_runs() as runs:
        toy_framework.train([1.0, 2.0])
    assert len(runs) == 1
    assert runs[0].data.params == {"n": "2"}


def test_exclusive_keeps_autolog_out_of_user_runs() -> None:
    """With exclusive=True a call inside the user's run logs nothing into it."""
    import toy_framework

    get_integration("toy").enable(log_system_metrics=False, exclusive=True)
    with capture_runs() as runs, autolog.start_run():
        toy_framework.Model().fit([1.0])
    assert len(runs) == 1 and runs[0].data.params == {}


def test_a_call_inside_a_user_run_logs_into_it_and_does_not_end_it() -> None:
    """Without exclusive, autologged content goes to the user's run, which stays theirs."""
    import toy_framework

    get_integration("toy").enable(log_system_metrics=False)
    with capture_runs() as runs, autolog.start_run() as run:
        toy_framework.Model().fit([1.0, 2.0, 3.0])
        assert autolog.active_run() is not None
        assert autolog.active_run().info.run_id == run.info.run_id
    assert len(runs) == 1
    assert runs[0].data.params == {"n": "3"}


def test_flag_changes_take_effect_on_the_next_call() -> None:
    """Hooks read the flags in force at call time."""
    import toy_framework

    integration = get_integration("toy")
    integration.enable(log_system_metrics=False, toy_flag=1)
    seen: list[Any] = []
    record = next(p for p in wrapping._patches["toy"] if p.name == "fit").handler
    original_hook = record.hook

    class Spy(session.Hook):
        def before(self, call: Any) -> None:
            seen.append(call.config["toy_flag"])

    record.hook = Spy()
    try:
        with capture_runs():
            toy_framework.Model().fit([1.0])
            integration.enable(toy_flag=2)
            toy_framework.Model().fit([1.0])
    finally:
        record.hook = original_hook
    assert seen == [1, 2]


def test_unknown_flag_is_a_clear_error() -> None:
    """A misspelt flag names itself and lists the allowed ones."""
    with pytest.raises(autolog.InvalidInputError, match=r"log_modles.*allowed"):
        get_integration("toy").enable(log_modles=False)


def test_strict_test_mode_is_on_for_the_suite_and_raises_hook_errors() -> None:
    """AUTOLOG_TESTING=1 is set for the whole suite, and turns hook errors into failures."""
    import toy_framework

    assert os.environ["AUTOLOG_TESTING"] == "1"
    get_integration("toy").enable(log_system_metrics=False)
    record = next(p for p in wrapping._patches["toy"] if p.name == "fit").handler
    original_hook = record.hook
    record.hook = _Faulty(original_hook, "after")
    try:
        with capture_runs(), pytest.raises(RuntimeError, match="injected fault"):
            toy_framework.Model().fit([1.0])
    finally:
        record.hook = original_hook


def test_silent_suppresses_autolog_warnings(monkeypatch: pytest.MonkeyPatch) -> None:
    """silent=True: a hook failure produces no warning at all."""
    import toy_framework

    monkeypatch.delenv("AUTOLOG_TESTING")
    get_integration("toy").enable(log_system_metrics=False, silent=True)
    record = next(p for p in wrapping._patches["toy"] if p.name == "fit").handler
    monkeypatch.setattr(record, "hook", _Faulty(record.hook, "after"))
    session._reported.clear()
    with capture_runs(), warnings.catch_warnings():
        warnings.simplefilter("error")
        model = toy_framework.Model().fit([2.0])
    assert model.weight == pytest.approx(0.2)


def test_broken_framework_module_makes_autolog_warn_not_raise(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """A framework missing the attribute we patch: autolog() and the user's import warn, never raise."""
    (tmp_path / "toy_framework_broken.py").write_text("__version__ = '1.0'\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delenv("AUTOLOG_TESTING")
    from toy_integration import ToyIntegration

    class Broken(ToyIntegration):
        name = "toy-broken"
        modules = ("toy_framework_broken",)

    broken = Broken()
    with pytest.warns(AutologWarning, match="toy-broken"):
        broken.enable(log_system_metrics=False)
        module = importlib.import_module("toy_framework_broken")
    assert module.__version__ == "1.0"
    broken.disable()


def test_a_failing_user_call_inside_a_user_run_leaves_the_run_running() -> None:
    """A user error inside the user's own run propagates; the run stays the user's to end."""
    import toy_framework

    get_integration("toy").enable(log_system_metrics=False)
    with capture_runs() as runs, autolog.start_run():
        with pytest.raises(RuntimeError):
            toy_framework.Model().fit([])
        assert autolog.active_run() is not None
    assert runs[0].info.status == "FINISHED"


def _hook_key(hook: Any) -> str:
    """What a patch does: its hook's class, or its function (hooks made by one factory
    share a key)."""
    hook = getattr(hook, "fn", hook)  # session.After: the function it calls
    if inspect.ismethod(hook):
        hook = hook.__func__
    kind = hook if inspect.isfunction(hook) else type(hook)
    return f"{kind.__module__}.{kind.__qualname__}"


# Hooks whose targets have no case of their own yet, each with its reason; a hook not listed
# here and not exercised by a case fails the test below.
_UNCOVERED = {
    "autolog.integrations.sklearn.SklearnIntegration._on_new_class":
        "class-creation hook: covered by the sklearn integration tests of new subclasses",
    "autolog.session.Hook":
        "the empty hook of joblib worker helpers: only opens a session (sklearn robustness tests)",
    **dict.fromkeys(
        ["autolog.integrations._tensorboard._add_scalar",
         "autolog.integrations._tensorboard._add_scalars",
         "autolog.integrations._tensorboard._add_hparams",
         "autolog.integrations._tensorboard._CloseHook"],
        "SummaryWriter opens a run of its own, against the rule for non-run-creating cases; "
        "its patch safety is tested in tests/integrations/pytorch/test_tensorboard.py"),
}


def test_every_patch_target_has_a_conformance_case() -> None:
    """Each hook that an integration installs is exercised by at least one case: a new
    patch target with a new hook fails here until it gets a case."""
    covered: dict[str, set[str]] = {}
    for param in CASES:
        case = param.values[0]
        if not _available(case):
            continue
        _enable(case)
        importlib.import_module(case.module)
        handler = next((p.handler for p in wrapping._patches.get(case.integration, [])
                        if p.owner() is case.owner() and p.name == case.name), None)
        assert handler is not None, f"case {case.id} names no installed patch"
        covered.setdefault(case.integration, set()).add(_hook_key(handler.hook))
    missing = []
    for integration, keys in covered.items():
        for patch in wrapping._patches.get(integration, []):
            handler, owner = patch.handler, patch.owner()
            if handler is None or owner is None:
                continue  # collected since
            key = _hook_key(handler.hook)
            if key not in keys and key not in _UNCOVERED:
                missing.append(f"{integration}: {getattr(owner, '__qualname__', owner)}"
                               f".{patch.name} ({key})")
    assert missing == []
