"""The Klaviyo simulator: auth, revision, JSON:API validation, unique_id dedupe, limits."""

from __future__ import annotations

import json

import pytest
import requests

from adapters.klaviyo import KlaviyoAdapter
from hub.simulators import Faults, Simulators, SimulatorServer
from hub.simulators.config import KlaviyoConfig, KlaviyoTier
from tests.simulators.conftest import fixture_config
from tests.support.fixtures import SECRETS, fixture_bytes, fixture_json

HEADERS = {"Authorization": f"Klaviyo-API-Key {SECRETS['klaviyo']}", "revision": "2026-01-15",
           "Accept": "application/vnd.api+json", "Content-Type": "application/vnd.api+json"}
EVENT = "klaviyo/create_event_abandoned_checkout.json"


def post(server, path: str, body, **header_changes) -> requests.Response:
    headers = {k: v for k, v in {**HEADERS, **header_changes}.items() if v is not None}
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    return requests.post(f"{server.url('klaviyo')}{path}", data=data, headers=headers)


def without_ids(body: dict) -> dict:
    return {"errors": [{k: v for k, v in e.items() if k != "id"} for e in body["errors"]]}


def test_a_fixture_event_is_accepted_with_202_and_rate_limit_headers(sims, server):
    answer = post(server, "/api/events/", fixture_bytes(EVENT))
    assert answer.status_code == 202 and answer.content == b""
    assert answer.headers["RateLimit-Limit"] == "3500"
    assert answer.headers["RateLimit-Remaining"] == "3499"
    assert 0 <= int(answer.headers["RateLimit-Reset"]) <= 60
    [event] = sims.klaviyo.events
    assert event.metric == "Abandoned Checkout" and event.value == 176.0


@pytest.mark.parametrize("authorization, code", [
    (None, "not_authenticated"),
    ("Klaviyo-API-Key pk_wrong_key", "authentication_failed"),
    (f"Bearer {SECRETS['klaviyo']}", "authentication_failed"),
])
def test_missing_or_wrong_keys_get_a_jsonapi_401(server, authorization, code):
    answer = post(server, "/api/events/", fixture_bytes(EVENT), Authorization=authorization)
    assert answer.status_code == 401
    [error] = answer.json()["errors"]
    assert error["status"] == 401 and error["code"] == code


@pytest.mark.parametrize("revision", [None, "latest", "15-01-2026"])
def test_the_revision_header_is_required(server, revision):
    answer = post(server, "/api/events/", fixture_bytes(EVENT), revision=revision)
    assert answer.status_code == 400
    assert "revision" in answer.json()["errors"][0]["detail"]


def test_a_missing_metric_gets_exactly_klaviyos_400_body(sims, server):
    body = json.loads(fixture_bytes(EVENT))
    del body["data"]["attributes"]["metric"]
    answer = post(server, "/api/events/", body)
    assert answer.status_code == 400
    assert answer.headers["Content-Type"] == "application/vnd.api+json"
    assert without_ids(answer.json()) == without_ids(fixture_json("klaviyo/error_400.json"))
    assert sims.klaviyo.events == []


@pytest.mark.parametrize("change, pointer", [
    (lambda a: a.pop("properties"), "/data/attributes/properties"),
    (lambda a: a["profile"]["data"].update(attributes={}), "/data/attributes/profile/data/attributes"),
    (lambda a: a["profile"]["data"]["attributes"].update(phone_number="(415) 555-0142"),
     "/data/attributes/profile/data/attributes/phone_number"),
    (lambda a: a["metric"]["data"]["attributes"].update(name=""),
     "/data/attributes/metric/data/attributes/name"),
    (lambda a: a.update(time="last tuesday"), "/data/attributes/time"),
    (lambda a: a.update(value="176"), "/data/attributes/value"),
    (lambda a: a["properties"].update({f"p{i}": i for i in range(301)}),
     "/data/attributes/properties"),
])
def test_malformed_events_are_refused_with_the_field_pointer(server, change, pointer):
    body = json.loads(fixture_bytes(EVENT))
    change(body["data"]["attributes"])
    answer = post(server, "/api/events/", body)
    assert answer.status_code == 400
    assert pointer in [e["source"]["pointer"] for e in answer.json()["errors"]]


