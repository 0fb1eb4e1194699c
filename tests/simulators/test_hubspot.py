"""The HubSpot simulator: Bearer auth, batch upsert 200/207, notes, limits, webhooks."""

from __future__ import annotations

import json

import pytest
import requests

from adapters.base import SignatureInvalid, WebhookRequest
from adapters.hubspot import HubSpotAdapter
from hub.simulators import Simulators, SimulatorServer
from hub.simulators.config import HubSpotConfig
from hub.simulators.signing import hubspot_v3_signature
from tests.simulators.conftest import fixture_config
from tests.support.fixtures import SECRETS, fixture_bytes, fixture_json, signed

UPSERT = "/crm/v3/objects/contacts/batch/upsert"


def headers(sims) -> dict[str, str]:
    return {"Authorization": f"Bearer {sims.config.hubspot.access_token}",
            "Content-Type": "application/json"}


def post(server, sims, path: str, body) -> requests.Response:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    return requests.post(f"{server.url('hubspot')}{path}", data=data, headers=headers(sims))


def adapter_for(sims, server) -> HubSpotAdapter:
    return HubSpotAdapter({"access_token": sims.config.hubspot.access_token,
                           "client_secret": sims.config.hubspot.client_secret,
                           "api_base_url": server.url("hubspot")})


def test_the_fixture_batch_upserts_with_200_in_hubspots_shape(sims, server):
    answer = post(server, sims, UPSERT, fixture_bytes("hubspot/batch_upsert_request.json"))
    expected = fixture_json("hubspot/batch_upsert_response_200.json")
    assert answer.status_code == 200
    body = answer.json()
    assert set(body) == set(expected) and body["status"] == "COMPLETE"
    maya, jordan = body["results"]
    assert set(maya) == set(expected["results"][0])
    assert maya["properties"]["hub_cart_value"] == "176.00" and maya["new"] is True
    assert maya["properties"]["hs_object_id"] == maya["id"]
    again = post(server, sims, UPSERT, fixture_bytes("hubspot/batch_upsert_request.json"))
    assert [r["new"] for r in again.json()["results"]] == [False, False]
    assert [r["id"] for r in again.json()["results"]] == [maya["id"], jordan["id"]]


def test_an_invalid_email_is_a_207_with_the_fixtures_error(sims, server):
    body = json.loads(fixture_bytes("hubspot/batch_upsert_request.json"))
    body["inputs"][1]["id"] = body["inputs"][1]["properties"]["email"] = "jordan.kim@example"
    answer = post(server, sims, UPSERT, body)
    expected = fixture_json("hubspot/batch_upsert_response_207.json")
    assert answer.status_code == 207
    assert answer.json()["numErrors"] == 1
    assert answer.json()["errors"] == expected["errors"]
    assert [r["properties"]["email"] for r in answer.json()["results"]] == [
        "maya.lopez@example.com"]


@pytest.mark.parametrize("body", [
    b'{"inputs": [', {"inputs": "all"}, {}, {"inputs": []},
    {"inputs": [{"idProperty": "email", "id": f"p{i}@example.com", "properties": {}}
                for i in range(101)]},
    {"inputs": [{"idProperty": "email", "id": "a@example.com", "properties": {}}] * 2},
])
def test_malformed_batches_get_hubspots_400(sims, server, body):
    answer = post(server, sims, UPSERT, body)
    assert answer.status_code == 400
    assert set(answer.json()) == set(fixture_json("hubspot/error_400.json"))
    assert answer.json()["category"] == "VALIDATION_ERROR"


@pytest.mark.parametrize("authorization", ["", "Bearer pat-na1-wrong", "Basic abc"])
def test_bad_tokens_get_401(server, authorization):
    answer = requests.post(f"{server.url('hubspot')}{UPSERT}", json={"inputs": []},
                           headers={"Authorization": authorization})
    assert answer.status_code == 401
    assert answer.json()["category"] == "INVALID_AUTHENTICATION"


def test_a_note_is_created_on_an_existing_contact(sims, server):
    post(server, sims, UPSERT, fixture_bytes("hubspot/batch_upsert_request.json"))
    answer = post(server, sims, "/crm/v3/objects/notes",
                  fixture_bytes("hubspot/create_note_request.json"))
    assert answer.status_code == 201
    assert answer.json()["properties"]["hs_timestamp"] == "2026-11-20T15:02:20.000Z"
    assert sims.hubspot.notes[0].contact_ids == ["51234567001"]


@pytest.mark.parametrize("change", [
    lambda n: n["properties"].pop("hs_timestamp"),
    lambda n: n["associations"][0]["types"][0].update(associationTypeId=190),
    lambda n: n["properties"].update(hs_note_body="x" * 65_537),
])
def test_bad_notes_are_refused(sims, server, change):
    post(server, sims, UPSERT, fixture_bytes("hubspot/batch_upsert_request.json"))
    note = json.loads(fixture_bytes("hubspot/create_note_request.json"))
    change(note)
    assert post(server, sims, "/crm/v3/objects/notes", note).status_code == 400


