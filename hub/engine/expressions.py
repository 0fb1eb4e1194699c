"""Recipe values and conditions, evaluated in Jinja2's immutable sandbox.

A string that is exactly one ``{{ expression }}`` keeps the expression's native type (a
number stays a number, a list a list); any other string is rendered as text. Missing fields
are empty rather than errors (``event.data.email`` on an event without one is falsy), but a
real mistake — calling what is not callable, an unsafe attribute, dividing by zero — is an
``ExpressionError`` naming the expression, which the runner turns into a failed run.
"""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any, Mapping

from jinja2 import ChainableUndefined, TemplateError, TemplateSyntaxError, Undefined
from jinja2.sandbox import ImmutableSandboxedEnvironment

_SINGLE = re.compile(r"^\s*\{\{(?P<expr>(?:(?!\{\{|\}\}).)*)\}\}\s*$", re.DOTALL)


class ExpressionError(ValueError):
    """An expression could not be compiled or evaluated; the message says which and why."""

    def __init__(self, expression: str, reason: str) -> None:
        super().__init__(f"{reason} in {expression!r}")
        self.expression = expression
        self.reason = reason


def _money(value: Any, currency: str = "") -> str:
    """``49.0`` → ``49``, ``49.5`` → ``49.50``: how a price reads in a message."""
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return str(value)
    text = f"{amount:,.0f}" if amount == amount.to_integral_value() else f"{amount:,.2f}"
    return f"{text} {currency}".strip()


def _remap(value: Any, mapping: Mapping[str, str]) -> Any:
    """Rename fields: ``items | remap({"ProductName": "title"})`` → new dicts (lists too).

    The one tool a recipe needs to turn the hub's field names into a vendor's.
    """
    if isinstance(value, (list, tuple)):
        return [_remap(item, mapping) for item in value]
    if isinstance(value, Mapping):
        return {new: value.get(old) for new, old in mapping.items()}
    return value


def _timestamp(value: Any) -> str:
    """An instant as ISO 8601 to the second in UTC (``2026-11-20T16:14:02Z``)."""
    from hub import clock

    moment = value if isinstance(value, datetime) else clock.parse_iso(str(value))
    return moment.astimezone(clock.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class _RecipeEnvironment(ImmutableSandboxedEnvironment):
    """Dots read dict keys first, so ``event.data.items`` is the items, not ``dict.items``."""

    def getattr(self, obj: Any, attribute: str) -> Any:
        if isinstance(obj, Mapping) and attribute in obj:
            return obj[attribute]
        return super().getattr(obj, attribute)


def _make_env() -> ImmutableSandboxedEnvironment:
    env = _RecipeEnvironment(undefined=ChainableUndefined, autoescape=False)
    env.filters.update(money=_money, remap=_remap, timestamp=_timestamp)
    env.globals.update(range=range)
    return env


_ENV = _make_env()


@lru_cache(maxsize=2048)
def _compile_expression(expression: str):
    return _ENV.compile_expression(expression, undefined_to_none=True)


@lru_cache(maxsize=2048)
def _compile_template(text: str):
    return _ENV.from_string(text)


def is_template(value: Any) -> bool:
    return isinstance(value, str) and ("{{" in value or "{%" in value)


def check(value: Any) -> list[tuple[str, str]]:
    """Compile every expression inside ``value``; return (path, message) for each that fails."""
    problems: list[tuple[str, str]] = []

    def walk(item: Any, path: str) -> None:
        if isinstance(item, Mapping):
            for key, inner in item.items():
                walk(inner, f"{path}/{key}" if path else str(key))
        elif isinstance(item, list):
            for index, inner in enumerate(item):
                walk(inner, f"{path}/{index}")
        elif is_template(item):
            try:
                match = _SINGLE.match(item)
                if match:
                    _compile_expression(match["expr"].strip())
                else:
                    _compile_template(item)
            except TemplateSyntaxError as error:
                problems.append((path, f"expression {item!r} does not parse: {error.message}"))

    walk(value, "")
    return problems


def evaluate(value: Any, context: Mapping[str, Any]) -> Any:
    """Evaluate every expression inside ``value`` (dicts and lists recursively)."""
    if isinstance(value, Mapping):
        return {key: evaluate(inner, context) for key, inner in value.items()}
    if isinstance(value, list):
        return [evaluate(inner, context) for inner in value]
    if not is_template(value):
        return value
    match = _SINGLE.match(value)
    try:
        if match:
            result = _compile_expression(match["expr"].strip())(**context)
            return None if isinstance(result, Undefined) else _plain(result)
        return _compile_template(value).render(**context)
    except TemplateSyntaxError as error:
        raise ExpressionError(value, f"does not parse: {error.message}") from None
    except (TemplateError, TypeError, ValueError, ZeroDivisionError, AttributeError,
            KeyError, IndexError, OverflowError) as error:
        raise ExpressionError(value, f"{type(error).__name__}: {error}") from None


def truthy(value: Any, context: Mapping[str, Any]) -> bool:
    """A condition: an expression's value, or a rendered string that is not empty/false."""
    result = evaluate(value, context)
    if isinstance(result, str):
        return result.strip().lower() not in ("", "false", "0", "none", "no")
    return bool(result)


def _plain(value: Any) -> Any:
    """Turn what an expression produced into JSON-able data (tuples → lists, dates → ISO)."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return value
