"""autolog's logger, imported lazily (``logging`` costs more to import than everything
``autolog()`` does when no framework is imported)."""

from __future__ import annotations

from typing import Any


class _LazyLogger:
    """``logging.getLogger("autolog")``, imported at the first message: ``logging`` costs
    more to import than everything ``autolog()`` does when no framework is imported."""

    def __getattr__(self, name: str) -> Any:
        import logging

        return getattr(logging.getLogger("autolog"), name)


logger: Any = _LazyLogger()


def warn(message: str, stacklevel: int = 2) -> None:
    """``warnings.warn(message, AutologWarning)`` from autolog's hooks, threads and exit
    path, where a warning filter set to ``error`` must not raise into the user's code: the
    message then goes to the ``autolog`` logger instead, and is not lost."""
    import warnings

    from autolog.errors import AutologWarning

    try:
        warnings.warn(message, AutologWarning, stacklevel=stacklevel + 1)
    except Exception:  # noqa: BLE001 - the filter raised: logged instead
        logger.warning("%s", message)
