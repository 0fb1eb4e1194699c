"""Shopify: webhooks from the store (customers, carts, checkouts, orders, products).

Facts relied on (``docs/vendor-apis.md``, Shopify): the signature is base64 HMAC-SHA256 of
the raw body with the app's client secret in ``X-Shopify-Hmac-Sha256``; the topic is in
``X-Shopify-Topic``; ``X-Shopify-Event-Id`` is the same on every copy of one shop event and
``X-Shopify-Webhook-Id`` on every retry of one delivery, so together they are the dedupe key.
"""

from __future__ import annotations

import hashlib
from typing import Any

from adapters.base import (
    Adapter,
    Field,
    ParsedWebhook,
    PayloadInvalid,
    Topic,
    WebhookRequest,
    parse_json_body,
    verify_base64_hmac,
)


class ShopifyAdapter(Adapter):
    name = "shopify"
    title = "Shopify"
    description = "Your online store and point of sale: customers, carts, checkouts, orders, products."
    auth_fields = (
        Field("webhook_secret", "Webhook signing secret", secret=True,
              help="The app's client secret (or the signing key shown under Settings → "
                   "Notifications → Webhooks). Shopify signs every webhook with it."),
        Field("shop_domain", "Shop domain", required=False, pattern=r"^[a-z0-9][a-z0-9-]*\.myshopify\.com$",
              placeholder="northwind-boutique.myshopify.com",
              help="Needed for polling and the connection test."),
        Field("access_token", "Admin API access token", secret=True, required=False,
              placeholder="shpat_…", help="From your custom app; needed for polling."),
        Field("api_version", "API version", required=False, default="2025-10",
              pattern=r"^\d{4}-\d{2}$"),
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
        Topic("products/create", ("product.price_changed",)),
        Topic("products/update", ("product.price_changed",)),
    )

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
            occurred_at=request.header("X-Shopify-Triggered-At"),
        )
