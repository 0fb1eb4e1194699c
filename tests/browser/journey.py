"""The shop owner's first hour, driven through a real browser against a real ``hub serve``.

Shared by the browser tests and ``scripts/screenshots.py`` (which walks the same journey and
photographs every page), so the screenshots always show what the tests proved works.

The hub runs with a sped-up clock (``HUB_CLOCK_SPEED``), so the abandoned-checkout recipe's
shortest wait (15 minutes) passes in a few real seconds. Klaviyo is a small local server
answering with Klaviyo's own documented shapes: the first event is refused (400), so it
becomes a dead letter the owner replays; every later one is accepted (202).
"""

from __future__ import annotations

import json
import os
import shutil
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Callable, Iterator

import requests

from hub.settings import Settings, ensure_secret_key
from hub.users import setup_code
from tests.support.fixtures import SECRETS, fixture_bytes, signed
from tests.support.server import LiveHub

CHROMIUM = os.environ.get("HUB_CHROMIUM", "/usr/bin/chromium")
OWNER = {"name": "Olive Northwind", "email": "olive@northwind.example",
         "password": "linen-wrap-dress-42"}
CLOCK_SPEED = 300  # 15 hub minutes pass in 3 real seconds
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


def chromium_missing_reason() -> str | None:
    if Path(CHROMIUM).exists() or shutil.which(CHROMIUM):
        return None
    return (f"Debian's chromium is not installed at {CHROMIUM} (apt-get install chromium; "
            ".ci/run does it). Set HUB_REQUIRE_BROWSER=1 to make this a failure.")


# -- a stand-in Klaviyo on a loopback port ----------------------------------------------------
@dataclass
class FakeKlaviyo:
    """Refuses the first ``refuse`` events with Klaviyo's 400 body, accepts the rest (202)."""

    refuse: int = 1
    received: list[dict] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> "FakeKlaviyo":
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                fake.received.append({"path": self.path, "body": json.loads(body or b"{}")})
                if len(fake.received) <= fake.refuse:
                    payload = fixture_bytes("klaviyo/error_400.json")
                    self.send_response(400)
                    self.send_header("Content-Type", "application/vnd.api+json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                    return
                self.send_response(202)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()


def start_hub(data_dir: Path) -> LiveHub:
    """``hub serve`` with one web and one background worker, the clock sped up."""
    epoch = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return LiveHub(data_dir=data_dir, workers=1, background_workers=1, env={
        "HUB_CLOCK_SPEED": str(CLOCK_SPEED), "HUB_CLOCK_EPOCH": epoch,
        "HUB_LEASE_SECONDS": "3600", "HUB_WORKER_POLL_SECONDS": "0.2",
        "HUB_TIMEZONE": "America/New_York", "HUB_LOG_FORMAT": "text",
    }).start()


def hub_setup_code(data_dir: Path) -> str:
    settings = ensure_secret_key(Settings(data_dir=data_dir))
    assert settings.secret_key
    return setup_code(settings.secret_key)


def wait_for(check: Callable[[], bool], *, timeout: float = 30.0, every: float = 0.3) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(every)
    raise AssertionError(f"gave up after {timeout}s waiting for {check.__doc__ or check}")


# -- the journey, one step per function ---------------------------------------------------------
def create_owner(page, base: str, data_dir: Path) -> None:
    page.goto(base + "/")
    assert page.url.endswith("/setup")
    page.get_by_label("Set-up code").fill(hub_setup_code(data_dir))
    page.get_by_label("Your name").fill(OWNER["name"])
    page.get_by_label("Email").fill(OWNER["email"])
    page.get_by_label("Password", exact=True).fill(OWNER["password"])
    page.get_by_label("Password again").fill(OWNER["password"])
    page.get_by_role("button", name="Create the owner account").click()
    page.get_by_role("heading", name="Dashboard").wait_for()


def sign_out(page) -> None:
    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("heading", name="Sign in").wait_for()


def sign_in(page, base: str) -> None:
    page.goto(base + "/login")
    page.get_by_label("Email").fill(OWNER["email"])
    page.get_by_label("Password").fill(OWNER["password"])
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Dashboard").wait_for()


def connect_shopify(page, base: str) -> str:
    """Add the Shopify connection through the generated form; returns its webhook address."""
    page.goto(base + "/connections/")
    page.get_by_role("link", name="Connect a service").click()
    page.get_by_role("link", name="Shopify").click()
    page.get_by_label("Name for this connection").fill("shop")
    page.get_by_label("Webhook signing secret", exact=True).fill(SECRETS["shopify"])
    page.get_by_label("Shop domain").fill("northwind-boutique.myshopify.com")
    page.get_by_role("button", name="Connect").click()
    page.get_by_role("heading", name="Now paste these into Shopify").wait_for()
    return page.get_by_label("Webhook address").input_value()


def connect_klaviyo(page, base: str, klaviyo_url: str) -> None:
    page.goto(base + "/connections/new/klaviyo")
    page.get_by_label("Name for this connection").fill("email")
    page.get_by_label("Private API key", exact=True).fill(SECRETS["klaviyo"])
    page.get_by_label("API base URL").fill(klaviyo_url)
    page.get_by_role("button", name="Connect").click()
    page.get_by_role("heading", name="Now paste these into Klaviyo").wait_for()


def enable_abandoned_checkout(page, base: str, delay_hours: str = "0.25") -> None:
    page.goto(base + "/recipes/")
    page.get_by_role("link", name="Set up Email the exact items left in an abandoned checkout").click()
    page.get_by_label("Hours to wait before the reminder").fill(delay_hours)
    page.get_by_role("button", name="Switch it on").click()
    page.get_by_text("is on. It acts on events from now on.").wait_for()


def send_checkout_webhook(base: str) -> dict:
    """What Shopify sends when Maya leaves her checkout: the fixture, signed as Shopify signs."""
    request = signed("shopify/checkouts_update.json")
    answer = requests.post(base + "/hooks/shopify-shop", data=request.body,
                           headers=request.headers, timeout=10)
    assert answer.status_code == 202, answer.text
    return answer.json()


def open_failed_send_and_replay(page, base: str) -> None:
    def failed_send_listed() -> bool:
        """a failed send on the Failed sends page"""
        page.goto(base + "/activity/failed")
        return page.get_by_role("button", name="Replay").count() > 0

    wait_for(failed_send_listed, timeout=60)
    page.get_by_role("link", name="Track event").first.click()
    page.get_by_text("Failed for good").first.wait_for()
    page.get_by_role("button", name="Replay").first.click()
    page.get_by_text("Queued to be sent again").wait_for()


def iter_widths() -> Iterator[tuple[str, dict]]:
    yield "desktop", DESKTOP
    yield "phone", PHONE
