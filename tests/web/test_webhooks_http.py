"""Ingest over real HTTP: ``hub serve`` (gunicorn, two processes) on a free loopback port."""

from __future__ import annotations

import json

import pytest
import requests

from hub.connections import add_connection
from hub.runtime import open_runtime
from hub.settings import Settings
from hub.store import AuditQuery
from tests.support.fixtures import SECRETS, fixture_bytes, signed
from tests.support.server import LiveHub
from tests.support.signing import shopify_headers

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("live") / "data"
    rt = open_runtime(Settings(data_dir=data_dir, public_url="https://hub.example.com"))
    add_connection(rt.store, rt.vault, "shopify", "shop", {
        "webhook_secret": SECRETS["shopify"], "access_token": SECRETS["shopify_access_token"]})
    hub = LiveHub(data_dir=data_dir).start()
    yield hub, rt
    hub.stop()
    rt.store.close()


def post(hub: LiveHub, path: str, body: bytes, headers: dict[str, str]) -> requests.Response:
    return requests.post(hub.url + path, data=body, headers=headers, timeout=10)


def test_accepted_webhook_is_in_the_store(live):
    hub, rt = live
    request = signed("shopify/checkouts_update.json")
    answer = post(hub, "/hooks/shopify-shop", request.body, request.headers)
    assert answer.status_code == 202, answer.text
    stored = rt.store.get_event(answer.json()["event_id"])
    assert stored.body == request.body and stored.topic == "checkouts/update"


def test_duplicate_delivery_is_stored_once(live):
    hub, rt = live
    request = signed("shopify/orders_create_pos.json")
    answers = [post(hub, "/hooks/shopify-shop", request.body, request.headers) for _ in range(3)]
    assert [a.status_code for a in answers] == [202, 200, 200]
    matching = [e for e in rt.store.list_events(limit=500)
                if e.delivery_id == request.headers["X-Shopify-Event-Id"]]
    assert len(matching) == 1


@pytest.mark.parametrize("case, status", [
    ("bad signature", 401), ("malformed JSON", 400), ("oversize", 413),
    ("unknown connection", 404), ("unknown topic", 422),
])
def test_bad_requests_get_precise_answers_and_are_audited(live, case, status):
    hub, rt = live
    path, body = "/hooks/shopify-shop", fixture_bytes("shopify/customers_create.json")
    headers = shopify_headers(body, SECRETS["shopify"], topic="customers/create")
    if case == "bad signature":
        headers["X-Shopify-Hmac-Sha256"] = shopify_headers(body, "wrong-secret")["X-Shopify-Hmac-Sha256"]
    elif case == "malformed JSON":
        body = body[:-1]
        headers = shopify_headers(body, SECRETS["shopify"], topic="customers/create")
    elif case == "oversize":
        body = json.dumps({"pad": "x" * (2 * 1024 * 1024)}).encode()
        headers = shopify_headers(body, SECRETS["shopify"])
    elif case == "unknown connection":
        path = "/hooks/klaviyo-nope"
    elif case == "unknown topic":
        headers["X-Shopify-Topic"] = "bulk_operations/finish"
    answer = post(hub, path, body, headers)
    assert answer.status_code == status
    correlation = answer.headers["X-Hub-Correlation-Id"]
    [entry] = rt.store.query_audit(AuditQuery(correlation_id=correlation))
    assert entry.outcome == "rejected" and entry.detail.startswith(str(status))


def test_no_secret_reaches_the_audit_log_or_the_server_logs(live):
    hub, rt = live
    request = signed("shopify/carts_update.json")
    post(hub, "/hooks/shopify-shop", request.body, request.headers)
    bad = dict(request.headers, **{"X-Shopify-Hmac-Sha256": "Zm9yZ2VkLXNpZ25hdHVyZQ=="})
    post(hub, "/hooks/shopify-shop", request.body + b" ", bad)
    audit_text = json.dumps([e.__dict__ for e in rt.store.query_audit(AuditQuery(limit=10_000))])
    stored_headers = json.dumps([e.headers for e in rt.store.list_events(limit=1000)])
    logs = hub.logs()
    forbidden = [SECRETS["shopify"], SECRETS["shopify_access_token"],
                 request.headers["X-Shopify-Hmac-Sha256"], "Zm9yZ2VkLXNpZ25hdHVyZQ=="]
    for secret in forbidden:
        assert secret not in audit_text
        assert secret not in stored_headers
        assert secret not in logs


def test_health_readiness_and_metrics(live):
    hub, _ = live
    assert requests.get(hub.url + "/healthz", timeout=5).json() == {"status": "ok"}
    assert requests.get(hub.url + "/readyz", timeout=5).json() == {"status": "ready"}
    request = signed("shopify/customers_create.json")
    post(hub, "/hooks/shopify-shop", request.body, request.headers)
    text = requests.get(hub.url + "/metrics", timeout=5).text
    accepted = [line for line in text.splitlines()
                if line.startswith('hub_webhooks_total{adapter="shopify",outcome="accepted"}')]
    assert accepted and float(accepted[0].split()[-1]) >= 1
    assert "hub_ingest_seconds_bucket" in text
