"""Fault injection: error rate, latency, outage window, dropped connections, set by API or JSON."""

from __future__ import annotations

import time

import pytest
import requests

from hub.simulators import Faults, Simulators, SimulatorServer
from hub.simulators.faults import FaultBook, FaultsInvalid
from tests.simulators.conftest import fixture_config
from tests.support.fixtures import SECRETS

SHOP = {"X-Shopify-Access-Token": SECRETS["shopify_access_token"]}


def shop_url(server) -> str:
    return f"{server.url('shopify')}/admin/api/2025-10/shop.json"


def statuses(server, count: int) -> list[int]:
    return [requests.get(shop_url(server), headers=SHOP).status_code for _ in range(count)]


def test_an_error_rate_fails_that_share_of_requests_the_same_way_every_run():
    runs = []
    for _ in range(2):
        sims = Simulators(fixture_config(), seed=7,
                          faults={"shopify": Faults(error_rate=0.5, error_status=502)})
        with SimulatorServer(sims) as server:
            runs.append(statuses(server, 30))
    assert runs[0] == runs[1]
    assert set(runs[0]) == {200, 502} and 8 <= runs[0].count(502) <= 22


def test_another_seed_gives_another_sequence():
    def decisions(seed: int) -> list[str | None]:
        book = FaultBook(seed=seed, initial={"klaviyo": Faults(error_rate=0.5)})
        return [book.decide("klaviyo").action for _ in range(40)]

    assert decisions(1) == decisions(1) and decisions(1) != decisions(2)


def test_injected_errors_use_the_vendors_own_body(sims, server):
    sims.set_faults("shopify", Faults(error_rate=1.0))
    answer = requests.get(shop_url(server), headers=SHOP)
    assert answer.status_code == 500 and answer.json() == {"errors": "Internal Server Error"}
    sims.set_faults("twilio", Faults(error_rate=1.0, error_status=503))
    twilio = requests.get(f"{server.url('twilio')}/2010-04-01/Accounts/x.json")
    assert twilio.status_code == 503 and twilio.json()["code"] == 20503


def test_an_outage_answers_503_until_the_window_ends(sims, server, frozen_clock):
    sims.set_faults("shopify", Faults(outage_seconds=60))
    during = statuses(server, 3)
    frozen_clock.move(seconds=61)
    after = statuses(server, 1)
    assert during == [503, 503, 503] and after == [200]
    assert [e.fault for e in sims.requests("shopify")] == ["outage"] * 3 + [""]


def test_an_outage_can_drop_connections_instead(sims, server, frozen_clock):
    sims.set_faults("shopify", Faults(outage_seconds=30, outage_mode="drop"))
    with pytest.raises(requests.ConnectionError):
        requests.get(shop_url(server), headers=SHOP)
    frozen_clock.move(seconds=31)
    assert statuses(server, 1) == [200]
    dropped, answered = sims.requests("shopify")
    assert dropped.status is None and dropped.fault == "outage" and answered.status == 200


def test_a_dropped_connection_closes_the_socket_without_an_answer(sims, server):
    sims.set_faults("klaviyo", Faults(drop_rate=1.0))
    with pytest.raises(requests.ConnectionError) as raised:
        requests.post(f"{server.url('klaviyo')}/api/events/", json={})
    assert "without response" in str(raised.value) or "reset" in str(raised.value).lower()
    assert sims.requests("klaviyo")[0].status is None


def test_latency_delays_the_answer(sims, server):
    sims.set_faults("shopify", Faults(latency=0.2))
    started = time.monotonic()
    assert statuses(server, 1) == [200]
    assert time.monotonic() - started >= 0.2


def test_fail_next_fails_exactly_that_many_requests(sims, server):
    sims.set_faults("shopify", Faults(fail_next=2, fail_status=429))
    answers = [requests.get(shop_url(server), headers=SHOP) for _ in range(3)]
    assert [a.status_code for a in answers] == [429, 429, 200]
    assert answers[0].headers["Retry-After"] == "2.0"


def test_faults_are_set_read_and_cleared_over_http(sims, server):
    base = server.base_url
    answer = requests.post(f"{base}/_sim/faults", json={"vendor": "hubspot", "error_rate": 1})
    assert answer.status_code == 200
    assert answer.json()["faults"]["hubspot"]["error_rate"] == 1.0
    assert requests.post(f"{base}/_sim/faults", json={"twilio": {"latency": 0.01},
                                                      "klaviyo": {"fail_next": 1}}).ok
    assert set(requests.get(f"{base}/_sim/faults").json()["faults"]) == {
        "hubspot", "twilio", "klaviyo"}
    assert requests.delete(f"{base}/_sim/faults").status_code == 204
    assert requests.get(f"{base}/_sim/faults").json() == {"faults": {}}


@pytest.mark.parametrize("body, words", [
    ({"vendor": "stripe", "error_rate": 0.1}, "unknown vendor"),
    ({"vendor": "twilio", "error_rate": 2}, "between 0 and 1"),
    ({"vendor": "twilio", "eror_rate": 0.1}, "unknown fault setting"),
    ({"vendor": "twilio", "outage_mode": "fire"}, "outage_mode"),
    ({"vendor": "twilio", "error_status": 404}, "5xx"),
    ({"twilio": 3}, "JSON object"),
    ([1, 2], "JSON object"),
])
def test_bad_fault_settings_are_refused_with_the_reason(server, body, words):
    answer = requests.post(f"{server.base_url}/_sim/faults", json=body)
    assert answer.status_code == 400 and words in answer.json()["error"]


def test_faults_validate_in_python_too():
    with pytest.raises(FaultsInvalid):
        Faults(drop_rate=-0.1)
    with pytest.raises(FaultsInvalid):
        Faults.from_json({"latency": "slow"})


def test_reset_restores_seed_data_and_clears_faults_log_and_counters(sims, server):
    sims.set_faults("shopify", Faults(fail_next=5))
    statuses(server, 1)
    sims.twilio.opt_out("+14155550142")
    assert requests.post(f"{server.base_url}/_sim/reset").status_code == 204
    assert statuses(server, 1) == [200]
    assert sims.twilio.opted_out == frozenset()
    assert len(sims.requests()) == 1


def test_counting_state_holds_under_concurrent_requests(frozen_clock):
    from concurrent.futures import ThreadPoolExecutor

    from hub.simulators.config import ShopifyConfig

    sims = Simulators(fixture_config(shopify=ShopifyConfig(
        access_token=SECRETS["shopify_access_token"], bucket_size=15)),
        faults={"shopify": Faults(fail_next=5)})
    with SimulatorServer(sims) as server, ThreadPoolExecutor(8) as pool:
        codes = list(pool.map(lambda _: requests.get(shop_url(server), headers=SHOP)
                              .status_code, range(40)))
    assert codes.count(503) == 5          # fail_next: exactly five, whoever came first
    assert codes.count(200) == 15         # the bucket: exactly its size, no leak (frozen)
    assert codes.count(429) == 20
    assert len(sims.requests("shopify")) == 40
