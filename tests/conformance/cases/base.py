"""What a conformance case is: one patch target and how a user calls it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass
class Case:
    id: str
    integration: str
    module: str  # the framework module to import
    owner: Callable[[], Any]  # the class or module holding the patched attribute
    name: str
    call: Callable[[], tuple[Any, Any]]  # (result, object the result must be, or None)
    fail: Callable[[], Any]  # a user call that raises a user error
    error: type[BaseException]
    fingerprint: Callable[[Any], Any]  # what must be equal with and without autolog
    script: str = ""  # code performing the call, for import-order subprocess tests
    creates_run: bool = True
    #: what makes the target patched once the integration is enabled, where enabling alone
    #: does not (scikit-learn's predict and score: an autologged fit of the class)
    prepare: Callable[[], Any] | None = None
