"""The simulated shop's data: a small catalogue, builders for checkouts and orders, and the
REST list semantics (filters, ``page_info`` cursors) the Admin API applies to them.

Records use the REST shapes of ``tests/fixtures/shopify`` exactly: ids are integers, money is
a decimal string, timestamps carry the shop's UTC offset (``2026-11-20T09:12:40-05:00``).
"""

from __future__ import annotations

import base64
import itertools
import json
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Iterable, Mapping
from zoneinfo import ZoneInfo

from hub import clock

SHOP_TZ = ZoneInfo("America/New_York")
MAX_LIMIT = 250
DEFAULT_LIMIT = 50


@dataclass(frozen=True)
class Variant:
    product_id: int
    variant_id: int
    title: str
    variant_title: str
    sku: str
    price: str


CATALOG: tuple[Variant, ...] = (
    Variant(8840001001, 44120001001, "Linen Wrap Dress", "Blue / M", "LWD-BLU-M", "128.00"),
    Variant(8840001002, 44120001002, "Straw Tote", "Natural", "ST-NAT", "48.00"),
    Variant(8840001003, 44120001003, "Silk Scarf", "Coral", "SS-COR", "65.00"),
)

_ids = itertools.count(1)


def next_id(base: int) -> int:
    """A new 14-digit id (Shopify ids are 64-bit integers; never floats)."""
    return base + next(_ids)


def shop_time(moment: datetime | None = None) -> str:
    """A timestamp as Shopify's REST API writes it: local time with the shop's offset."""
    return (moment or clock.now()).astimezone(SHOP_TZ).isoformat(timespec="seconds")


def line_item(variant: Variant, quantity: int = 1, price: str | None = None) -> dict[str, Any]:
    unit = Decimal(price or variant.price)
    return {
        "id": next_id(51120100000), "variant_id": variant.variant_id,
        "product_id": variant.product_id, "title": variant.title,
        "variant_title": variant.variant_title, "sku": variant.sku, "quantity": quantity,
        "price": f"{unit:.2f}", "line_price": f"{unit * quantity:.2f}", "vendor": "Northwind",
        "requires_shipping": True, "taxable": True,
    }


def _total(items: Iterable[Mapping[str, Any]]) -> str:
    return f"{sum((Decimal(i['line_price']) for i in items), Decimal('0')):.2f}"


def make_checkout(*, shop_domain: str, email: str | None, phone: str | None,
                  items: list[dict[str, Any]], customer: Mapping[str, Any] | None = None,
                  token: str | None = None, cart_token: str | None = None,
                  at: datetime | None = None) -> dict[str, Any]:
    """An abandoned-checkout record (``checkouts.json`` / ``checkouts/create`` shape)."""
    token = token or base64.b16encode(next_id(0).to_bytes(16, "big")).decode().lower()
    stamp = shop_time(at)
    total = _total(items)
    return {
        "id": next_id(32109876600000), "token": token,
        "cart_token": cart_token or f"sim-cart-{token[:12]}", "email": email, "phone": phone,
        "gateway": None, "buyer_accepts_marketing": True, "created_at": stamp,
        "updated_at": stamp, "completed_at": None, "landing_site": "/", "note": None,
        "source_name": "web", "currency": "USD", "presentment_currency": "USD",
        "subtotal_price": total, "total_tax": "0.00", "total_discounts": "0.00",
        "total_line_items_price": total, "total_price": total,
        "abandoned_checkout_url":
            f"https://{shop_domain}/59581317309/checkouts/ac/{token}/recover?key=4c3f2a",
        "line_items": items, "shipping_address": None,
        "customer": dict(customer) if customer else None,
    }


def make_order(*, email: str | None, phone: str | None, items: list[dict[str, Any]],
               customer: Mapping[str, Any] | None = None, checkout_token: str | None = None,
               cart_token: str | None = None, source_name: str = "web",
               location_id: int | None = None, at: datetime | None = None) -> dict[str, Any]:
    """An order record (``orders.json`` / ``orders/create`` shape); ``pos`` for in store."""
    order_id = next_id(5801234600000)
    number = 1100 + next(_ids)
    stamp = shop_time(at)
    total = _total(items)
    order = {
        "id": order_id, "admin_graphql_api_id": f"gid://shopify/Order/{order_id}",
        "name": f"#{number}", "order_number": number, "email": email or "",
        "contact_email": email, "phone": phone, "created_at": stamp, "processed_at": stamp,
        "updated_at": stamp, "currency": "USD", "financial_status": "paid",
        "fulfillment_status": None, "source_name": source_name, "location_id": location_id,
        "checkout_token": checkout_token, "cart_token": cart_token, "subtotal_price": total,
        "total_tax": "0.00", "total_discounts": "0.00", "total_price": total,
        "current_total_price": total, "buyer_accepts_marketing": True, "cancelled_at": None,
        "closed_at": None, "line_items": items,
        "customer": dict(customer) if customer else None,
    }
    if source_name == "pos":
        order.update(user_id=109876543, device_id=4242)
    return order


