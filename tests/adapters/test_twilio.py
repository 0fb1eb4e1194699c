"""Twilio SMS adapter: signed form webhooks, STOP/START consent, sends, 21610 as a fact."""

from __future__ import annotations

import base64
import logging
from urllib.parse import parse_qs

import pytest
import requests
import responses
from click.testing import CliRunner

from adapters.base import PayloadInvalid, SignatureInvalid, WebhookRequest
from adapters.contract import (
    ActionCase,
    AdapterContract,
    Exchange,
    Reply,
    Request,
    WebhookCase,
    contract_tests,
)
from adapters.twilio import (
    EMPTY_TWIML,
    TwilioAdapter,
    consent_keyword,
    twilio_signature,
)
from hub.events import validate_event
from tests.support.fixtures import SECRETS, fixture_bytes, fixture_json, signed

SID = "AC3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f"
BASE = "https://api.twilio.com"
MESSAGES = f"{BASE}/2010-04-01/Accounts/{SID}/Messages.json"
CONFIG = {"account_sid": SID, "auth_token": SECRETS["twilio"], "from_number": "+14155550100",
          "api_base_url": BASE}
HOOK_URL = "https://hub.example.com/hooks/twilio-main"


@pytest.fixture
def twilio() -> TwilioAdapter:
    return TwilioAdapter(CONFIG, connection_id="twilio-main", public_url="https://hub.example.com")


def webhook(name: str, *, url: str = HOOK_URL, path: str = "", **header_changes) -> WebhookRequest:
    request = signed(name)
    headers = {**request.headers, **header_changes}
    return WebhookRequest("POST", url, {k: v for k, v in headers.items() if v is not None},
                          request.body, path=path)


INBOUND = ["twilio/inbound_sms_stop.txt", "twilio/inbound_sms_start.txt",
           "twilio/status_callback_delivered.txt", "twilio/status_callback_undelivered.txt"]


# -- signatures --------------------------------------------------------------------------------
@pytest.mark.parametrize("name", INBOUND)
def test_each_fixture_webhook_verifies_with_the_auth_token(twilio, name):
    twilio.verify_webhook(webhook(name))


def test_the_signature_function_reproduces_twilios_vector():
    body = fixture_bytes("twilio/inbound_sms_stop.txt").decode()
    fields = parse_qs(body, keep_blank_values=True)
    params = [(k, v) for k, values in fields.items() for v in values]
    assert twilio_signature(SECRETS["twilio"], HOOK_URL, params) == "VK9rRB0yh8faPM3kxi/J6aUOdww="


def test_an_explicit_default_port_in_the_public_url_still_verifies(twilio):
    twilio.verify_webhook(webhook(INBOUND[0], url="https://hub.example.com:443/hooks/twilio-main"))


@pytest.mark.parametrize("change", [
    {"X-Twilio-Signature": None},
    {"X-Twilio-Signature": ""},
    {"X-Twilio-Signature": "VK9rRB0yh8faPM3kxi/J6aUOdwx="},
])
def test_missing_or_forged_signatures_are_rejected(twilio, change):
    with pytest.raises(SignatureInvalid):
        twilio.verify_webhook(webhook(INBOUND[0], **change))


def test_a_different_token_a_changed_body_or_another_url_is_rejected(twilio):
    wrong = TwilioAdapter({**CONFIG, "auth_token": "tw_test_" + "0" * 32},
                          connection_id="twilio-main")
    with pytest.raises(SignatureInvalid):
        wrong.verify_webhook(webhook(INBOUND[0]))
    tampered = webhook(INBOUND[0])
    with pytest.raises(SignatureInvalid):
        twilio.verify_webhook(WebhookRequest("POST", HOOK_URL, tampered.headers,
                                             tampered.body.replace(b"Body=Stop", b"Body=Hi"), ""))
    for url in ("http://hub.example.com/hooks/twilio-main",
                "https://127.0.0.1:8000/hooks/twilio-main",
                HOOK_URL + "/status"):
        with pytest.raises(SignatureInvalid, match="HUB_PUBLIC_URL"):
            twilio.verify_webhook(webhook(INBOUND[0], url=url))


