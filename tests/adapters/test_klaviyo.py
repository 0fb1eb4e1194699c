"""Klaviyo adapter: exact JSON:API requests, unique_id on retries, consent jobs, errors."""

from __future__ import annotations

import json
import logging

import pytest
import requests
import responses

from adapters.contract import (
    ActionCase,
    AdapterContract,
    Exchange,
    Reply,
    Request,
    contract_tests,
)
from adapters.klaviyo import KlaviyoAdapter, klaviyo_error_text, unique_id_for
from tests.support.fixtures import SECRETS, fixture_bytes, fixture_json

BASE = "https://a.klaviyo.com"
CONFIG = {"api_key": SECRETS["klaviyo"], "list_id": "RkTq2Z", "revision": "2026-01-15",
          "api_base_url": BASE}


@pytest.fixture
def klaviyo() -> KlaviyoAdapter:
    return KlaviyoAdapter(CONFIG, connection_id="klaviyo-main",
                          public_url="https://hub.example.com")


def sent(call) -> dict:
    return json.loads(call.request.body)


def inputs_from_event_fixture(name: str) -> dict:
    """Recipe-level inputs that should produce the stored request body exactly."""
    attributes = fixture_json(f"klaviyo/{name}")["data"]["attributes"]
    inputs = {"metric": attributes["metric"]["data"]["attributes"]["name"],
              **attributes["profile"]["data"]["attributes"],
              "properties": attributes["properties"], "time": attributes["time"],
              "unique_id": attributes["unique_id"]}
    for key in ("value", "value_currency"):
        if key in attributes:
            inputs[key] = attributes[key]
    return inputs


def accepted_202(mocked, path: str) -> None:
    mocked.add(responses.POST, BASE + path, status=202, body=b"",
               headers={"RateLimit-Limit": "3500", "RateLimit-Remaining": "3498",
                        "RateLimit-Reset": "41"})


# -- requests in the vendor's shape ------------------------------------------------------------
def test_every_call_sends_the_auth_revision_and_json_api_headers(klaviyo, mocked):
    expected = dict(line.split(": ", 1) for line in
                    fixture_bytes("klaviyo/request.headers.txt").decode().splitlines() if line)
    accepted_202(mocked, "/api/events/")
    klaviyo.perform("track_event", inputs_from_event_fixture("create_event_placed_order.json"),
                    idempotency_key="d-1")
    headers = mocked.calls[0].request.headers
    for name, value in expected.items():
        assert headers[name] == value


@pytest.mark.parametrize("fixture", ["create_event_abandoned_checkout.json",
                                     "create_event_added_to_wishlist.json",
                                     "create_event_placed_order.json"])
def test_track_event_body_is_exactly_klaviyos_create_event_shape(klaviyo, mocked, fixture):
    accepted_202(mocked, "/api/events/")
    outcome = klaviyo.perform("track_event", inputs_from_event_fixture(fixture),
                              idempotency_key="delivery-9")
    assert outcome.kind == "delivered", outcome.summary
    assert sent(mocked.calls[0]) == fixture_json(f"klaviyo/{fixture}")
    expected = fixture_json(f"klaviyo/{fixture}")["data"]["attributes"]["unique_id"]
    assert outcome.result["unique_id"] == expected


def test_a_retried_track_event_carries_the_same_unique_id(klaviyo, mocked):
    inputs = inputs_from_event_fixture("create_event_abandoned_checkout.json")
    del inputs["unique_id"]  # the recipe gave none: the delivery's key decides
    mocked.add(responses.POST, BASE + "/api/events/", status=503, body=b"upstream unavailable")
    accepted_202(mocked, "/api/events/")
    first = klaviyo.perform("track_event", inputs, idempotency_key="outbox-41")
    second = klaviyo.perform("track_event", inputs, idempotency_key="outbox-41")
    assert (first.kind, second.kind) == ("retry", "delivered")
    ids = [sent(call)["data"]["attributes"]["unique_id"] for call in mocked.calls]
    assert ids[0] == ids[1] == unique_id_for("outbox-41")
    assert unique_id_for("outbox-42") != ids[0]


