"""The record of patches: it reverts what is alive and keeps nothing alive by itself."""

from __future__ import annotations

import gc
import types
import weakref
from typing import Any

import pytest

from autolog import wrapping

GROUP = "test-wrapping"


def _handler(wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    return ("wrapped", wrapped(*args, **kwargs))


@pytest.fixture(autouse=True)
def _revert_group() -> Any:
    yield
    wrapping.revert(GROUP)


def _new_class() -> type:
    class Model:
        def fit(self) -> str:
            return "fit"

    return Model


def _new_module() -> types.ModuleType:
    module = types.ModuleType("autolog_test_wrapping_module")

    def train() -> str:
        return "train"

    module.train = train  # type: ignore[attr-defined]
    return module


def test_a_patched_class_or_module_that_nothing_else_holds_is_collected() -> None:
    """The registry holds owners and wrappers weakly: a patched class or module lives as long
    as the user's references to it, not as long as the process (a strong registry kept all of
    a framework alive into the interpreter's teardown, which then took longer)."""
    klass, module = _new_class(), _new_module()
    assert wrapping.wrap(GROUP, klass, "fit", _handler)
    assert wrapping.wrap(GROUP, module, "train", _handler)
    assert klass().fit() == ("wrapped", "fit") and module.train() == ("wrapped", "train")
    gone = [weakref.ref(klass), weakref.ref(module)]
    del klass, module
    gc.collect()
    assert [ref() for ref in gone] == [None, None]
    assert wrapping.patched_targets(GROUP) == []


def test_revert_restores_the_live_owners_and_skips_the_collected_ones() -> None:
    keep, drop = _new_class(), _new_class()
    original = keep.__dict__["fit"]
    assert wrapping.wrap(GROUP, keep, "fit", _handler)
    assert wrapping.wrap(GROUP, drop, "fit", _handler)
    assert wrapping.patched_targets(GROUP) == [(keep, "fit"), (drop, "fit")]
    del drop
    gc.collect()
    assert wrapping.patched_targets(GROUP) == [(keep, "fit")]
    wrapping.revert(GROUP)
    assert keep.__dict__["fit"] is original
    assert keep().fit() == "fit"
    assert not [key for key in wrapping._patch_index if key.startswith(GROUP)]
    assert not [p for p in wrapping._by_wrapper.values() if p.group == GROUP]


def test_an_inherited_method_is_reverted_by_removing_the_wrapper() -> None:
    base = _new_class()
    child = type("Child", (base,), {})
    assert wrapping.wrap(GROUP, child, "fit", _handler)
    assert child().fit() == ("wrapped", "fit")
    wrapping.revert(GROUP)
    assert "fit" not in child.__dict__ and child().fit() == "fit"


def test_a_record_of_a_collected_owner_does_not_stop_a_new_one_from_being_wrapped(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A new object may get a collected one's ``id`` and so its key: the stale record is
    not taken for the new object's patch."""
    monkeypatch.setattr(wrapping, "_key", lambda group, owner, name: f"{group}\0same\0{name}")
    first = _new_class()
    assert wrapping.wrap(GROUP, first, "fit", _handler)
    assert not wrapping.wrap(GROUP, first, "fit", _handler)  # already wrapped: once
    del first
    gc.collect()
    second = _new_class()
    assert wrapping.wrap(GROUP, second, "fit", _handler)
    assert wrapping.is_patched(second, "fit") and second().fit() == ("wrapped", "fit")
    assert not wrapping.wrap(GROUP, second, "fit", _handler)