def test_a_dropped_blank_field_breaks_the_signature(twilio):
    request = webhook(INBOUND[0])
    body = request.body.replace(b"&ToCity=&", b"&")
    with pytest.raises(SignatureInvalid):
        twilio.verify_webhook(WebhookRequest("POST", HOOK_URL, request.headers, body, ""))


# -- parsing and canonical events --------------------------------------------------------------
def test_inbound_stop_is_an_sms_and_an_sms_opt_out(twilio):
    parsed = twilio.parse_webhook(webhook("twilio/inbound_sms_stop.txt"))
    assert (parsed.topic, parsed.delivery_id) == ("sms", "SMa1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1")
    assert parsed.payload == fixture_json("twilio/inbound_sms_stop.json")
    received, consent = twilio.to_events(parsed.topic, parsed.payload, memory=None)
    for event in (received, consent):
        validate_event(event)
        assert event.customer.phone == "+14155550142" and event.channel == "sms"
        assert event.raw == parsed.payload
    assert received.name == "sms.received" and received.data["body"] == "Stop"
    assert consent.name == "consent.changed"
    assert consent.data == {"channel": "sms", "state": "unsubscribed", "source": "twilio",
                            "reason": "STOP"}


def test_inbound_start_resubscribes(twilio):
    parsed = twilio.parse_webhook(webhook("twilio/inbound_sms_start.txt"))
    events = twilio.to_events(parsed.topic, parsed.payload, memory=None)
    assert [e.name for e in events] == ["sms.received", "consent.changed"]
    assert events[1].data["state"] == "subscribed"


@pytest.mark.parametrize("body,expected", [
    ("stop", ("unsubscribed", "STOP")), (" StopAll \n", ("unsubscribed", "STOPALL")),
    ("unsubscribe", ("unsubscribed", "UNSUBSCRIBE")), ("Cancel", ("unsubscribed", "CANCEL")),
    ("end", ("unsubscribed", "END")), ("QUIT", ("unsubscribed", "QUIT")),
    ("yes", ("subscribed", "YES")), ("unstop", ("subscribed", "UNSTOP")),
    ("Please stop texting me", None), ("HELP", None), ("Is the scarf still on sale?", None),
])
def test_keywords_are_whole_message_and_case_insensitive(body, expected):
    assert consent_keyword({"Body": body}) == expected


def test_an_ordinary_reply_is_only_an_sms(twilio):
    payload = {**fixture_json("twilio/inbound_sms_stop.json"),
               "Body": "Is the scarf still on sale?"}
    payload.pop("OptOutType")
    [event] = twilio.to_events("sms", payload, memory=None)
    validate_event(event)
    assert event.data["body"] == "Is the scarf still on sale?"


@pytest.mark.parametrize("name,path", [("twilio/status_callback_delivered.txt", ""),
                                       ("twilio/status_callback_delivered.txt", "status")])
def test_a_status_callback_is_keyed_by_sid_and_status(twilio, name, path):
    parsed = twilio.parse_webhook(webhook(name, path=path))
    assert (parsed.topic, parsed.delivery_id) == (
        "status", "SMc3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3:delivered")
    [event] = twilio.to_events(parsed.topic, parsed.payload, memory=None)
    validate_event(event)
    assert event.name == "message.status_updated"
    assert event.data["status"] == "delivered" and event.data["error_code"] is None
    assert event.key == "SMc3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3"


def test_an_undelivered_callback_carries_the_error_code(twilio):
    parsed = twilio.parse_webhook(webhook("twilio/status_callback_undelivered.txt"))
    [event] = twilio.to_events(parsed.topic, parsed.payload, memory=None)
    validate_event(event)
    assert (event.data["status"], event.data["error_code"]) == ("undelivered", "30003")


def test_a_failed_callback_with_21610_also_records_the_opt_out(twilio):
    payload = {**fixture_json("twilio/status_callback_undelivered.json"),
               "MessageStatus": "failed", "SmsStatus": "failed", "ErrorCode": "21610"}
    status, opt_out = twilio.to_events("status", payload, memory=None)
    validate_event(opt_out)
    assert (opt_out.name, opt_out.data["state"], opt_out.customer.phone) == (
        "consent.changed", "unsubscribed", "+14155550142")


