"""Wishlist apps: the hub's own signed contract, and Swym (Wishlist Plus) webhooks.

Facts relied on (``docs/vendor-apis.md``, "Wishlist apps"):

- **The hub's contract** (ours, for apps without a native format, Shopify Flow or a theme
  script): POST JSON signed ``X-Wishlist-Signature: sha256=<hex HMAC-SHA256 of the body>``;
  body ``id`` (the dedupe key), ``type`` (``wishlist.item_added`` | ``wishlist.item_removed``),
  ``occurred_at``, ``customer`` {``id``, ``email``, ``phone``}, ``item`` {``product_id``,
  ``variant_id``, ``title``, ``price`` as a decimal string, ``currency``, ``url``}.
- **Swym** signs nothing: it sends a static header the shop chose (``Authorization: Bearer
  <token>`` by default), compared in constant time. Its payload is flat (``Event``,
  ``MediumValue``, ``ProductId``…) on the events page and nested (``EventName``, ``User``,
  ``Product``, ``List``) on the "Wishlist Remove" page; both are accepted. It has no event
  id, so the delivery id is a digest of (event, time, list, variant).

One connection speaks one format (``sender``), so a request cannot pick the weaker check.
"""

from __future__ import annotations

import hashlib
from decimal import Decimal, InvalidOperation
from typing import Any

from adapters.base import (
    Adapter,
    Field,
    Memory,
    ParsedWebhook,
    PayloadInvalid,
    Topic,
    WebhookRequest,
    hmac_digest,
    parse_json_body,
    require_equal,
)
from hub.events import CanonicalEvent, CustomerRef, utc_iso

_ADDED, _REMOVED = "wishlist.product_added", "wishlist.product_removed"


class WishlistAdapter(Adapter):
    name = "wishlist"
    title = "Wishlist app"
    description = ("Wishlist adds and removes from your wishlist app (Swym, or any app that "
                   "can sign).")
    auth_fields = (
        Field("sender", "Sender", required=False, default="hub", pattern=r"^(hub|swym)$",
              help="hub: the hub's signed wishlist contract; swym: Swym webhooks (a static "
                   "auth header set up by Swym support)."),
        Field("webhook_secret", "Secret", secret=True,
              help="hub: the key the app signs each body with; swym: the token Swym sends."),
        Field("auth_header", "Auth header name (Swym)", required=False, default="Authorization"),
        Field("auth_scheme", "Auth scheme (Swym)", required=False, default="Bearer",
              pattern=r"^[A-Za-z][A-Za-z0-9_-]*$",
              help="Written before the token, e.g. Bearer or Token; 'none' for the bare token."),
        Field("customer_id_system", "Whose customer ids the app sends", required=False,
              default="shopify", pattern=r"^[a-z][a-z0-9_]*$",
              help="Wishlist apps on Shopify send the Shopify customer id."),
        Field("currency", "Shop currency", required=False, pattern=r"^[A-Z]{3}$",
              help="Swym sends prices without a currency."),
    )
    topics = (
        Topic("wishlist.item_added", (_ADDED,), "Hub contract: an item was added."),
        Topic("wishlist.item_removed", (_REMOVED,), "Hub contract: an item was removed."),
        Topic("Swym-addToWishlist", (_ADDED,), "Swym: a shopper added a product."),
        Topic("Swym-removeWishlist", (_REMOVED,), "Swym: a shopper removed a product."),
    )

    def _setting(self, name: str) -> str:
        """A setting, or its declared default (a connection fills defaults; tests may not)."""
        value = self.config.get(name)
        if value in (None, ""):
            value = next(f.default for f in self.auth_fields if f.name == name)
        return str(value or "")

    @property
    def _swym(self) -> bool:
        return self._setting("sender") == "swym"

    # -- inbound ---------------------------------------------------------------------------
    def verify_webhook(self, request: WebhookRequest) -> None:
        secret = self.config["webhook_secret"]
        if self._swym:
            header, scheme = self._setting("auth_header"), self._setting("auth_scheme")
            expected = secret if scheme.lower() == "none" else f"{scheme} {secret}"
            require_equal(expected, request.header(header), f"{header} header")
            return
        expected = "sha256=" + hmac_digest(secret, request.body).hex()
        signature = request.header("X-Wishlist-Signature")
        require_equal(expected, signature, "X-Wishlist-Signature signature")

    def parse_webhook(self, request: WebhookRequest) -> ParsedWebhook:
        payload = parse_json_body(request.body)
        if not isinstance(payload, dict):
            raise PayloadInvalid("a wishlist webhook body must be a JSON object")
        return self._parse_swym(payload) if self._swym else self._parse_contract(payload)

    def _parse_contract(self, payload: dict[str, Any]) -> ParsedWebhook:
        topic = payload.get("type")
        if not isinstance(topic, str) or not topic.startswith("wishlist."):
            raise PayloadInvalid(
                "field 'type' must be wishlist.item_added or wishlist.item_removed")
        self.topic(topic)
        if not payload.get("id"):
            raise PayloadInvalid("field 'id' (the event id) is missing")
        customer = payload.get("customer") or {}
        if not any(customer.get(k) for k in ("id", "email", "phone")):
            raise PayloadInvalid("customer needs at least one of id, email, phone")
        if not (payload.get("item") or {}).get("product_id"):
            raise PayloadInvalid("item.product_id is missing")
        return ParsedWebhook(topic=topic, delivery_id=str(payload["id"]), payload=payload,
                             occurred_at=_time(payload.get("occurred_at")))

    def _parse_swym(self, payload: dict[str, Any]) -> ParsedWebhook:
        view = _swym_view(payload)
        self.topic(view["event"])
        if view["product_id"] in (None, ""):
            raise PayloadInvalid("ProductId is missing")
        parts = ("event", "time", "list_id", "variant_id", "product_id")
        key = "|".join(str(view[k] or "") for k in parts)
        return ParsedWebhook(topic=view["event"], payload=payload, occurred_at=_time(view["time"]),
                             delivery_id="swym:" + hashlib.sha256(key.encode()).hexdigest()[:32])

    def to_events(self, topic: str, payload: Any, memory: Memory) -> list[CanonicalEvent]:
        name = self.topic(topic).emits[0]
        if topic.startswith("Swym-"):
            return [self._swym_event(name, payload)]
        return [self._contract_event(name, payload)]

    def _contract_event(self, name: str, payload: dict[str, Any]) -> CanonicalEvent:
        customer, item = payload.get("customer") or {}, payload["item"]
        system = self._setting("customer_id_system")
        ref = CustomerRef(email=customer.get("email") or None, phone=customer.get("phone") or None,
                          external_ids={system: str(customer["id"])} if customer.get("id") else {})
        return self._event(name, payload["occurred_at"], ref, {
            "product_id": str(item["product_id"]), "variant_id": _text(item.get("variant_id")),
            "title": item.get("title") or "", "price": _price(item.get("price")),
            "currency": item.get("currency") or self.config.get("currency") or None,
            "url": item.get("url") or None,
        }, list_id=None, list_name=None, raw=payload)

    def _swym_event(self, name: str, payload: dict[str, Any]) -> CanonicalEvent:
        view = _swym_view(payload)
        medium, value = (view["medium"] or "").lower(), view["medium_value"]
        ref = CustomerRef(email=value if medium == "email" else None,
                          phone=value if medium in ("sms", "phone", "whatsapp") else None,
                          external_ids={"swym": str(view["user_id"])} if view["user_id"] else {})
        return self._event(name, view["time"], ref, {
            "product_id": str(view["product_id"]), "variant_id": _text(view["variant_id"]),
            "title": view["title"] or "", "variant_title": view["variant_title"],
            "sku": view["sku"], "price": _price(view["price"]),
            "currency": self.config.get("currency") or None, "url": view["url"],
            "image_url": view["image_url"],
        }, list_id=_text(view["list_id"]), list_name=view["list_name"], raw=payload)

    def _event(self, name: str, at: Any, customer: CustomerRef, item: dict[str, Any],
               list_id: str | None, list_name: str | None, raw: Any) -> CanonicalEvent:
        if not at:
            raise PayloadInvalid("the event has no time")
        return CanonicalEvent(
            name=name, occurred_at=utc_iso(at), customer=customer, channel="wishlist",
            source=self.name, key=item["variant_id"] or item["product_id"], raw=raw,
            data={"item": item, "list_id": list_id, "list_name": list_name},
        )


