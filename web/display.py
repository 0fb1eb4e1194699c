"""How values read on a page: times in the shop's time zone, plain words for codes.

Registered as Jinja filters, so templates never format dates or translate codes themselves.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask, current_app
from markupsafe import Markup, escape

from hub import clock
from hub.redact import redact_mapping

#: Audit outcomes in the words a shop owner uses, and the tone they are shown in.
OUTCOMES: dict[str, tuple[str, str]] = {
    "accepted": ("Received", "ok"),
    "duplicate": ("Repeat ignored", "muted"),
    "rejected": ("Refused", "bad"),
    "delivered": ("Sent", "ok"),
    "retrying": ("Will retry", "warn"),
    "retry": ("Will retry", "warn"),
    "dead": ("Failed for good", "bad"),
    "failed": ("Failed", "bad"),
    "error": ("Error", "bad"),
    "ok": ("Done", "ok"),
    "skipped": ("Skipped", "muted"),
    "cancelled": ("Cancelled", "muted"),
    "waiting": ("Waiting", "warn"),
    "pending": ("Waiting to send", "warn"),
    "unknown": ("Unclear", "warn"),
    "paced": ("Held back", "muted"),
    "replayed": ("Sent again", "ok"),
    "completed": ("Done", "ok"),
    "running": ("Running", "warn"),
    "refused": ("Not sent: no consent", "muted"),
    "queued": ("Queued", "muted"),
    "ignored": ("Nothing to do", "muted"),
}

ACTORS = {
    "webhook": "A service sent it", "poll": "Fetched on schedule", "recipe": "A recipe",
    "delivery": "Sending", "user": "A person", "system": "The hub",
}


def _zone() -> ZoneInfo:
    return ZoneInfo(current_app.extensions["hub"].settings.timezone)


def parse(value: str | datetime | None) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value
    try:
        return clock.parse_iso(value)
    except ValueError:
        return None


def when(value: str | datetime | None) -> Markup:
    """``<time>`` in the shop's time zone, e.g. "Fri 20 Nov, 09:00"."""
    moment = parse(value)
    if moment is None:
        return Markup("—")
    local = moment.astimezone(_zone())
    now = clock.now().astimezone(_zone())
    fmt = "%a %d %b, %H:%M" if local.year == now.year else "%d %b %Y, %H:%M"
    return Markup('<time datetime="{}">{}</time>').format(clock.iso(moment), local.strftime(fmt))


def ago(value: str | datetime | None) -> str:
    moment = parse(value)
    if moment is None:
        return "never"
    seconds = (clock.now() - moment).total_seconds()
    if seconds < 0:
        return "in " + _span(-seconds)
    if seconds < 45:
        return "just now"
    return _span(seconds) + " ago"


def _span(seconds: float) -> str:
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            count = round(seconds / size)
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return f"{round(seconds)} seconds"


def outcome_label(outcome: str) -> str:
    return OUTCOMES.get(outcome, (outcome.replace("-", " ").capitalize(), "muted"))[0]


def outcome_tone(outcome: str) -> str:
    return OUTCOMES.get(outcome, ("", "muted"))[1]


def badge(outcome: str) -> Markup:
    return Markup('<span class="badge badge-{}">{}</span>').format(
        outcome_tone(outcome), outcome_label(outcome))


def pretty_json(value: Any) -> str:
    """Technical detail for the curious, secrets masked by name and by value."""
    if isinstance(value, (bytes, bytearray)):
        try:
            value = json.loads(value)
        except ValueError:
            return value.decode("utf-8", "replace")
    return json.dumps(redact_mapping(value), indent=2, ensure_ascii=False, sort_keys=False)


def money(value: Any, currency: str | None = None) -> str:
    if value in (None, ""):
        return "—"
    try:
        text = f"{float(value):,.2f}"
    except (TypeError, ValueError):
        text = str(value)
    return f"{text} {currency}" if currency else text


def event_words(name: str | None) -> str:
    """``checkout.updated`` → "Checkout updated"."""
    if not name:
        return ""
    return name.replace(".", " ").replace("_", " ").capitalize()


def nl2br(text: str) -> Markup:
    return Markup("<br>").join(escape(text).split("\n"))


def init_app(app: Flask) -> None:
    for name, function in {
        "when": when, "ago": ago, "outcome_label": outcome_label, "outcome_tone": outcome_tone,
        "badge": badge, "pretty_json": pretty_json, "money": money, "event_words": event_words,
        "nl2br": nl2br,
    }.items():
        app.add_template_filter(function, name)
    app.jinja_env.globals["ACTORS"] = ACTORS
    app.jinja_env.globals["OUTCOMES"] = OUTCOMES
