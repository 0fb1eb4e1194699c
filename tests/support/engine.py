"""Helpers for engine tests: put canonical events in the queue, run the worker's tasks."""

from __future__ import annotations

import json
import uuid

from hub import clock, delivery, processing
from hub.connections import add_connection
from hub.delivery import FACT_TOPIC
from hub.engine import instances
from hub.events import CanonicalEvent, CustomerRef
from hub.runtime import Runtime
from hub.store import NewEvent
from tests.support.fixtures import SECRETS

OWNER = "test-worker"


def emit(rt: Runtime, event: CanonicalEvent, *, connection_id: str = "shopify-shop",
         delivery_id: str | None = None) -> int | None:
    """Store ``event`` as if an adapter had produced it; returns the stored event's id."""
    outcome = rt.store.record_event(NewEvent(
        connection_id=connection_id, adapter="shopify", topic=FACT_TOPIC,
        delivery_id=delivery_id or uuid.uuid4().hex, source="webhook",
        body=json.dumps(event.to_dict()).encode(), correlation_id=uuid.uuid4().hex,
        received_at=clock.now_iso(),
    ))
    return outcome.event_id


def work(rt: Runtime, owner: str = OWNER) -> int:
    """One worker pass: process events, fire due waits, deliver; repeat until idle."""
    total = 0
    for _ in range(50):
        handled = (processing.process_events(rt, owner) + processing.resume_waits(rt, owner)
                   + delivery.deliver_due(rt, owner))
        total += handled
        if handled == 0:
            break
    return total


def klaviyo(rt: Runtime, name: str = "email", base_url: str = "https://a.klaviyo.com"):
    return add_connection(rt.store, rt.vault, "klaviyo", name,
                          {"api_key": SECRETS["klaviyo"], "api_base_url": base_url})


def twilio(rt: Runtime, name: str = "sms", base_url: str = "https://api.twilio.com"):
    return add_connection(rt.store, rt.vault, "twilio", name, {
        "account_sid": "AC" + "0" * 32, "auth_token": SECRETS["twilio"],
        "from_number": "+14155550100", "api_base_url": base_url})


def enable(rt: Runtime, recipe_id: str, **params):
    return instances.enable(rt.store, recipe_id, params)


MAYA = CustomerRef(email="maya.lopez@example.com", phone="+14155550142",
                   external_ids={"shopify": "7212345678901"}, first_name="Maya", last_name="Lopez")

CHECKOUT_TOKEN = "5b9f3c2ad41e4f0e8c1b7a6d9e2f4a10"
RECOVERY_URL = ("https://northwind-boutique.myshopify.com/59581317309/checkouts/ac/"
                "5b9f3c2ad41e4f0e8c1b7a6d9e2f4a10/recover?key=4c3f2a")
ITEMS = [
    {"product_id": "8840001001", "variant_id": "44120001001", "title": "Linen Wrap Dress",
     "variant_title": "Blue / M", "sku": "LWD-BLU-M", "quantity": 1, "price": 128.0,
     "currency": "USD"},
    {"product_id": "8840001002", "variant_id": "44120001002", "title": "Straw Tote",
     "variant_title": None, "sku": "ST-NAT", "quantity": 1, "price": 48.0, "currency": "USD"},
]


def checkout(name: str = "checkout.updated", *, token: str = CHECKOUT_TOKEN,
             customer: CustomerRef = MAYA) -> CanonicalEvent:
    return CanonicalEvent(
        name=name, occurred_at=clock.now_iso(), customer=customer, key=token, channel="online",
        source="shopify",
        data={"cart_token": None, "checkout_token": token, "line_items": ITEMS, "value": 176.0,
              "currency": "USD", "recovery_url": RECOVERY_URL, "completed_at": None},
    )


def order(*, token: str = CHECKOUT_TOKEN, order_id: str = "5550001001",
          customer: CustomerRef = MAYA) -> CanonicalEvent:
    return CanonicalEvent(
        name="order.completed", occurred_at=clock.now_iso(), customer=customer, key=order_id,
        channel="online", source="shopify",
        data={"order_id": order_id, "order_name": "#1001", "checkout_token": token,
              "cart_token": None, "line_items": ITEMS, "total": 176.0, "currency": "USD",
              "channel": "online"},
    )
