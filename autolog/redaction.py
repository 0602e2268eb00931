"""Credentials never leave the process in text: every message, log line, tag or CLI output
that may hold a URI goes through :func:`redact`."""

from __future__ import annotations

import re

# scheme://user:password@host -> scheme://***@host (the user, which may be a token, too);
# greedy up to the last @ before the path, so an @ inside the password does not leak the rest
_USERINFO = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)[^/?#\s]*@")


def redact(text: str) -> str:
    """``text`` with the credentials of every ``scheme://user:password@host`` replaced by
    ``***``."""
    if "@" not in text:
        return text
    return _USERINFO.sub(lambda m: f"{m['scheme']}***@", text)
