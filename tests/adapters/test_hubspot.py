"""HubSpot adapter: batch upsert with per-row outcomes, notes, 429 policies, v3 signatures."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
from datetime import datetime

import pytest
import requests
import responses

from adapters.base import PayloadInvalid, SignatureInvalid, TopicUnknown, WebhookRequest
from adapters.contract import (
    ActionCase,
    AdapterContract,
    Exchange,
    Reply,
    Request,
    WebhookCase,
    contract_tests,
)
from adapters.hubspot import (
    HubSpotAdapter,
    contact_properties,
    seconds_until_midnight,
    v3_signature,
)
from hub import clock
from hub.events import validate_event
from tests.support.fixtures import SECRETS, fixture_bytes, fixture_json, signed

BASE = "https://api.hubapi.com"
UPSERT = BASE + "/crm/v3/objects/contacts/batch/upsert"
NOTES = BASE + "/crm/v3/objects/notes"
TOKEN = "pat-na1-11111111-2222-3333-4444-555555555555"
CONFIG = {"access_token": TOKEN, "client_secret": SECRETS["hubspot"],
          "time_zone": "America/New_York", "api_base_url": BASE}
HOOK_URL = "https://hub.example.com/hooks/hubspot-main"
#: The fixture webhook's timestamp header is 2026-11-24T15:00:05Z.
SIGNED_AT = datetime(2026, 11, 24, 15, 0, 5, tzinfo=clock.UTC)

MAYA = {"email": "maya.lopez@example.com", "first_name": "Maya", "last_name": "Lopez",
        "phone": "+14155550142",
        "cart_items": ["Linen Wrap Dress (Blue / M) x1", "Straw Tote (Natural) x1"],
        "cart_value": 176, "wishlist": "Silk Scarf (Coral)", "last_channel": "web",
        "sms_consent": "subscribed"}
JORDAN = {"email": "jordan.kim@example.com", "cart_value": "65"}


@pytest.fixture
def hubspot() -> HubSpotAdapter:
    return HubSpotAdapter(CONFIG, connection_id="hubspot-main",
                          public_url="https://hub.example.com")


def sent(call) -> dict:
    return json.loads(call.request.body)


def webhook(**header_changes) -> WebhookRequest:
    request = signed("hubspot/webhook_contact_property_change.json")
    headers = {k: v for k, v in {**request.headers, **header_changes}.items() if v is not None}
    return WebhookRequest("POST", HOOK_URL, headers, request.body)


# -- upsert ------------------------------------------------------------------------------------
def test_upsert_sends_the_batch_shape_with_the_hub_properties(hubspot, mocked):
    mocked.add(responses.POST, UPSERT, status=200,
               body=fixture_bytes("hubspot/batch_upsert_response_200.json"),
               content_type="application/json")
    outcomes = hubspot.perform_batch("upsert_contact", [("r1", MAYA), ("r2", JORDAN)])
    assert sent(mocked.calls[0]) == fixture_json("hubspot/batch_upsert_request.json")
    assert mocked.calls[0].request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert [o.kind for o in outcomes] == ["delivered", "delivered"]
    assert [o.result for o in outcomes] == [
        {"contact_id": "51234567001", "new": False, "external_id": "51234567001",
         "customer_id": "51234567001"},
        {"contact_id": "51234567002", "new": True, "external_id": "51234567002",
         "customer_id": "51234567002"}]


def test_lifetime_value_last_order_and_extra_properties_are_strings():
    properties = contact_properties({"email": "maya.lopez@example.com", "lifetime_value": 225.5,
                                     "last_order_name": "#1042", "last_order_value": "176",
                                     "last_order_date": "2026-11-21", "order_count": 2,
                                     "email_consent": "subscribed",
                                     "properties": {"vip": True, "hub_points": 40}})
    assert properties == {"email": "maya.lopez@example.com", "hub_lifetime_value": "225.50",
                          "hub_last_order_name": "#1042", "hub_last_order_value": "176.00",
                          "hub_last_order_date": "2026-11-21", "hub_order_count": "2",
                          "hub_email_consent": "subscribed", "vip": "true", "hub_points": "40"}


def test_nulls_from_a_recipe_leave_properties_untouched():
    assert contact_properties({"email": "maya.lopez@example.com", "cart_value": None,
                               "wishlist": None, "sms_consent": None, "properties": {"vip": None},
                               "first_name": "Maya"}) == {
        "email": "maya.lopez@example.com", "firstname": "Maya"}
    assert not HubSpotAdapter({}).validate_inputs("upsert_contact", {
        "email": "maya.lopez@example.com", "cart_value": None, "order_count": None})


def test_a_207_maps_each_result_and_error_back_to_its_row(hubspot, mocked):
    mocked.add(responses.POST, UPSERT, status=207,
               body=fixture_bytes("hubspot/batch_upsert_response_207.json"),
               content_type="application/json")
    bad = {"email": "jordan.kim@example", "cart_value": 65}
    maya, jordan = hubspot.perform_batch("upsert_contact", [("r1", MAYA), ("r2", bad)])
    assert maya.kind == "delivered" and maya.result["contact_id"] == "51234567001"
    assert jordan.kind == "failed"
    assert "Email address jordan.kim@example is invalid" in jordan.summary
    assert "[VALIDATION_ERROR]" in jordan.summary


def test_250_pending_rows_are_3_requests_with_one_outcome_per_row(hubspot, mocked):
    def answer(request):
        inputs = json.loads(request.body)["inputs"]
        results = [{"id": str(60000000000 + int(i["id"].split("@")[0][len("shopper"):])),
                    "properties": {"email": i["id"]}, "createdAt": "2026-11-20T16:31:00.000Z",
                    "updatedAt": "2026-11-20T16:31:00.000Z", "archived": False, "new": True}
                   for i in inputs]
        results.reverse()  # HubSpot does not promise input order
        return 200, {}, json.dumps({"status": "COMPLETE", "results": results,
                                    "startedAt": "2026-11-20T16:31:00.101Z",
                                    "completedAt": "2026-11-20T16:31:00.290Z"})

    mocked.add_callback(responses.POST, UPSERT, callback=answer, content_type="application/json")
    rows = [(f"outbox-{n}", {"email": f"shopper{n}@example.com", "cart_value": n})
            for n in range(250)]
    batch = HubSpotAdapter.action("upsert_contact").batch_size
    outcomes = []
    for start in range(0, len(rows), batch):  # the delivery worker's chunking
        outcomes += hubspot.perform_batch("upsert_contact", rows[start:start + batch])
    assert [len(sent(c)["inputs"]) for c in mocked.calls] == [100, 100, 50]
    assert len(outcomes) == 250 and all(o.kind == "delivered" for o in outcomes)
    assert [o.result["contact_id"] for o in outcomes] == [str(60000000000 + n) for n in range(250)]


def test_the_same_contact_twice_goes_into_a_later_request(hubspot, mocked):
    mocked.add(responses.POST, UPSERT, status=200,
               body=fixture_bytes("hubspot/batch_upsert_response_200.json"),
               content_type="application/json")
    rows = [("a", MAYA), ("b", JORDAN), ("c", {**MAYA, "cart_value": 48})]
    outcomes = hubspot.perform_batch("upsert_contact", rows)
    assert [[i["id"] for i in sent(c)["inputs"]] for c in mocked.calls] == [
        ["maya.lopez@example.com", "jordan.kim@example.com"], ["maya.lopez@example.com"]]
    assert sent(mocked.calls[1])["inputs"][0]["properties"]["hub_cart_value"] == "48.00"
    assert [o.kind for o in outcomes] == ["delivered"] * 3


PROPERTIES = BASE + "/crm/v3/properties/contacts"


def missing_property_207() -> dict:
    """The 207 HubSpot gives when ``hub_cart_value`` does not exist in the account."""
    answer = fixture_json("hubspot/batch_upsert_response_207.json")
    answer["results"], answer["errors"][0]["context"]["ids"] = [], ["maya.lopez@example.com"]
    answer["errors"][0]["message"] = (
        'Property values were not valid: [{"isValid":false,"message":"Property \\"hub_cart_value'
        '\\" does not exist","error":"PROPERTY_DOESNT_EXIST","name":"hub_cart_value"}]')
    return answer


def test_missing_hub_properties_are_created_and_the_row_is_sent_again(hubspot, mocked):
    mocked.add(responses.POST, UPSERT, status=207, json=missing_property_207())
    existing = ["email", "firstname", "lastname", "phone", "hub_cart_items", "hub_wishlist"]
    mocked.add(responses.GET, PROPERTIES, json={"results": [{"name": n} for n in existing]})
    mocked.add(responses.POST, PROPERTIES, status=201, json={})
    [outcome] = hubspot.perform_batch("upsert_contact", [("a", MAYA)])
    assert outcome.kind == "retry" and outcome.retry_after == 0.0
    created = [sent(c) for c in mocked.calls if c.request.url == PROPERTIES and
               c.request.method == "POST"]
    assert [c["name"] for c in created] == [
        "hub_cart_value", "hub_last_channel", "hub_sms_consent", "hub_email_consent",
        "hub_last_order_name", "hub_last_order_date", "hub_last_order_value",
        "hub_lifetime_value", "hub_order_count"]
    assert created[0] == {"name": "hub_cart_value", "label": "Cart value (hub)", "type": "number",
                          "fieldType": "number", "groupName": "contactinformation",
                          "description": "Kept up to date by the omnichannel hub."}
    assert "created hub_cart_value" in outcome.summary


def test_without_the_schema_scope_the_row_fails_saying_how_to_set_the_account_up(hubspot, mocked):
    mocked.add(responses.POST, UPSERT, status=207, json=missing_property_207())
    mocked.add(responses.GET, PROPERTIES, status=403, json={
        "status": "error", "message": "This app hasn't been granted all required scopes.",
        "category": "MISSING_SCOPES"})
    [outcome] = hubspot.perform_batch("upsert_contact", [("a", MAYA)])
    assert outcome.kind == "failed" and "PROPERTY_DOESNT_EXIST" in outcome.summary
    assert "crm.schemas.contacts.write" in outcome.summary
    assert "creating them failed: rejected (403)" in outcome.summary


def test_against_the_simulator_a_fresh_account_gets_its_properties_then_the_contact():
    from hub.simulators import SimConfig, Simulators, SimulatorServer
    from hub.simulators.config import HubSpotConfig

    sims = Simulators(SimConfig(hubspot=HubSpotConfig(access_token=TOKEN, custom_properties=())))
    try:
        with SimulatorServer(sims) as server:
            adapter = HubSpotAdapter({**CONFIG, "api_base_url": server.url("hubspot")},
                                     connection_id="hubspot-main")
            [first] = adapter.perform_batch("upsert_contact", [("a", MAYA)])
            [second] = adapter.perform_batch("upsert_contact", [("a", MAYA)])
            note = adapter.perform("create_note", {"email": MAYA["email"], "body": "<p>cart</p>"},
                                   idempotency_key="n")
    finally:
        sims.close()
    assert first.kind == "retry", first.summary
    assert second.kind == "delivered" and second.result["new"] is True, second.summary
    assert note.kind == "delivered" and note.result["contact_id"] == second.result["contact_id"]


def test_a_row_missing_from_the_answer_is_sent_again(hubspot, mocked):
    answer = fixture_json("hubspot/batch_upsert_response_200.json")
    answer["results"] = answer["results"][:1]
    mocked.add(responses.POST, UPSERT, status=200, json=answer)
    maya, jordan = hubspot.perform_batch("upsert_contact", [("a", MAYA), ("b", JORDAN)])
    assert (maya.kind, jordan.kind) == ("delivered", "retry")


def test_a_whole_request_failure_is_every_rows_outcome(hubspot, mocked):
    mocked.add(responses.POST, UPSERT, status=400, body=fixture_bytes("hubspot/error_400.json"),
               content_type="application/json")
    outcomes = hubspot.perform_batch("upsert_contact", [("a", MAYA), ("b", JORDAN)])
    assert [o.kind for o in outcomes] == ["failed", "failed"]
    assert outcomes[0].summary == ("rejected (400): Invalid input JSON on line 1, column 15: "
                                   "Cannot deserialize value [VALIDATION_ERROR]")


@pytest.mark.parametrize("inputs", [{"first_name": "Maya"}, {"email": "not-an-email"},
                                    {"email": "maya.lopez@example.com", "cart_value": "cheap"},
                                    {"email": "maya.lopez@example.com", "sms_consent": "maybe"}])
def test_invalid_rows_fail_alone_before_sending(hubspot, mocked, inputs):
    mocked.add(responses.POST, UPSERT, status=200,
               body=fixture_bytes("hubspot/batch_upsert_response_200.json"),
               content_type="application/json")
    bad, good = hubspot.perform_batch("upsert_contact", [("a", inputs), ("b", MAYA)])
    assert bad.kind == "failed" and good.kind == "delivered"
    assert [i["id"] for i in sent(mocked.calls[0])["inputs"]] == ["maya.lopez@example.com"]


# -- rate limits -------------------------------------------------------------------------------
def error_429_headers() -> dict:
    lines = fixture_bytes("hubspot/error_429.headers.txt").decode().splitlines()[1:]
    return dict(line.split(": ", 1) for line in lines if ": " in line and
                not line.startswith("Content-Type"))


def test_the_ten_second_limit_waits_for_the_next_window(hubspot, mocked):
    mocked.add(responses.POST, UPSERT, status=429, body=fixture_bytes("hubspot/error_429.json"),
               headers=error_429_headers(), content_type="application/json")
    [outcome] = hubspot.perform_batch("upsert_contact", [("a", MAYA)])
    assert outcome.kind == "retry" and outcome.retry_after == 10.0
    assert "ten_secondly_rolling" in outcome.summary


def test_the_daily_limit_waits_until_midnight_in_the_accounts_time_zone(hubspot, mocked):
    body = {**fixture_json("hubspot/error_429.json"), "policyName": "DAILY",
            "message": "You have reached your daily limit."}
    mocked.add(responses.POST, UPSERT, status=429, json=body, headers=error_429_headers())
    # 15:00 UTC = 10:00 in New York: 14 hours to midnight there, plus a minute's margin.
    with clock.frozen(datetime(2026, 11, 24, 15, 0, 0, tzinfo=clock.UTC)):
        [outcome] = hubspot.perform_batch("upsert_contact", [("a", MAYA)])
    assert outcome.kind == "retry" and outcome.retry_after == 14 * 3600 + 60
    assert outcome.summary == ("HubSpot's daily API limit is used up; it resets at midnight "
                               "(America/New_York), in 14h 01m")


def test_midnight_follows_the_zone_across_a_dst_change():
    # 1 Nov 2026 is 25 hours long in New York (clocks go back).
    start = datetime(2026, 11, 1, 4, 0, 0, tzinfo=clock.UTC)  # 00:00 EDT
    assert seconds_until_midnight("America/New_York", start) == 25 * 3600
    assert seconds_until_midnight("UTC", start) == 20 * 3600


def test_declared_limits_are_the_smallest_plans():
    assert {(r.requests, r.per_seconds) for r in HubSpotAdapter.rate_limits} == {
        (100, 10.0), (250_000, 86_400.0)}
    assert HubSpotAdapter.action("upsert_contact").batch_size == 100


@pytest.mark.parametrize("error", [requests.ConnectionError("reset by peer"),
                                   requests.ReadTimeout()])
def test_a_lost_answer_leaves_every_row_to_retry_or_check(hubspot, mocked, error):
    mocked.add(responses.POST, UPSERT, body=error)
    outcomes = hubspot.perform_batch("upsert_contact", [("a", MAYA), ("b", JORDAN)])
    assert {o.kind for o in outcomes} <= {"retry", "unknown"} and len(outcomes) == 2


# -- notes -------------------------------------------------------------------------------------
def test_create_note_is_associated_with_the_contact(hubspot, mocked):
    request = fixture_json("hubspot/create_note_request.json")
    mocked.add(responses.POST, NOTES, status=201,
               json={"id": "90000000001", "properties": request["properties"]})
    outcome = hubspot.perform("create_note", {
        "contact_id": "51234567001", "body": request["properties"]["hs_note_body"],
        "timestamp": request["properties"]["hs_timestamp"]}, idempotency_key="n-1")
    assert sent(mocked.calls[0]) == request
    assert outcome.kind == "delivered"
    assert outcome.result == {"note_id": "90000000001", "contact_id": "51234567001",
                              "external_id": "90000000001"}
    assert HubSpotAdapter.action("create_note").idempotent is False


def test_a_note_without_a_time_is_stamped_with_the_hubs_now(hubspot, mocked):
    mocked.add(responses.POST, NOTES, status=201, json={"id": "1"})
    with clock.frozen(datetime(2026, 11, 20, 15, 2, 20, tzinfo=clock.UTC)):
        hubspot.perform("create_note", {"contact_id": "51234567001", "body": "<p>hi</p>"},
                        idempotency_key="n")
    assert sent(mocked.calls[0])["properties"]["hs_timestamp"] == "2026-11-20T15:02:20.000Z"


def test_a_note_by_email_finds_the_contact_first(hubspot, mocked):
    lookup = BASE + "/crm/v3/objects/contacts/maya.lopez@example.com"
    mocked.add(responses.GET, lookup, json={"id": "51234567001", "properties": {}})
    mocked.add(responses.POST, NOTES, status=201, json={"id": "2"})
    outcome = hubspot.perform("create_note",
                              {"email": "maya.lopez@example.com", "body": "<p>x</p>"},
                              idempotency_key="n")
    assert mocked.calls[0].request.url == lookup + "?idProperty=email"
    assert sent(mocked.calls[1])["associations"][0]["to"] == {"id": "51234567001"}
    assert outcome.kind == "delivered"


def test_a_note_for_an_unknown_email_fails_clearly(hubspot, mocked):
    mocked.add(responses.GET, BASE + "/crm/v3/objects/contacts/nobody@example.com",
               status=404, json={"status": "error", "message": "Object not found.",
                                 "category": "OBJECT_NOT_FOUND"})
    outcome = hubspot.perform("create_note", {"email": "nobody@example.com", "body": "<p>x</p>"},
                              idempotency_key="n")
    assert outcome.kind == "failed" and "upsert the contact first" in outcome.summary
    assert len(mocked.calls) == 1


# -- webhooks ----------------------------------------------------------------------------------
def test_the_fixture_webhook_verifies_within_the_window(hubspot):
    with clock.frozen(SIGNED_AT):
        hubspot.verify_webhook(webhook())


def test_v3_signature_reproduces_the_vector_and_decodes_the_uri():
    body = fixture_bytes("hubspot/webhook_contact_property_change.json")
    expected = "sTBpf57aHTI1nPXN/Zejp+zzdfF7Gka9vF2reeRnjXE="
    assert v3_signature(SECRETS["hubspot"], "POST", HOOK_URL, body, "1795532405000") == expected
    encoded = HOOK_URL.replace("https://", "https%3A%2F%2F")
    assert v3_signature(SECRETS["hubspot"], "POST", encoded, body, "1795532405000") == expected


@pytest.mark.parametrize("moment,ok", [
    (datetime(2026, 11, 24, 15, 4, 59, tzinfo=clock.UTC), True),
    (datetime(2026, 11, 24, 15, 5, 6, tzinfo=clock.UTC), False),   # over 5 minutes old
    (datetime(2026, 11, 24, 14, 55, 4, tzinfo=clock.UTC), False),  # from the future
])
def test_the_timestamp_must_be_within_five_minutes(hubspot, moment, ok):
    with clock.frozen(moment):
        if ok:
            hubspot.verify_webhook(webhook())
        else:
            with pytest.raises(SignatureInvalid, match="5 minutes"):
                hubspot.verify_webhook(webhook())


@pytest.mark.parametrize("change", [
    {"X-HubSpot-Signature-v3": None},
    {"X-HubSpot-Signature-v3": "sTBpf57aHTI1nPXN/Zejp+zzdfF7Gka9vF2reeRnjXA="},
    {"X-HubSpot-Request-Timestamp": None},
    {"X-HubSpot-Request-Timestamp": "1795532404000"},  # signed with another timestamp
])
def test_missing_or_wrong_signatures_are_rejected(hubspot, change):
    with clock.frozen(SIGNED_AT), pytest.raises(SignatureInvalid):
        hubspot.verify_webhook(webhook(**change))


def test_wrong_secret_changed_body_or_other_url_is_rejected(hubspot):
    wrong = HubSpotAdapter({**CONFIG, "client_secret": "hs_wrong_secret"})
    request = webhook()
    with clock.frozen(SIGNED_AT):
        with pytest.raises(SignatureInvalid):
            wrong.verify_webhook(request)
        with pytest.raises(SignatureInvalid):
            changed = request.body.replace(b"unsubscribed", b"subscribed")
            hubspot.verify_webhook(WebhookRequest("POST", HOOK_URL, request.headers, changed))
        with pytest.raises(SignatureInvalid, match="HUB_PUBLIC_URL"):
            hubspot.verify_webhook(WebhookRequest(
                "POST", "http://127.0.0.1:8000/hooks/hubspot-main", request.headers, request.body))
    without = HubSpotAdapter({**CONFIG, "client_secret": ""})
    with pytest.raises(SignatureInvalid, match="no client secret"):
        without.verify_webhook(request)


def test_an_sms_consent_change_in_the_crm_is_a_consent_event(hubspot):
    parsed = hubspot.parse_webhook(webhook())
    assert (parsed.topic, parsed.delivery_id) == ("contact.propertyChange", "100")
    assert parsed.occurred_at == "2026-11-24T15:00:00.000000Z"
    [event] = hubspot.to_events(parsed.topic, parsed.payload, memory=None)
    validate_event(event)
    assert event.name == "consent.changed"
    assert event.data["channel"] == "sms" and event.data["state"] == "unsubscribed"
    assert event.data["source"] == "hubspot"
    assert event.customer.external_ids == {"hubspot": "51234567001"}
    assert (event.occurred_at, event.channel, event.key) == (
        "2026-11-24T15:00:00.000000Z", "crm", "51234567001")
    assert event.raw == parsed.payload


@pytest.mark.parametrize("name,value,expected", [
    ("firstname", "Maya", ("customer.updated", {"first_name": "Maya"})),
    ("hs_lead_status", "OPEN", ("customer.updated", {"properties": {"hs_lead_status": "OPEN"}})),
    ("hs_email_optout", "true", ("consent.changed", None)),
    ("hub_sms_consent", "pending",
     ("customer.updated", {"properties": {"hub_sms_consent": "pending"}})),
])
def test_other_property_changes(hubspot, name, value, expected):
    item = {**fixture_json("hubspot/webhook_contact_property_change.json")[0],
            "propertyName": name, "propertyValue": value}
    [event] = hubspot.to_events("contact.propertyChange", [item], memory=None)
    validate_event(event)
    assert event.name == expected[0]
    if expected[1] is not None:
        assert event.data == expected[1]
    else:
        assert (event.data["channel"], event.data["state"]) == ("email", "unsubscribed")


def test_a_mixed_delivery_has_one_stable_id_and_skips_other_objects(hubspot):
    base = fixture_json("hubspot/webhook_contact_property_change.json")[0]
    events = [base, {**base, "eventId": 101, "subscriptionType": "contact.creation"},
              {**base, "eventId": 102, "subscriptionType": "deal.creation"}]
    body = json.dumps(events).encode()
    parsed = hubspot.parse_webhook(WebhookRequest("POST", HOOK_URL, {}, body))
    reordered = json.dumps(events[::-1]).encode()
    again = hubspot.parse_webhook(WebhookRequest("POST", HOOK_URL, {}, reordered))
    assert parsed.topic == "mixed" and parsed.delivery_id == again.delivery_id
    names = [e.name for e in hubspot.to_events(parsed.topic, parsed.payload, memory=None)]
    assert names == ["consent.changed", "customer.created"]


def test_bodies_that_are_not_hubspot_events_are_refused(hubspot):
    for body in (b"{}", b"[]", b'[{"eventId": 1}]'):
        with pytest.raises(PayloadInvalid):
            hubspot.parse_webhook(WebhookRequest("POST", HOOK_URL, {}, body))
    with pytest.raises(TopicUnknown):
        hubspot.parse_webhook(WebhookRequest(
            "POST", HOOK_URL, {}, b'[{"eventId": 1, "subscriptionType": "deal.creation"}]'))


# -- connection test and secrets ---------------------------------------------------------------
def test_connection_test_is_a_harmless_read(hubspot, mocked):
    mocked.add(responses.GET, BASE + "/crm/v3/objects/contacts?limit=1",
               json={"results": []}, headers={"X-HubSpot-RateLimit-Daily-Remaining": "241322"})
    outcome = hubspot.test_connection()
    assert outcome.kind == "delivered"
    assert outcome.summary == "connected to HubSpot; 241322 API calls left today"


def test_no_secret_in_repr_outcomes_errors_or_logs(hubspot, mocked, caplog):
    caplog.set_level(logging.DEBUG)
    mocked.add(responses.POST, UPSERT, status=401, json={
        "status": "error", "message": "Authentication credentials not found.",
        "category": "INVALID_AUTHENTICATION"})
    outcomes = hubspot.perform_batch("upsert_contact", [("a", MAYA)])
    with clock.frozen(SIGNED_AT), pytest.raises(SignatureInvalid) as rejected:
        hubspot.verify_webhook(webhook(**{"X-HubSpot-Signature-v3": "bad"}))
    for text in (repr(hubspot), repr(outcomes), str(rejected.value), caplog.text):
        assert TOKEN not in text and SECRETS["hubspot"] not in text


# -- the contract kit --------------------------------------------------------------------------
def signed_by_hubspot(events: list, at: datetime = SIGNED_AT) -> WebhookRequest:
    """A body the fixtures do not hold, signed the way HubSpot signs (v3)."""
    body = json.dumps(events, separators=(",", ":")).encode()
    timestamp = str(int(at.timestamp() * 1000))
    message = b"POST" + HOOK_URL.encode() + body + timestamp.encode()
    digest = hmac.new(SECRETS["hubspot"].encode(), message, hashlib.sha256).digest()
    return WebhookRequest("POST", HOOK_URL, {
        "Content-Type": "application/json", "X-HubSpot-Request-Timestamp": timestamp,
        "X-HubSpot-Signature-v3": base64.b64encode(digest).decode()}, body)


_CHANGE = fixture_json("hubspot/webhook_contact_property_change.json")[0]
_CREATED = {**_CHANGE, "eventId": 101, "subscriptionType": "contact.creation"}
for _key in ("propertyName", "propertyValue", "changeSource", "sourceId"):
    _CREATED.pop(_key)
SIGNATURE = ("X-HubSpot-Signature-v3",)
STALE = datetime(2026, 11, 24, 15, 5, 6, tzinfo=clock.UTC)
AUTH = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}

CONTRACT = AdapterContract(
    adapter=HubSpotAdapter,
    config=CONFIG,
    webhooks=[
        WebhookCase("property-change-sms-consent", webhook(), ("consent.changed",), SIGNATURE,
                    topic="contact.propertyChange", at=SIGNED_AT, stale_at=STALE),
        WebhookCase("contact-creation", signed_by_hubspot([_CREATED]), ("customer.created",),
                    SIGNATURE, topic="contact.creation", at=SIGNED_AT, stale_at=STALE),
        WebhookCase("mixed", signed_by_hubspot([_CREATED, {**_CHANGE, "eventId": 102,
                                                            "propertyName": "firstname",
                                                            "propertyValue": "Maya"}]),
                    ("customer.created", "customer.updated"), SIGNATURE, topic="mixed",
                    at=SIGNED_AT, stale_at=STALE),
    ],
    actions=[
        ActionCase("upsert_contact", inputs=MAYA, batch=True, exchange=Exchange(
            Request("POST", UPSERT, headers=AUTH, json={
                "inputs": fixture_json("hubspot/batch_upsert_request.json")["inputs"][:1]}),
            Reply(200, json=fixture_json("hubspot/batch_upsert_response_200.json"))),
            invalid=[{"first_name": "Maya"}, {"email": "maya"},
                     {"email": "maya.lopez@example.com", "lifetime_value": -1}]),
        ActionCase("create_note", inputs={
            "contact_id": "51234567001",
            "body": fixture_json("hubspot/create_note_request.json")["properties"]["hs_note_body"],
            "timestamp": "2026-11-20T15:02:20.000Z"},
            exchange=Exchange(Request("POST", NOTES, headers=AUTH,
                                      json=fixture_json("hubspot/create_note_request.json")),
                              Reply(201, json={"id": "90000000001"})),
            invalid=[{"contact_id": "51234567001"}, {"body": "<p>x</p>"},
                     {"contact_id": "maya", "body": "<p>x</p>"}]),
    ],
    connection_test=Exchange(Request("GET", BASE + "/crm/v3/objects/contacts?limit=1",
                                     headers={"Authorization": f"Bearer {TOKEN}"}),
                             Reply(200, json={"results": []})),
    rate_limited=Reply(429, json=fixture_json("hubspot/error_429.json"),
                       headers=error_429_headers()),
    rate_limit_wait=10.0,
    client_error=Reply(400, json=fixture_json("hubspot/error_400.json")),
    client_error_text="Invalid input JSON on line 1, column 15",
    connection_id="hubspot-main",
)
TestHubSpotContract = contract_tests(CONTRACT)
