"""Wishlist senders: the hub's signed contract and Swym's static header, checked by the adapter."""

from __future__ import annotations

import json

import pytest

from adapters.base import SignatureInvalid, WebhookRequest
from adapters.wishlist import WishlistAdapter
from hub.simulators.signing import wishlist_signature
from tests.support.fixtures import SECRETS, fixture_bytes, signed


def as_webhook(received) -> WebhookRequest:
    return WebhookRequest(received.method, received.url, received.headers, received.body)


@pytest.mark.parametrize("name", ["wishlist/item_added.json", "wishlist/item_removed.json"])
def test_the_signature_reproduces_the_fixture_vectors(name):
    assert wishlist_signature(SECRETS["wishlist"], fixture_bytes(name)) == \
        signed(name).headers["X-Wishlist-Signature"]


def test_an_item_added_event_is_signed_and_parses_as_the_hubs_contract(sims, receiver):
    delivery = sims.wishlist.send_item(receiver.url("/hooks/wishlist-main"), added=True,
                                       email="maya.lopez@example.com",
                                       customer_id="7212345678901")
    assert delivery.delivered
    [got] = receiver.received
    adapter = WishlistAdapter({"webhook_secret": SECRETS["wishlist"]})
    adapter.verify_webhook(as_webhook(got))
    parsed = adapter.parse_webhook(as_webhook(got))
    assert parsed.topic == "wishlist.item_added"
    assert parsed.payload["item"]["variant_id"] == "44120001003"
    assert set(parsed.payload) == set(json.loads(fixture_bytes("wishlist/item_added.json")))
    with pytest.raises(SignatureInvalid):
        WishlistAdapter({"webhook_secret": "other"}).verify_webhook(as_webhook(got))


def test_an_unanswered_wishlist_event_is_retried_with_the_same_bytes(sims, receiver):
    receiver.answer_with([503])
    waits: list[float] = []
    delivery = sims.wishlist.send_item(receiver.url("/hooks/wishlist-main"), added=False,
                                       email="maya.lopez@example.com", sleep=waits.append)
    assert [a.status for a in delivery.attempts] == [503, 200] and len(waits) == 1
    assert receiver.received[0].body == receiver.received[1].body


def test_swym_events_carry_the_static_header_and_the_flat_shape(sims, receiver):
    sims.wishlist.send_swym(receiver.url("/hooks/wishlist-swym"), added=True,
                            email="maya.lopez@example.com")
    [got] = receiver.received
    assert got.headers["Authorization"] == f"Bearer {SECRETS['swym']}"
    adapter = WishlistAdapter({"sender": "swym", "webhook_secret": SECRETS["swym"]})
    adapter.verify_webhook(as_webhook(got))
    assert adapter.parse_webhook(as_webhook(got)).topic == "Swym-addToWishlist"
    assert set(json.loads(got.body)) == set(json.loads(
        fixture_bytes("wishlist/swym_add_to_wishlist.json")))
