"""Canonical events: the small vocabulary every adapter emits and every recipe listens to.

A recipe written for ``wishlist.product_added`` works with any wishlist app because adapters
translate vendor payloads into these names (after the widely used e-commerce tracking specs)
and keep the vendor's raw payload alongside. Each name has a JSON Schema under
``hub/schemas/events/v1/``; ``validate_event`` checks an event against it.

This module imports nothing from the project: adapters may depend on it, nothing else.
"""

from __future__ import annotations

import email.utils
import json
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any

SCHEMA_VERSION = "v1"
SCHEMA_DIR = Path(__file__).parent / "schemas" / "events" / SCHEMA_VERSION
#: The file of shared ``$defs`` (envelope, customer, line item…) every event schema refers to.
COMMON_SCHEMA = "common"

#: name -> when it fires. Kept in step with the schema files by ``tests/hub/test_events.py``.
EVENT_NAMES: dict[str, str] = {
    "customer.created": "A customer account was created in a channel.",
    "customer.updated": "A customer's details (name, email, phone) changed in a channel.",
    "cart.updated": "A shopper's cart changed (items added, removed, quantities).",
    "checkout.started": "A shopper began checkout; the cart now has an identity.",
    "checkout.updated": "A checkout changed (items, contact details) without being paid.",
    "order.completed": "An order was placed, online or in store.",
    "order.paid": "An order's payment was captured.",
    "order.cancelled": "An order was cancelled.",
    "order.refunded": "An order was refunded, fully or partly.",
    "wishlist.product_added": "A product was added to a shopper's wishlist.",
    "wishlist.product_removed": "A product was removed from a shopper's wishlist.",
    "product.price_changed": "A product variant's price changed from the last price seen.",
    "sms.received": "A customer sent an SMS to the shop's number.",
    "consent.changed": "A customer's marketing consent for a channel changed.",
    "message.status_updated": "A vendor reported the fate of a message the hub sent.",
}


class EventInvalid(ValueError):
    """A canonical event does not match its schema; the message says where and why."""


@dataclass(frozen=True)
class CustomerRef:
    """Who an event is about, as far as the vendor said: any field may be missing.

    ``external_ids`` maps a vendor to that vendor's own customer id (``{"shopify": "72…"}``).
    Phone numbers are passed on as the vendor wrote them; the profile layer normalises them.
    """

    email: str | None = None
    phone: str | None = None
    external_ids: dict[str, str] = field(default_factory=dict)
    first_name: str | None = None
    last_name: str | None = None

    def is_empty(self) -> bool:
        return not (self.email or self.phone or self.external_ids)


@dataclass(frozen=True)
class CanonicalEvent:
    """One thing that happened, in the hub's own words.

    ``key`` names the object the event is about (a checkout token, an order id) so that a
    later event can refer back to it, e.g. an order cancelling the wait its checkout started.
    ``channel`` is ``online``, ``in_store``, ``email``, ``sms``, ``crm`` or ``wishlist``.
    """

    name: str
    occurred_at: str
    data: dict[str, Any]
    customer: CustomerRef = field(default_factory=CustomerRef)
    key: str | None = None
    channel: str | None = None
    source: str | None = None
    raw: Any = None

    def to_dict(self, *, with_raw: bool = False) -> dict[str, Any]:
        data = asdict(self)
        if not with_raw:
            data.pop("raw")
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "CanonicalEvent":
        data = dict(data)
        data["customer"] = CustomerRef(**(data.get("customer") or {}))
        return cls(**data)


@lru_cache(maxsize=None)
def event_schema(name: str) -> dict[str, Any]:
    path = SCHEMA_DIR / f"{name}.json"
    if name not in EVENT_NAMES or not path.exists():
        raise EventInvalid(f"unknown canonical event {name!r}")
    return json.loads(path.read_text())


@lru_cache(maxsize=None)
def _validator(name: str) -> Any:
    """A validator for one event, with the shared ``common.json`` resolvable by ``$ref``."""
    import jsonschema
    from referencing import Registry, Resource

    common = json.loads((SCHEMA_DIR / f"{COMMON_SCHEMA}.json").read_text())
    registry: Registry = Registry().with_resource(common["$id"], Resource.from_contents(common))
    return jsonschema.Draft202012Validator(
        event_schema(name), registry=registry,
        format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER,
    )


def validate_event(event: CanonicalEvent) -> None:
    """Raise ``EventInvalid`` unless ``event`` matches the schema of its name."""
    validator = _validator(event.name) if event.name in EVENT_NAMES else None
    if validator is None:
        raise EventInvalid(f"unknown canonical event {event.name!r}")
    errors = sorted(validator.iter_errors(event.to_dict()), key=lambda e: list(e.path))
    if errors:
        first = errors[0]
        where = "/".join(str(p) for p in first.path) or "(event)"
        raise EventInvalid(f"{event.name}: {where}: {first.message}")


def utc_iso(value: str | int | float | datetime) -> str:
    """Any vendor timestamp as the hub's sortable UTC form ``2026-11-20T14:00:05.000000Z``.

    Vendors write time many ways: ISO 8601 with an offset (Shopify), with nanoseconds
    (Shopify's ``X-Shopify-Triggered-At``), RFC 2822 (Twilio), epoch milliseconds (HubSpot).
    Canonical events carry one form so that comparing strings compares instants.
    """
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        moment = datetime.fromtimestamp(value / 1000 if value > 1e11 else value, timezone.utc)
    elif isinstance(value, str) and value.strip():
        moment = _parse_text_time(value.strip())
    else:
        raise ValueError(f"not a timestamp: {value!r}")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _parse_text_time(text: str) -> datetime:
    if text.isdigit():
        number = int(text)
        return datetime.fromtimestamp(number / 1000 if number > 1e11 else number, timezone.utc)
    iso = text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text
    head, dot, rest = iso.partition(".")
    if dot:  # trim sub-microsecond digits (Shopify sends nanoseconds)
        digits = len(rest) - len(rest.lstrip("0123456789"))
        iso = f"{head}.{rest[:min(digits, 6)]}{rest[digits:]}"
    try:
        return datetime.fromisoformat(iso)
    except ValueError:
        pass
    try:
        return email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        raise ValueError(f"not a timestamp: {text!r}") from None
