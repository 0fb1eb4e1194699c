"""A small JSON-path mapping from an unknown service's payload to a canonical event's fields.

A mapping is a list of rules, one per line or separated by ``;``::

    occurred_at = $.created_at
    customer.email = $.buyer.email
    data.order_id = $.receipt.id : string
    data.total = $.receipt.total : number
    data.line_items[*].title = $.receipt.lines[*].name
    data.line_items[*].quantity = $.receipt.lines[*].qty : integer
    data.line_items[*].currency = USD
    channel = in_store

``TARGET`` is ``occurred_at``, ``key``, ``channel``, ``customer.<field>`` (``email``,
``phone``, ``first_name``, ``last_name``, ``external_ids.<system>``) or ``data.<field>…``; a
``[*]`` in the target builds a list, one element per element of a ``[*]`` source (a constant
is copied into every element). ``SOURCE`` is a JSON path (``$``, ``.name``, ``['name']``,
``[0]``, ``[*]``) or a constant (``null``, or any text). ``: TYPE`` converts the value:
``string``, ``number``, ``integer``, ``boolean`` or ``time`` (UTC, ``hub.events.utc_iso``).
A path that finds nothing leaves its field out, so one mapping can serve several topics
(each rule fills what its payload has); write ``null`` to set a field to null.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

from hub.events import utc_iso

CASTS = ("string", "number", "integer", "boolean", "time")
_TARGET_ROOTS = ("occurred_at", "key", "channel", "customer", "data")
_CUSTOMER_FIELDS = ("email", "phone", "first_name", "last_name", "external_ids")
_SEGMENT = re.compile(r"""\.([A-Za-z_][\w-]*)|\[(-?\d+)\]|\[(\*)\]|\[['"]([^'"]+)['"]\]""")
_WILD = "*"


class MappingInvalid(ValueError):
    """A mapping rule cannot be read, or a value cannot take the rule's type."""


@dataclass(frozen=True)
class Rule:
    """``target`` segments (``*`` marks the list level), a path or a constant, a type."""

    text: str
    target: tuple[str, ...]
    path: tuple[str | int, ...] | None
    constant: Any
    cast: str | None


def parse_path(text: str) -> tuple[str | int, ...]:
    """``$.a.b[0][*]['c d']`` → ``("a", "b", 0, "*", "c d")``; ``[-1]``: last; one ``[*]``."""
    if not text.startswith("$"):
        raise MappingInvalid(f"{text!r}: a path starts with $")
    rest, parts = text[1:], []
    while rest:
        match = _SEGMENT.match(rest)
        if not match:
            raise MappingInvalid(f"{text!r}: cannot read {rest!r}")
        name, index, wild, quoted = match.groups()
        parts.append(int(index) if index is not None else (wild or name or quoted))
        rest = rest[match.end():]
    if parts.count(_WILD) > 1:
        raise MappingInvalid(f"{text!r}: only one [*] per path")
    return tuple(parts)


def _parse_target(text: str) -> tuple[str, ...]:
    parts = tuple(text.replace("[*]", ".*").split("."))
    named = all(re.fullmatch(r"[A-Za-z_][\w-]*|\*", p) for p in parts)
    if not parts or parts[0] not in _TARGET_ROOTS or not named:
        roots = ", ".join(_TARGET_ROOTS)
        raise MappingInvalid(f"{text!r}: the target must start with one of {roots}")
    if parts[0] in ("occurred_at", "key", "channel") and len(parts) > 1:
        raise MappingInvalid(f"{text!r}: {parts[0]} has no fields")
    if parts[0] == "customer" and (len(parts) < 2 or parts[1] not in _CUSTOMER_FIELDS
                                   or (parts[1] == "external_ids") != (len(parts) == 3)):
        raise MappingInvalid(f"{text!r}: customer fields are {', '.join(_CUSTOMER_FIELDS)}"
                             " (external_ids.<system>)")
    if parts.count(_WILD) > 1 or parts[-1] == _WILD:
        raise MappingInvalid(f"{text!r}: one [*], followed by a field name")
    return parts


