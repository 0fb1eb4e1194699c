"""The wishlist app: it has no API the hub calls, only webhooks it sends (vendor-apis.md).

Two senders, as the hub accepts both: the hub's own signed contract
(``X-Wishlist-Signature``, fixture ``wishlist/item_added.json``) and Swym's flat events with
a static auth header (fixture ``wishlist/swym_add_to_wishlist.json``).
"""

from __future__ import annotations

import uuid
from typing import Any, Sequence

from hub import clock
from hub.simulators.delivery import SHOPIFY_RETRY_DELAYS, Sleep, WebhookDelivery, sleep_hub_seconds
from hub.simulators.senders import send_swym_webhook, send_wishlist_webhook, wishlist_item_event
from hub.simulators.shopify_data import CATALOG, Variant

SWYM_EVENTS = {"added": "Swym-addToWishlist", "removed": "Swym-removeWishlist"}


class WishlistSim:
    """Sends wishlist events for the simulated shop, signed with the configured secrets."""

    def __init__(self, secret: str, swym_token: str,
                 shop_domain: str = "northwind-boutique.myshopify.com") -> None:
        self._secret = secret
        self._swym_token = swym_token
        self.shop_domain = shop_domain

    def __repr__(self) -> str:
        return f"<WishlistSim {self.shop_domain}>"

    def product_url(self, variant: Variant) -> str:
        slug = variant.title.lower().replace(" ", "-")
        return f"https://{self.shop_domain}/products/{slug}?variant={variant.variant_id}"

    def send_item(self, url: str, *, added: bool, email: str | None, phone: str | None = None,
                  customer_id: str | None = None, variant: Variant = CATALOG[2],
                  price: str | None = None, retry_delays: Sequence[float] = SHOPIFY_RETRY_DELAYS,
                  sleep: Sleep = sleep_hub_seconds) -> WebhookDelivery:
        """The hub contract: ``wishlist.item_added`` / ``wishlist.item_removed``, signed."""
        payload = wishlist_item_event(
            event_type="wishlist.item_added" if added else "wishlist.item_removed",
            shop=self.shop_domain, email=email, phone=phone, customer_id=customer_id,
            product_id=str(variant.product_id), variant_id=str(variant.variant_id),
            title=variant.title, price=price or variant.price, url=self.product_url(variant))
        return send_wishlist_webhook(url, payload, self._secret, retry_delays=retry_delays,
                                     sleep=sleep)

    def swym_event(self, *, added: bool, email: str, variant: Variant = CATALOG[2],
                   list_id: str | None = None) -> dict[str, Any]:
        """A Swym event in its flat shape (prices are numbers, ids are Shopify's)."""
        return {
            "Event": SWYM_EVENTS["added" if added else "removed"],
            "EventTime": clock.now().strftime("%Y-%m-%dT%H:%M:%SZ"), "Medium": "email",
            "MediumValue": email, "ListId": list_id or str(uuid.uuid4()),
            "ListName": "My Wishlist", "ProductId": variant.product_id,
            "ProductName": variant.title, "ProductPrice": float(variant.price),
            "ProductQuantity": 1, "ProductBrand": "Northwind", "ProductCategory": "",
            "VariantId": variant.variant_id, "VariantInfo": variant.variant_title,
            "VariantSKU": variant.sku, "ProductURL": self.product_url(variant), "ImageURL": "",
        }

    def send_swym(self, url: str, *, added: bool, email: str, variant: Variant = CATALOG[2],
                  header: str = "Authorization", scheme: str = "Bearer") -> WebhookDelivery:
        """Swym: the static header the shop chose, no signature, no documented retries."""
        return send_swym_webhook(url, self.swym_event(added=added, email=email, variant=variant),
                                 self._swym_token, header=header, scheme=scheme)