def _swym_view(payload: dict[str, Any]) -> dict[str, Any]:
    """Swym's flat and nested shapes, read into one set of names."""
    user = payload.get("User") or {}
    product = payload.get("Product") or payload.get("ListItem") or {}
    lst = payload.get("List") or {}

    def pick(flat: str, *nested: str, source: dict[str, Any] = product) -> Any:
        for value in (payload.get(flat), *(source.get(n) for n in (flat, *nested))):
            if value not in (None, ""):
                return value
        return None

    return {
        "event": payload.get("Event") or payload.get("EventName") or "",
        "time": payload.get("EventTime"),
        "medium": pick("Medium", source=user), "medium_value": pick("MediumValue", source=user),
        "user_id": user.get("UserId"),
        "list_id": pick("ListId", "Id", source=lst),
        "list_name": pick("ListName", "Name", source=lst),
        "product_id": pick("ProductId"), "variant_id": pick("VariantId", "ProductVariantId"),
        "title": pick("ProductName"), "variant_title": pick("VariantInfo", "ProductVariantInfo"),
        "sku": pick("VariantSKU", "ProductVariantSKU"), "price": pick("ProductPrice"),
        "url": pick("ProductURL", "ProductVariantURL"),
        "image_url": pick("ImageURL", "ProductImageURL", "ProductVariantImageURL"),
    }


def _text(value: Any) -> str | None:
    return None if value in (None, "") else str(value)


def _price(value: Any) -> float | None:
    if value in (None, ""):
        return None
    try:
        return float(Decimal(str(value)))
    except InvalidOperation:
        raise PayloadInvalid(f"price {value!r} is not a number") from None


def _time(value: Any) -> str | None:
    try:
        return utc_iso(value) if value else None
    except ValueError:
        raise PayloadInvalid(f"{value!r} is not a time") from None