def test_a_note_for_an_unknown_contact_is_refused(sims, server):
    answer = post(server, sims, "/crm/v3/objects/notes",
                  fixture_bytes("hubspot/create_note_request.json"))
    assert answer.status_code == 400 and answer.json()["context"] == {"ids": ["51234567001"]}


def test_the_ten_second_window_answers_429_like_the_fixture(frozen_clock):
    sims = Simulators(fixture_config(hubspot=HubSpotConfig(ten_second_limit=2)))
    with SimulatorServer(sims) as server:
        answers = [requests.get(f"{server.url('hubspot')}/crm/v3/objects/contacts",
                                headers=headers(sims)) for _ in range(3)]
        frozen_clock.move(seconds=10)
        later = requests.get(f"{server.url('hubspot')}/crm/v3/objects/contacts",
                             headers=headers(sims))
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert [a.headers["X-HubSpot-RateLimit-Remaining"] for a in answers] == ["1", "0", "0"]
    refused = answers[2]
    expected = fixture_json("hubspot/error_429.json")
    assert set(refused.json()) == set(expected)
    assert refused.json()["policyName"] == "TEN_SECONDLY_ROLLING"
    assert refused.json()["message"] == expected["message"]
    assert refused.headers["X-HubSpot-RateLimit-Interval-Milliseconds"] == "10000"
    assert "Retry-After" not in refused.headers  # HubSpot documents none
    assert later.status_code == 200


def test_the_daily_limit_names_its_policy(frozen_clock):
    sims = Simulators(fixture_config(hubspot=HubSpotConfig(daily_limit=1)))
    with SimulatorServer(sims) as server:
        url = f"{server.url('hubspot')}/crm/v3/objects/contacts"
        first = requests.get(url, headers=headers(sims))
        second = requests.get(url, headers=headers(sims))
        frozen_clock.move(days=1)
        tomorrow = requests.get(url, headers=headers(sims))
    assert first.headers["X-HubSpot-RateLimit-Daily-Remaining"] == "0"
    assert second.status_code == 429 and second.json()["policyName"] == "DAILY"
    assert tomorrow.status_code == 200


def test_the_adapter_gets_per_row_outcomes_from_a_207(sims, server):
    adapter = adapter_for(sims, server)
    outcomes = adapter.perform_batch("upsert_contact", [
        ("row-1", {"email": "maya.lopez@example.com", "first_name": "Maya"}),
        ("row-2", {"email": "jordan.kim@example"}),
    ])
    assert [o.kind for o in outcomes] == ["delivered", "failed"]
    assert sims.hubspot.contact("maya.lopez@example.com").properties["firstname"] == "Maya"


def test_the_adapter_creates_missing_custom_properties_then_succeeds():
    sims = Simulators(fixture_config(hubspot=HubSpotConfig(custom_properties=())))
    with SimulatorServer(sims) as server:
        adapter = adapter_for(sims, server)
        row = {"email": "maya.lopez@example.com", "cart_value": "176.00"}
        first = adapter.perform("upsert_contact", row, idempotency_key="row-1")
        second = adapter.perform("upsert_contact", row, idempotency_key="row-1")
    assert first.kind == "retry" and second.kind == "delivered"
    assert "hub_cart_value" in sims.hubspot.properties
    assert sims.hubspot.contact("maya.lopez@example.com").properties["hub_cart_value"] == \
        "176.00"


def test_the_adapters_note_and_connection_test_work_against_the_simulator(sims, server):
    adapter = adapter_for(sims, server)
    assert adapter.test_connection().ok
    adapter.perform("upsert_contact", {"email": "maya.lopez@example.com"}, idempotency_key="r")
    outcome = adapter.perform("create_note", {"email": "maya.lopez@example.com",
                                              "body": "<p>Cart: Straw Tote</p>"},
                              idempotency_key="n")
    assert outcome.kind == "delivered", outcome.summary
    assert sims.hubspot.notes[0].properties["hs_note_body"] == "<p>Cart: Straw Tote</p>"


def test_webhooks_are_signed_v3_and_pass_the_adapters_check(sims, receiver, frozen_clock):
    event = sims.hubspot.property_change_event("51234567001", "hs_sms_consent",
                                               "unsubscribed")
    sims.hubspot.send_webhook(receiver.url("/hooks/hubspot-main"), [event])
    [got] = receiver.received
    request = WebhookRequest(got.method, got.url, got.headers, got.body)
    adapter = HubSpotAdapter({"access_token": "x", "client_secret":
                              sims.config.hubspot.client_secret})
    adapter.verify_webhook(request)
    frozen_clock.move(minutes=6)
    with pytest.raises(SignatureInvalid):
        adapter.verify_webhook(request)


def test_the_v3_signature_reproduces_the_fixture_vector():
    request = signed("hubspot/webhook_contact_property_change.json")
    assert hubspot_v3_signature(SECRETS["hubspot"], "POST", request.url, request.body,
                                request.headers["X-HubSpot-Request-Timestamp"]) == \
        request.headers["X-HubSpot-Signature-v3"]