def test_requests_that_are_not_twilio_webhooks_are_refused(twilio):
    with pytest.raises(PayloadInvalid):
        twilio.parse_webhook(WebhookRequest("POST", HOOK_URL, {"Content-Type": "application/json"},
                                            b"{}", ""))
    with pytest.raises(PayloadInvalid, match="MessageSid"):
        twilio.parse_webhook(WebhookRequest("POST", HOOK_URL, {}, b"Body=hi&From=%2B1415", ""))


def test_the_webhook_answer_is_empty_twiml():
    assert TwilioAdapter.webhook_ack == ("text/xml", EMPTY_TWIML)


# -- sending -----------------------------------------------------------------------------------
def send_inputs() -> dict:
    request = fixture_json("twilio/send_request.json")
    return {"to": request["To"], "body": request["Body"]}


def test_send_sms_posts_the_exact_form_with_basic_auth_and_status_callback(twilio, mocked):
    mocked.add(responses.POST, MESSAGES, status=201,
               body=fixture_bytes("twilio/send_response_201.json"),
               content_type="application/json")
    outcome = twilio.perform("send_sms", send_inputs(), idempotency_key="d-1")
    request = mocked.calls[0].request
    form = {k: v[0] for k, v in parse_qs(request.body).items()}
    assert form == fixture_json("twilio/send_request.json")
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert request.headers["Authorization"] == "Basic " + base64.b64encode(
        f"{SID}:{SECRETS['twilio']}".encode()).decode()
    assert outcome.kind == "delivered"
    assert outcome.result == {"sid": "SMc3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3", "status": "queued",
                              "num_segments": "1"}


def test_without_a_number_the_messaging_service_sends(mocked):
    service = "MG7c7c7c7c7c7c7c7c7c7c7c7c7c7c7c7c"
    adapter = TwilioAdapter({**CONFIG, "from_number": "", "messaging_service_sid": service},
                            connection_id="twilio-main", public_url="https://hub.example.com")
    mocked.add(responses.POST, MESSAGES, status=201, json={"sid": "SMx", "status": "accepted"})
    assert adapter.perform("send_sms", send_inputs(), idempotency_key="d").kind == "delivered"
    form = parse_qs(mocked.calls[0].request.body)
    assert form["MessagingServiceSid"] == [service] and "From" not in form


def test_without_any_sender_nothing_is_sent(mocked):
    adapter = TwilioAdapter({**CONFIG, "from_number": ""}, connection_id="twilio-main")
    outcome = adapter.perform("send_sms", send_inputs(), idempotency_key="d")
    assert outcome.kind == "failed" and "no sender" in outcome.summary
    assert len(mocked.calls) == 0


def test_21610_ends_the_delivery_and_yields_the_opt_out_fact(twilio, mocked):
    mocked.add(responses.POST, MESSAGES, status=400, body=fixture_bytes("twilio/error_21610.json"),
               content_type="application/json")
    outcome = twilio.perform("send_sms", send_inputs(), idempotency_key="d-2")
    assert outcome.kind == "failed"
    assert outcome.summary == ("rejected (400): Attempt to send to unsubscribed recipient "
                               "(Twilio error 21610)")
    [fact] = outcome.facts
    validate_event(fact)
    assert fact.name == "consent.changed" and fact.customer.phone == "+14155550142"
    assert fact.data == {"channel": "sms", "state": "unsubscribed", "source": "twilio",
                         "reason": "21610"}


def test_21211_invalid_number_is_permanent_and_the_number_is_masked(twilio, mocked):
    mocked.add(responses.POST, MESSAGES, status=400, body=fixture_bytes("twilio/error_21211.json"),
               content_type="application/json")
    outcome = twilio.perform("send_sms", send_inputs(), idempotency_key="d-3")
    assert outcome.kind == "failed" and outcome.facts == ()
    assert "Invalid 'To' Phone Number" in outcome.summary
    assert "(Twilio error 21211)" in outcome.summary
    assert "+1415555014" not in outcome.summary


