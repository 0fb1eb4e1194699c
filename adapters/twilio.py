"""Twilio SMS: send texts, receive replies (STOP/START become consent), track delivery.

Facts relied on (``docs/vendor-apis.md``, Twilio):
- send: ``POST /2010-04-01/Accounts/{sid}/Messages.json``, HTTP Basic auth (account SID +
  auth token), form fields ``To``, ``From`` or ``MessagingServiceSid``, ``Body``,
  ``StatusCallback``; ``201`` with the message ``sid``. There is no idempotency key, so a
  resent request is a second SMS: ``send_sms`` is not idempotent;
- errors are ``{"code", "message", "more_info", "status"}``: 21610 (the recipient replied STOP)
  is permanent and is itself a consent fact; 21211 (invalid ``To``) and 21614 (not a mobile)
  are permanent; 20429 (HTTP 429) was never processed and is safe to retry;
- webhooks are form posts signed in ``X-Twilio-Signature``: base64 HMAC-SHA1, keyed with the
  auth token, over the full URL Twilio called followed by every form field sorted by name
  (name + value, blanks included). Behind a proxy the URL is rebuilt from ``HUB_PUBLIC_URL``;
- opt-out keywords (whole message, any case) STOP, STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT,
  and per the Advanced Opt-Out tutorial also REVOKE, OPTOUT (docs disagree; for an opt-out
  the wider list errs on the side of the customer); opt-in START, YES, UNSTOP. Advanced
  Opt-Out adds ``OptOutType``, which then decides;
- status callbacks carry ``MessageSid`` + ``MessageStatus`` (and ``ErrorCode``); they can
  arrive out of order, so the delivery id is sid + status.

Pacing: a US long code sends one segment per second and Twilio queues the rest
(twilio.com/docs/api/errors/30001); the hub paces at that rate so a text is not left
waiting in Twilio's queue to go out later, perhaps inside quiet hours.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import replace
from typing import Any, Mapping
from urllib.parse import parse_qsl, urlsplit, urlunsplit

import requests

from adapters.base import (
    Action,
    Adapter,
    Field,
    ParsedWebhook,
    PayloadInvalid,
    RateLimit,
    SignatureInvalid,
    Topic,
    TopicUnknown,
    WebhookRequest,
)
from adapters.http import HttpClient, Outcome, default_error_text, failed
from hub import clock
from hub.events import CanonicalEvent, CustomerRef
from hub.redact import mask_phone

API_BASE = "https://api.twilio.com"
E164 = r"^\+[1-9]\d{6,14}$"
OPT_OUT = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"})
OPT_IN = frozenset({"START", "YES", "UNSTOP"})
#: The answer to a webhook: an empty TwiML document (Twilio itself replies to keywords).
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
OPTED_OUT = 21610

SEND_SMS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["to", "body"],
    "properties": {
        "to": {"type": "string", "pattern": E164, "description": "E.164, e.g. +14155550142"},
        "body": {"type": "string", "minLength": 1, "maxLength": 1600},
        "from": {"type": ["string", "null"], "pattern": E164,
                 "description": "Sender number; defaults to the connection's"},
        "messaging_service_sid": {"type": ["string", "null"], "pattern": r"^MG[0-9a-fA-F]{32}$"},
    },
    "additionalProperties": False,
}


def twilio_signature(auth_token: str, url: str, params: list[tuple[str, str]]) -> str:
    """``X-Twilio-Signature`` of a request: URL, then each field name+value sorted by name."""
    values: dict[str, set[str]] = {}
    for name, value in params:
        values.setdefault(name, set()).add(value)
    message = url + "".join(name + value for name in sorted(values)
                            for value in sorted(values[name]))
    digest = hmac.new(auth_token.encode(), message.encode("utf-8"), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def _url_variants(url: str) -> list[str]:
    """The URL as called, and with/without the default port (Twilio may sign either)."""
    parts = urlsplit(url)
    default = {"https": 443, "http": 80}.get(parts.scheme)
    host = parts.hostname or ""
    variants = [url]
    if default is not None and parts.port in (None, default):
        userinfo = parts.netloc.rpartition("@")[0]
        prefix = f"{userinfo}@" if userinfo else ""
        for netloc in (f"{prefix}{host}", f"{prefix}{host}:{default}"):
            variant = urlunsplit(parts._replace(netloc=netloc))
            if variant not in variants:
                variants.append(variant)
    return variants


def _form(request: WebhookRequest) -> list[tuple[str, str]]:
    content_type = (request.header("Content-Type") or "").split(";")[0].strip().lower()
    if content_type not in ("", "application/x-www-form-urlencoded"):
        raise PayloadInvalid(f"expected a form post, got {content_type}")
    try:
        text = request.body.decode("utf-8")
    except UnicodeDecodeError:
        raise PayloadInvalid("body is not UTF-8 text") from None
    return parse_qsl(text, keep_blank_values=True)


def twilio_error_text(response: requests.Response) -> str:
    """``{"code", "message"}`` as "message (Twilio error code)", phone numbers masked."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and body.get("message"):
        code = f" (Twilio error {body['code']})" if body.get("code") else ""
        return mask_phone(str(body["message"])) + code
    return mask_phone(default_error_text(response))


