"""The explicit adapter registry: name → adapter class.

Listing adapters here (instead of scanning the folder) keeps the set visible and reviewable;
adding a service means one module, one line below, and its test module.
"""

from __future__ import annotations

from adapters.base import Adapter
from adapters.hubspot import HubSpotAdapter
from adapters.klaviyo import KlaviyoAdapter
from adapters.shopify import ShopifyAdapter
from adapters.twilio import TwilioAdapter
from adapters.webhook import GenericWebhookAdapter
from adapters.wishlist import WishlistAdapter

REGISTRY: dict[str, type[Adapter]] = {
    adapter.name: adapter
    for adapter in (
        ShopifyAdapter,
        GenericWebhookAdapter,
        KlaviyoAdapter,
        TwilioAdapter,
        HubSpotAdapter,
        WishlistAdapter,
    )
}


def get_adapter_class(name: str) -> type[Adapter]:
    try:
        return REGISTRY[name]
    except KeyError:
        known = ", ".join(sorted(REGISTRY))
        raise KeyError(f"unknown adapter {name!r} (known: {known})") from None
