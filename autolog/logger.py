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