@lru_cache(maxsize=64)
def parse_rules(text: str) -> tuple[Rule, ...]:
    """Read a mapping; ``MappingInvalid`` names the first rule that cannot be read."""
    rules = []
    for raw in re.split(r"[;\n]", text or ""):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        target, sep, source = line.partition("=")
        if not sep:
            raise MappingInvalid(f"{line!r}: a rule is TARGET = SOURCE")
        source, cast = source.strip(), None
        head, colon, tail = source.rpartition(":")
        if colon and tail.strip() in CASTS:
            source, cast = head.strip(), tail.strip()
        path = parse_path(source) if source.startswith("$") else None
        constant = None if path is not None or source == "null" else source
        rule = Rule(line, _parse_target(target.strip()), path, constant, cast)
        if _WILD in (path or ()) and _WILD not in rule.target:
            raise MappingInvalid(f"{line!r}: a [*] path needs a [*] target")
        rules.append(rule)
    return tuple(rules)


def read_path(document: Any, path: tuple[str | int, ...]) -> Any:
    """The value at ``path`` (a list for a ``[*]`` path); None where the document has nothing."""
    if _WILD in path:
        at = path.index(_WILD)
        items = read_path(document, path[:at])
        if not isinstance(items, list):
            return None
        return [read_path(item, path[at + 1:]) for item in items]
    value = document
    for part in path:
        if isinstance(part, int) and isinstance(value, list) and -len(value) <= part < len(value):
            value = value[part]
        elif isinstance(part, str) and isinstance(value, dict):
            value = value.get(part)
        else:
            return None
    return value


def convert(value: Any, cast: str | None, rule: str = "") -> Any:
    if cast is None or value is None:
        return value
    try:
        if cast == "string":
            return value if isinstance(value, str) else str(value)
        if cast == "number":
            return float(Decimal(str(value)))
        if cast == "integer":
            return int(Decimal(str(value)))
        if cast == "boolean":
            if isinstance(value, bool):
                return value
            return str(value).strip().lower() in ("true", "1", "yes")
        return utc_iso(value)
    except (InvalidOperation, ValueError):
        raise MappingInvalid(f"{rule}: {value!r} is not a {cast}") from None


def apply_rules(rules: tuple[Rule, ...], payload: Any) -> dict[str, Any]:
    """Build ``{"occurred_at", "key", "channel", "customer", "data"}`` from ``payload``."""
    result: dict[str, Any] = {"customer": {}, "data": {}}
    lists = [r for r in rules if _WILD in r.target and r.path is not None and _WILD in r.path]
    copies = [r for r in rules if _WILD in r.target and r not in lists]
    for rule in (*[r for r in rules if _WILD not in r.target], *lists, *copies):
        value = read_path(payload, rule.path) if rule.path is not None else rule.constant
        if _WILD not in rule.target:
            if value is not None or rule.path is None:
                _put(result, rule.target, convert(value, rule.cast, rule.text))
            continue
        at = rule.target.index(_WILD)
        if rule in lists and value is None:
            continue  # the payload has no such list: leave the field out
        if rule in copies and not _list_at(result, rule.target[:at], create=False):
            continue  # a constant is copied into elements other rules made; it makes none
        items = _list_at(result, rule.target[:at])
        values = value if isinstance(value, list) else [value] * len(items)
        while len(items) < len(values):
            items.append({})
        for item, single in zip(items, values, strict=False):  # a shorter list fills fewer
            if single is not None or rule.path is None:
                _put(item, rule.target[at + 1:], convert(single, rule.cast, rule.text))
    return result


def _put(document: dict[str, Any], target: tuple[str, ...], value: Any) -> None:
    for part in target[:-1]:
        document = document.setdefault(part, {})
    document[target[-1]] = value


def _list_at(document: dict[str, Any], target: tuple[str, ...], *,
             create: bool = True) -> list[dict[str, Any]]:
    for part in target[:-1]:
        document = document.setdefault(part, {}) if create else document.get(part) or {}
    return document.setdefault(target[-1], []) if create else document.get(target[-1]) or []
