"""Ingest through the web app: every answer the webhook endpoint can give, and its audit entry."""

from __future__ import annotations

import json

import pytest

from hub.store import AuditQuery
from tests.support.fixtures import SECRETS, fixture_bytes, signed
from tests.support.signing import shopify_headers


def audit_outcomes(rt) -> list[tuple[str, str]]:
    return [(e.outcome, e.detail) for e in rt.store.query_audit(AuditQuery(actor_type="webhook"))]


def test_signed_shopify_fixture_is_stored_and_acknowledged(client, rt, shopify):
    request = signed("shopify/checkouts_create.json")
    answer = client.post("/hooks/shopify-shop", data=request.body, headers=request.headers)
    assert answer.status_code == 202
    event = rt.store.get_event(answer.json["event_id"])
    assert event.topic == "checkouts/create"
    assert event.delivery_id == request.headers["X-Shopify-Event-Id"]
    assert event.body == request.body  # byte for byte
    assert event.status == "new"  # processing happens after the answer
    assert "X-Shopify-Hmac-Sha256".lower() not in {k.lower() for k in event.headers}


def test_redelivered_webhook_is_stored_once(client, rt, shopify):
    request = signed("shopify/orders_create_online.json")
    first = client.post("/hooks/shopify-shop", data=request.body, headers=request.headers)
    again = client.post("/hooks/shopify-shop", data=request.body, headers=request.headers)
    assert (first.status_code, again.status_code) == (202, 200)
    assert again.json["status"] == "duplicate"
    assert rt.store.count_events() == 1
    assert [o for o, _ in audit_outcomes(rt)] == ["duplicate", "accepted"]


def test_same_shop_event_on_a_new_delivery_is_a_duplicate(client, rt, shopify):
    """Two subscriptions deliver the same shop event under different webhook ids."""
    body = fixture_bytes("shopify/orders_create_online.json")
    first = shopify_headers(body, SECRETS["shopify"], event_id="evt-1")
    second = {**shopify_headers(body, SECRETS["shopify"], event_id="evt-1")}
    assert first["X-Shopify-Webhook-Id"] != second["X-Shopify-Webhook-Id"]
    client.post("/hooks/shopify-shop", data=body, headers=first)
    answer = client.post("/hooks/shopify-shop", data=body, headers=second)
    assert answer.status_code == 200 and rt.store.count_events() == 1


@pytest.mark.parametrize("change, status, reason", [
    ({"X-Shopify-Hmac-Sha256": "AAAA" + "=" * 40}, 401, "signature does not match"),
    ({"X-Shopify-Hmac-Sha256": None}, 401, "missing X-Shopify-Hmac-Sha256"),
    ({"X-Shopify-Topic": "themes/publish"}, 422, "does not accept the topic 'themes/publish'"),
    ({"X-Shopify-Topic": None}, 400, "missing X-Shopify-Topic"),
])
def test_bad_headers_get_a_precise_answer_and_an_audit_entry(client, rt, shopify, change, status, reason):
    request = signed("shopify/customers_create.json")
    headers = {k: v for k, v in {**request.headers, **change}.items() if v is not None}
    answer = client.post("/hooks/shopify-shop", data=request.body, headers=headers)
    assert answer.status_code == status
    assert reason in answer.json["message"]
    assert rt.store.count_events() == 0
    [(outcome, detail)] = audit_outcomes(rt)
    assert outcome == "rejected" and reason in detail and str(status) in detail


@pytest.mark.parametrize("body, reason", [
    (b'{"id": 1,', "malformed JSON: Expecting property name enclosed in double quotes at line 1 column 10"),
    (b"\xff\xfe{}", "body is not UTF-8 text"),
    (b"[1, 2]", "must be a JSON object"),
])
def test_malformed_body_with_valid_signature_is_400_with_the_reason(client, rt, shopify, body, reason):
    headers = shopify_headers(body, SECRETS["shopify"], topic="orders/create")
    answer = client.post("/hooks/shopify-shop", data=body, headers=headers)
    assert answer.status_code == 400
    assert reason in answer.json["message"]
    assert audit_outcomes(rt)[0][0] == "rejected"


def test_body_over_the_cap_is_413_and_audited(client, rt, shopify):
    body = json.dumps({"pad": "x" * rt.settings.max_body_bytes}).encode()
    answer = client.post("/hooks/shopify-shop", data=body,
                         headers=shopify_headers(body, SECRETS["shopify"]))
    assert answer.status_code == 413
    assert "over the limit" in audit_outcomes(rt)[0][1]


def test_unknown_connection_is_404_and_audited(client, rt):
    request = signed("shopify/customers_create.json")
    answer = client.post("/hooks/shopify-nowhere", data=request.body, headers=request.headers)
    assert answer.status_code == 404
    assert audit_outcomes(rt) == [("rejected", "404: no connection 'shopify-nowhere'")]


def test_disabled_connection_refuses_webhooks(client, rt, shopify):
    rt.store.update_connection("shopify-shop", enabled=False)
    request = signed("shopify/customers_create.json")
    assert client.post("/hooks/shopify-shop", data=request.body, headers=request.headers).status_code == 404


def test_store_failure_answers_503_never_2xx(client, rt, shopify, monkeypatch):
    from hub.store import StoreUnavailable

    def broken(*args, **kwargs):
        raise StoreUnavailable("database or disk is full")

    monkeypatch.setattr(rt.store, "record_event", broken)
    request = signed("shopify/customers_create.json")
    answer = client.post("/hooks/shopify-shop", data=request.body, headers=request.headers)
    assert answer.status_code == 503
    assert answer.headers["Retry-After"] == "5"


def test_answer_carries_a_correlation_id_that_links_the_audit_entry(client, rt, shopify):
    request = signed("shopify/carts_update.json")
    answer = client.post("/hooks/shopify-shop", data=request.body, headers=request.headers)
    [entry] = rt.store.query_audit(AuditQuery(correlation_id=answer.headers["X-Hub-Correlation-Id"]))
    assert entry.subject_type == "event" and entry.subject_id == str(answer.json["event_id"])


def test_generic_webhook_accepts_a_shared_secret_signature(client, rt):
    import hashlib
    import hmac

    from hub.connections import add_connection

    add_connection(rt.store, rt.vault, "webhook", "forms", {"webhook_secret": "form-secret-123"})
    body = b'{"id": "f-1", "type": "form.submitted", "email": "a@example.com"}'
    signature = "sha256=" + hmac.new(b"form-secret-123", body, hashlib.sha256).hexdigest()
    answer = client.post("/hooks/webhook-forms", data=body,
                         headers={"X-Hub-Signature-256": signature, "Content-Type": "application/json"})
    assert answer.status_code == 202
    bad = client.post("/hooks/webhook-forms", data=body,
                      headers={"X-Hub-Signature-256": "sha256=00", "Content-Type": "application/json"})
    assert bad.status_code == 401
