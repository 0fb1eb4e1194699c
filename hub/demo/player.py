"""Plays realistic customer journeys into the hub, through the simulators' webhook senders.

Each journey is a few steps spaced in *hub* time (the demo clock runs faster), signed exactly
as the vendors sign. Together they exercise every shipped recipe: a reminder that fires, one
cancelled by a purchase, a sale text sent, one refused for lack of consent, an in-store
purchase merged into an online customer, and a STOP reply honoured everywhere.
"""

from __future__ import annotations

import itertools
import logging
import threading
from dataclasses import dataclass
from decimal import Decimal
from typing import Callable

from hub import clock
from hub.simulators import Simulators
from hub.simulators.shopify_data import CATALOG, line_item, make_checkout, make_order, shop_time

log = logging.getLogger("hub.demo")

DRESS, TOTE, SCARF = CATALOG


@dataclass(frozen=True)
class Shopper:
    first: str
    last: str
    phone: str
    sms_consent: bool = True

    @property
    def email(self) -> str:
        return f"{self.first}.{self.last}@example.com".lower()


SHOPPERS = (
    Shopper("Maya", "Lopez", "+14155550142"),
    Shopper("Jordan", "Kim", "+14155550143", sms_consent=False),
    Shopper("Priya", "Shah", "+14155550144"),
    Shopper("Tom", "Becker", "+14155550145"),
    Shopper("Ana", "Silva", "+14155550146"),
    Shopper("Lee", "Wong", "+14155550147", sms_consent=False),
)

_customer_ids = itertools.count(7212345680000)