def seed_checkouts(shop_domain: str) -> list[dict[str, Any]]:
    """The fixtures' two open checkouts (Maya Lopez, then Jordan Kim), same ids and times."""
    maya = {"id": 7212345678901, "email": "maya.lopez@example.com", "phone": "+14155550142",
            "first_name": "Maya", "last_name": "Lopez"}
    jordan = {"id": 7212345670000, "email": "jordan.kim@example.com", "phone": None,
              "first_name": "Jordan", "last_name": "Kim"}
    address = {"first_name": "Maya", "last_name": "Lopez", "address1": "410 Valencia St",
               "city": "San Francisco", "province": "California", "province_code": "CA",
               "country": "United States", "country_code": "US", "zip": "94103",
               "phone": "(415) 555-0142"}
    cart_token = "Z2NwLXVzLWVhc3QxOjAxSkZQN1dTQ0ZQUTdNQk1ZV1E4R1pSUTNF"
    records = []
    for (checkout_id, token, who, phone, variants, created, updated) in (
        (32109876543210, "5b9f3c2ad41e4f0e8c1b7a6d9e2f4a10", maya, "(415) 555-0142",
         CATALOG[:2], "2026-11-20T09:12:40-05:00", "2026-11-20T09:14:02-05:00"),
        (32109876541111, "7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d", jordan, None,
         CATALOG[2:], "2026-11-20T11:29:00-05:00", "2026-11-20T11:30:00-05:00"),
    ):
        items = [line_item(v) for v in variants]
        for item, variant in zip(items, variants):
            item["id"] = 51120000000 + variant.variant_id % 10000  # 51120001001, …
        record = make_checkout(shop_domain=shop_domain, email=who["email"], phone=phone,
                               items=items, customer=who, token=token, cart_token=cart_token,
                               at=clock.parse_iso(created))
        record.update(id=checkout_id, created_at=created, updated_at=updated,
                      landing_site="/products/linen-wrap-dress", shipping_address=address)
        records.append(record)
    return records


# -- listing: filters and cursors ----------------------------------------------------------------
class ListError(ValueError):
    """A list request Shopify would refuse (400); the text names the parameter."""


FILTERS = ("status", "since_id", "created_at_min", "created_at_max", "updated_at_min",
           "updated_at_max")


def encode_page_info(cursor: Mapping[str, Any]) -> str:
    raw = json.dumps(dict(cursor), separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_page_info(token: str) -> dict[str, Any]:
    try:
        data = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (ValueError, json.JSONDecodeError):
        raise ListError("Invalid value for page_info") from None
    if not isinstance(data, dict) or data.get("direction") not in ("next", "prev"):
        raise ListError("Invalid value for page_info")
    return data


def _sort_key(record: Mapping[str, Any]) -> tuple[datetime, int]:
    return clock.parse_iso(record["created_at"]), int(record["id"])


def _status_ok(kind: str, record: Mapping[str, Any], status: str) -> bool:
    if kind == "checkouts":
        completed = record.get("completed_at") is not None
        return {"open": not completed, "closed": completed}.get(status, True)
    closed, cancelled = record.get("closed_at"), record.get("cancelled_at")
    return {"open": not closed and not cancelled, "closed": bool(closed),
            "cancelled": bool(cancelled)}.get(status, True)


def filter_records(kind: str, records: Iterable[Mapping[str, Any]],
                   filters: Mapping[str, str]) -> list[Mapping[str, Any]]:
    """Apply the REST filters; ``status`` defaults to ``open`` for checkouts and orders."""
    status = filters.get("status", "open")
    if status not in ("open", "closed", "any") + (("cancelled",) if kind == "orders" else ()):
        raise ListError(f"Invalid value for status: {status}")
    bounds = {}
    for name in ("created_at_min", "created_at_max", "updated_at_min", "updated_at_max"):
        if name in filters:
            try:
                bounds[name] = clock.parse_iso(filters[name])
            except ValueError:
                raise ListError(f"Invalid value for {name}: {filters[name]}") from None
    since_id = filters.get("since_id")
    if since_id is not None and not since_id.isdigit():
        raise ListError(f"Invalid value for since_id: {since_id}")
    result = []
    for record in records:
        if not _status_ok(kind, record, status):
            continue
        if since_id is not None and int(record["id"]) <= int(since_id):
            continue
        created = clock.parse_iso(record["created_at"])
        updated = clock.parse_iso(record["updated_at"])
        if ("created_at_min" in bounds and created < bounds["created_at_min"]) or (
                "created_at_max" in bounds and created > bounds["created_at_max"]) or (
                "updated_at_min" in bounds and updated < bounds["updated_at_min"]) or (
                "updated_at_max" in bounds and updated > bounds["updated_at_max"]):
            continue
        result.append(record)
    return sorted(result, key=_sort_key)


@dataclass(frozen=True)
class Page:
    items: list[Mapping[str, Any]]
    next_cursor: dict[str, Any] | None
    prev_cursor: dict[str, Any] | None


def page_of(records: list[Mapping[str, Any]], limit: int,
            cursor: Mapping[str, Any] | None, filters: Mapping[str, str]) -> Page:
    """One page of ``records`` (already filtered and sorted) after/before ``cursor``.

    A cursor remembers the filters of the first request, which is why a request carrying
    ``page_info`` may not repeat them (vendor-apis.md, Shopify pagination).
    """
    keys = [_sort_key(r) for r in records]
    if cursor is None:
        start, end = 0, min(limit, len(records))
    else:
        mark = (clock.parse_iso(cursor["last_value"]), int(cursor["last_id"]))
        if cursor["direction"] == "next":
            start = next((i for i, k in enumerate(keys) if k > mark), len(records))
            end = min(start + limit, len(records))
        else:
            end = next((i for i, k in enumerate(keys) if k >= mark), len(records))
            start = max(0, end - limit)
    items = records[start:end]

    def cursor_at(record: Mapping[str, Any], direction: str) -> dict[str, Any]:
        return {"last_id": record["id"], "last_value": record["created_at"],
                "direction": direction, **({"filters": dict(filters)} if filters else {})}

    next_cursor = cursor_at(items[-1], "next") if items and end < len(records) else None
    prev_cursor = cursor_at(items[0], "prev") if items and start > 0 else None
    return Page(items, next_cursor, prev_cursor)
