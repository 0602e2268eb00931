"""MLflow's filter and order-by syntax for registered models and model versions.

Filters are clauses joined by ``AND``: ``name = 'clf'``, ``name LIKE 'clf%'`` (``ILIKE``
ignores case), ``tags.team = 'a'`` (or ``tags.`my key```), and for versions also
``run_id = '…'``, ``run_id IN ('a', 'b')``, ``source_path = '…'`` and ``version_number >= 2``.
``order_by`` takes ``name``, ``creation_timestamp``, ``last_updated_timestamp`` (and
``version_number`` for versions), each with ``ASC`` or ``DESC``. What MLflow refuses is
refused here, with an ``InvalidInputError`` naming the clause.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from autolog.errors import InvalidInputError
from autolog.tracking.registry_entities import ModelVersion, RegisteredModel

T = TypeVar("T", RegisteredModel, ModelVersion)

_TOKEN = re.compile(r"""\s*(?:(?P<str>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
    |(?P<num>-?\d+)(?![\w.])|(?P<op>!=|<=|>=|=|<|>)|(?P<punct>[(),])
    |(?P<word>[A-Za-z_][\w.]*(?:`[^`]+`)?))""", re.X)
_STRING_OPS: tuple[str, ...] = ("=", "!=", "LIKE", "ILIKE")
_NUMERIC_OPS: tuple[str, ...] = ("=", "!=", "<", "<=", ">", ">=")
MODEL_KEYS: dict[str, tuple[str, ...]] = {"name": (*_STRING_OPS, "IN", "NOT IN")}
VERSION_KEYS: dict[str, tuple[str, ...]] = {"name": (*_STRING_OPS, "IN", "NOT IN"), "run_id": ("=", "!=", "IN", "NOT IN"),
                "source_path": (*_STRING_OPS, "IN", "NOT IN"), "version_number": _NUMERIC_OPS}
MODEL_ORDER = ("name", "creation_timestamp", "last_updated_timestamp")
VERSION_ORDER = (*MODEL_ORDER, "version_number")


@dataclass(frozen=True)
class Clause:
    key: str  # an attribute, or "tags.<key>"
    op: str
    value: Any  # str, int, or a tuple of str for IN


def _tokens(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    while pos < len(text):
        if not text[pos:].strip():
            break
        match = _TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            raise InvalidInputError(f"filter {text!r}: cannot read {text[pos:].strip()!r}")
        kind = match.lastgroup or ""
        out.append((kind, match.group(kind)))
        pos = match.end()
    return out


def _unquote(token: str) -> str:
    return re.sub(r"\\(.)", r"\1", token[1:-1])


def parse_filter(filter_string: str | None, allowed: dict[str, tuple[str, ...]]) -> list[Clause]:
    """The clauses of ``filter_string`` for an entity whose keys and operators are
    ``allowed`` (plus ``tags.<key>`` with =, !=, LIKE, ILIKE)."""
    text = (filter_string or "").strip()
    tokens = _tokens(text)
    clauses: list[Clause] = []
    i = 0

    def fail(problem: str) -> InvalidInputError:
        return InvalidInputError(f"filter {text!r}: {problem}; allowed keys: "
                                 f"{', '.join(allowed)}, tags.<key>")

    while i < len(tokens):
        if clauses:
            if tokens[i][1].upper() != "AND":
                raise fail(f"expected AND before {tokens[i][1]!r} (OR is not supported)")
            i += 1
        if i >= len(tokens) or tokens[i][0] != "word":
            raise fail("expected a key")
        key = tokens[i][1]
        i += 1
        if key.lower().startswith("tags."):
            name = key[5:]
            if not name and i < len(tokens) and tokens[i][0] == "str":
                name, i = _unquote(tokens[i][1]), i + 1
            key, ops = "tags." + name.strip("`"), _STRING_OPS
            if key == "tags.":
                raise fail("a tag key is missing after 'tags.'")
        else:
            key = key.removeprefix("attributes.").removeprefix("attribute.")
            if key not in allowed:
                raise fail(f"{key!r} is not a searchable key")
            ops = allowed[key]
        if i >= len(tokens):
            raise fail(f"an operator must follow {key!r}")
        op = tokens[i][1].upper()
        i += 1
        if op == "NOT" and i < len(tokens) and tokens[i][1].upper() == "IN":
            op, i = "NOT IN", i + 1
        if op not in ops:
            raise fail(f"operator {op!r} is not allowed on {key!r} (allowed: {', '.join(ops)})")
        value, i = _value(tokens, i, op, key, fail)
        clauses.append(Clause(key, op, value))
    return clauses


def _value(tokens: list[tuple[str, str]], i: int, op: str, key: str,
           fail: Callable[[str], InvalidInputError]) -> tuple[Any, int]:
    if op in ("IN", "NOT IN"):
        if i >= len(tokens) or tokens[i][1] != "(":
            raise fail(f"{op} on {key!r} needs a list such as ('a', 'b')")
        items: list[str] = []
        i += 1
        while i < len(tokens) and tokens[i][0] == "str":
            items.append(_unquote(tokens[i][1]))
            i += 1
            if i < len(tokens) and tokens[i][1] == ",":
                i += 1
        if i >= len(tokens) or tokens[i][1] != ")" or not items:
            raise fail(f"the list after {op} must hold quoted strings and end with ')'")
        return tuple(items), i + 1
    if i >= len(tokens):
        raise fail(f"a value must follow {key} {op}")
    kind, token = tokens[i]
    if key == "version_number":
        digits = token if kind == "num" else _unquote(token) if kind == "str" else ""
        if not digits.lstrip("-").isdigit():
            raise fail(f"version_number takes an integer, not {token!r}")
        return int(digits), i + 1
    if kind != "str":
        raise fail(f"the value of {key!r} must be a quoted string, not {token!r}")
    return _unquote(token), i + 1


def _like(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    body = "".join(".*" if c == "%" else "." if c == "_" else re.escape(c) for c in pattern)
    return re.compile(f"^{body}$", re.S | (re.I if ignore_case else 0))


def _field(entity: RegisteredModel | ModelVersion, key: str) -> Any:
    if key.startswith("tags."):
        return entity.tags.get(key[5:])
    if key == "version_number":
        return int(entity.version) if isinstance(entity, ModelVersion) else None
    if key == "source_path":
        return entity.source if isinstance(entity, ModelVersion) else None
    return getattr(entity, key, None)


def _holds(value: Any, clause: Clause) -> bool:
    op, want = clause.op, clause.value
    if value is None:
        return op in ("!=", "NOT IN") and not clause.key.startswith("tags.")
    if op in ("LIKE", "ILIKE"):
        return _like(want, op == "ILIKE").match(str(value)) is not None
    checks: dict[str, Callable[[Any, Any], bool]] = {
        "=": lambda a, b: a == b, "!=": lambda a, b: a != b, "<": lambda a, b: a < b,
        "<=": lambda a, b: a <= b, ">": lambda a, b: a > b, ">=": lambda a, b: a >= b,
        "IN": lambda a, b: a in b, "NOT IN": lambda a, b: a not in b}
    return checks[op](value, want)


def _order(items: list[T], order_by: Sequence[str] | None, allowed: Sequence[str],
           default: Sequence[str]) -> list[T]:
    keys: list[tuple[str, bool]] = []
    for text in [*(order_by or ()), *default]:
        parts = str(text).split()
        if not parts or len(parts) > 2 or parts[0] not in allowed or (
                len(parts) == 2 and parts[1].upper() not in ("ASC", "DESC")):
            raise InvalidInputError(f"order_by {text!r} must be one of {', '.join(allowed)} "
                                    "optionally followed by ASC or DESC")
        if parts[0] not in [k for k, _ in keys]:
            keys.append((parts[0], len(parts) == 2 and parts[1].upper() == "DESC"))
    for key, descending in reversed(keys):
        items.sort(key=functools.partial(_sort_key, key), reverse=descending)
    return items


def _sort_key(key: str, entity: RegisteredModel | ModelVersion) -> tuple[bool, Any]:
    value = _field(entity, key)
    return (value is None, 0 if value is None else value)


def search(items: Sequence[T], filter_string: str | None, order_by: Sequence[str] | None,
           max_results: int, versions: bool) -> list[T]:
    """The entities matching ``filter_string``, ordered as MLflow does by default (models
    by name; versions by last update, newest first, then name, then version, highest
    first), at most ``max_results``."""
    if not isinstance(max_results, int) or isinstance(max_results, bool) or max_results < 1:
        raise InvalidInputError(f"max_results {max_results!r} must be a positive integer")
    clauses = parse_filter(filter_string, VERSION_KEYS if versions else MODEL_KEYS)
    found = [e for e in items if all(_holds(_field(e, c.key), c) for c in clauses)]
    if versions:
        return _order(found, order_by, VERSION_ORDER,
                      ("last_updated_timestamp DESC", "name", "version_number DESC"))[:max_results]
    return _order(found, order_by, MODEL_ORDER, ("name",))[:max_results]