@pytest.mark.parametrize("status,body", [(429, fixture_bytes("twilio/error_429.json")),
                                         (500, b'{"code":20500,"message":"Internal Server Error"}'),
                                         (503, b"")])
def test_429_and_5xx_are_transient(twilio, mocked, status, body):
    mocked.add(responses.POST, MESSAGES, status=status, body=body, content_type="application/json")
    outcome = twilio.perform("send_sms", send_inputs(), idempotency_key="d-4")
    assert outcome.kind == "retry"


def test_a_read_timeout_is_unknown_because_an_sms_must_not_be_sent_twice(twilio, mocked):
    mocked.add(responses.POST, MESSAGES, body=requests.ReadTimeout("read timed out"))
    outcome = twilio.perform("send_sms", send_inputs(), idempotency_key="d-5")
    assert outcome.kind == "unknown"
    action = TwilioAdapter.action("send_sms")
    assert (action.idempotent, action.consent) == (False, "sms")


@pytest.mark.parametrize("inputs", [{"to": "4155550142", "body": "hi"}, {"to": "+14155550142"},
                                    {"to": "+14155550142", "body": ""},
                                    {"to": "+14155550142", "body": "hi", "cc": "x"}])
def test_invalid_inputs_are_refused_before_sending(twilio, mocked, inputs):
    assert twilio.perform("send_sms", inputs, idempotency_key="d").kind == "failed"
    assert len(mocked.calls) == 0


def test_connection_test_reads_the_account(twilio, mocked):
    url = f"{BASE}/2010-04-01/Accounts/{SID}.json"
    mocked.add(responses.GET, url,
               json={"sid": SID, "friendly_name": "Northwind", "status": "active"})
    assert twilio.test_connection().summary == "connected to Twilio account 'Northwind'"
    mocked.replace(responses.GET, url, json={"sid": SID, "friendly_name": "Northwind",
                                             "status": "suspended"})
    assert twilio.test_connection().kind == "failed"
    mocked.replace(responses.GET, url, status=401, json={"code": 20003, "message": "Authenticate",
                                                         "status": 401})
    outcome = twilio.test_connection()
    assert outcome.kind == "failed" and "20003" in outcome.summary


def test_no_secret_in_repr_outcomes_errors_or_logs(twilio, mocked, caplog):
    caplog.set_level(logging.DEBUG)
    mocked.add(responses.POST, MESSAGES, status=400, body=fixture_bytes("twilio/error_21610.json"),
               content_type="application/json")
    outcome = twilio.perform("send_sms", send_inputs(), idempotency_key="d")
    with pytest.raises(SignatureInvalid) as rejected:
        twilio.verify_webhook(webhook(INBOUND[0], **{"X-Twilio-Signature": "bad"}))
    for text in (repr(twilio), repr(outcome), str(rejected.value), caplog.text):
        assert SECRETS["twilio"] not in text