def test_wrong_type_and_malformed_json_and_media_type_are_refused(server):
    assert post(server, "/api/events/", {"data": {"type": "profile", "attributes": {}}}
                ).json()["errors"][0]["source"]["pointer"] == "/data/type"
    assert post(server, "/api/events/", b"{not json").json()["errors"][0]["code"] == \
        "parse_error"
    assert post(server, "/api/events/", fixture_bytes(EVENT),
                **{"Content-Type": "text/plain"}).status_code == 415


def test_a_second_event_with_the_same_unique_id_is_accepted_but_stored_once(sims, server):
    first = post(server, "/api/events/", fixture_bytes(EVENT))
    second = post(server, "/api/events/", fixture_bytes(EVENT))
    assert first.status_code == second.status_code == 202
    assert len(sims.klaviyo.events) == 1
    assert [d["unique_id"] for d in sims.klaviyo.duplicates] == [
        "abandoned-checkout-5b9f3c2ad41e4f0e8c1b7a6d9e2f4a10"]
    log = sims.requests("klaviyo", path_contains="/api/events/")
    assert log[0].note == "" and "duplicate unique_id" in log[1].note


def test_the_same_unique_id_for_another_metric_is_a_new_event(sims, server):
    post(server, "/api/events/", fixture_bytes(EVENT))
    body = json.loads(fixture_bytes(EVENT))
    body["data"]["attributes"]["metric"]["data"]["attributes"]["name"] = "Checkout Reminder"
    post(server, "/api/events/", body)
    assert len(sims.klaviyo.events) == 2 and sims.klaviyo.duplicates == []


def test_a_retried_adapter_delivery_creates_one_event(sims, server):
    adapter = KlaviyoAdapter({"api_key": SECRETS["klaviyo"],
                              "api_base_url": server.url("klaviyo")})
    inputs = {"metric": "Added to Wishlist", "email": "maya.lopez@example.com",
              "properties": {"ProductName": "Silk Scarf"}}
    outcomes = [adapter.perform("track_event", inputs, idempotency_key="outbox-17")
                for _ in range(2)]
    assert [o.kind for o in outcomes] == ["delivered", "delivered"]
    assert len(sims.klaviyo.events_named("Added to Wishlist")) == 1
    assert len(sims.klaviyo.duplicates) == 1


def test_profile_import_creates_then_updates(sims, server):
    created = post(server, "/api/profile-import/", fixture_bytes(
        "klaviyo/profile_import_request.json"))
    updated = post(server, "/api/profile-import/", fixture_bytes(
        "klaviyo/profile_import_request.json"))
    assert (created.status_code, updated.status_code) == (201, 200)
    expected = fixture_json("klaviyo/profile_import_response_200.json")["data"]
    body = updated.json()["data"]
    assert body["type"] == "profile" and len(body["id"]) == 26
    assert set(expected["attributes"]) <= set(body["attributes"])
    assert body["attributes"]["properties"] == expected["attributes"]["properties"]


def test_profile_import_refuses_identifiers_of_two_different_profiles(server):
    post(server, "/api/profile-import/", {"data": {"type": "profile", "attributes": {
        "email": "a@example.com"}}})
    post(server, "/api/profile-import/", {"data": {"type": "profile", "attributes": {
        "phone_number": "+14155550142"}}})
    clash = post(server, "/api/profile-import/", {"data": {"type": "profile", "attributes": {
        "email": "a@example.com", "phone_number": "+14155550142"}}})
    assert clash.status_code == 409
    assert clash.json()["errors"][0]["code"] == "duplicate_profile"


