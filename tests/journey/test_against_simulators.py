"""The journey over real HTTP: a real ``hub serve`` (gunicorn + worker process) against the
vendor simulators, with Klaviyo down for three hours of hub time in the middle.

The hub's clock runs 720x (a two-hour wait lasts ten seconds), in the hub's processes and
in this one, so the simulators' outage window and the hub's retries share one time line.
"""

from __future__ import annotations

import time
from datetime import datetime

import pytest

from hub import clock
from hub.demo.player import SHOPPERS, Player
from hub.demo.setup import connect, enable_recipes
from hub.runtime import open_runtime
from hub.settings import Settings
from hub.simulators import Faults, Simulators, SimulatorServer
from hub.simulators.shopify_data import CATALOG
from tests.support.server import LiveHub, free_port

pytestmark = pytest.mark.slow

SPEED = 720.0
MAYA, JORDAN = SHOPPERS[0], SHOPPERS[1]


@pytest.fixture
def sped_up_clock():
    epoch = datetime.now(clock.UTC)
    clock.configure(SPEED, epoch)
    yield epoch
    clock.configure(1.0, None)


def until(condition, seconds: float = 60.0, what: str = "") -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def test_the_journey_over_real_http_survives_a_klaviyo_outage(tmp_path, sped_up_clock):
    sims = Simulators(seed=3)
    port = free_port()
    settings = Settings(data_dir=tmp_path / "data", secret_key="simulators-journey-secret",
                        public_url=f"http://127.0.0.1:{port}", quiet_hours="00:00-00:00")
    with SimulatorServer(sims) as server:
        rt = open_runtime(settings)
        ids = connect(rt, server.base_url, sims.config)
        enable_recipes(rt)
        rt.store.close()
        hub = LiveHub(data_dir=settings.data_dir, port=port, workers=1, background_workers=1,
                      env={"HUB_SECRET_KEY": settings.secret_key,
                           "HUB_PUBLIC_URL": settings.public_url,
                           "HUB_QUIET_HOURS": "00:00-00:00", "HUB_CLOCK_SPEED": str(SPEED),
                           "HUB_CLOCK_EPOCH": clock.iso(sped_up_clock),
                           "HUB_WORKER_POLL_SECONDS": "0.1", "HUB_LOG_FORMAT": "text"}).start()
        try:
            player = Player(sims, hub.url, ids)
            player.sims.shopify.subscribe("*", player.hook("shopify"))
            rt = open_runtime(settings)
            for shopper in (MAYA, JORDAN):
                player.sign_up(shopper)
            sims.dispatcher.wait_idle(10)
            until(lambda: len(sims.klaviyo.events) + len(sims.klaviyo.profiles) >= 2, 30,
                  "welcome profiles in Klaviyo")

            player.abandon_checkout(MAYA, [CATALOG[0], CATALOG[1]])
            player.wishlist(MAYA, CATALOG[2])
            player.wishlist(JORDAN, CATALOG[2])  # no SMS consent
            sims.dispatcher.wait_idle(10)
            until(lambda: rt.store.list_waits(), 30, "the abandoned-checkout wait")

            # Klaviyo goes down for three hours of hub time, while the reminder comes due.
            sims.set_faults("klaviyo", Faults(outage_seconds=3 * 3600))
            player.price_drop()
            sims.dispatcher.wait_idle(10)
            until(lambda: sims.twilio.messages(), 30, "the sale SMS to Maya")
            until(lambda: sims.klaviyo.events_named("Abandoned Checkout"), 60,
                  "the reminder, after the outage")

            [sms] = sims.twilio.messages()
            assert sms["to"] == MAYA.phone
            assert len(sims.klaviyo.events_named("Abandoned Checkout")) == 1
            refused = rt.store.list_deliveries(status="refused")
            assert [d.action for d in refused] == ["send_sms"]
            failed_during_outage = [r for r in sims.requests("klaviyo") if r.status == 503]
            assert failed_during_outage, "the outage was real"
            until(lambda: not rt.store.list_deliveries(status="pending"), 60, "an empty outbox")
            assert rt.store.list_deliveries(status="dead") == []
            assert sims.klaviyo.duplicates == []
        finally:
            hub.stop()
            sims.close()
