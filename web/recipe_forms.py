"""A recipe's ``params`` JSON Schema as form fields, and a submitted form back to values.

The recipe author declares each parameter once (type, title, description, default, limits);
this module is the only place that turns that into inputs, so every recipe's form looks and
validates the same way. Values are then coerced and validated by ``hub.engine.instances``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from werkzeug.datastructures import MultiDict


@dataclass(frozen=True)
class ParamField:
    """One input of the form: what to render and how to label it."""

    name: str
    label: str
    widget: str  # number | text | textarea | select | checkbox | list
    help: str
    value: Any
    required: bool
    attrs: dict[str, str]
    choices: tuple[str, ...] = ()


def param_fields(schema_props: Mapping[str, Mapping[str, Any]],
                 values: Mapping[str, Any]) -> list[ParamField]:
    fields = []
    for name, spec in schema_props.items():
        kind = spec.get("type", "string")
        attrs: dict[str, str] = {}
        widget = "text"
        if "enum" in spec:
            widget = "select"
        elif kind == "boolean":
            widget = "checkbox"
        elif kind in ("number", "integer"):
            widget = "number"
            attrs["step"] = "1" if kind == "integer" else "any"
            for key, attr in (("minimum", "min"), ("maximum", "max")):
                if key in spec:
                    attrs[attr] = _plain(spec[key])
        elif kind == "array":
            widget = "list"
        elif spec.get("maxLength", 0) > 200 or spec.get("format") == "multiline":
            widget = "textarea"
        if kind == "string":
            for key, attr in (("minLength", "minlength"), ("maxLength", "maxlength")):
                if key in spec:
                    attrs[attr] = str(spec[key])
        value = values.get(name, spec.get("default"))
        fields.append(ParamField(
            name=name, label=spec.get("title") or name.replace("_", " ").capitalize(),
            widget=widget, help=_help(spec), value=_shown(value), required="default" not in spec,
            attrs=attrs, choices=tuple(str(c) for c in spec.get("enum", ())),
        ))
    return fields


def submitted_params(schema_props: Mapping[str, Mapping[str, Any]],
                     form: MultiDict) -> dict[str, str]:
    """Text values from the form, keyed by parameter (checkboxes read as on/off)."""
    raw: dict[str, str] = {}
    for name, spec in schema_props.items():
        key = f"param_{name}"
        if spec.get("type") == "boolean" and "enum" not in spec:
            raw[name] = "on" if "on" in form.getlist(key) else "off"
        elif key in form and form.get(key, "").strip() != "":
            raw[name] = form.get(key, "")
    return raw


def _help(spec: Mapping[str, Any]) -> str:
    parts = [spec.get("description", "").strip()]
    limits = []
    if "minimum" in spec:
        limits.append(f"at least {_plain(spec['minimum'])}")
    if "maximum" in spec:
        limits.append(f"at most {_plain(spec['maximum'])}")
    if limits:
        parts.append(" and ".join(limits).capitalize() + ".")
    if "default" in spec and spec.get("type") != "boolean":
        parts.append(f"Default: {_shown(spec['default'])}.")
    if spec.get("type") == "array":
        parts.append("Separate several with commas.")
    return " ".join(p for p in parts if p)


def _plain(number: Any) -> str:
    if isinstance(number, float) and number.is_integer():
        return str(int(number))
    return str(number)


def _shown(value: Any) -> Any:
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, float):
        return _plain(value)
    return value
