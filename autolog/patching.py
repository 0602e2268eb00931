"""Transitional: the old home of ``autolog.session`` and ``autolog.wrapping``."""

from __future__ import annotations

from typing import Any

from autolog.session import Call, report_error, safe_patch, suppressed
from autolog.wrapping import is_patched, patched_targets, when_imported
from autolog.wrapping import revert as _revert


def revert(integration: Any) -> None:
    _revert(integration if isinstance(integration, str) else integration.name)

__all__ = ["Call", "is_patched", "patched_targets", "report_error", "revert", "safe_patch",
           "suppressed", "when_imported"]
