"""When the store cannot take a webhook, the answer is 503 (the vendor retries), never 2xx."""

from __future__ import annotations

import os
import sqlite3
import subprocess

import pytest
import requests

from hub.connections import add_connection
from hub.runtime import open_runtime
from hub.settings import Settings
from tests.support.fixtures import SECRETS, signed
from tests.support.server import LiveHub

pytestmark = pytest.mark.slow


@pytest.fixture
def live(tmp_path):
    data_dir = tmp_path / "data"
    rt = open_runtime(Settings(data_dir=data_dir))
    add_connection(rt.store, rt.vault, "shopify", "shop", {"webhook_secret": SECRETS["shopify"]})
    rt.store.close()
    hub = LiveHub(data_dir=data_dir, workers=1, env={"HUB_BUSY_TIMEOUT_MS": "300"}).start()
    yield hub, data_dir
    hub.stop()


def deliver(hub: LiveHub, name: str = "shopify/customers_create.json") -> requests.Response:
    request = signed(name)
    return requests.post(hub.url + "/hooks/shopify-shop", data=request.body,
                         headers=request.headers, timeout=10)


def stored(data_dir) -> int:
    return sqlite3.connect(data_dir / "hub.db").execute("SELECT count(*) FROM events").fetchone()[0]


def test_a_database_locked_by_another_writer_gets_503_then_the_retry_is_stored(live):
    hub, data_dir = live
    deliver(hub, "shopify/carts_update.json")  # warms the connection cache
    blocker = sqlite3.connect(data_dir / "hub.db", isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")
    try:
        answer = deliver(hub)
        assert answer.status_code == 503 and answer.headers["Retry-After"] == "5"
    finally:
        blocker.execute("ROLLBACK")
    assert deliver(hub).status_code == 202  # the vendor's retry
    assert stored(data_dir) == 2


@pytest.mark.skipif(os.geteuid() == 0 and not os.path.exists("/usr/bin/chattr"),
                    reason="needs chattr to make a file read-only for root")
def test_a_full_or_read_only_disk_gets_503_never_a_lost_2xx(live, tmp_path):
    hub, data_dir = live
    deliver(hub, "shopify/carts_update.json")
    wal = data_dir / "hub.db-wal"
    # An immutable WAL is what a full disk looks like to SQLite: no write can land.
    subprocess.run(["chattr", "+i", str(wal)], check=True)
    try:
        answer = deliver(hub)
        assert answer.status_code == 503
    finally:
        subprocess.run(["chattr", "-i", str(wal)], check=True)
    assert deliver(hub).status_code == 202
    assert stored(data_dir) == 2
