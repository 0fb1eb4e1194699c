"""kill -9 during a burst: every webhook that got a 2xx is in the store exactly once."""

from __future__ import annotations

import json
import sqlite3
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from hub.connections import add_connection
from hub.runtime import open_runtime
from hub.settings import Settings
from tests.support.fixtures import SECRETS, fixture_json
from tests.support.server import LiveHub
from tests.support.signing import shopify_headers

pytestmark = pytest.mark.slow

TOTAL, CONCURRENCY, KILL_AFTER = 2000, 16, 700


def order_body(n: int) -> bytes:
    order = fixture_json("shopify/orders_create_online.json")
    order["id"] = 9_000_000_000_000 + n
    order["name"] = f"#{20000 + n}"
    return json.dumps(order, separators=(",", ":")).encode()


def test_every_acknowledged_webhook_survives_a_kill_9_exactly_once(tmp_path):
    data_dir = tmp_path / "data"
    rt = open_runtime(Settings(data_dir=data_dir))
    add_connection(rt.store, rt.vault, "shopify", "shop", {"webhook_secret": SECRETS["shopify"]})
    rt.store.close()
    hub = LiveHub(data_dir=data_dir, workers=2).start()

    acked: set[str] = set()
    failed: set[str] = set()
    lock = threading.Lock()
    killed = threading.Event()
    local = threading.local()

    def send(n: int) -> None:
        session = getattr(local, "session", None) or requests.Session()
        local.session = session
        event_id = f"evt-{n:05d}"
        body = order_body(n)
        try:
            answer = session.post(f"{hub.url}/hooks/shopify-shop", data=body, timeout=10,
                                  headers=shopify_headers(body, SECRETS["shopify"], event_id=event_id))
            ok = 200 <= answer.status_code < 300
        except requests.RequestException:
            ok = False
        with lock:
            (acked if ok else failed).add(event_id)
            if len(acked) >= KILL_AFTER and not killed.is_set():
                killed.set()
                hub.kill()

    with ThreadPoolExecutor(CONCURRENCY) as pool:
        list(pool.map(send, range(TOTAL)))
    assert killed.is_set() and failed, "the kill should have interrupted the burst"
    acked_before_restart = set(acked)

    hub.start()  # same data directory, same port
    try:
        # The vendor retries whatever was not acknowledged (Shopify: same event id).
        retry = sorted(failed)
        failed.clear()
        with ThreadPoolExecutor(CONCURRENCY) as pool:
            list(pool.map(send, [int(e.split("-")[1]) for e in retry]))
    finally:
        hub.stop()

    rows = sqlite3.connect(data_dir / "hub.db").execute(
        "SELECT delivery_id, count(*) FROM events GROUP BY delivery_id").fetchall()
    stored = dict(rows)
    assert all(count == 1 for count in stored.values())
    assert acked_before_restart <= set(stored)  # nothing acknowledged was lost
    assert not failed and len(stored) == TOTAL  # after retries, every webhook is there once
