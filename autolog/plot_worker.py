"""The plot helper process (see ``autolog.plots``): imports the modules named on its
command line, then reads length-prefixed pickled jobs on stdin, draws each, answers
``(status, error)``; exits when stdin closes. It runs at a lower CPU priority than the
training process it serves."""

from __future__ import annotations

import importlib
import os
import pickle
import struct
import sys

from autolog.plots import FAILED, OK, UNLOADABLE, call_renderer

_HEADER = struct.Struct("!I")


def _read(stream: object, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = stream.read(size - len(data))  # type: ignore[attr-defined]
        if not chunk:
            raise EOFError
        data += chunk
    return data


def main() -> None:
    # Training comes first: on Linux the helper only gets CPU time no other process wants
    # (SCHED_IDLE; a busy core is not shared with it, so it does not preempt the training
    # process's threads, BLAS workers included); elsewhere a lower priority.
    try:
        os.nice(10)
    except (AttributeError, OSError):
        pass
    try:
        os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))  # type: ignore[attr-defined,unused-ignore]
    except (AttributeError, OSError):
        pass
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # anything a renderer prints must not corrupt the protocol
    for name in sys.argv[1:]:  # modules to load before the first job comes (prestart)
        try:
            getattr(importlib.import_module(name), "preload", lambda: None)()
        except Exception:  # noqa: BLE001 - a job needing it will report the error
            continue
    while True:
        try:
            (size,) = _HEADER.unpack(_read(stdin, _HEADER.size))
            data = _read(stdin, size)
        except EOFError:
            return
        try:
            target, kwargs, path = pickle.loads(data)
        except Exception as exc:  # noqa: BLE001 - e.g. a class of the parent's __main__
            reply: tuple[str, str] = (UNLOADABLE, repr(exc))
        else:
            try:
                call_renderer(target, kwargs, path)
                reply = (OK, "")
            except Exception as exc:  # noqa: BLE001 - reported to the parent, which logs it
                reply = (FAILED, repr(exc))
        payload = pickle.dumps(reply)
        stdout.write(_HEADER.pack(len(payload)) + payload)
        stdout.flush()


if __name__ == "__main__":
    main()