def test_nulls_from_a_recipe_are_left_out_and_a_decimal_string_value_is_a_number(klaviyo,
                                                                                  mocked):
    accepted_202(mocked, "/api/events/")
    outcome = klaviyo.perform("track_event", {
        "metric": "Placed Order", "email": "maya.lopez@example.com", "phone_number": None,
        "value": "176.00", "value_currency": None, "time": None, "properties": None},
        idempotency_key="o-1")
    assert outcome.kind == "delivered", outcome.summary
    attributes = sent(mocked.calls[0])["data"]["attributes"]
    assert attributes["value"] == 176.0 and "value_currency" not in attributes
    assert attributes["profile"]["data"]["attributes"] == {"email": "maya.lopez@example.com"}
    refused = klaviyo.perform("track_event", {"metric": "Placed Order", "email": None},
                              idempotency_key="o-2")
    assert refused.kind == "failed" and len(mocked.calls) == 1


def test_unique_id_from_an_unusual_key_is_a_stable_digest():
    key = "recipe:abandoned/checkout token=5b9f…"
    assert unique_id_for(key) == unique_id_for(key)
    assert unique_id_for(key).startswith("hub-") and len(unique_id_for(key)) == 44


def test_upsert_profile_sends_profile_import_and_reads_the_profile_back(klaviyo, mocked):
    request = fixture_json("klaviyo/profile_import_request.json")
    mocked.add(responses.POST, BASE + "/api/profile-import/", status=200,
               body=fixture_bytes("klaviyo/profile_import_response_200.json"),
               content_type="application/vnd.api+json")
    outcome = klaviyo.perform("upsert_profile", request["data"]["attributes"],
                              idempotency_key="p-1")
    assert sent(mocked.calls[0]) == request
    assert outcome.kind == "delivered"
    assert outcome.result == {"profile_id": "01JFQ0X9YB2C3D4E5F6G7H8J9K", "created": False,
                              "external_id": "01JFQ0X9YB2C3D4E5F6G7H8J9K"}
    assert outcome.summary == "profile updated in Klaviyo"


def test_subscribe_sms_sends_the_bulk_create_job_to_the_connections_list(klaviyo, mocked):
    accepted_202(mocked, "/api/profile-subscription-bulk-create-jobs/")
    outcome = klaviyo.perform("subscribe_sms", {"phone_number": "+14155550142"},
                              idempotency_key="s-1")
    assert outcome.kind == "delivered", outcome.summary
    assert sent(mocked.calls[0]) == fixture_json("klaviyo/subscribe_sms_request.json")


def test_unsubscribe_sms_sends_the_bulk_delete_job(klaviyo, mocked):
    accepted_202(mocked, "/api/profile-subscription-bulk-delete-jobs/")
    outcome = klaviyo.perform("unsubscribe_sms", {"phone_number": "+14155550142"},
                              idempotency_key="u-1")
    assert outcome.kind == "delivered", outcome.summary
    assert sent(mocked.calls[0]) == fixture_json("klaviyo/unsubscribe_sms_request.json")


def test_subscribe_email_with_earlier_consent_is_a_historical_import(klaviyo, mocked):
    accepted_202(mocked, "/api/profile-subscription-bulk-create-jobs/")
    klaviyo.perform("subscribe_email", {"email": "maya.lopez@example.com", "list_id": "Xy12ab",
                                        "custom_source": "Shopify checkout",
                                        "consented_at": "2026-11-20T14:00:00Z"},
                    idempotency_key="e-1")
    body = sent(mocked.calls[0])["data"]
    assert body["relationships"]["list"]["data"] == {"type": "list", "id": "Xy12ab"}
    assert body["attributes"]["historical_import"] is True
    assert body["attributes"]["custom_source"] == "Shopify checkout"
    assert body["attributes"]["profiles"]["data"] == [{"type": "profile", "attributes": {
        "email": "maya.lopez@example.com",
        "subscriptions": {"email": {"marketing": {"consent": "SUBSCRIBED",
                                                  "consented_at": "2026-11-20T14:00:00Z"}}}}}]


