"""Scratch folders for files on their way into the store.

``tempfile.TemporaryDirectory`` is not safe here: its cleanup is a ``weakref.finalize``,
and the interpreter runs pending finalizers at exit, possibly *before* autolog's exit
flush has written what is still queued, so a plot or text being written at that moment
would lose its folder. A scratch folder is removed by its own block only.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from collections.abc import Iterator


@contextlib.contextmanager
def scratch_dir(prefix: str = "autolog-") -> Iterator[str]:
    path = tempfile.mkdtemp(prefix=prefix)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)
