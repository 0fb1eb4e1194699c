"""Sign a body the way each vendor does, for tests that build their own payloads."""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid


def shopify_headers(body: bytes, secret: str, topic: str = "orders/create",
                    event_id: str | None = None) -> dict[str, str]:
    digest = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()
    event_id = event_id or str(uuid.uuid4())
    return {
        "Content-Type": "application/json",
        "X-Shopify-Topic": topic,
        "X-Shopify-Hmac-Sha256": digest,
        "X-Shopify-Shop-Domain": "northwind-boutique.myshopify.com",
        "X-Shopify-API-Version": "2025-10",
        "X-Shopify-Webhook-Id": str(uuid.uuid4()),
        "X-Shopify-Event-Id": event_id,
        "X-Shopify-Triggered-At": "2026-11-21T17:40:18.000000000Z",
    }
