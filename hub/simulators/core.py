"""``Simulators``: every simulated vendor, the shared request log and fault book, in one object.

Tests, ``hub demo`` and ``hub simulators serve`` all build one of these and serve its app;
Python code then drives the vendors directly (``sims.shopify.add_checkout(...)``,
``sims.twilio.opted_out``) while the hub talks to them over HTTP.
"""

from __future__ import annotations

from typing import Mapping

from flask import Flask

from hub.simulators.config import SimConfig
from hub.simulators.delivery import Dispatcher
from hub.simulators.faults import FaultBook, Faults
from hub.simulators.requestlog import RecordedRequest, RequestLog
from hub.simulators.hubspot import HubSpotSim
from hub.simulators.klaviyo import KlaviyoSim
from hub.simulators.shopify import ShopifySim
from hub.simulators.twilio import TwilioSim
from hub.simulators.vendor import VendorSim
from hub.simulators.wishlist import WishlistSim


class Simulators:
    """All vendors. ``seed`` makes injected faults repeatable; ``faults`` sets them up front."""

    def __init__(self, config: SimConfig | None = None, *, seed: int = 0,
                 faults: Mapping[str, Faults] | None = None) -> None:
        self.config = config or SimConfig()
        self.log = RequestLog()
        self.faults = FaultBook(seed=seed)
        self.dispatcher = Dispatcher()
        self.shopify = ShopifySim(self.config.shopify, self.dispatcher)
        self.klaviyo = KlaviyoSim(self.config.klaviyo)
        self.twilio = TwilioSim(self.config.twilio, self.dispatcher)
        self.hubspot = HubSpotSim(self.config.hubspot)
        #: Senders only: the wishlist app has no API the hub calls.
        self.wishlist = WishlistSim(self.config.wishlist_secret, self.config.swym_token,
                                    self.config.shopify.shop_domain)
        self.vendors: dict[str, VendorSim] = {
            v.name: v for v in (self.shopify, self.klaviyo, self.twilio, self.hubspot)}
        for vendor, settings in (faults or {}).items():
            self.set_faults(vendor, settings)
        self._app: Flask | None = None

    def __repr__(self) -> str:
        return f"<Simulators {', '.join(self.vendors)}>"

    @property
    def app(self) -> Flask:
        """The WSGI app serving every vendor under ``/<vendor>`` and the ``/_sim`` API."""
        if self._app is None:
            from hub.simulators.app import create_app

            self._app = create_app(self)
        return self._app

    def requests(self, vendor: str | None = None, *, path_contains: str | None = None,
                 since_id: int = 0) -> list[RecordedRequest]:
        """Recorded requests, oldest first, optionally for one vendor or path fragment."""
        return self.log.list(vendor, path_contains=path_contains, since_id=since_id)

    def set_faults(self, vendor: str, faults: Faults) -> None:
        if vendor not in self.vendors:
            raise KeyError(f"unknown vendor {vendor!r} (known: {', '.join(self.vendors)})")
        self.faults.set(vendor, faults)

    def reset(self) -> None:
        """Seeded data back, counters and faults cleared, request log emptied."""
        for vendor in self.vendors.values():
            vendor.reset()
        self.faults.clear()
        self.log.clear()

    def close(self) -> None:
        """Stop background deliveries and callbacks."""
        self.dispatcher.stop()
        for vendor in self.vendors.values():
            vendor.close()