def test_subscribe_actions_declare_the_consent_they_need_and_unsubscribes_none():
    declared = {a.name: a.consent for a in KlaviyoAdapter.actions}
    assert declared["subscribe_email"] == "email" and declared["subscribe_sms"] == "sms"
    assert declared["unsubscribe_email"] is None and declared["unsubscribe_sms"] is None
    assert declared["track_event"] is None


# -- batches -----------------------------------------------------------------------------------
def test_a_batch_of_subscribes_is_one_job_per_list_with_one_outcome_per_row(klaviyo, mocked):
    accepted_202(mocked, "/api/profile-subscription-bulk-create-jobs/")
    rows = [("k1", {"phone_number": "+14155550142"}),
            ("k2", {"phone_number": "+14155550143", "list_id": "Other1"}),
            ("k3", {"phone_number": "+14155550144"})]
    outcomes = klaviyo.perform_batch("subscribe_sms", rows)
    assert [o.kind for o in outcomes] == ["delivered"] * 3
    assert len(mocked.calls) == 2
    jobs = [sent(c)["data"] for c in mocked.calls]
    by_list = {job["relationships"]["list"]["data"]["id"]:
               [p["attributes"]["phone_number"] for p in job["attributes"]["profiles"]["data"]]
               for job in jobs}
    assert by_list == {"RkTq2Z": ["+14155550142", "+14155550144"], "Other1": ["+14155550143"]}


def test_an_invalid_row_in_a_batch_fails_alone_before_anything_is_sent(klaviyo, mocked):
    accepted_202(mocked, "/api/profile-subscription-bulk-delete-jobs/")
    outcomes = klaviyo.perform_batch("unsubscribe_sms", [("a", {"phone_number": "4155550142"}),
                                                         ("b", {"phone_number": "+14155550142"})])
    assert [o.kind for o in outcomes] == ["failed", "delivered"]
    assert "phone_number" in outcomes[0].summary
    assert len(sent(mocked.calls[0])["data"]["attributes"]["profiles"]["data"]) == 1


def test_a_job_rejected_for_one_profile_fails_that_row_and_resends_the_others(klaviyo, mocked):
    error = fixture_json("klaviyo/error_400.json")
    error["errors"][0].update(detail="Phone number +14155550143 is not in a supported country.",
                              source={"pointer": "/data/attributes/profiles/data/1/attributes/"
                                                 "phone_number"})
    mocked.add(responses.POST, BASE + "/api/profile-subscription-bulk-create-jobs/", status=400,
               json=error, content_type="application/vnd.api+json")
    outcomes = klaviyo.perform_batch("subscribe_sms", [
        ("a", {"phone_number": "+14155550142"}), ("b", {"phone_number": "+14155550143"}),
        ("c", {"phone_number": "+14155550144"})])
    assert [o.kind for o in outcomes] == ["retry", "failed", "retry"]
    assert "not in a supported country" in outcomes[1].summary
    assert outcomes[0].retry_after == 0.0


# -- errors ------------------------------------------------------------------------------------
def test_a_json_api_400_becomes_a_readable_permanent_failure(klaviyo, mocked):
    mocked.add(responses.POST, BASE + "/api/events/", status=400,
               body=fixture_bytes("klaviyo/error_400.json"),
               content_type="application/vnd.api+json")
    outcome = klaviyo.perform("track_event", inputs_from_event_fixture(
        "create_event_placed_order.json"), idempotency_key="x")
    assert outcome.kind == "failed"
    assert outcome.summary == ("rejected (400): Invalid input. 'metric' is a required field. "
                               "(at /data/attributes/metric) [invalid]")


def test_a_429_is_transient_and_waits_as_long_as_retry_after_says(klaviyo, mocked):
    mocked.add(responses.POST, BASE + "/api/events/", status=429,
               body=fixture_bytes("klaviyo/error_429.json"),
               headers={"Retry-After": "3"}, content_type="application/vnd.api+json")
    outcome = klaviyo.perform("track_event", inputs_from_event_fixture(
        "create_event_placed_order.json"), idempotency_key="x")
    assert outcome.kind == "retry" and outcome.retry_after == 3.0
    assert "Request was throttled. Expected available in 3 seconds. [throttled]" in outcome.summary


