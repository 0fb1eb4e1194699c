"""Generic webhook in (shared secret, JSON-path mapping) and HTTP request out.

The sender here is a made-up till system ("Tillpoint"), the kind of service the hub has no
adapter for; its payloads are ours, written for these tests.
"""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest
import requests
import responses

from adapters.base import PayloadInvalid, WebhookRequest
from adapters.contract import (
    ActionCase,
    AdapterContract,
    DictMemory,
    Exchange,
    Reply,
    Request,
    WebhookCase,
    contract_tests,
)
from adapters.webhook import GenericWebhookAdapter
from adapters.webhook_mapping import MappingInvalid, apply_rules, parse_path, parse_rules, read_path

SECRET = "whsec_tillpoint_51f0c2"
CRM_TOKEN = "Bearer crm_live_token_8d7e6f"
HOOK = "https://hub.example.com/hooks/webhook-tillpoint"
MAP = """
occurred_at = $.created_at
key = $.sale.id : string
channel = $.channel
customer.email = $.buyer.email
customer.phone = $.buyer.phone
customer.first_name = $.buyer.name
customer.external_ids.tillpoint = $.buyer.id : string
data.order_id = $.sale.id : string
data.order_name = $.sale.receipt
data.total = $.sale.total : number
data.currency = $.sale.currency
data.channel = $.channel
data.line_items[*].title = $.sale.lines[*].name
data.line_items[*].quantity = $.sale.lines[*].qty : integer
data.line_items[*].price = $.sale.lines[*].unit_price : number
data.line_items[*].variant_id = $.sale.lines[*].sku : string
data.line_items[*].product_id = null
"""
CONFIG = {"webhook_secret": SECRET, "topic_field": "event", "id_field": "event_id",
          "event_name": "sale.created=order.completed, customer.joined=customer.created",
          "map": MAP, "api_base_url": "https://crm.example.com/api",
          "auth_header_value": CRM_TOKEN}

SALE = {"event": "sale.created", "event_id": "evt_9f1", "created_at": "2026-11-22T16:05:44-05:00",
        "channel": "in_store",
        "buyer": {"id": 314, "email": "maya.lopez@example.com", "phone": "415-555-0142", "name": "Maya"},
        "sale": {"id": 1057, "receipt": "R-1057", "total": "49.00", "currency": "USD",
                 "lines": [{"name": "Silk Scarf", "qty": "1", "unit_price": "49.00", "sku": 44120001003}]}}
JOINED = {"event": "customer.joined", "event_id": "evt_9f2", "created_at": "2026-11-20T09:00:00-05:00",
          "buyer": {"id": 314, "email": "maya.lopez@example.com", "name": "Maya"}}
PING = {"event": "ping", "event_id": "evt_9f3"}


def body_of(payload: dict) -> bytes:
    return json.dumps(payload, separators=(",", ":")).encode()


def hmac_signed(payload: dict) -> WebhookRequest:
    body = body_of(payload)
    signature = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    return WebhookRequest("POST", HOOK, {"Content-Type": "application/json",
                                          "X-Hub-Signature-256": signature}, body)


def bearer(payload: dict) -> WebhookRequest:
    return WebhookRequest("POST", HOOK, {"Content-Type": "application/json",
                                          "Authorization": f"Bearer {SECRET}"}, body_of(payload))


CONTACT = {"email": "maya.lopez@example.com", "tags": ["wishlist"]}
POST_CONTACT = ActionCase(
    "http_request",
    inputs={"method": "POST", "url": "/contacts", "headers": {"X-Source": "omnichannel-hub"},
            "json": CONTACT, "idempotency_header": "Idempotency-Key"},
    exchange=Exchange(
        Request("POST", "https://crm.example.com/api/contacts", json=CONTACT,
                headers={"Authorization": CRM_TOKEN, "X-Source": "omnichannel-hub",
                         "Idempotency-Key": "contract-0001"}),
        Reply(201, json={"id": "c_77", "email": "maya.lopez@example.com"})),
    invalid=[{"method": "TRACE", "url": "/contacts"}, {"method": "POST"},
             {"method": "POST", "url": "ftp://crm.example.com/x"},
             {"method": "POST", "url": "/x", "headers": {"Bad Header": "1"}}],
    id="post-under-base", safe_to_resend=True)
GET_ELSEWHERE = ActionCase(
    "http_request",
    inputs={"method": "GET", "url": "https://status.example.net/v1/ping", "query": {"shop": "northwind"}},
    exchange=Exchange(Request("GET", "https://status.example.net/v1/ping?shop=northwind"),
                      Reply(200, json={"ok": True})),
    invalid=[{"method": "GET", "url": "https://status.example.net/v1/ping", "extra": 1}],
    id="get-elsewhere")

CONTRACT = AdapterContract(
    adapter=GenericWebhookAdapter,
    config=CONFIG,
    webhooks=[
        WebhookCase("sale-hmac", hmac_signed(SALE), ("order.completed",), ("X-Hub-Signature-256",),
                    topic="sale.created"),
        WebhookCase("joined-bearer", bearer(JOINED), ("customer.created",), ("Authorization",),
                    topic="customer.joined", signs_body=False),
        WebhookCase("ping-stored-only", hmac_signed(PING), (), ("X-Hub-Signature-256",), topic="ping"),
    ],
    actions=[POST_CONTACT, GET_ELSEWHERE],
    client_error=Reply(422, json={"message": "email is already taken"}),
    client_error_text="email is already taken",
    connection_id="webhook-tillpoint",
)

