"""The plot helper process (see ``autolog.plots``): reads length-prefixed pickled jobs on
stdin, draws each, answers ``(ok, error)``; exits when stdin closes."""

from __future__ import annotations

import pickle
import struct
import sys

from autolog.plots import call_renderer

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
    import matplotlib

    matplotlib.use("Agg")
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # anything a renderer prints must not corrupt the protocol
    while True:
        try:
            (size,) = _HEADER.unpack(_read(stdin, _HEADER.size))
            target, kwargs, path = pickle.loads(_read(stdin, size))
        except EOFError:
            return
        try:
            call_renderer(target, kwargs, path)
            reply = (True, "")
        except Exception as exc:  # noqa: BLE001 - reported to the parent, which logs it
            reply = (False, repr(exc))
        payload = pickle.dumps(reply)
        stdout.write(_HEADER.pack(len(payload)) + payload)
        stdout.flush()


if __name__ == "__main__":
    main()
