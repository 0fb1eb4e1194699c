"""``hub demo`` — the README's run command — works from the command line: within a couple of
minutes (here, with a faster clock) events arrive, actions are delivered, a vendor error is
retried, an SMS is refused for lack of consent, and Ctrl-C stops every process it started."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from tests.support.server import free_port

pytestmark = pytest.mark.slow


def counts(db) -> dict[str, int]:
    try:
        with sqlite3.connect(db, timeout=5) as conn:
            return {
                "events": conn.execute("SELECT count(*) FROM events").fetchone()[0],
                "delivered": conn.execute(
                    "SELECT count(*) FROM deliveries WHERE status = 'delivered'").fetchone()[0],
                "retried": conn.execute(
                    "SELECT count(*) FROM deliveries WHERE attempts > 1").fetchone()[0],
                "refused": conn.execute(
                    "SELECT count(*) FROM deliveries WHERE status = 'refused'").fetchone()[0],
            }
    except sqlite3.OperationalError:
        return {}


def test_hub_demo_shows_the_product_working_and_stops_cleanly(tmp_path):
    data = tmp_path / "demo"
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "hub.cli", "--data-dir", str(data), "demo", "--port", str(port),
         "--speed", "240"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
        env={**os.environ, "HUB_LOG_LEVEL": "WARNING"})
    try:
        deadline = time.monotonic() + 120
        seen: dict[str, int] = {}
        while time.monotonic() < deadline:
            seen = counts(data / "hub.db")
            if seen and all(seen[k] > 0 for k in ("events", "delivered", "retried", "refused")):
                break
            assert process.poll() is None, process.stdout.read().decode()
            time.sleep(1)
        assert seen and all(seen[k] > 0 for k in ("events", "delivered", "retried", "refused")), seen
    finally:
        os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
        output, _ = process.communicate(timeout=30)
    text = output.decode()
    assert f"open      http://127.0.0.1:{port}" in text
    assert "sign in   owner@northwind.example" in text
    assert "demo stopped" in text
    leftover = subprocess.run(["pgrep", "-f", str(data)], capture_output=True, text=True).stdout
    assert leftover.strip() == "", f"processes left running: {leftover}"
