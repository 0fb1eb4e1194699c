"""Webhook senders: each vendor's inbound request to the hub, signed as that vendor signs it.

``send_shopify_webhook`` retries like Shopify (8 times over 4 hours, same bytes and ids);
Twilio sends once (it does not retry an SMS webhook by default); HubSpot is sent once (its
retry policy is not in vendor-apis.md); the wishlist contract asks the sender to retry on
anything but 2xx, so its sender uses the Shopify-like schedule unless told otherwise.
Signatures come from ``hub.simulators.signing``; times from ``hub.clock``.
"""

from __future__ import annotations

import json
import uuid
from typing import Any, Mapping, Sequence
from urllib.parse import urlencode

from hub import clock
from hub.simulators.delivery import (
    SHOPIFY_RETRY_DELAYS,
    SHOPIFY_TIMEOUT,
    Sleep,
    WebhookDelivery,
    deliver,
    sleep_hub_seconds,
)
from hub.simulators.signing import (
    hubspot_v3_signature,
    shopify_hmac,
    twilio_signature,
    wishlist_signature,
)

#: Twilio waits up to 15 s for a webhook answer.
TWILIO_TIMEOUT = (5.0, 15.0)
#: The hub's wishlist contract: answer within 5 s.
WISHLIST_TIMEOUT = (1.0, 5.0)
HUBSPOT_TIMEOUT = (2.0, 5.0)


def _body(payload: Any) -> bytes:
    if isinstance(payload, bytes):
        return payload
    return json.dumps(payload, separators=(",", ":")).encode()


def shopify_webhook_headers(topic: str, body: bytes, secret: str, *,
                            shop_domain: str = "northwind-boutique.myshopify.com",
                            api_version: str = "2025-10", event_id: str | None = None,
                            webhook_id: str | None = None,
                            triggered_at: str | None = None) -> dict[str, str]:
    """Every header Shopify puts on a webhook (vendor-apis.md, Shopify webhook headers)."""
    moment = clock.now()
    return {
        "Content-Type": "application/json",
        "X-Shopify-Topic": topic,
        "X-Shopify-Hmac-Sha256": shopify_hmac(secret, body),
        "X-Shopify-Shop-Domain": shop_domain,
        "X-Shopify-API-Version": api_version,
        "X-Shopify-Webhook-Id": webhook_id or str(uuid.uuid4()),
        "X-Shopify-Event-Id": event_id or str(uuid.uuid4()),
        "X-Shopify-Triggered-At": triggered_at or moment.strftime("%Y-%m-%dT%H:%M:%S.%f000Z"),
    }


def send_webhook(topic: str, payload: Any, url: str, secret: str, *,
                 shop_domain: str = "northwind-boutique.myshopify.com",
                 api_version: str = "2025-10", event_id: str | None = None,
                 webhook_id: str | None = None, triggered_at: str | None = None,
                 retry_delays: Sequence[float] = SHOPIFY_RETRY_DELAYS,
                 sleep: Sleep = sleep_hub_seconds) -> WebhookDelivery:
    """Deliver a Shopify webhook; ``payload`` is the REST resource (dict) or exact bytes.

    Retries on non-2xx or no answer after each of ``retry_delays`` (hub seconds), always
    with the original bytes and the same ``X-Shopify-Webhook-Id``/``Event-Id``.
    """
    body = _body(payload)
    headers = shopify_webhook_headers(topic, body, secret, shop_domain=shop_domain,
                                      api_version=api_version, event_id=event_id,
                                      webhook_id=webhook_id, triggered_at=triggered_at)
    return deliver(url, body, headers, retry_delays=retry_delays, timeout=SHOPIFY_TIMEOUT,
                   sleep=sleep)


send_shopify_webhook = send_webhook


