"""Canonical events: the small vocabulary every adapter emits and every recipe listens to.

A recipe written for ``wishlist.product_added`` works with any wishlist app because adapters
translate vendor payloads into these names (after the widely used e-commerce tracking specs)
and keep the vendor's raw payload alongside. Each name has a JSON Schema under
``hub/schemas/events/v1/``; ``validate_event`` checks an event against it.

This module imports nothing from the project: adapters may depend on it, nothing else.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

SCHEMA_VERSION = "v1"
SCHEMA_DIR = Path(__file__).parent / "schemas" / "events" / SCHEMA_VERSION

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


def validate_event(event: CanonicalEvent) -> None:
    """Raise ``EventInvalid`` unless ``event`` matches the schema of its name."""
    import jsonschema

    schema = event_schema(event.name)
    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(event.to_dict()), key=lambda e: list(e.path))
    if errors:
        first = errors[0]
        where = "/".join(str(p) for p in first.path) or "(event)"
        raise EventInvalid(f"{event.name}: {where}: {first.message}")
