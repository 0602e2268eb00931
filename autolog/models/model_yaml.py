"""The YAML of a model directory's files (``MLmodel``, ``conda.yaml``, ``python_env.yaml``),
written without PyYAML.

Importing PyYAML costs ~10 ms (its resolver compiles dozens of expressions), which the
first model a fit logs would pay on the training thread; these files hold only mappings,
lists, ASCII strings, integers, booleans and nulls. They are written in PyYAML's block style
(``safe_dump(..., default_flow_style=False)``): a string is plain where YAML reads it back
as that same string, else single-quoted. Anything else in a document (a float, a non-ASCII
or multi-line string, a tuple) hands the whole document to PyYAML, so every document reads
back with ``yaml.safe_load`` as what was dumped.
"""

from __future__ import annotations

import re
from typing import Any

# Plain scalars that YAML reads back as strings: a letter or underscore first (or a dash
# before one: ``-r requirements.txt``), then nothing that could end or change the scalar
# (no ": ", " #", double quotes, brackets, commas), and not a YAML 1.1 boolean or null word;
# or a version (3.11.7: neither a number nor a date); or an id of digits and letters that
# is not one of YAML 1.1's integers as PyYAML reads them (a hex run id is plain, unless it is
# 0b and binary digits or 0x and hex digits; 09 is plain, 07 an octal integer). A float
# needs a dot and a date a dash, which an id has not: 1e5 is a string to PyYAML.
_PLAIN = re.compile(r"-?[A-Za-z_][A-Za-z0-9_.\-/=<>!~+' ]*(?<! )")
_VERSION = re.compile(r"\d+(?:\.\d+){2,}")
_ID = re.compile(r"[0-9][0-9A-Za-z]*")
_INTEGER = re.compile(r"0b[01]+|0x[0-9A-Fa-f]+|0[0-7]*|[1-9][0-9]*")
_WORDS = frozenset({"y", "n", "yes", "no", "on", "off", "true", "false", "null"})
_PRINTABLE = re.compile(r"[ -~]*")  # printable ASCII, no line break


class _Unsupported(Exception):
    pass


def dumps(data: dict[str, Any], sort_keys: bool = True) -> str:
    """``data`` as block-style YAML; PyYAML's ``safe_dump`` where it holds anything else."""
    try:
        lines: list[str] = []
        _mapping(data, 0, sort_keys, lines)
        return "".join(line + "\n" for line in lines)
    except _Unsupported:
        import yaml

        return str(yaml.safe_dump(data, default_flow_style=False, sort_keys=sort_keys))


def _scalar(value: Any) -> str:
    if value is None:
        return "null"
    if value is True or value is False:
        return "true" if value else "false"
    if type(value) is int:
        return str(value)
    if type(value) is not str or not _PRINTABLE.fullmatch(value):
        raise _Unsupported
    if ((_PLAIN.fullmatch(value) and value.lower() not in _WORDS) or _VERSION.fullmatch(value)
            or (_ID.fullmatch(value) and not _INTEGER.fullmatch(value))):
        return value
    return "'" + value.replace("'", "''") + "'"


def _mapping(data: Any, indent: int, sort_keys: bool, lines: list[str],
             first: str | None = None) -> None:
    """``first`` begins the first line instead of the indent (``- `` for a list item)."""
    if type(data) is not dict:
        raise _Unsupported
    pad = " " * indent
    items = sorted(data.items()) if sort_keys else list(data.items())
    for i, (key, value) in enumerate(items):
        lead = (first if i == 0 and first is not None else pad) + _scalar(key) + ":"
        if type(value) is dict and value:
            lines.append(lead)
            _mapping(value, indent + 2, sort_keys, lines)
        elif type(value) is list and value:
            lines.append(lead)
            _sequence(value, indent, sort_keys, lines)  # PyYAML does not indent it
        else:
            lines.append(f"{lead} {_empty(value)}")


def _sequence(data: list[Any], indent: int, sort_keys: bool, lines: list[str]) -> None:
    pad = " " * indent
    for item in data:
        if type(item) is dict and item:
            _mapping(item, indent + 2, sort_keys, lines, first=pad + "- ")
        elif type(item) is list:
            raise _Unsupported  # a list in a list: rare, left to PyYAML
        else:
            lines.append(f"{pad}- {_empty(item)}")


def _empty(value: Any) -> str:
    if type(value) is dict or type(value) is list:
        if value:
            raise _Unsupported
        return "{}" if type(value) is dict else "[]"
    return _scalar(value)
