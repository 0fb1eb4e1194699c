"""The request log (HTTP and Python), the state view, and serving as its own process."""

from __future__ import annotations

import signal
import subprocess
import sys

import requests

from hub.simulators import Simulators, SimulatorServer
from hub.simulators.requestlog import RequestLog
from tests.support.fixtures import SECRETS, fixture_bytes

KLAVIYO = {"Authorization": f"Klaviyo-API-Key {SECRETS['klaviyo']}", "revision": "2026-01-15",
           "Content-Type": "application/vnd.api+json"}


def test_every_request_is_listed_per_vendor_with_credentials_masked(sims, server):
    requests.post(f"{server.url('klaviyo')}/api/events/", headers=KLAVIYO,
                  data=fixture_bytes("klaviyo/create_event_abandoned_checkout.json"))
    requests.get(f"{server.url('shopify')}/admin/api/2025-10/shop.json",
                 headers={"X-Shopify-Access-Token": SECRETS["shopify_access_token"]})
    listed = requests.get(f"{server.base_url}/_sim/requests",
                          params={"vendor": "klaviyo"}).json()["requests"]
    assert [(r["method"], r["path"], r["status"]) for r in listed] == [
        ("POST", "/klaviyo/api/events/", 202)]
    entry = listed[0]
    assert entry["headers"]["Revision"] == "2026-01-15"
    assert SECRETS["klaviyo"] not in str(entry)
    assert entry["body"] == fixture_bytes(
        "klaviyo/create_event_abandoned_checkout.json").decode()
    assert entry["response_headers"]["RateLimit-Limit"] == "3500"
    everything = requests.get(f"{server.base_url}/_sim/requests").json()["requests"]
    assert [r["vendor"] for r in everything] == ["klaviyo", "shopify"]
    assert SECRETS["shopify_access_token"] not in str(everything)


def test_the_python_api_filters_by_vendor_path_and_since_id(sims, server):
    for path in ("/api/events/", "/api/accounts/"):
        requests.get(f"{server.url('klaviyo')}{path}", headers=KLAVIYO)
    first, second = sims.requests("klaviyo")
    assert sims.requests(path_contains="accounts") == [second]
    assert sims.requests(since_id=first.id) == [second]
    assert first.status == 405 and second.status == 200


def test_unknown_paths_under_a_vendor_are_recorded_too(sims, server):
    answer = requests.get(f"{server.url('hubspot')}/no/such/thing")
    assert answer.status_code == 404
    assert [r.path for r in sims.requests("hubspot")] == ["/hubspot/no/such/thing"]


def test_the_log_drops_the_oldest_entries_past_its_cap():
    log = RequestLog(max_entries=2)
    for number in range(3):
        log.record(vendor="x", method="GET", path=f"/{number}", query="", headers={},
                   body=b"", status=200, at="", duration_ms=0)
    assert [e.path for e in log.list()] == ["/1", "/2"]


def test_control_requests_are_not_vendor_traffic(sims, server):
    requests.get(f"{server.base_url}/_sim/state")
    requests.get(f"{server.base_url}/_sim/requests", params={"vendor": "stripe"})
    assert sims.requests() == []


def test_the_state_view_shows_each_vendors_data(sims, server):
    sims.twilio.opt_out("+14155550142")
    state = requests.get(f"{server.base_url}/_sim/state").json()
    assert set(state) == {"shopify", "klaviyo", "twilio", "hubspot"}
    assert state["twilio"]["opted_out"] == ["+14155550142"]
    assert state["shopify"]["checkouts"] == 2


def test_an_inbound_sms_can_be_played_over_http(sims, server, receiver):
    answer = requests.post(f"{server.base_url}/_sim/twilio/inbound", json={
        "url": receiver.url("/hooks/twilio-main"), "from": "+14155550142", "body": "STOP"})
    assert answer.json() == {"status": 200, "delivered": True}
    assert "+14155550142" in sims.twilio.opted_out and len(receiver.received) == 1


def test_stopping_the_server_frees_the_port_and_background_work():
    sims = Simulators()
    server = SimulatorServer(sims).start()
    url = server.base_url
    assert requests.get(f"{url}/_sim/faults").ok
    server.stop()
    try:
        requests.get(f"{url}/_sim/faults", timeout=1)
        raise AssertionError("the server still answers after stop()")
    except requests.ConnectionError:
        pass


def test_hub_simulators_serve_runs_until_terminated(tmp_path):
    process = subprocess.Popen(
        [sys.executable, "-m", "hub.cli", "simulators", "serve", "--port", "0",
         "--set", "twilio.max_concurrent=3", "--faults", '{"hubspot": {"error_rate": 1}}'],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True, text=True)
    try:
        first = process.stdout.readline()
        assert first.startswith("simulators listening on http://127.0.0.1:"), first
        base = first.split()[3]
        banner = [process.stdout.readline() for _ in range(5)]
        assert any(f"api_base_url={base}/klaviyo" in line for line in banner)
        assert requests.get(f"{base}/_sim/faults").json()["faults"]["hubspot"][
            "error_rate"] == 1.0
        assert requests.get(f"{base}/hubspot/crm/v3/objects/contacts").status_code == 500
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(10) == 0


def test_bad_options_are_usage_errors():
    from click.testing import CliRunner

    from hub.cli import main

    result = CliRunner().invoke(main, ["simulators", "serve", "--set", "twilio.nope=1"])
    assert result.exit_code == 2 and "VENDOR.FIELD=VALUE" in result.output
    result = CliRunner().invoke(main, ["simulators", "serve", "--faults", '{"x": {}}'])
    assert result.exit_code == 2 and "unknown vendor" in result.output
