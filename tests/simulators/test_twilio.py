"""The Twilio simulator: Basic auth, form validation, 21610 after STOP, callbacks, 20429."""

from __future__ import annotations

import threading
import time

import pytest
import requests

from adapters.base import WebhookRequest
from adapters.twilio import TwilioAdapter
from hub.simulators import Faults, Simulators, SimulatorServer
from hub.simulators.config import TwilioConfig
from hub.simulators.signing import twilio_signature
from hub.simulators.twilio import segments
from tests.simulators.conftest import FIXTURE_ACCOUNT_SID, fixture_config
from tests.support.fixtures import SECRETS, fixture_bytes, fixture_json, signed

AUTH = (FIXTURE_ACCOUNT_SID, SECRETS["twilio"])
SEND = {k: v for k, v in fixture_json("twilio/send_request.json").items()
        if k != "StatusCallback"}
MAYA = "+14155550142"


def messages_url(server, sid: str = FIXTURE_ACCOUNT_SID) -> str:
    return f"{server.url('twilio')}/2010-04-01/Accounts/{sid}/Messages.json"


def adapter_for(server, receiver=None) -> TwilioAdapter:
    return TwilioAdapter({"account_sid": FIXTURE_ACCOUNT_SID, "auth_token": SECRETS["twilio"],
                          "from_number": "+14155550100", "api_base_url": server.url("twilio")},
                         connection_id="twilio-main",
                         public_url=receiver.url("") if receiver else "")


def as_webhook(received, path: str = "") -> WebhookRequest:
    return WebhookRequest(received.method, received.url, received.headers, received.body,
                          path=path)


def test_a_send_returns_the_message_resource_like_the_fixture(sims, server):
    answer = requests.post(messages_url(server), data=SEND, auth=AUTH)
    assert answer.status_code == 201
    body, expected = answer.json(), fixture_json("twilio/send_response_201.json")
    assert set(body) == set(expected)
    assert body["sid"].startswith("SM") and len(body["sid"]) == 34
    assert (body["status"], body["to"], body["from"], body["num_segments"]) == (
        "queued", MAYA, "+14155550100", "1")
    assert body["date_created"].endswith("+0000")
    assert [m["sid"] for m in sims.twilio.messages()] == [body["sid"]]


def test_a_messaging_service_send_is_accepted_without_a_sender_yet(server, sims):
    form = {"To": MAYA, "Body": "hi", "MessagingServiceSid": sims.config.twilio.messaging_services[0]}
    body = requests.post(messages_url(server), data=form, auth=AUTH).json()
    assert (body["status"], body["from"], body["num_segments"]) == ("accepted", None, "0")


@pytest.mark.parametrize("auth", [None, (FIXTURE_ACCOUNT_SID, "wrong"), ("ACother", SECRETS["twilio"])])
def test_bad_credentials_get_20003(server, auth):
    answer = requests.post(messages_url(server), data=SEND, auth=auth)
    assert answer.status_code == 401
    assert answer.json()["code"] == 20003 and "Basic" in answer.headers["WWW-Authenticate"]


def test_another_accounts_path_is_not_found(server):
    other = "AC" + "0" * 32
    answer = requests.post(messages_url(server, other), data=SEND, auth=AUTH)
    assert answer.status_code == 404 and answer.json()["code"] == 20404


def test_an_invalid_number_gets_exactly_the_fixtures_21211(server):
    answer = requests.post(messages_url(server), data={**SEND, "To": "+1415555014"}, auth=AUTH)
    assert answer.status_code == 400
    assert answer.json() == fixture_json("twilio/error_21211.json")


@pytest.mark.parametrize("change, code", [
    ({"To": None}, 21604), ({"From": None}, 21603), ({"Body": None}, 21602),
    ({"To": "(415) 555-0142"}, 21211), ({"From": "+14155559999"}, 21606),
    ({"Body": "x" * 1601}, 21617), ({"StatusCallback": "not a url"}, 21609),
])
def test_form_fields_are_validated_with_twilios_codes(server, change, code):
    form = {k: v for k, v in {**SEND, **change}.items() if v is not None}
    answer = requests.post(messages_url(server), data=form, auth=AUTH)
    assert answer.status_code == 400 and answer.json()["code"] == code


def test_segments_follow_gsm7_and_ucs2_sizes():
    assert [segments("a" * 160), segments("a" * 161), segments("é" * 160)] == [1, 2, 1]
    assert [segments("😀" * 70), segments("😀" * 71)] == [1, 2]