def inbound_sms_fields(*, account_sid: str, from_: str, to: str, body: str,
                       message_sid: str | None = None,
                       messaging_service_sid: str | None = None,
                       opt_out_type: str | None = None) -> dict[str, str]:
    """The form Twilio posts for an inbound SMS (fixture ``twilio/inbound_sms_stop.txt``)."""
    sid = message_sid or "SM" + uuid.uuid4().hex
    fields = {
        "ToCountry": "US", "ToState": "", "SmsMessageSid": sid, "NumMedia": "0",
        "ToCity": "", "FromZip": "", "SmsSid": sid, "FromState": "", "SmsStatus": "received",
        "FromCity": "", "Body": body, "FromCountry": "US", "To": to, "ToZip": "",
        "NumSegments": "1", "MessageSid": sid, "AccountSid": account_sid, "From": from_,
        "ApiVersion": "2010-04-01",
    }
    if messaging_service_sid:
        fields["MessagingServiceSid"] = messaging_service_sid
        if opt_out_type:  # Advanced Opt-Out adds it, on a Messaging Service only
            fields["OptOutType"] = opt_out_type
    return fields


def send_twilio_form(url: str, fields: Mapping[str, str], auth_token: str) -> WebhookDelivery:
    """POST a Twilio webhook form signed with ``X-Twilio-Signature`` over ``url`` + fields."""
    body = urlencode(list(fields.items())).encode()
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Twilio-Signature": twilio_signature(auth_token, url, fields),
        "I-Twilio-Idempotency-Token": str(uuid.uuid4()),
        "User-Agent": "TwilioProxy/1.1",
    }
    return deliver(url, body, headers, timeout=TWILIO_TIMEOUT)


def send_hubspot_webhook(url: str, events: list[Mapping[str, Any]], client_secret: str, *,
                         timestamp_ms: str | None = None) -> WebhookDelivery:
    """POST HubSpot's JSON array of events with a v3 signature and a fresh timestamp."""
    body = _body(list(events))
    timestamp = timestamp_ms or str(int(clock.now().timestamp() * 1000))
    headers = {
        "Content-Type": "application/json",
        "X-HubSpot-Signature-v3": hubspot_v3_signature(client_secret, "POST", url, body,
                                                       timestamp),
        "X-HubSpot-Request-Timestamp": timestamp,
        "X-HubSpot-Signature-Version": "v3",
    }
    return deliver(url, body, headers, timeout=HUBSPOT_TIMEOUT)


def send_wishlist_webhook(url: str, payload: Any, secret: str, *,
                          retry_delays: Sequence[float] = SHOPIFY_RETRY_DELAYS,
                          sleep: Sleep = sleep_hub_seconds) -> WebhookDelivery:
    """The hub's generic wishlist contract: ``X-Wishlist-Signature: sha256=<hex>``."""
    body = _body(payload)
    headers = {"Content-Type": "application/json",
               "X-Wishlist-Signature": wishlist_signature(secret, body)}
    return deliver(url, body, headers, retry_delays=retry_delays, timeout=WISHLIST_TIMEOUT,
                   sleep=sleep)


def send_swym_webhook(url: str, payload: Any, token: str, *,
                      header: str = "Authorization", scheme: str = "Bearer") -> WebhookDelivery:
    """Swym: no signature, the static auth header the shop chose (vendor-apis.md)."""
    body = _body(payload)
    headers = {"Content-Type": "application/json", header: f"{scheme} {token}".strip()}
    return deliver(url, body, headers, timeout=WISHLIST_TIMEOUT)


def wishlist_item_event(*, event_type: str, shop: str, email: str | None, phone: str | None,
                        product_id: str, variant_id: str, title: str, price: str,
                        url: str, customer_id: str | None = None, currency: str = "USD",
                        event_id: str | None = None) -> dict[str, Any]:
    """A wishlist event in the hub's contract (fixture ``wishlist/item_added.json``)."""
    if event_type not in ("wishlist.item_added", "wishlist.item_removed"):
        raise ValueError(f"unknown wishlist event type {event_type!r}")
    return {
        "id": event_id or f"wle_{uuid.uuid4().hex[:20]}", "type": event_type,
        "occurred_at": clock.now().isoformat(timespec="seconds"), "shop": shop,
        "customer": {"id": customer_id, "email": email, "phone": phone},
        "item": {"product_id": product_id, "variant_id": variant_id, "title": title,
                 "price": price, "currency": currency, "url": url},
    }
