"""Twilio Messaging: send SMS, opted-out recipients (21610), status callbacks, inbound SMS.

- HTTP Basic auth (account SID + auth token, or an API key pair): 20003 / 401 otherwise;
- at most ``max_concurrent`` API requests in flight per account: 20429 / HTTP 429;
- form fields validated in Twilio's order (21604 To, 21603 From, 21602 Body, 21211 invalid
  To, 21606 unknown sender, 21617 too long), then 21610 for a number that sent STOP;
- 201 with the message resource (``SM…``, ``queued``; ``accepted`` via a Messaging Service),
  then ``sent`` and ``delivered`` (``undelivered``/30003 for unreachable numbers) a moment
  later, each POSTed signed to ``StatusCallback`` when one was given;
- ``send_inbound_sms`` plays a customer's text to the hub; STOP-type words add the number to
  the opted-out set and START-type words remove it, as Twilio's own keyword handling does.
"""

from __future__ import annotations

import base64
import binascii
import email.utils
import hmac
import math
import threading
import uuid
from typing import Any, Mapping
from urllib.parse import urlsplit

from flask import Blueprint, Response, request

from hub import clock
from hub.simulators.config import TwilioConfig
from hub.simulators.delivery import Dispatcher, WebhookDelivery
from hub.simulators.klaviyo_schema import is_e164
from hub.simulators.ratelimit import ConcurrencyGate
from hub.simulators.senders import inbound_sms_fields, send_twilio_form
from hub.simulators.vendor import VendorSim, json_response

API = "/2010-04-01/Accounts"
OPT_OUT_WORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT",
                           "REVOKE", "OPTOUT"})
OPT_IN_WORDS = frozenset({"START", "YES", "UNSTOP"})
HELP_WORDS = frozenset({"HELP", "INFO"})
_STATUS_RANK = {"accepted": 0, "queued": 1, "sending": 2, "sent": 3, "delivered": 4,
                "undelivered": 4, "failed": 4}
_GSM7 = set("@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLM"
            "NOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà^{}\\[~]|€")


def twilio_error(code: int, message: str, status: int, **extra: Any) -> Response:
    body = {"code": code, "message": message,
            "more_info": f"https://www.twilio.com/docs/errors/{code}", "status": status, **extra}
    return json_response(body, status)


def segments(body: str) -> int:
    """How many SMS segments ``body`` takes (GSM-7: 160/153 chars, else UCS-2: 70/67)."""
    single, multi = (160, 153) if set(body) <= _GSM7 else (70, 67)
    return 1 if len(body) <= single else math.ceil(len(body) / multi)


def rfc2822(moment: Any = None) -> str:
    return email.utils.format_datetime(moment or clock.now()).replace("-0000", "+0000")