def test_stop_from_a_customer_makes_sends_to_them_fail_with_21610(sims, server, receiver):
    delivery = sims.twilio.send_inbound_sms(receiver.url("/hooks/twilio-main"), from_=MAYA,
                                            body="Stop")
    assert delivery.delivered and MAYA in sims.twilio.opted_out
    answer = requests.post(messages_url(server), data=SEND, auth=AUTH)
    assert answer.status_code == 400
    assert answer.json() == fixture_json("twilio/error_21610.json")
    sims.twilio.send_inbound_sms(receiver.url("/hooks/twilio-main"), from_=MAYA, body="start")
    assert MAYA not in sims.twilio.opted_out
    assert requests.post(messages_url(server), data=SEND, auth=AUTH).status_code == 201


def test_the_inbound_sms_is_signed_so_the_adapter_accepts_it(sims, receiver):
    sims.twilio.send_inbound_sms(receiver.url("/hooks/twilio-main"), from_=MAYA, body="STOP")
    [got] = receiver.received
    adapter = TwilioAdapter({"account_sid": FIXTURE_ACCOUNT_SID,
                             "auth_token": SECRETS["twilio"]}, connection_id="twilio-main")
    adapter.verify_webhook(as_webhook(got))
    parsed = adapter.parse_webhook(as_webhook(got))
    names = [e.name for e in adapter.to_events(parsed.topic, parsed.payload, {})]
    assert names == ["sms.received", "consent.changed"]
    assert parsed.payload["OptOutType"] == "STOP"


def test_the_signature_reproduces_twilios_fixture_vectors():
    from urllib.parse import parse_qsl

    for name in ("twilio/inbound_sms_stop.txt", "twilio/status_callback_delivered.txt"):
        request = signed(name)
        fields = dict(parse_qsl(fixture_bytes(name).decode(), keep_blank_values=True))
        assert twilio_signature(SECRETS["twilio"], request.url, fields) == \
            request.headers["X-Twilio-Signature"]


def test_the_adapter_sends_and_receives_signed_status_callbacks(sims, server, receiver):
    adapter = adapter_for(server, receiver)
    outcome = adapter.perform("send_sms", {"to": MAYA, "body": "Your scarf is on sale"},
                              idempotency_key="outbox-1")
    assert outcome.kind == "delivered" and outcome.result["status"] == "queued"
    assert sims.dispatcher.wait_idle()
    statuses = [dict(p.split("=", 1) for p in r.body.decode().split("&"))["MessageStatus"]
                for r in receiver.received]
    assert sorted(statuses) == ["delivered", "sent"]
    for got in receiver.received:
        assert got.url == receiver.url("/hooks/twilio-main/status")
        adapter.verify_webhook(as_webhook(got, path="status"))
    [message] = sims.twilio.messages()
    assert message["status"] == "delivered" and message["date_sent"]


def test_unreachable_numbers_end_undelivered_with_30003(receiver):
    sims = Simulators(fixture_config(twilio=TwilioConfig(
        account_sid=FIXTURE_ACCOUNT_SID, auth_token=SECRETS["twilio"], unreachable=(MAYA,),
        status_callback_delay=0.02)))
    with SimulatorServer(sims) as server:
        form = {**SEND, "StatusCallback": receiver.url("/hooks/twilio-main/status")}
        requests.post(messages_url(server), data=form, auth=AUTH)
        assert sims.dispatcher.wait_idle()
    last = [r for r in receiver.received if b"undelivered" in r.body]
    assert last and b"ErrorCode=30003" in last[0].body
    assert sims.twilio.messages()[0]["error_code"] == 30003


def test_the_adapter_turns_21610_into_a_failed_delivery_and_an_opt_out_fact(sims, server):
    sims.twilio.opt_out(MAYA)
    outcome = adapter_for(server).perform("send_sms", {"to": MAYA, "body": "hi"},
                                          idempotency_key="outbox-2")
    assert outcome.kind == "failed"
    assert [fact.name for fact in outcome.facts] == ["consent.changed"]


def test_too_many_concurrent_requests_get_20429():
    sims = Simulators(fixture_config(twilio=TwilioConfig(
        account_sid=FIXTURE_ACCOUNT_SID, auth_token=SECRETS["twilio"], max_concurrent=1)),
        faults={"twilio": Faults(latency=0.3)})
    results: list[int] = []
    with SimulatorServer(sims) as server:
        slow = threading.Thread(target=lambda: results.append(
            requests.post(messages_url(server), data=SEND, auth=AUTH).status_code))
        slow.start()
        deadline = time.monotonic() + 5
        while sims.twilio.snapshot()["in_flight"] == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        refused = requests.post(messages_url(server), data=SEND, auth=AUTH)
        slow.join()
    assert refused.status_code == 429
    assert refused.json() == fixture_json("twilio/error_429.json")
    assert results == [201]
    assert sims.twilio.snapshot()["in_flight"] == 0


def test_the_connection_test_reads_an_active_account(server):
    outcome = adapter_for(server).test_connection()
    assert outcome.ok and "Northwind Boutique" in outcome.summary