TestGenericWebhookContract = contract_tests(CONTRACT)


def events_of(payload: dict, **config) -> list:
    adapter = CONTRACT.build(**config)
    parsed = adapter.parse_webhook(hmac_signed(payload))
    return adapter.to_events(parsed.topic, parsed.payload, DictMemory())


# -- inbound mapping ---------------------------------------------------------------------------
def test_mapped_sale_is_an_in_store_order_with_numbers_and_string_ids():
    [order] = events_of(SALE)
    assert order.occurred_at == "2026-11-22T21:05:44.000000Z"
    assert (order.key, order.channel, order.source) == ("1057", "in_store", "webhook")
    assert order.customer.external_ids == {"tillpoint": "314"}
    assert order.data == {"order_id": "1057", "order_name": "R-1057", "total": 49.0, "currency": "USD",
                          "channel": "in_store", "line_items": [
                              {"title": "Silk Scarf", "quantity": 1, "price": 49.0,
                               "variant_id": "44120001003", "product_id": None}]}


def test_one_name_for_every_topic():
    [event] = events_of({**JOINED, "event": "anything"}, event_name="customer.updated")
    assert event.name == "customer.updated" and event.customer.first_name == "Maya"


def test_without_event_name_webhooks_are_stored_but_not_translated():
    assert events_of(SALE, event_name="") == []


@pytest.mark.parametrize("config, complaint", [
    ({"map": "occurred_at = $.created_at; channel = $.channel"}, "data: .* is a required property"),
    ({"map": MAP + "\ndata.total = $.sale.receipt : number"}, "'R-1057' is not a number"),
    ({"map": "occurred_at = $.nothing"}, "occurred_at is empty"),
    ({"map": "data.order = $.sale.id"}, "occurred_at is empty"),
    ({"map": "customer.nickname = $.buyer.name"}, "customer fields are"),
    ({"event_name": "sale.created=order.created"}, "not a canonical event"),
])
def test_a_wrong_mapping_fails_the_event_in_plain_words(config, complaint):
    with pytest.raises(PayloadInvalid, match=complaint):
        events_of(SALE, **config)


@pytest.mark.parametrize("path, expected", [
    ("$.sale.lines[0].name", "Silk Scarf"), ("$.sale.lines[*].sku", [44120001003]),
    ("$['sale']['receipt']", "R-1057"), ("$.sale.lines[5].name", None), ("$.missing.deep", None),
    ("$.sale.lines[-1].qty", "1"),
])
def test_json_paths_read_what_they_say(path, expected):
    assert read_path(SALE, parse_path(path)) == expected


@pytest.mark.parametrize("rules", ["data.x = $..deep", "data.x = sale.id : number",
                                   "data.a[*] = $.b[*]", "data.a = $.b[*]", "key"])
def test_unreadable_rules_are_refused(rules):
    with pytest.raises(MappingInvalid):
        apply_rules(parse_rules(rules), SALE)


# -- outbound request --------------------------------------------------------------------------
def test_auth_header_is_sent_only_to_the_connections_own_base_url():
    adapter = CONTRACT.build()
    with responses.RequestsMock() as mock:
        mock.add("POST", "https://elsewhere.example.org/hook", status=204)
        mock.add("POST", "https://crm.example.com/api/notes", status=204)
        adapter.perform("http_request", {"method": "POST", "url": "https://elsewhere.example.org/hook",
                                         "json": {}}, idempotency_key="k1")
        adapter.perform("http_request", {"method": "POST", "url": "https://crm.example.com/api/notes",
                                         "json": {}}, idempotency_key="k2")
        assert "Authorization" not in mock.calls[0].request.headers
        assert mock.calls[1].request.headers["Authorization"] == CRM_TOKEN


def test_a_timeout_with_an_idempotency_header_may_be_resent():
    adapter = CONTRACT.build()
    with responses.RequestsMock() as mock:
        mock.add("POST", "https://crm.example.com/api/contacts", body=requests.ReadTimeout())
        outcome = adapter.perform("http_request", POST_CONTACT.inputs, idempotency_key="k1")
    assert outcome.kind == "retry" and "Idempotency-Key" in outcome.summary


def test_a_timeout_without_one_is_unknown():
    adapter = CONTRACT.build()
    inputs = {k: v for k, v in POST_CONTACT.inputs.items() if k != "idempotency_header"}
    with responses.RequestsMock() as mock:
        mock.add("POST", "https://crm.example.com/api/contacts", body=requests.ReadTimeout())
        assert adapter.perform("http_request", inputs, idempotency_key="k1").kind == "unknown"


def test_the_answer_is_readable_by_later_steps():
    with responses.RequestsMock() as mock:
        mock.add("POST", "https://crm.example.com/api/contacts", status=201, json={"id": "c_77"})
        outcome = CONTRACT.build().perform("http_request", POST_CONTACT.inputs, idempotency_key="k1")
    assert outcome.result == {"status_code": 201, "body": {"id": "c_77"}}


def test_a_relative_url_without_a_base_is_refused_before_sending():
    adapter = CONTRACT.build(api_base_url="")
    with responses.RequestsMock() as mock:
        outcome = adapter.perform("http_request", {"method": "GET", "url": "/contacts"}, idempotency_key="k")
        assert not mock.calls
    assert outcome.kind == "failed" and "api_base_url" in outcome.summary
