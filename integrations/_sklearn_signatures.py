"""Signatures computed once per estimator class, while autologging describes an estimator.

scikit-learn inspects the signature of an estimator's ``__init__`` every time it lists the
estimator's params: ``get_params`` once per estimator, its ``repr`` (``estimator.txt`` and
every param holding an estimator, such as a pipeline's ``steps``) a few times per nested
estimator. ``inspect.signature`` builds a new ``Signature`` each time: two thirds of the
time of a pipeline's ``repr`` (1.5 ms of a 3-step one).

:func:`cached` lends each ``__init__`` of an estimator's tree the ``__signature__``
attribute that ``inspect.signature`` returns as it is, for the length of a ``with`` block:
the same ``Signature`` it would have built, kept here per function (weakly) and checked
against the function's code and defaults at each use. An ``__init__`` that already has a
``__signature__`` is left alone; the block takes back only what it lent, so outside it
scikit-learn's classes are as they were (a model pickled by value carries nothing of ours).
A thread that runs scikit-learn meanwhile gets the same signature, sooner.
"""

from __future__ import annotations

import contextlib
import inspect
import itertools
import types
import weakref
from collections.abc import Iterator
from typing import Any

MAX_DEPTH = 8  # nested estimators followed at most this deep
MAX_ITEMS = 64  # items of a list, tuple or dict param looked at for estimators

# __init__ -> (code, defaults, keyword defaults, its signature)
_signatures: weakref.WeakKeyDictionary[types.FunctionType, tuple[Any, Any, Any, inspect.Signature]] \
    = weakref.WeakKeyDictionary()


def _signature(init: types.FunctionType) -> inspect.Signature:
    """The signature of ``init``, computed again when its code or defaults changed."""
    found = _signatures.get(init)
    if found is not None and found[0] is init.__code__ and found[1] is init.__defaults__ \
            and found[2] is init.__kwdefaults__:
        return found[3]
    signature = inspect.signature(init)
    _signatures[init] = (init.__code__, init.__defaults__, init.__kwdefaults__, signature)
    return signature


def _init_of(cls: type) -> types.FunctionType | None:
    """The function scikit-learn inspects for ``cls``'s params, if a plain function."""
    init = cls.__init__  # type: ignore[misc]  # a class's own, as scikit-learn reads it
    init = getattr(init, "deprecated_original", init)
    return init if isinstance(init, types.FunctionType) else None


@contextlib.contextmanager
def cached(estimator: Any) -> Iterator[None]:
    """Within the block, ``inspect.signature`` of the ``__init__`` of ``estimator`` and of
    every estimator in its params (nested, in lists, tuples and dicts) costs a lookup."""
    lent: list[tuple[types.FunctionType, inspect.Signature]] = []
    try:
        _lend(estimator, lent, set(), 0)
        yield
    finally:
        for init, signature in lent:
            if init.__dict__.get("__signature__") is signature:
                del init.__signature__  # type: ignore[attr-defined]


def _lend(value: Any, lent: list[tuple[types.FunctionType, inspect.Signature]],
          seen: set[int], depth: int) -> None:
    if depth > MAX_DEPTH or id(value) in seen:
        return
    kind = type(value)
    if kind in (list, tuple):
        seen.add(id(value))
        for item in value[:MAX_ITEMS]:
            _lend(item, lent, seen, depth + 1)
        return
    if kind is dict:
        seen.add(id(value))
        for item in itertools.islice(value.values(), MAX_ITEMS):
            _lend(item, lent, seen, depth + 1)
        return
    if isinstance(value, type) or not hasattr(value, "get_params"):
        return
    seen.add(id(value))
    init = _init_of(kind)
    if init is not None and "__signature__" not in init.__dict__:
        try:
            signature = _signature(init)
        except (TypeError, ValueError):  # not introspectable: scikit-learn meets it itself
            return
        init.__signature__ = signature  # type: ignore[attr-defined]
        lent.append((init, signature))
    try:
        params = value.get_params(deep=False)
    except Exception:  # noqa: BLE001 - scikit-learn meets the same error on its own path
        return
    for item in params.values():
        _lend(item, lent, seen, depth + 1)
