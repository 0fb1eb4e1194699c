"""Klaviyo's JSON:API request shapes, checked the way Klaviyo answers: a list of problems, each
with the JSON pointer of the offending field (fixture ``klaviyo/error_400.json``).

Only what the hub sends is modelled: create event, profile import and the two subscription
bulk jobs (``docs/vendor-apis.md``, Klaviyo).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Iterator, Mapping

import phonenumbers

from hub import clock

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")
PHONE_HINT = ("Invalid phone number format (Example of a valid phone number format: "
              "+12345678901)")
MAX_PROPERTIES = 300
MAX_FIELD_BYTES = 100 * 1024
MAX_ARRAY_ITEMS = 4000
MAX_DEPTH = 10
PROFILE_IDS = ("email", "phone_number", "external_id")


@dataclass(frozen=True)
class Problem:
    detail: str
    pointer: str


def is_e164(value: Any) -> bool:
    if not isinstance(value, str) or not re.fullmatch(r"\+[1-9]\d{6,14}", value):
        return False
    try:
        return phonenumbers.is_valid_number(phonenumbers.parse(value))
    except phonenumbers.NumberParseException:
        return False


def _object(container: Mapping[str, Any], key: str, pointer: str
            ) -> tuple[Mapping[str, Any] | None, list[Problem]]:
    value = container.get(key)
    if value is None:
        return None, [Problem(f"'{key}' is a required field.", f"{pointer}/{key}")]
    if not isinstance(value, Mapping):
        return None, [Problem(f"'{key}' must be an object.", f"{pointer}/{key}")]
    return value, []


def _resource(body: Any, kind: str) -> tuple[Mapping[str, Any] | None, list[Problem]]:
    """``{"data": {"type": kind, "attributes": {…}}}`` → the attributes, or problems."""
    if not isinstance(body, Mapping):
        return None, [Problem("The request body must be a JSON object.", "/data")]
    data, problems = _object(body, "data", "")
    if data is None:
        return None, problems
    if data.get("type") != kind:
        return None, [Problem(f"Invalid type. Expected '{kind}'.", "/data/type")]
    attributes, problems = _object(data, "attributes", "/data")
    return attributes, problems


def _identity(attributes: Mapping[str, Any], pointer: str, *, has_id: bool) -> list[Problem]:
    problems = []
    email, phone = attributes.get("email"), attributes.get("phone_number")
    if email is not None and (not isinstance(email, str) or not EMAIL.match(email)):
        problems.append(Problem("Invalid email address", f"{pointer}/email"))
    if phone is not None and not is_e164(phone):
        problems.append(Problem(PHONE_HINT, f"{pointer}/phone_number"))
    if not has_id and not any(attributes.get(k) for k in PROFILE_IDS):
        problems.append(Problem("A profile identifier is required: email, phone_number, "
                                "external_id or id.", pointer))
    return problems


def _sizes(value: Any, pointer: str, depth: int = 1) -> Iterator[Problem]:
    if depth > MAX_DEPTH:
        yield Problem(f"Nesting deeper than {MAX_DEPTH} levels.", pointer)
        return
    if isinstance(value, str) and len(value.encode()) > MAX_FIELD_BYTES:
        yield Problem("Field larger than 100 kB.", pointer)
    elif isinstance(value, list):
        if len(value) > MAX_ARRAY_ITEMS:
            yield Problem(f"Array longer than {MAX_ARRAY_ITEMS} items.", pointer)
        for index, item in enumerate(value):
            yield from _sizes(item, f"{pointer}/{index}", depth + 1)
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield from _sizes(item, f"{pointer}/{key}", depth + 1)


def _timestamp(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return clock.parse_iso(value)
    except ValueError:
        return None


def validate_event(body: Any) -> list[Problem]:
    """``POST /api/events/``: properties, metric name and a profile identifier required."""
    attributes, problems = _resource(body, "event")
    if attributes is None:
        return problems
    base = "/data/attributes"
    properties = attributes.get("properties")
    if properties is None:
        problems.append(Problem("'properties' is a required field.", f"{base}/properties"))
    elif not isinstance(properties, Mapping):
        problems.append(Problem("'properties' must be an object.", f"{base}/properties"))
    else:
        if len(properties) > MAX_PROPERTIES:
            problems.append(Problem(f"More than {MAX_PROPERTIES} properties.",
                                    f"{base}/properties"))
        problems += list(_sizes(properties, f"{base}/properties"))
    metric, found = _object(attributes, "metric", base)
    problems += found
    if metric is not None:
        data, found = _object(metric, "data", f"{base}/metric")
        problems += found
        if data is not None:
            name = (data.get("attributes") or {}).get("name") if isinstance(
                data.get("attributes"), Mapping) else None
            if data.get("type") != "metric":
                problems.append(Problem("Invalid type. Expected 'metric'.",
                                        f"{base}/metric/data/type"))
            if not isinstance(name, str) or not name.strip():
                problems.append(Problem("'name' is a required field.",
                                        f"{base}/metric/data/attributes/name"))
    profile, found = _object(attributes, "profile", base)
    problems += found
    if profile is not None:
        data, found = _object(profile, "data", f"{base}/profile")
        problems += found
        if data is not None:
            if data.get("type") != "profile":
                problems.append(Problem("Invalid type. Expected 'profile'.",
                                        f"{base}/profile/data/type"))
            who = data.get("attributes") if isinstance(data.get("attributes"), Mapping) else {}
            problems += _identity(who, f"{base}/profile/data/attributes",
                                  has_id=bool(data.get("id") or who.get("id")))
    if "time" in attributes and _timestamp(attributes["time"]) is None:
        problems.append(Problem("'time' must be an ISO 8601 datetime.", f"{base}/time"))
    if "value" in attributes and (isinstance(attributes["value"], bool) or not isinstance(
            attributes["value"], (int, float))):
        problems.append(Problem("'value' must be a number.", f"{base}/value"))
    if "unique_id" in attributes and not isinstance(attributes["unique_id"], str):
        problems.append(Problem("'unique_id' must be a string.", f"{base}/unique_id"))
    return problems


def validate_profile(body: Any) -> list[Problem]:
    """``POST /api/profile-import/``: one profile with at least one identifier."""
    attributes, problems = _resource(body, "profile")
    if attributes is None:
        return problems
    has_id = bool(body["data"].get("id") or attributes.get("id"))
    problems += _identity(attributes, "/data/attributes", has_id=has_id)
    for key in ("properties", "location"):
        if key in attributes and not isinstance(attributes[key], Mapping):
            problems.append(Problem(f"'{key}' must be an object.", f"/data/attributes/{key}"))
    return problems


def validate_subscription_job(body: Any, subscribe: bool) -> list[Problem]:
    """The bulk subscribe / unsubscribe jobs: each profile, its channels and consent."""
    kind = "profile-subscription-bulk-create-job" if subscribe else \
        "profile-subscription-bulk-delete-job"
    attributes, problems = _resource(body, kind)
    if attributes is None:
        return problems
    profiles, found = _object(attributes, "profiles", "/data/attributes")
    if profiles is None:
        return problems + found
    rows = profiles.get("data")
    if not isinstance(rows, list) or not rows:
        return [Problem("'data' must be a non-empty list of profiles.",
                        "/data/attributes/profiles/data")]
    historical = bool(attributes.get("historical_import")) if subscribe else False
    for index, row in enumerate(rows):
        problems += _subscription_row(row, f"/data/attributes/profiles/data/{index}",
                                      subscribe, historical)
    return problems


def _subscription_row(row: Any, pointer: str, subscribe: bool,
                      historical: bool) -> list[Problem]:
    if not isinstance(row, Mapping) or row.get("type") != "profile":
        return [Problem("Invalid type. Expected 'profile'.", f"{pointer}/type")]
    attributes = row.get("attributes")
    if not isinstance(attributes, Mapping):
        return [Problem("'attributes' is a required field.", f"{pointer}/attributes")]
    base = f"{pointer}/attributes"
    problems = [p for p in _identity(attributes, base, has_id=True)]
    if not attributes.get("email") and not attributes.get("phone_number"):
        problems.append(Problem("Each profile needs an email or a phone_number.", base))
    subscriptions = attributes.get("subscriptions")
    if subscriptions is None:
        if subscribe:
            problems.append(Problem("'subscriptions' is a required field.",
                                    f"{base}/subscriptions"))
        return problems
    if not isinstance(subscriptions, Mapping) or not subscriptions:
        return problems + [Problem("'subscriptions' must name a channel.",
                                   f"{base}/subscriptions")]
    wanted = "SUBSCRIBED" if subscribe else "UNSUBSCRIBED"
    for channel, block in subscriptions.items():
        where = f"{base}/subscriptions/{channel}"
        if channel not in ("email", "sms"):
            problems.append(Problem(f"Unknown channel '{channel}'.", where))
            continue
        marketing = block.get("marketing") if isinstance(block, Mapping) else None
        if not isinstance(marketing, Mapping) or marketing.get("consent") != wanted:
            problems.append(Problem(f"'consent' must be '{wanted}'.",
                                    f"{where}/marketing/consent"))
            continue
        needed = "email" if channel == "email" else "phone_number"
        if not attributes.get(needed):
            problems.append(Problem(f"A {channel} subscription needs '{needed}'.",
                                    f"{base}/{needed}"))
        if historical and _timestamp(marketing.get("consented_at")) is None:
            problems.append(Problem("'consented_at' is required for a historical import.",
                                    f"{where}/marketing/consented_at"))
    return problems


def subscription_channels(row: Mapping[str, Any]) -> list[str]:
    """The channels a (valid) job row changes; no block means every identifier given."""
    attributes = row["attributes"]
    if attributes.get("subscriptions"):
        return list(attributes["subscriptions"])
    return [c for c, k in (("email", "email"), ("sms", "phone_number")) if attributes.get(k)]
