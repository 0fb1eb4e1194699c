"""Shopify: webhooks from the store (customers, carts, checkouts, orders, products) and polls.

Facts relied on (``docs/vendor-apis.md``, Shopify): the signature is base64 HMAC-SHA256 of
the raw body with the app's client secret in ``X-Shopify-Hmac-Sha256``; the topic is in
``X-Shopify-Topic``; ``X-Shopify-Event-Id`` is the same on every copy of one shop event and
``X-Shopify-Webhook-Id`` on every retry of one delivery, so together they are the dedupe key.
Money arrives as decimal strings and ids as 64-bit integers: events carry numbers and strings.
Shopify sends only the new state of a product, so a price change is found by comparing with
the last price the hub saw (kept in the connection's memory). The Admin REST API pages with
``Link`` headers; ``X-Shopify-Shop-Api-Call-Limit`` says how full the request bucket is.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from typing import Any, Callable

import requests

from adapters.base import (
    Adapter,
    Field,
    Memory,
    ParsedWebhook,
    PayloadInvalid,
    Poll,
    PollPage,
    RateLimit,
    Topic,
    WebhookRequest,
    parse_json_body,
    verify_base64_hmac,
)
from adapters.http import HttpClient, Outcome, default_error_text, failed
from adapters.pagination import PollFailed, json_list, next_link
from hub.events import CanonicalEvent, CustomerRef, utc_iso

Payload = dict[str, Any]

#: Re-read this much before the newest change seen, so a change stamped in the same second as
#: the last page is not missed; re-read items dedupe on their (id, updated_at) delivery id.
POLL_OVERLAP = timedelta(minutes=1)
PAGE_SIZE = 250  # Shopify's maximum
#: Stop a poll run (the next run continues from the stored page URL) when the REST bucket
#: has fewer free calls than this, instead of running into 429s.
CALL_LIMIT_RESERVE = 4


def shopify_error_text(response: requests.Response) -> str:
    """Shopify errors are ``{"errors": "text"}`` or ``{"errors": {"field": ["problem"]}}``."""
    try:
        errors = response.json().get("errors")
    except (ValueError, AttributeError):
        errors = None
    if isinstance(errors, dict):
        return "; ".join(f"{k}: {', '.join(map(str, v)) if isinstance(v, list) else v}"
                         for k, v in errors.items())
    if isinstance(errors, (str, list)):
        return errors if isinstance(errors, str) else "; ".join(map(str, errors))
    return default_error_text(response)


class ShopifyAdapter(Adapter):
    name = "shopify"
    title = "Shopify"
    description = ("Your online store and point of sale: customers, carts, checkouts, orders, "
                   "products.")
    auth_fields = (
        Field("webhook_secret", "Webhook signing secret", secret=True,
              help="The app's client secret (or the signing key shown under Settings → "
                   "Notifications → Webhooks). Shopify signs every webhook with it."),
        Field("shop_domain", "Shop domain", required=False,
              pattern=r"^[a-z0-9][a-z0-9-]*\.myshopify\.com$",
              placeholder="northwind-boutique.myshopify.com",
              help="Needed for polling and the connection test."),
        Field("access_token", "Admin API access token", secret=True, required=False,
              placeholder="shpat_…", help="From your custom app; needed for polling."),
        Field("api_version", "API version", required=False, default="2025-10",
              pattern=r"^\d{4}-\d{2}$"),
        Field("currency", "Shop currency", required=False, pattern=r"^[A-Z]{3}$",
              placeholder="USD", help="Carts and product webhooks do not name a currency."),
        Field("api_base_url", "Admin API base URL", required=False,
              pattern=r"^https?://[^\s]+$", placeholder="https://northwind-boutique.myshopify.com",
              help="Leave empty to use https://<shop domain>; set it to point at a simulator."),
    )
    topics = (
        Topic("customers/create", ("customer.created", "consent.changed")),
        Topic("customers/update", ("customer.updated", "consent.changed")),
        Topic("carts/create", ("cart.updated",)),
        Topic("carts/update", ("cart.updated",)),
        Topic("checkouts/create", ("checkout.started",)),
        Topic("checkouts/update", ("checkout.updated",)),
        Topic("orders/create", ("order.completed",)),
        Topic("orders/paid", ("order.paid",)),
        Topic("orders/cancelled", ("order.cancelled",)),
        Topic("products/create", ("product.price_changed",),
              "Records prices; a sale price below compare-at counts as a change."),
        Topic("products/update", ("product.price_changed",),
              "Variants whose price differs from the last price seen."),
    )
    polls = (
        Poll("abandoned_checkouts", "Abandoned checkouts", ("checkout.updated",), every_seconds=900,
             description="Open checkouts changed since the last run (catches missed webhooks)."),
        Poll("orders", "Orders", ("order.completed", "order.cancelled"), every_seconds=900,
             description="Orders changed since the last run, online and in store."),
    )
    # Leaky bucket of 40 leaking 2 per second on standard plans (docs/vendor-apis.md).
    rate_limits = (RateLimit(2, 1.0),)

    # -- inbound ---------------------------------------------------------------------------
    def verify_webhook(self, request: WebhookRequest) -> None:
        verify_base64_hmac(
            self.config["webhook_secret"], request.body,
            request.header("X-Shopify-Hmac-Sha256"), "X-Shopify-Hmac-Sha256 signature",
        )

    def parse_webhook(self, request: WebhookRequest) -> ParsedWebhook:
        topic = request.header("X-Shopify-Topic")
        if not topic:
            raise PayloadInvalid("missing X-Shopify-Topic header")
        self.topic(topic)  # raises TopicUnknown
        payload: Any = parse_json_body(request.body)
        if not isinstance(payload, dict):
            raise PayloadInvalid("a Shopify webhook body must be a JSON object")
        event_id = request.header("X-Shopify-Event-Id")
        webhook_id = request.header("X-Shopify-Webhook-Id")
        delivery_id = event_id or webhook_id or "sha256:" + hashlib.sha256(
            topic.encode() + b"\n" + request.body).hexdigest()
        return ParsedWebhook(
            topic=topic, delivery_id=delivery_id, payload=payload,
            occurred_at=_time_or_none(request.header("X-Shopify-Triggered-At")),
        )

    def to_events(self, topic: str, payload: Any, memory: Memory) -> list[CanonicalEvent]:
        self.topic(topic)
        if not isinstance(payload, dict):
            raise PayloadInvalid(f"{topic}: the payload must be a JSON object")
        resource = topic.split("/", 1)[0]
        return _TRANSLATORS[resource](self, topic, payload, memory)

    # -- outbound --------------------------------------------------------------------------
    def make_http(self) -> HttpClient:
        base = self.config.get("api_base_url") or (
            f"https://{self.config['shop_domain']}" if self.config.get("shop_domain") else "")
        if not base or not self.config.get("access_token"):
            raise ValueError(
                "Shopify API calls need shop_domain (or api_base_url) and access_token")
        return HttpClient(base, headers={"X-Shopify-Access-Token": self.config["access_token"],
                                         "Accept": "application/json"},
                          error_text=shopify_error_text)

    def test_connection(self) -> Outcome:
        if not self._can_call():
            return failed("set shop_domain and access_token to test the connection")
        outcome, response = self.http.send("GET", self._path("shop.json"))
        if outcome.ok and response is not None:
            shop = (response.json() or {}).get("shop") or {}
            return Outcome("delivered", f"connected to {shop.get('name') or 'the shop'}",
                           status_code=outcome.status_code, request=outcome.request,
                           response=outcome.response)
        return outcome

    def poll_abandoned_checkouts(self, cursor: Any) -> PollPage:
        return self._poll("checkouts", {"status": "open"}, lambda item: "checkouts/update", cursor)

    def poll_orders(self, cursor: Any) -> PollPage:
        def topic(order: dict[str, Any]) -> str:
            return "orders/cancelled" if order.get("cancelled_at") else "orders/create"

        return self._poll("orders", {"status": "any"}, topic, cursor)

    # -- helpers ---------------------------------------------------------------------------
    def _can_call(self) -> bool:
        return bool((self.config.get("shop_domain") or self.config.get("api_base_url"))
                    and self.config.get("access_token"))

    def _path(self, resource: str) -> str:
        return f"/admin/api/{self.config.get('api_version') or '2025-10'}/{resource}"

    def _poll(self, resource: str, filters: dict[str, str],
              topic_of: Callable[[dict[str, Any]], str], cursor: Any) -> PollPage:
        """One page of ``resource`` changed since ``cursor["since"]``, following ``Link``.

        The cursor is ``{"since", "next_url", "newest"}``: while pages remain it holds the
        next page's URL (used as given); after the last page ``since`` moves to the newest
        change seen, less ``POLL_OVERLAP``.
        """
        if not self._can_call():
            raise PollFailed(failed("set shop_domain and access_token to poll Shopify"))
        state = dict(cursor or {})
        if state.get("next_url"):
            outcome, response = self.http.send("GET", state["next_url"])
        else:
            params = {**filters, "limit": str(PAGE_SIZE)}
            if state.get("since"):
                params["updated_at_min"] = state["since"]
            outcome, response = self.http.send("GET", self._path(f"{resource}.json"), params=params)
        if not outcome.ok or response is None:
            raise PollFailed(outcome)
        items = json_list(response, resource)
        newest = state.get("newest")
        pages: list[ParsedWebhook] = []
        for item in items:
            changed = utc_iso(item.get("updated_at") or item["created_at"])
            newest = max(newest or changed, changed)
            pages.append(ParsedWebhook(topic=topic_of(item), payload=item, occurred_at=changed,
                                       delivery_id=f"{resource}:{item['id']}:{changed}"))
        following = next_link(response)
        if following:
            return PollPage(pages, {"since": state.get("since"), "next_url": following,
                                    "newest": newest}, done=_bucket_nearly_full(response))
        since = _shopify_time(_parse(newest) - POLL_OVERLAP) if newest else state.get("since")
        return PollPage(pages, {"since": since, "next_url": None, "newest": newest}, done=True)

    # -- translators: one vendor resource → canonical events -------------------------------
    def _customers(self, topic: str, payload: Payload, memory: Memory) -> list[CanonicalEvent]:
        customer_id = _id(payload.get("id"))
        at = _changed_at(payload)
        ref = CustomerRef(email=payload.get("email") or None, phone=payload.get("phone") or None,
                          external_ids={"shopify": customer_id} if customer_id else {},
                          first_name=payload.get("first_name"), last_name=payload.get("last_name"))
        consents = {channel: _consent_state(payload.get(f"{channel}_marketing_consent"))
                    for channel in ("email", "sms")}
        name = "customer.created" if topic.endswith("create") else "customer.updated"
        events = [self._event(name, at, {
            "first_name": payload.get("first_name"), "last_name": payload.get("last_name"),
            "email_consent": consents["email"], "sms_consent": consents["sms"],
            "tags": [t.strip() for t in (payload.get("tags") or "").split(",") if t.strip()],
        }, ref, customer_id, payload)]
        for channel, consent in consents.items():
            change = _consent_change(memory, customer_id, channel, consent, at)
            if change is not None:
                events.append(self._event("consent.changed", change["at"], {
                    "channel": channel, "state": consent["state"], "source": "shopify",
                    "reason": change["reason"]}, ref, customer_id, payload))
        return events

    def _carts(self, topic: str, payload: Payload, memory: Memory) -> list[CanonicalEvent]:
        currency = self.config.get("currency") or None
        items = [_line_item(i, currency) for i in payload.get("line_items") or []]
        lines = payload.get("line_items") or []
        value = sum((Decimal(str(i.get("line_price") or 0)) for i in lines), Decimal(0))
        token = payload.get("token") or _id(payload.get("id"))
        return [self._event("cart.updated", _changed_at(payload), {
            "cart_token": token, "checkout_token": None, "line_items": items,
            "value": float(value), "currency": currency, "recovery_url": None, "completed_at": None,
        }, CustomerRef(), token, payload)]

    def _checkouts(self, topic: str, payload: Payload, memory: Memory) -> list[CanonicalEvent]:
        currency = payload.get("currency") or payload.get("presentment_currency") or None
        buyer = payload.get("customer") or {}
        address = payload.get("shipping_address") or payload.get("billing_address") or {}
        ref = CustomerRef(
            email=payload.get("email") or buyer.get("email") or None,
            phone=payload.get("phone") or buyer.get("phone") or address.get("phone") or None,
            external_ids={"shopify": _id(buyer["id"])} if buyer.get("id") else {},
            first_name=buyer.get("first_name") or address.get("first_name"),
            last_name=buyer.get("last_name") or address.get("last_name"))
        name = "checkout.started" if topic.endswith("create") else "checkout.updated"
        return [self._event(name, _changed_at(payload), {
            "cart_token": payload.get("cart_token") or None, "checkout_token": payload["token"],
            "line_items": [_line_item(i, currency) for i in payload.get("line_items") or []],
            "value": _money(payload.get("total_price")), "currency": currency,
            "recovery_url": payload.get("abandoned_checkout_url") or None,
            "completed_at": _time_or_none(payload.get("completed_at")),
        }, ref, payload["token"], payload)]

    def _orders(self, topic: str, payload: Payload, memory: Memory) -> list[CanonicalEvent]:
        currency = payload.get("currency") or None
        buyer = payload.get("customer") or {}
        in_store = payload.get("source_name") == "pos" or payload.get("location_id") is not None
        channel = "in_store" if in_store else "online"
        ref = CustomerRef(
            email=(payload.get("email") or payload.get("contact_email") or buyer.get("email")
                   or None),
            phone=payload.get("phone") or buyer.get("phone") or None,
            external_ids={"shopify": _id(buyer["id"])} if buyer.get("id") else {},
            first_name=buyer.get("first_name"), last_name=buyer.get("last_name"))
        name, when = {
            "orders/create": ("order.completed",
                              payload.get("processed_at") or payload.get("created_at")),
            "orders/paid": ("order.paid", payload.get("updated_at")),
            "orders/cancelled": ("order.cancelled",
                                 payload.get("cancelled_at") or payload.get("updated_at")),
        }[topic]
        order_id = _id(payload["id"])
        return [self._event(name, utc_iso(when or payload["created_at"]), {
            "order_id": order_id, "order_name": payload.get("name"),
            "checkout_token": payload.get("checkout_token") or None,
            "cart_token": payload.get("cart_token") or None,
            "line_items": [_line_item(i, currency) for i in payload.get("line_items") or []],
            "total": _money(payload.get("current_total_price") or payload.get("total_price")),
            "currency": currency, "channel": channel,
            "location_id": _id(payload.get("location_id")),
            "financial_status": payload.get("financial_status"),
            "cancelled_at": _time_or_none(payload.get("cancelled_at")),
            "cancel_reason": payload.get("cancel_reason"),
        }, ref, order_id, payload, channel=channel)]

    def _products(self, topic: str, payload: Payload, memory: Memory) -> list[CanonicalEvent]:
        currency = self.config.get("currency") or None
        changed = []
        for variant in payload.get("variants") or []:
            variant_id, price = _id(variant.get("id")), variant.get("price")
            if not variant_id or price in (None, ""):
                continue
            key = f"price:{variant_id}"
            last = memory.get(key)
            memory.put(key, str(price))
            # First sighting: Shopify's compare-at price is the price before a markdown.
            before = last if last is not None else _markdown_from(variant)
            if before is None or _money(before) == _money(price):
                continue
            changed.append({"variant_id": variant_id, "title": variant.get("title"),
                            "sku": variant.get("sku") or None, "old_price": _money(before),
                            "new_price": _money(price),
                            "compare_at_price": _money_or_none(variant.get("compare_at_price")),
                            "currency": currency})
        if not changed:
            return []
        product_id = _id(payload["id"])
        return [self._event("product.price_changed", _changed_at(payload), {
            "product_id": product_id, "title": payload.get("title") or "",
            "handle": payload.get("handle"), "variants": changed,
        }, CustomerRef(), product_id, payload, channel=None)]

    def _event(self, name: str, at: str, data: dict[str, Any], customer: CustomerRef,
               key: str | None, raw: Any, channel: str | None = "online") -> CanonicalEvent:
        return CanonicalEvent(name=name, occurred_at=at, data=data, customer=customer, key=key,
                              channel=channel, source=self.name, raw=raw)


_TRANSLATORS = {
    "customers": ShopifyAdapter._customers,
    "carts": ShopifyAdapter._carts,
    "checkouts": ShopifyAdapter._checkouts,
    "orders": ShopifyAdapter._orders,
    "products": ShopifyAdapter._products,
}


# -- value conversions -------------------------------------------------------------------------
def _changed_at(payload: Payload) -> str:
    """When a resource last changed (Shopify's ``updated_at``, else ``created_at``), in UTC."""
    return utc_iso(payload.get("updated_at") or payload["created_at"])


def _id(value: Any) -> str | None:
    """Shopify ids are 64-bit integers: carry them as strings, never floats."""
    return None if value in (None, "") else str(value)


def _money(value: Any) -> float:
    try:
        return float(Decimal(str(value)))
    except (InvalidOperation, ValueError):
        raise PayloadInvalid(f"not an amount of money: {value!r}") from None


def _money_or_none(value: Any) -> float | None:
    return None if value in (None, "") else _money(value)


def _markdown_from(variant: dict[str, Any]) -> str | None:
    compare_at = variant.get("compare_at_price")
    if compare_at in (None, "") or _money(compare_at) <= _money(variant["price"]):
        return None
    return str(compare_at)


def _line_item(item: dict[str, Any], currency: str | None) -> dict[str, Any]:
    return {"product_id": _id(item.get("product_id")), "variant_id": _id(item.get("variant_id")),
            "title": item.get("title") or "", "variant_title": item.get("variant_title") or None,
            "sku": item.get("sku") or None, "quantity": int(item.get("quantity") or 0),
            "price": _money(item.get("price") or 0), "currency": currency}


def _time_or_none(value: Any) -> str | None:
    return utc_iso(value) if value else None


def _parse(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc)


def _shopify_time(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _bucket_nearly_full(response: requests.Response) -> bool:
    """``X-Shopify-Shop-Api-Call-Limit: used/size`` close to full: end this run here."""
    used, _, size = (response.headers.get("X-Shopify-Shop-Api-Call-Limit") or "").partition("/")
    try:
        return int(size) - int(used) < CALL_LIMIT_RESERVE
    except ValueError:
        return False


def _consent_state(consent: Any) -> dict[str, Any] | None:
    if not isinstance(consent, dict) or not consent.get("state"):
        return None
    return {"state": str(consent["state"]).lower(), "source": "shopify",
            "opt_in_level": consent.get("opt_in_level"),
            "updated_at": _time_or_none(consent.get("consent_updated_at"))}


def _consent_change(memory: Memory, customer_id: str | None, channel: str,
                    consent: dict[str, Any] | None, at: str) -> dict[str, str] | None:
    """A consent statement differing from the last one seen for this customer, if newer."""
    if consent is None or consent["state"] not in ("subscribed", "unsubscribed") or not customer_id:
        return None
    when = consent.get("updated_at") or at
    key = f"consent:{customer_id}:{channel}"
    last = memory.get(key)
    if last and (last.get("state") == consent["state"] or last.get("at", "") > when):
        return None
    memory.put(key, {"state": consent["state"], "at": when})
    level = (consent.get("opt_in_level") or "").replace("_", " ")
    reason = f"{consent['state']} in Shopify" + (f" ({level})" if level else "")
    return {"at": when, "reason": reason}