def test_error_text_falls_back_for_a_body_that_is_not_json_api():
    response = requests.Response()
    response.status_code, response._content = 502, b"<html>bad gateway</html>"
    assert klaviyo_error_text(response) == "<html>bad gateway</html>"


@pytest.mark.parametrize("action,inputs,complaint", [
    ("track_event", {"email": "maya.lopez@example.com"}, "'metric' is a required property"),
    ("track_event", {"metric": "Placed Order"}, "not valid under any of the given schemas"),
    ("track_event", {"metric": "Placed Order", "email": "maya.lopez@example.com",
                     "value_currency": "usd"}, "value_currency: 'usd' does not match"),
    ("subscribe_sms", {"email": "maya.lopez@example.com"}, "'phone_number' is a required property"),
    ("upsert_profile", {"first_name": "Maya"}, "not valid under any of the given schemas"),
])
def test_invalid_inputs_fail_before_any_request(klaviyo, mocked, action, inputs, complaint):
    outcome = klaviyo.perform(action, inputs, idempotency_key="x")
    assert outcome.kind == "failed" and outcome.summary.startswith(f"klaviyo.{action}: ")
    assert complaint in outcome.summary
    assert len(mocked.calls) == 0


# -- connection test and secrets ---------------------------------------------------------------
def test_connection_test_reads_the_account(klaviyo, mocked):
    mocked.add(responses.GET, BASE + "/api/accounts/", status=200, json={"data": [{
        "type": "account", "id": "XyZ123",
        "attributes": {"contact_information": {"organization_name": "Northwind Boutique"}}}]})
    outcome = klaviyo.test_connection()
    assert outcome.kind == "delivered"
    assert outcome.summary == "connected to Klaviyo (Northwind Boutique)"


def test_a_wrong_key_fails_the_connection_test_without_showing_the_key(klaviyo, mocked):
    mocked.add(responses.GET, BASE + "/api/accounts/", status=401, json={"errors": [{
        "id": "1", "status": 401, "code": "not_authenticated",
        "title": "Authentication credentials were not provided.",
        "detail": "Missing or invalid private key.",
        "source": {"pointer": "/data/"}, "links": {}, "meta": {}}]})
    outcome = klaviyo.test_connection()
    assert outcome.kind == "failed" and "[not_authenticated]" in outcome.summary
    assert SECRETS["klaviyo"] not in repr(outcome)


def test_no_secret_in_repr_outcomes_or_logs(klaviyo, mocked, caplog):
    caplog.set_level(logging.DEBUG)
    accepted_202(mocked, "/api/events/")
    outcome = klaviyo.perform("track_event", inputs_from_event_fixture(
        "create_event_placed_order.json"), idempotency_key="x")
    for text in (repr(klaviyo), repr(outcome), caplog.text):
        assert SECRETS["klaviyo"] not in text


# -- the contract kit --------------------------------------------------------------------------
def _klaviyo_request(path: str, body: dict) -> Request:
    return Request("POST", BASE + path, json=body,
                   headers={"Authorization": f"Klaviyo-API-Key {SECRETS['klaviyo']}",
                            "revision": "2026-01-15", "Content-Type": "application/vnd.api+json"})


def _consent_case(action: str, inputs: dict, path: str, body: dict, invalid: list) -> ActionCase:
    return ActionCase(action, inputs=inputs,
                      exchange=Exchange(_klaviyo_request(path, body), Reply(202)),
                      invalid=invalid, batch=True)


def _email_consent_body(kind: str, state: str) -> dict:
    attributes: dict = {"profiles": {"data": [{"type": "profile", "attributes": {
        "email": "maya.lopez@example.com",
        "subscriptions": {"email": {"marketing": {"consent": state}}}}}]}}
    if state == "SUBSCRIBED":
        attributes["historical_import"] = False
    return {"data": {"type": kind, "attributes": attributes,
                     "relationships": {"list": {"data": {"type": "list", "id": "RkTq2Z"}}}}}