class TwilioSim(VendorSim):
    name = "twilio"
    title = "Twilio Messaging API"

    def __init__(self, config: TwilioConfig, dispatcher: Dispatcher) -> None:
        self.config = config
        self._dispatcher = dispatcher
        self._lock = threading.RLock()
        self._gate = ConcurrencyGate(config.max_concurrent)
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self._messages: dict[str, dict[str, Any]] = {}
            self._opted_out: set[str] = set()
            self.inbound: list[dict[str, str]] = []

    # -- Python API ----------------------------------------------------------------------------
    @property
    def opted_out(self) -> frozenset[str]:
        with self._lock:
            return frozenset(self._opted_out)

    def opt_out(self, number: str) -> None:
        with self._lock:
            self._opted_out.add(number)

    def opt_in(self, number: str) -> None:
        with self._lock:
            self._opted_out.discard(number)

    def messages(self) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(m) for m in self._messages.values()]

    def send_inbound_sms(self, url: str, *, from_: str, body: str,
                         to: str | None = None) -> WebhookDelivery:
        """A customer texts ``body`` to the shop; Twilio applies keywords, then posts to ``url``."""
        word = body.strip().upper()
        opt_out_type = None
        if word in OPT_OUT_WORDS:
            self.opt_out(from_)
            opt_out_type = "STOP"
        elif word in OPT_IN_WORDS:
            self.opt_in(from_)
            opt_out_type = "START"
        elif word in HELP_WORDS:
            opt_out_type = "HELP"
        service = self.config.messaging_services[0] if self.config.messaging_services else None
        fields = inbound_sms_fields(
            account_sid=self.config.account_sid, from_=from_, body=body,
            to=to or self.config.phone_numbers[0], messaging_service_sid=service,
            opt_out_type=opt_out_type)
        with self._lock:
            self.inbound.append(fields)
        return send_twilio_form(url, fields, self.config.auth_token)

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {"messages": list(self._messages.values()),
                    "opted_out": sorted(self._opted_out), "inbound": list(self.inbound),
                    "in_flight": self._gate.active}

    # -- answers -------------------------------------------------------------------------------
    def server_error(self, status: int) -> Response:
        if status == 503:
            return twilio_error(20503, "Service Unavailable", 503)
        return twilio_error(20500, "Internal Server Error", status)

    def throttled(self) -> Response:
        return twilio_error(20429, "Too Many Requests", 429)

    def admit(self) -> Response | None:
        return None if self._gate.enter() else self.throttled()

    def release(self) -> None:
        self._gate.leave()

    # -- routes --------------------------------------------------------------------------------
    def _authenticate(self, account_sid: str) -> Response | None:
        user, password = _basic_auth()
        pairs = ((self.config.account_sid, self.config.auth_token), *self.config.api_keys)
        if not any(user == u and hmac.compare_digest(password.encode(), p.encode())
                   for u, p in pairs):
            response = twilio_error(20003, "Authenticate", 401,
                                    detail="Your AccountSid or AuthToken was incorrect.")
            response.headers["WWW-Authenticate"] = 'Basic realm="Twilio API"'
            return response
        if account_sid != self.config.account_sid:
            return twilio_error(20404, f"The requested resource {request.path} was not found",
                                404)
        return None

    def blueprint(self) -> Blueprint:
        bp = Blueprint("twilio", __name__)

        @bp.post(f"{API}/<account_sid>/Messages.json")
        def create_message(account_sid: str) -> Response:
            refused = self._authenticate(account_sid)
            return refused or self._create_message(request.form)

        @bp.get(f"{API}/<account_sid>/Messages/<message_sid>.json")
        def get_message(account_sid: str, message_sid: str) -> Response:
            refused = self._authenticate(account_sid)
            if refused:
                return refused
            with self._lock:
                message = self._messages.get(message_sid)
            if message is None:
                return twilio_error(20404, f"The requested resource {request.path} was not "
                                           "found", 404)
            return json_response(message)

        @bp.get(f"{API}/<account_sid>.json")
        def get_account(account_sid: str) -> Response:
            refused = self._authenticate(account_sid)
            return refused or json_response({
                "sid": self.config.account_sid, "friendly_name": "Northwind Boutique",
                "status": "active", "type": "Full", "owner_account_sid": self.config.account_sid,
                "date_created": "Sat, 02 Mar 2024 15:00:00 +0000", "date_updated": rfc2822(),
                "uri": f"{API}/{self.config.account_sid}.json"})

        return bp

    def _create_message(self, form: Mapping[str, str]) -> Response:
        to, sender = form.get("To", ""), form.get("From", "")
        service, body = form.get("MessagingServiceSid", ""), form.get("Body", "")
        callback = form.get("StatusCallback", "")
        if not to:
            return twilio_error(21604, "A 'To' phone number is required.", 400)
        if not sender and not service:
            return twilio_error(21603, "A 'From' phone number is required.", 400)
        if not body and not form.get("MediaUrl"):
            return twilio_error(21602, "Message body is required.", 400)
        if not is_e164(to):
            return twilio_error(21211, f"Invalid 'To' Phone Number: {to}", 400)
        if sender and sender not in self.config.phone_numbers:
            return twilio_error(21606, "The 'From' phone number provided is not a valid "
                                       "message-capable Twilio phone number for this "
                                       "destination.", 400)
        if service and not sender and service not in self.config.messaging_services:
            return twilio_error(21705, "The Messaging Service Sid is invalid.", 400)
        if len(body) > 1600:
            return twilio_error(21617, "The concatenated message body exceeds the 1600 "
                                       "character limit.", 400)
        if callback and urlsplit(callback).scheme not in ("http", "https"):
            return twilio_error(21609, "Invalid StatusCallback url.", 400)
        if to in self.opted_out:
            return twilio_error(21610, "Attempt to send to unsubscribed recipient", 400)
        message = self._message(to, sender or None, service or None, body)
        with self._lock:
            self._messages[message["sid"]] = message
        self._schedule_progress(message["sid"], callback or None)
        return json_response(message, 201)

    def _message(self, to: str, sender: str | None, service: str | None,
                 body: str) -> dict[str, Any]:
        sid = "SM" + uuid.uuid4().hex
        account = self.config.account_sid
        stamp = rfc2822()
        via_service = sender is None
        return {
            "account_sid": account, "api_version": "2010-04-01", "body": body,
            "date_created": stamp, "date_sent": None, "date_updated": stamp,
            "direction": "outbound-api", "error_code": None, "error_message": None,
            "from": sender, "messaging_service_sid": service, "num_media": "0",
            "num_segments": "0" if via_service else str(segments(body)), "price": None,
            "price_unit": "USD", "sid": sid, "status": "accepted" if via_service else "queued",
            "to": to, "uri": f"{API}/{account}/Messages/{sid}.json",
            "subresource_uris": {"media": f"{API}/{account}/Messages/{sid}/Media.json"},
        }

    def _schedule_progress(self, sid: str, callback: str | None) -> None:
        """``sent`` then the final status, each a moment later, each reported if asked."""
        with self._lock:
            to = self._messages[sid]["to"]
        final = ("undelivered", "30003") if to in self.config.unreachable else ("delivered", None)
        delay = self.config.status_callback_delay
        for step, (status, error_code) in enumerate((("sent", None), final), start=1):
            self._dispatcher.submit(self._progress_job(sid, status, error_code, callback),
                                    delay=delay * step)

    def _progress_job(self, sid: str, status: str, error_code: str | None,
                      callback: str | None):
        def job(_sleep: Any) -> WebhookDelivery | None:
            with self._lock:
                message = self._messages.get(sid)
                if message is None:
                    return None
                if _STATUS_RANK[status] > _STATUS_RANK.get(message["status"], 0):
                    message.update(status=status, date_updated=rfc2822())
                    if status == "sent":
                        message.update(date_sent=rfc2822(), price="-0.00790",
                                       num_segments=message["num_segments"]
                                       if message["num_segments"] != "0"
                                       else str(segments(message["body"])),
                                       **({"from": self.config.phone_numbers[0]}
                                          if message["from"] is None else {}))
                    if error_code:
                        message.update(error_code=int(error_code),
                                       error_message="Unreachable destination handset")
                fields = self._callback_fields(message, status, error_code)
            if callback is None:
                return None
            return send_twilio_form(callback, fields, self.config.auth_token)

        return job

    def _callback_fields(self, message: Mapping[str, Any], status: str,
                         error_code: str | None) -> dict[str, str]:
        fields = {"SmsSid": message["sid"], "SmsStatus": status, "MessageStatus": status}
        if error_code:
            fields["ErrorCode"] = error_code
        fields["To"] = message["to"]
        if message.get("messaging_service_sid"):
            fields["MessagingServiceSid"] = message["messaging_service_sid"]
        fields.update(MessageSid=message["sid"], AccountSid=message["account_sid"],
                      From=message["from"] or "", ApiVersion="2010-04-01")
        return fields


def _basic_auth() -> tuple[str, str]:
    header = request.headers.get("Authorization", "")
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return "", ""
    try:
        user, _, password = base64.b64decode(encoded.strip()).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return "", ""
    return user, password