# -- through the hub ---------------------------------------------------------------------------
def test_cli_connections_add_twilio_works_as_documented(tmp_path, monkeypatch):
    from hub.cli import main

    monkeypatch.setenv("HUB_SECRET_KEY", "cli-test-master-secret")
    monkeypatch.setenv("HUB_PUBLIC_URL", "https://hub.example.com")
    result = CliRunner().invoke(main, [
        "--data-dir", str(tmp_path / "data"), "connections", "add", "twilio", "--name", "sms",
        "--set", f"account_sid={SID}", "--set", "auth_token=T0ken-for-cli-test",
        "--set", "from_number=+14155550100"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "webhook URL: https://hub.example.com/hooks/twilio-sms" in result.output
    assert "T0ken-for-cli-test" not in result.output


def test_a_signed_inbound_stop_is_stored_and_answered_with_twiml(rt):
    from hub.connections import add_connection
    from hub.ingest import receive_webhook

    add_connection(rt.store, rt.vault, "twilio", "main",
                   {"account_sid": SID, "auth_token": SECRETS["twilio"],
                    "from_number": "+14155550100"})
    request = signed("twilio/inbound_sms_stop.txt")
    # The URL as web/webhooks.py rebuilds it: HUB_PUBLIC_URL + the path Twilio called.
    url = rt.settings.public_url + "/hooks/twilio-main"

    def deliver(headers):
        return receive_webhook(rt, "twilio-main",
                               WebhookRequest("POST", url, headers, request.body))

    answer = deliver(request.headers)
    assert (answer.status, answer.outcome) == (202, "accepted")
    assert answer.content_type == "text/xml" and answer.body.decode() == EMPTY_TWIML
    assert deliver(request.headers).outcome == "duplicate"  # Twilio's retry of one MessageSid
    assert deliver({**request.headers, "X-Twilio-Signature": "forged"}).status == 401


# -- the contract kit --------------------------------------------------------------------------
SIGNATURE = ("X-Twilio-Signature",)
CONTRACT = AdapterContract(
    adapter=TwilioAdapter,
    config=CONFIG,
    webhooks=[
        WebhookCase("inbound-stop", webhook("twilio/inbound_sms_stop.txt"),
                    ("sms.received", "consent.changed"), SIGNATURE, topic="sms"),
        WebhookCase("inbound-start", webhook("twilio/inbound_sms_start.txt"),
                    ("sms.received", "consent.changed"), SIGNATURE, topic="sms"),
        WebhookCase("status-delivered", webhook("twilio/status_callback_delivered.txt"),
                    ("message.status_updated",), SIGNATURE, topic="status"),
        WebhookCase("status-undelivered", webhook("twilio/status_callback_undelivered.txt"),
                    ("message.status_updated",), SIGNATURE, topic="status"),
    ],
    actions=[ActionCase(
        "send_sms", inputs=send_inputs(),
        exchange=Exchange(
            Request("POST", MESSAGES, form=fixture_json("twilio/send_request.json"), headers={
                "Authorization": "Basic " + base64.b64encode(
                    f"{SID}:{SECRETS['twilio']}".encode()).decode(),
                "Content-Type": "application/x-www-form-urlencoded"}),
            Reply(201, json=fixture_json("twilio/send_response_201.json"))),
        invalid=[{"to": "4155550142", "body": "hi"}, {"to": "+14155550142"},
                 {"to": "+14155550142", "body": "x" * 1601}])],
    connection_test=Exchange(Request("GET", f"{BASE}/2010-04-01/Accounts/{SID}.json"),
                             Reply(200, json={"sid": SID, "friendly_name": "Northwind",
                                              "status": "active"})),
    rate_limited=Reply(429, json=fixture_json("twilio/error_429.json"),
                       headers={"Retry-After": "1"}),
    client_error=Reply(400, json=fixture_json("twilio/error_21211.json")),
    client_error_text="Invalid 'To' Phone Number",
    connection_id="twilio-main",
)
TestTwilioContract = contract_tests(CONTRACT)


# -- against the Twilio simulator (real HTTP) --------------------------------------------------
def test_against_the_simulator_a_send_then_an_opt_out_yields_21610_and_the_fact():
    from hub.simulators import SimConfig, Simulators, SimulatorServer
    from hub.simulators.config import TwilioConfig

    sims = Simulators(SimConfig(twilio=TwilioConfig(account_sid=SID, auth_token=SECRETS["twilio"])))
    try:
        with SimulatorServer(sims) as server:
            # No public URL: no status callback is asked for (nothing here would receive it).
            adapter = TwilioAdapter({**CONFIG, "api_base_url": server.url("twilio")},
                                    connection_id="twilio-main")
            sent_ok = adapter.perform("send_sms", send_inputs(), idempotency_key="d-1")
            sims.twilio.opt_out("+14155550142")
            refused = adapter.perform("send_sms", send_inputs(), idempotency_key="d-2")
            connected = adapter.test_connection()
        assert sent_ok.kind == "delivered" and sent_ok.result["sid"].startswith("SM")
        assert refused.kind == "failed" and "21610" in refused.summary
        assert [f.data["state"] for f in refused.facts] == ["unsubscribed"]
        assert connected.kind == "delivered", connected.summary
        assert len(sims.twilio.messages()) == 1
    finally:
        sims.close()