def test_subscribe_and_unsubscribe_jobs_change_consent(sims, server):
    subscribe = post(server, "/api/profile-subscription-bulk-create-jobs/",
                     fixture_bytes("klaviyo/subscribe_sms_request.json"))
    profile = sims.klaviyo.find_profile(phone_number="+14155550142")
    assert subscribe.status_code == 202 and profile.consent["sms"] == "SUBSCRIBED"
    assert profile.lists == {"RkTq2Z"}
    unsubscribe = post(server, "/api/profile-subscription-bulk-delete-jobs/",
                       fixture_bytes("klaviyo/unsubscribe_sms_request.json"))
    assert unsubscribe.status_code == 202 and profile.consent["sms"] == "UNSUBSCRIBED"
    assert profile.consent["email"] == "NEVER_SUBSCRIBED"


def test_a_bad_profile_in_a_job_is_named_by_its_index(server):
    body = json.loads(fixture_bytes("klaviyo/subscribe_sms_request.json"))
    good = body["data"]["attributes"]["profiles"]["data"][0]
    bad = json.loads(json.dumps(good))
    bad["attributes"]["phone_number"] = "415-555-0142"
    body["data"]["attributes"]["profiles"]["data"] = [good, bad]
    answer = post(server, "/api/profile-subscription-bulk-create-jobs/", body)
    assert answer.status_code == 400
    assert answer.json()["errors"][0]["source"]["pointer"] == \
        "/data/attributes/profiles/data/1/attributes/phone_number"


def test_a_historical_import_needs_consented_at(server):
    body = json.loads(fixture_bytes("klaviyo/subscribe_sms_request.json"))
    body["data"]["attributes"]["historical_import"] = True
    answer = post(server, "/api/profile-subscription-bulk-create-jobs/", body)
    assert answer.status_code == 400
    assert answer.json()["errors"][0]["source"]["pointer"].endswith("/consented_at")


def test_the_adapters_connection_test_reads_the_account(server):
    adapter = KlaviyoAdapter({"api_key": SECRETS["klaviyo"],
                              "api_base_url": server.url("klaviyo")})
    outcome = adapter.test_connection()
    assert outcome.ok and "Northwind Boutique" in outcome.summary


def test_burst_then_steady_windows_answer_429_with_retry_after(frozen_clock):
    tiers = {**KlaviyoConfig().tiers, "events": KlaviyoTier(burst=2, steady=3)}
    sims = Simulators(fixture_config(klaviyo=KlaviyoConfig(private_key=SECRETS["klaviyo"],
                                                           tiers=tiers)))
    frozen_clock.set(frozen_clock.move(seconds=0).replace(second=10, microsecond=0))
    with SimulatorServer(sims) as server:
        burst = [post(server, "/api/events/", fixture_bytes(EVENT)) for _ in range(3)]
        frozen_clock.move(seconds=1)
        steady = [post(server, "/api/events/", fixture_bytes(EVENT)) for _ in range(2)]
    assert [a.status_code for a in burst] == [202, 202, 429]
    assert burst[2].headers["Retry-After"] == "1"
    assert "RateLimit-Limit" not in burst[2].headers
    assert without_ids(burst[2].json())["errors"][0]["code"] == "throttled"
    assert [a.status_code for a in steady] == [202, 429]
    assert steady[1].headers["Retry-After"] == "49"  # the minute window ends at :00
    assert steady[1].json()["errors"][0]["detail"] == \
        "Request was throttled. Expected available in 49 seconds."


def test_an_injected_429_has_the_fixtures_shape(sims, server):
    sims.set_faults("klaviyo", Faults(fail_next=1, fail_status=429))
    answer = post(server, "/api/events/", fixture_bytes(EVENT))
    expected = fixture_json("klaviyo/error_429.json")["errors"][0]
    assert answer.status_code == 429 and answer.headers["Retry-After"] == "1"
    error = answer.json()["errors"][0]
    assert set(error) == set(expected)
    assert (error["code"], error["title"]) == (expected["code"], expected["title"])