class Player:
    """Runs the journeys in a thread until ``stop``; ``hub_url`` is where the hub listens."""

    def __init__(self, sims: Simulators, hub_url: str, connection_ids: dict[str, str]) -> None:
        self.sims = sims
        self.hub_url = hub_url.rstrip("/")
        self.ids = connection_ids
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, name="demo-player", daemon=True)
        self.scarf_price = Decimal(SCARF.price)
        self.customers: dict[str, dict] = {}
        self.steps_played = 0

    def hook(self, adapter: str) -> str:
        return f"{self.hub_url}/hooks/{self.ids[adapter]}"

    def start(self) -> "Player":
        self.sims.shopify.subscribe("*", self.hook("shopify"))
        self.thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        if self.thread.is_alive():
            self.thread.join(timeout=10)

    def pause(self, hub_minutes: float) -> bool:
        """Sleep ``hub_minutes`` of hub time; False when the demo is stopping."""
        return not self.stopping.wait(clock.real_seconds(hub_minutes * 60))

    def _run(self) -> None:
        rounds = itertools.count()
        while not self.stopping.is_set():
            n = next(rounds)
            for step in self.script(n):
                if self.stopping.is_set():
                    return
                try:
                    step()
                    self.steps_played += 1
                except Exception:  # a demo step failing must not end the demo
                    log.exception("demo step failed")
                if not self.pause(3):
                    return
            if not self.pause(60):
                return

    # -- the script ----------------------------------------------------------------------
    def script(self, round_no: int) -> list[Callable[[], None]]:
        """One round: every shopper's story, interleaved; later rounds repeat with new carts."""
        maya, jordan, priya, tom, ana, lee = SHOPPERS
        steps: list[Callable[[], None]] = []
        if round_no == 0:
            steps += [lambda s=s: self.sign_up(s) for s in SHOPPERS]
        steps += [
            lambda: self.abandon_checkout(maya, [DRESS, TOTE]),
            lambda: self.wishlist(maya, SCARF),
            lambda: self.wishlist(jordan, SCARF),       # no SMS consent: the text is refused
            lambda: self.wishlist(ana, SCARF),
            lambda: self.abandon_checkout(priya, [TOTE]),
            lambda: self.buy_online(priya),             # completes her checkout: no reminder
            lambda: self.buy_in_store(tom, [SCARF]),    # at the till, phone only
            lambda: self.reply(ana, "STOP"),            # no sale text for Ana after this
            lambda: self.price_drop(),                  # texts Maya; refused for Jordan and Ana
            lambda: self.abandon_checkout(lee, [DRESS]),
            lambda: self.wishlist(maya, SCARF, added=False),
            lambda: self.reply(ana, "START"),
        ]
        return steps

    # -- what shoppers do ----------------------------------------------------------------
    def sign_up(self, shopper: Shopper) -> None:
        customer_id = next(_customer_ids)
        now = shop_time()
        consent = {"state": "subscribed" if shopper.sms_consent else "not_subscribed",
                   "opt_in_level": "single_opt_in", "consent_updated_at": now,
                   "consent_collected_from": "SHOPIFY"}
        customer = {
            "id": customer_id, "email": shopper.email, "first_name": shopper.first,
            "last_name": shopper.last, "phone": shopper.phone, "state": "enabled",
            "created_at": now, "updated_at": now, "orders_count": 0, "total_spent": "0.00",
            "verified_email": True, "tags": "", "currency": "USD",
            "email_marketing_consent": {"state": "subscribed", "opt_in_level": "single_opt_in",
                                        "consent_updated_at": now},
            "sms_marketing_consent": consent,
            "admin_graphql_api_id": f"gid://shopify/Customer/{customer_id}",
        }
        self.customers[shopper.email] = customer
        self.sims.shopify.emit("customers/create", customer)

    def _customer(self, shopper: Shopper) -> dict:
        return {k: v for k, v in self.customers.get(shopper.email, {}).items()
                if k in ("id", "email", "first_name", "last_name", "phone")}

    def abandon_checkout(self, shopper: Shopper, variants) -> None:
        checkout = make_checkout(shop_domain=self.sims.config.shopify.shop_domain,
                                 email=shopper.email, phone=shopper.phone,
                                 items=[line_item(v) for v in variants],
                                 customer=self._customer(shopper) or None)
        self.sims.shopify.add_checkout(checkout)
        self.customers.setdefault(shopper.email, {})["open_checkout"] = checkout

    def buy_online(self, shopper: Shopper) -> None:
        checkout = self.customers.get(shopper.email, {}).pop("open_checkout", None)
        items = checkout["line_items"] if checkout else [line_item(TOTE)]
        self.sims.shopify.add_order(make_order(
            email=shopper.email, phone=shopper.phone, items=items,
            customer=self._customer(shopper) or None,
            checkout_token=checkout["token"] if checkout else None))

    def buy_in_store(self, shopper: Shopper, variants) -> None:
        self.sims.shopify.add_order(make_order(
            email=None, phone=shopper.phone, items=[line_item(v) for v in variants],
            source_name="pos", location_id=71234561234))

    def wishlist(self, shopper: Shopper, variant, *, added: bool = True) -> None:
        self.sims.wishlist.send_item(self.hook("wishlist"), added=added, email=shopper.email,
                                     customer_id=str(self._customer(shopper).get("id") or ""),
                                     variant=variant, price=str(self.scarf_price))

    def reply(self, shopper: Shopper, text: str) -> None:
        self.sims.twilio.send_inbound_sms(self.hook("twilio"), from_=shopper.phone, body=text)

    def price_drop(self) -> None:
        old = self.scarf_price
        self.scarf_price = max(Decimal("19.00"), (old * Decimal("0.8")).quantize(Decimal("1")))
        now = shop_time()
        self.sims.shopify.emit("products/update", {
            "id": SCARF.product_id, "title": SCARF.title, "handle": "silk-scarf",
            "vendor": "Northwind", "product_type": "Accessories", "status": "active",
            "updated_at": now, "admin_graphql_api_id": f"gid://shopify/Product/{SCARF.product_id}",
            "variants": [{"id": SCARF.variant_id, "product_id": SCARF.product_id,
                          "title": SCARF.variant_title, "sku": SCARF.sku,
                          "price": f"{self.scarf_price:.2f}", "compare_at_price": SCARF.price,
                          "inventory_quantity": 14, "updated_at": now}],
        })