def _error_code(response: requests.Response | None) -> int | None:
    if response is None:
        return None
    try:
        code = response.json().get("code")
        return int(code) if code is not None else None
    except (ValueError, AttributeError, TypeError):
        return None


def consent_keyword(payload: Mapping[str, Any]) -> tuple[str, str] | None:
    """``("unsubscribed"|"subscribed", keyword)`` when an inbound SMS changes consent."""
    opt_out_type = str(payload.get("OptOutType") or "").strip().upper()
    if opt_out_type == "STOP":
        return "unsubscribed", opt_out_type
    if opt_out_type == "START":
        return "subscribed", opt_out_type
    word = str(payload.get("Body") or "").strip().upper()
    if word in OPT_OUT:
        return "unsubscribed", word
    if word in OPT_IN:
        return "subscribed", word
    return None


def opt_out_fact(phone: str, occurred_at: str, reason: str, raw: Any,
                 key: str | None = None) -> CanonicalEvent:
    """The canonical "this number opted out of SMS" event."""
    return CanonicalEvent(
        "consent.changed", occurred_at,
        {"channel": "sms", "state": "unsubscribed", "source": "twilio", "reason": reason},
        customer=CustomerRef(phone=phone), key=key, channel="sms", source="twilio", raw=raw,
    )