CONTRACT = AdapterContract(
    adapter=KlaviyoAdapter,
    config=CONFIG,
    actions=[
        ActionCase("track_event",
                   inputs=inputs_from_event_fixture("create_event_abandoned_checkout.json"),
                   exchange=Exchange(_klaviyo_request(
                       "/api/events/",
                       fixture_json("klaviyo/create_event_abandoned_checkout.json")),
                       Reply(202)),
                   invalid=[{"email": "maya.lopez@example.com"}, {"metric": "Placed Order"},
                            {"metric": "", "email": "maya.lopez@example.com"}]),
        ActionCase("upsert_profile",
                   inputs=fixture_json("klaviyo/profile_import_request.json")["data"]["attributes"],
                   exchange=Exchange(_klaviyo_request(
                       "/api/profile-import/", fixture_json("klaviyo/profile_import_request.json")),
                       Reply(200, json=fixture_json("klaviyo/profile_import_response_200.json"))),
                   invalid=[{"first_name": "Maya"}, {"email": "maya.lopez@example.com", "age": 3}]),
        _consent_case("subscribe_sms", {"phone_number": "+14155550142"},
                      "/api/profile-subscription-bulk-create-jobs/",
                      fixture_json("klaviyo/subscribe_sms_request.json"),
                      [{"phone_number": "(415) 555-0142"}, {}]),
        _consent_case("unsubscribe_sms", {"phone_number": "+14155550142"},
                      "/api/profile-subscription-bulk-delete-jobs/",
                      fixture_json("klaviyo/unsubscribe_sms_request.json"), [{"email": "a@b.c"}]),
        _consent_case("subscribe_email", {"email": "maya.lopez@example.com"},
                      "/api/profile-subscription-bulk-create-jobs/",
                      _email_consent_body("profile-subscription-bulk-create-job", "SUBSCRIBED"),
                      [{"email": "maya"}, {"phone_number": "+14155550142"}]),
        _consent_case("unsubscribe_email", {"email": "maya.lopez@example.com"},
                      "/api/profile-subscription-bulk-delete-jobs/",
                      _email_consent_body("profile-subscription-bulk-delete-job", "UNSUBSCRIBED"),
                      [{"email": ""}]),
    ],
    connection_test=Exchange(Request("GET", BASE + "/api/accounts/",
                                     headers={"revision": "2026-01-15"}),
                             Reply(200, json={"data": [{"type": "account", "id": "XyZ123",
                                                        "attributes": {}}]})),
    rate_limited=Reply(429, json=fixture_json("klaviyo/error_429.json"),
                       headers={"Retry-After": "3"}),
    client_error=Reply(400, json=fixture_json("klaviyo/error_400.json")),
    client_error_text="'metric' is a required field. (at /data/attributes/metric) [invalid]",
    connection_id="klaviyo-main",
)
TestKlaviyoContract = contract_tests(CONTRACT)


# -- against the Klaviyo simulator (real HTTP) -------------------------------------------------
def test_against_the_simulator_a_retried_event_is_one_event_and_consent_lands():
    from hub.simulators import SimConfig, Simulators, SimulatorServer
    from hub.simulators.config import KlaviyoConfig

    sims = Simulators(SimConfig(klaviyo=KlaviyoConfig(private_key=SECRETS["klaviyo"])))
    try:
        with SimulatorServer(sims) as server:
            adapter = KlaviyoAdapter({**CONFIG, "api_base_url": server.url("klaviyo")},
                                     connection_id="klaviyo-main")
            inputs = inputs_from_event_fixture("create_event_placed_order.json")
            del inputs["unique_id"]
            outcomes = [adapter.perform("track_event", inputs, idempotency_key="outbox-7")
                        for _ in range(2)]
            profile = adapter.perform("upsert_profile", fixture_json(
                "klaviyo/profile_import_request.json")["data"]["attributes"], idempotency_key="p")
            subscribed = adapter.perform_batch("subscribe_sms", [
                ("s1", {"phone_number": "+14155550142"}), ("s2", {"phone_number": "+14155550143"})])
            connected = adapter.test_connection()
        assert [o.kind for o in outcomes] == ["delivered", "delivered"]
        assert len(sims.klaviyo.events_named("Placed Order")) == 1  # the retry was a duplicate
        assert profile.kind == "delivered" and profile.result["profile_id"]
        assert [o.kind for o in subscribed] == ["delivered", "delivered"]
        assert connected.kind == "delivered", connected.summary
    finally:
        sims.close()
