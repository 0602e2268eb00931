"""MLflow's run search syntax: ``filter_string`` and ``order_by`` parsed into clauses and
order keys (evaluated over runs by :mod:`autolog.tracking.search`).

``filter_string`` is a conjunction of comparisons, ``<key> <op> <value> [AND ...]``:

- keys: ``metrics.<k>``, ``params.<k>``, ``tags.<k>`` and ``attributes.<name>`` (also
  ``attribute.``/``attr.``/``run.``); a key with spaces or odd characters goes in backticks
  or double quotes (``metrics.`my key```); attribute names are run_id, run_name, status,
  start_time, end_time, artifact_uri and user_id. ``attributes.run_name`` and
  ``tags.mlflow.runName`` are the same thing.
- metrics, start_time and end_time compare with ``= != < <= > >=`` against numbers; params,
  tags and the other attributes with ``= != LIKE ILIKE IN NOT IN`` against quoted strings.
- a run that lacks the key does not match.

``order_by`` entries are ``<key> [ASC|DESC]``, the key as in a filter or a bare attribute
name. Anything that does not parse is InvalidInputError naming the fragment and what is
allowed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from autolog.errors import InvalidInputError

METRIC = "metrics"
PARAM = "params"
TAG = "tags"
ATTRIBUTE = "attributes"

_PREFIXES = {
    "metrics": METRIC, "metric": METRIC,
    "params": PARAM, "param": PARAM, "parameters": PARAM, "parameter": PARAM,
    "tags": TAG, "tag": TAG,
    "attributes": ATTRIBUTE, "attribute": ATTRIBUTE, "attr": ATTRIBUTE, "run": ATTRIBUTE,
}
NUMERIC_ATTRIBUTES = ("start_time", "end_time")
STRING_ATTRIBUTES = ("run_id", "run_name", "status", "artifact_uri", "user_id")
ATTRIBUTES = STRING_ATTRIBUTES + NUMERIC_ATTRIBUTES
_ATTRIBUTE_ALIASES = {"run_uuid": "run_id", "created": "start_time", "Created": "start_time"}

NUMERIC_OPS = ("=", "!=", "<", "<=", ">", ">=")
STRING_OPS = ("=", "!=", "LIKE", "ILIKE", "IN", "NOT IN")

_ALLOWED = (
    "expected '<key> <operator> <value>' joined by AND, where key is metrics.<name>, "
    "params.<name>, tags.<name> or attributes.<name> (attributes: "
    + ", ".join(ATTRIBUTES)
    + "); metrics and start_time/end_time take = != < <= > >= and a number; params, tags "
    "and other attributes take = != LIKE ILIKE IN NOT IN and a quoted string"
)

_TOKEN_RE = re.compile(
    r"""\s*(?:
      (?P<ident>[A-Za-z_]\w*\.(?:`[^`]*`|"[^"]*"|[\w.\-/:]+))
    | (?P<string>'[^']*'|"[^"]*")
    | (?P<number>[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)
    | (?P<op><=|>=|!=|<>|==|=|<|>)
    | (?P<word>[A-Za-z_]\w*)
    | (?P<punct>[(),])
    )""",
    re.VERBOSE,
)


@dataclass(frozen=True)
class Clause:
    """One comparison: ``kind`` is metrics/params/tags/attributes."""

    kind: str
    key: str
    op: str
    value: Any  # float for numeric comparisons, str, or tuple[str, ...] for IN


@dataclass(frozen=True)
class OrderKey:
    kind: str
    key: str
    ascending: bool


@dataclass(frozen=True)
class _Token:
    kind: str
    text: str
    pos: int


def _error(filter_string: str, pos: int, problem: str) -> InvalidInputError:
    fragment = filter_string[pos:].strip()
    fragment = fragment[:40] + ("..." if len(fragment) > 40 else "")
    where = f" at {fragment!r}" if fragment else " at the end"
    return InvalidInputError(f"invalid filter {filter_string!r}: {problem}{where}; {_ALLOWED}")


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    pos = 0
    end = len(text.rstrip())
    while pos < end:
        match = _TOKEN_RE.match(text, pos)
        if match is None or match.end() == pos:
            rest = text[pos:].lstrip()
            problem = "unterminated string" if rest[:1] in ("'", '"', "`") else "unexpected character"
            raise _error(text, pos, problem)
        kind = match.lastgroup or ""
        tokens.append(_Token(kind, match.group(kind), match.start(kind)))
        pos = match.end()
    return tokens


class _KeyProblem(Exception):
    """Why a ``prefix.key`` does not name a key (turned into InvalidInputError by the caller)."""


def _key_of(text: str) -> tuple[str, str]:
    """``prefix.key`` → (kind, key), with the key unquoted and attribute names checked."""
    prefix, _, key = text.partition(".")
    kind = _PREFIXES.get(prefix.lower())
    if kind is None:
        raise _KeyProblem(f"unknown key type {prefix!r}")
    if len(key) >= 2 and key[0] == key[-1] and key[0] in "`\"":
        key = key[1:-1]
    if not key:
        raise _KeyProblem("empty key")
    if kind == ATTRIBUTE:
        key = _ATTRIBUTE_ALIASES.get(key, key)
        if key not in ATTRIBUTES:
            raise _KeyProblem(f"unknown attribute {key!r}")
    return kind, key


def _split_key(text: str, source: str, pos: int) -> tuple[str, str]:
    try:
        return _key_of(text)
    except _KeyProblem as problem:
        raise _error(source, pos, str(problem)) from None


def _is_numeric(kind: str, key: str) -> bool:
    return kind == METRIC or (kind == ATTRIBUTE and key in NUMERIC_ATTRIBUTES)


def _string_value(token: _Token) -> str:
    return token.text[1:-1]


def parse_filter(filter_string: str | None) -> list[Clause]:
    """Parse a filter into clauses (all must hold); raise InvalidInputError naming the
    fragment that does not parse and what is allowed."""
    if filter_string is None:
        return []
    if not isinstance(filter_string, str):
        raise InvalidInputError(
            f"filter_string {filter_string!r} must be a string such as \"metrics.rmse < 1 AND "
            f"params.model = 'Ridge'\", not {type(filter_string).__name__}; {_ALLOWED}")
    if not filter_string.strip():
        return []
    tokens = _tokenize(filter_string)
    clauses: list[Clause] = []
    i = 0

    def at(index: int) -> _Token | None:
        return tokens[index] if index < len(tokens) else None

    def fail(index: int, problem: str) -> InvalidInputError:
        token = at(index)
        return _error(filter_string, token.pos if token else len(filter_string), problem)

    while True:
        token = at(i)
        if token is None or token.kind != "ident":
            problem = "expected a key with a prefix" if token is None or token.kind != "word" \
                else f"key {token.text!r} needs a prefix"
            raise fail(i, problem)
        kind, key = _split_key(token.text, filter_string, token.pos)
        numeric = _is_numeric(kind, key)
        i += 1
        op_token = at(i)
        if op_token is None:
            raise fail(i, "expected an operator")
        op = op_token.text.upper()
        if op_token.kind == "word" and op == "NOT":
            nxt = at(i + 1)
            if nxt is None or nxt.text.upper() != "IN":
                raise fail(i, "expected IN after NOT")
            op, i = "NOT IN", i + 1
        elif op_token.kind not in ("op", "word"):
            raise fail(i, "expected an operator")
        op = {"==": "=", "<>": "!="}.get(op, op)
        allowed = NUMERIC_OPS if numeric else STRING_OPS
        if op not in allowed:
            raise fail(i, f"operator {op_token.text!r} is not allowed for {kind}.{key} "
                          f"(allowed: {' '.join(allowed)})")
        i += 1
        value: Any
        if op in ("IN", "NOT IN"):
            if (t := at(i)) is None or t.text != "(":
                raise fail(i, f"{op} takes a parenthesized list of quoted strings")
            items: list[str] = []
            i += 1
            while True:
                t = at(i)
                if t is None or t.kind != "string":
                    raise fail(i, f"{op} takes a parenthesized list of quoted strings")
                items.append(_string_value(t))
                t = at(i + 1)
                i += 2
                if t is not None and t.text == ")":
                    break
                if t is None or t.text != ",":
                    raise fail(i - 1, "expected ',' or ')'")
            value = tuple(items)
        else:
            t = at(i)
            if numeric:
                if t is None or t.kind != "number":
                    raise fail(i, f"{kind}.{key} compares with a number")
                value = float(t.text)
            else:
                if t is None or t.kind != "string":
                    raise fail(i, f"{kind}.{key} compares with a quoted string")
                value = _string_value(t)
            i += 1
        clauses.append(Clause(kind, key, op, value))
        t = at(i)
        if t is None:
            return clauses
        if t.kind == "word" and t.text.upper() == "AND":
            i += 1
            continue
        if t.kind == "word" and t.text.upper() == "OR":
            raise fail(i, "OR is not supported (only AND)")
        raise fail(i, "expected AND")


# ---------------------------------------------------------------------------- ordering
# MLflow's order_by grammar: one key, then optionally ASC or DESC (any case). The key is
# <prefix>.<name> (the name bare, in backquotes or in double quotes) or a bare attribute.
_ORDER_RE = re.compile(
    r"""\s*(?P<key>[A-Za-z_]\w*(?:\.(?:`[^`]+`|"[^"]+"|[\w.\-/:]+))?)"""
    r"(?:[ \t]+(?P<dir>ASC|DESC))?\s*",
    re.IGNORECASE,
)
ORDER_BY_GRAMMAR = (
    "expected '<key> [ASC|DESC]' where key is metrics.<name>, params.<name>, tags.<name> "
    "(a name holding spaces or other characters in `backquotes`) or attributes.<name> / a "
    "bare attribute (" + ", ".join(ATTRIBUTES) + ")"
)


def parse_order_by(order_by: Sequence[str] | None) -> list[OrderKey]:
    """``"metrics.rmse DESC"``, ``"params.x ASC"``, ``"attributes.start_time"`` or a bare
    attribute name such as ``"start_time"``; ascending unless DESC. Anything else (a second
    clause, a direction other than ASC/DESC, SQL) is InvalidInputError naming the entry."""
    if order_by is None:
        return []
    if isinstance(order_by, (str, bytes)) or not isinstance(order_by, Iterable):
        raise InvalidInputError(
            f"order_by {order_by!r} must be a list of strings such as "
            f"[\"metrics.rmse DESC\"]; {ORDER_BY_GRAMMAR}")
    keys: list[OrderKey] = []
    for item in order_by:
        match = _ORDER_RE.fullmatch(item) if isinstance(item, str) else None
        if match is None:
            raise InvalidInputError(f"invalid order_by entry {item!r}: {ORDER_BY_GRAMMAR}")
        text = match.group("key")
        if "." not in text:
            text = "attributes." + text
        try:
            kind, key = _key_of(text)
        except _KeyProblem as problem:
            raise InvalidInputError(
                f"invalid order_by entry {item!r}: {problem}; {ORDER_BY_GRAMMAR}") from None
        keys.append(OrderKey(kind, key, (match.group("dir") or "ASC").upper() == "ASC"))
    return keys