class TwilioAdapter(Adapter):
    name = "twilio"
    title = "Twilio SMS"
    description = "Text customers, hear their replies (STOP/START), and see what was delivered."
    auth_fields = (
        Field("account_sid", "Account SID", pattern=r"^AC[0-9a-fA-F]{32}$", placeholder="AC…",
              help="Twilio Console → Account info."),
        Field("auth_token", "Auth token", secret=True,
              help="Twilio Console → Account info. Also signs the webhooks Twilio sends."),
        Field("from_number", "Sender number", required=False, pattern=E164,
              placeholder="+14155550100", help="Your Twilio number, in E.164 form."),
        Field("messaging_service_sid", "Messaging Service SID", required=False,
              pattern=r"^MG[0-9a-fA-F]{32}$", placeholder="MG…",
              help="Used instead of a sender number when no number is set."),
        Field("api_base_url", "API base URL", required=False, default=API_BASE,
              pattern=r"^https?://\S+$", help="Change only to point at a test server."),
    )
    topics = (
        Topic("sms", ("sms.received", "consent.changed"),
              "A text a customer sent to your number; STOP/START change SMS consent."),
        Topic("status", ("message.status_updated", "consent.changed"),
              "Twilio's status callback for a text the hub sent."),
    )
    actions = (
        Action("send_sms", "Send an SMS", SEND_SMS_SCHEMA, idempotent=False, consent="sms",
               description="Text a customer who consented to marketing SMS."),
    )
    rate_limits = (RateLimit(1, 1.0, "send_sms"),)
    webhook_ack = ("text/xml", EMPTY_TWIML)

    def make_http(self) -> HttpClient:
        return HttpClient(
            self.config.get("api_base_url") or API_BASE,
            auth=(self.config["account_sid"], self.config["auth_token"]),
            headers={"Accept": "application/json"},
            error_text=twilio_error_text,
        )

    @property
    def status_callback_url(self) -> str:
        return f"{self.webhook_url}/status"

    # -- inbound -------------------------------------------------------------------------------
    def verify_webhook(self, request: WebhookRequest) -> None:
        given = (request.header("X-Twilio-Signature") or "").strip()
        if not given:
            raise SignatureInvalid("missing X-Twilio-Signature")
        params = _form(request)
        token = self.config["auth_token"]
        for url in _url_variants(request.url):
            if hmac.compare_digest(twilio_signature(token, url, params).encode(), given.encode()):
                return
        raise SignatureInvalid("X-Twilio-Signature does not match (Twilio signs the URL it "
                               "called: is HUB_PUBLIC_URL the address Twilio uses?)")

    def parse_webhook(self, request: WebhookRequest) -> ParsedWebhook:
        payload: dict[str, str] = {}
        for name, value in _form(request):
            payload.setdefault(name, value)
        if request.path not in ("", "sms", "status"):
            raise TopicUnknown(f"twilio has no webhook at /{request.path}")
        is_status = request.path == "status" or "MessageStatus" in payload
        sid = payload.get("MessageSid") or payload.get("SmsSid") or payload.get("SmsMessageSid")
        if not sid:
            raise PayloadInvalid("no MessageSid in the Twilio webhook")
        if is_status:
            status = payload.get("MessageStatus") or payload.get("SmsStatus")
            if not status:
                raise PayloadInvalid("status callback without MessageStatus")
            return ParsedWebhook("status", f"{sid}:{status}", payload, clock.now_iso())
        if not payload.get("From"):
            raise PayloadInvalid("inbound SMS without From")
        return ParsedWebhook("sms", sid, payload, clock.now_iso())

    def to_events(self, topic: str, payload: Any, memory: Any) -> list[CanonicalEvent]:
        # Twilio's webhooks carry no timestamp: "now" is when the hub processes the event,
        # moments after Twilio sent it.
        at = clock.now_iso()
        sid = payload.get("MessageSid") or payload.get("SmsSid") or payload.get("SmsMessageSid")
        if topic == "sms":
            return self._inbound_events(payload, sid, at)
        if topic == "status":
            return self._status_events(payload, sid, at)
        raise TopicUnknown(f"twilio does not accept the topic {topic!r}")

    def _inbound_events(self, payload: Mapping[str, Any], sid: str,
                        at: str) -> list[CanonicalEvent]:
        phone = payload["From"]
        media = str(payload.get("NumMedia") or "")
        events = [CanonicalEvent(
            "sms.received", at,
            {"from": phone, "to": payload.get("To") or "", "body": payload.get("Body") or "",
             "message_sid": sid, "messaging_service_sid": payload.get("MessagingServiceSid"),
             "num_media": int(media) if media.isdigit() else 0,
             "opt_out_type": payload.get("OptOutType")},
            customer=CustomerRef(phone=phone), key=sid, channel="sms", source="twilio",
            raw=dict(payload),
        )]
        change = consent_keyword(payload)
        if change is not None:
            state, keyword = change
            events.append(CanonicalEvent(
                "consent.changed", at,
                {"channel": "sms", "state": state, "source": "twilio", "reason": keyword},
                customer=CustomerRef(phone=phone), key=sid, channel="sms", source="twilio",
                raw=dict(payload),
            ))
        return events

    def _status_events(self, payload: Mapping[str, Any], sid: str, at: str) -> list[CanonicalEvent]:
        status = payload.get("MessageStatus") or payload.get("SmsStatus")
        error_code = payload.get("ErrorCode") or None
        phone = payload.get("To")
        events = [CanonicalEvent(
            "message.status_updated", at,
            {"message_sid": sid, "status": status, "error_code": error_code, "to": phone,
             "from": payload.get("From")},
            customer=CustomerRef(phone=phone), key=sid, channel="sms", source="twilio",
            raw=dict(payload),
        )]
        if error_code == str(OPTED_OUT) and phone:
            # A Messaging Service reports the opt-out only after accepting the message.
            events.append(opt_out_fact(phone, at, str(OPTED_OUT), dict(payload), key=sid))
        return events

    # -- outbound ------------------------------------------------------------------------------
    def action_send_sms(self, inputs: dict[str, Any], *, idempotency_key: str) -> Outcome:
        form = {"To": inputs["to"]}
        service = inputs.get("messaging_service_sid")
        sender = inputs.get("from") or (None if service else self.config.get("from_number"))
        service = service or self.config.get("messaging_service_sid")
        if sender:
            form["From"] = sender
        elif service:
            form["MessagingServiceSid"] = service
        else:
            return failed("no sender: set from_number or messaging_service_sid on the "
                          "Twilio connection")
        form["Body"] = inputs["body"]
        if self.public_url and self.connection_id:
            form["StatusCallback"] = self.status_callback_url
        path = f"/2010-04-01/Accounts/{self.config['account_sid']}/Messages.json"
        outcome, response = self.http.send("POST", path, data=form)
        if outcome.ok and response is not None:
            return self._sent(outcome, response)
        if _error_code(response) == OPTED_OUT:
            fact = opt_out_fact(inputs["to"], clock.now_iso(), str(OPTED_OUT), response.json())
            return replace(outcome, kind="failed").with_facts(fact)
        return outcome

    def _sent(self, outcome: Outcome, response: requests.Response) -> Outcome:
        try:
            message = response.json()
        except ValueError:
            message = {}
        sid, status = message.get("sid"), message.get("status")
        return replace(outcome, summary=f"SMS {status or 'accepted'} at Twilio ({sid})",
                       result={"sid": sid, "status": status,
                               "num_segments": message.get("num_segments")})

    def test_connection(self) -> Outcome:
        outcome, response = self.http.send(
            "GET", f"/2010-04-01/Accounts/{self.config['account_sid']}.json")
        if not outcome.ok or response is None:
            return outcome
        try:
            account = response.json()
        except ValueError:
            account = {}
        name, status = account.get("friendly_name") or "account", account.get("status")
        if status and status != "active":
            return replace(outcome, kind="failed",
                           summary=f"Twilio account '{name}' is {status}: it cannot send")
        return replace(outcome, summary=f"connected to Twilio account '{name}'")
