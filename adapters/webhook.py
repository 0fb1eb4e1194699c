"""Any service: a signed inbound webhook mapped to canonical events, and an outbound HTTP request.

**In.** The sender signs the raw body with HMAC-SHA256 and the connection's secret and sends
``X-Hub-Signature-256: sha256=<hex>`` (the convention GitHub and many others use), or, for
senders that cannot sign, the secret itself as ``Authorization: Bearer <secret>``. The
payload's ``topic_field`` names what happened and ``id_field`` the event (the dedupe key).
``event_name`` says which canonical event a topic becomes (one name for every topic, or
``topic=name`` pairs) and ``map`` fills its fields from JSON paths (``adapters/webhook_mapping``).
A topic without a canonical name is stored but not translated.

**Out.** The ``http_request`` action sends a request a recipe templated (method, URL, headers,
JSON body) through the hub's HTTP client, so it is classified like any vendor call. A resend
after a lost answer could act twice, so a read timeout is *unknown* — unless the recipe names
an ``idempotency_header``: the hub then sends its idempotency key in it and may resend.
The connection's auth header is sent only to URLs under its ``api_base_url``.
"""

from __future__ import annotations

import hashlib
from typing import Any
from urllib.parse import urlsplit

from adapters.base import (
    Action,
    Adapter,
    Field,
    Memory,
    ParsedWebhook,
    PayloadInvalid,
    SignatureInvalid,
    Topic,
    WebhookRequest,
    hmac_digest,
    parse_json_body,
    require_equal,
)
from adapters.http import HttpClient, Outcome, failed
from adapters.webhook_mapping import MappingInvalid, apply_rules, parse_rules
from hub.events import (
    EVENT_NAMES,
    CanonicalEvent,
    CustomerRef,
    EventInvalid,
    utc_iso,
    validate_event,
)

DEFAULT_MAP = "occurred_at = $.occurred_at"
_EVENT_NAME = r"[a-z_]+\.[a-z_]+"
_PAIR = rf"[^=,\s]+\s*=\s*{_EVENT_NAME}"

HTTP_REQUEST_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["method", "url"],
    "properties": {
        "method": {"enum": ["GET", "POST", "PUT", "PATCH", "DELETE"]},
        "url": {"type": "string", "minLength": 1, "pattern": r"^(https?://[^\s]+|/[^\s]*)$",
                "description": "Absolute, or a path under the connection's api_base_url."},
        "headers": {"type": "object", "propertyNames": {"pattern": r"^[A-Za-z0-9-]+$"},
                    "additionalProperties": {"type": "string"}},
        "query": {"type": "object",
                  "additionalProperties": {"type": ["string", "number", "boolean"]}},
        "json": {"description": "The JSON body, sent as is."},
        "idempotency_header": {"type": "string", "pattern": r"^[A-Za-z0-9-]+$",
                               "description": "Header to carry the hub's idempotency key; "
                                              "makes a resend after a timeout safe."},
    },
}


class GenericWebhookAdapter(Adapter):
    name = "webhook"
    title = "Any service (webhook)"
    description = ("Receive JSON from any service that can sign a webhook with a shared secret, "
                   "and send HTTP requests to services the hub has no adapter for.")
    auth_fields = (
        Field("webhook_secret", "Shared secret", secret=True,
              help="The sender signs each body with this secret (HMAC-SHA256)."),
        Field("topic_field", "Topic field", required=False, default="type",
              help="Name of the JSON field that says what happened."),
        Field("id_field", "Event id field", required=False, default="id",
              help="Name of the JSON field that identifies the event (used to ignore repeats)."),
        Field("event_name", "Canonical event", required=False,
              pattern=rf"^\s*({_EVENT_NAME}|{_PAIR}(\s*,\s*{_PAIR})*)\s*$",
              placeholder="order.completed  or  sale.created=order.completed, refund=…",
              help="What each topic becomes; '*=name' for every other topic. Empty: store only."),
        Field("map", "Field mapping", required=False, default=DEFAULT_MAP,
              placeholder="customer.email = $.buyer.email; data.total = $.amount : number",
              help="TARGET = $.json.path [: type] rules; see docs/writing-adapters.md."),
        Field("api_base_url", "Base URL for requests", required=False, pattern=r"^https?://[^\s]+$",
              help="Relative request URLs are resolved against it; the auth header goes "
                   "only here."),
        Field("auth_header_name", "Auth header name", required=False, default="Authorization"),
        Field("auth_header_value", "Auth header value", secret=True, required=False,
              placeholder="Bearer …", help="Sent with requests to the base URL."),
    )
    topics = (Topic("*", tuple(EVENT_NAMES), "Any topic the sender names; mapped by event_name."),)
    actions = (
        Action("http_request", "Send an HTTP request", HTTP_REQUEST_SCHEMA, idempotent=False,
               description="A templated request to any HTTP API (JSON body)."),
    )

    # -- inbound ---------------------------------------------------------------------------
    def verify_webhook(self, request: WebhookRequest) -> None:
        secret = self.config["webhook_secret"]
        signature = request.header("X-Hub-Signature-256")
        if signature:
            expected = "sha256=" + hmac_digest(secret, request.body).hex()
            require_equal(expected, signature, "X-Hub-Signature-256 signature")
            return
        authorization = request.header("Authorization")
        if authorization:
            require_equal(f"Bearer {secret}", authorization, "Authorization header")
            return
        raise SignatureInvalid("missing X-Hub-Signature-256 signature")

    def parse_webhook(self, request: WebhookRequest) -> ParsedWebhook:
        payload: Any = parse_json_body(request.body)
        if not isinstance(payload, dict):
            raise PayloadInvalid("the body must be a JSON object")
        topic_field = self.config.get("topic_field") or "type"
        id_field = self.config.get("id_field") or "id"
        topic = payload.get(topic_field)
        if not isinstance(topic, str) or not topic:
            raise PayloadInvalid(f"field {topic_field!r} (the topic) is missing or not text")
        event_id = payload.get(id_field)
        delivery_id = str(event_id) if event_id not in (None, "") else (
            "sha256:" + hashlib.sha256(request.body).hexdigest())
        return ParsedWebhook(topic=topic, delivery_id=delivery_id, payload=payload)

    def to_events(self, topic: str, payload: Any, memory: Memory) -> list[CanonicalEvent]:
        """The canonical event ``event_name`` gives this topic, filled by ``map``.

        The mapping is the shop's own, so the result is validated here: a wrong rule fails
        this event with the schema's words instead of reaching a recipe half-filled.
        """
        name = self.event_name_for(topic)
        if name is None:
            return []
        try:
            mapped = apply_rules(parse_rules(self.config.get("map") or DEFAULT_MAP), payload)
            occurred_at = mapped.get("occurred_at")
            if not occurred_at:
                raise MappingInvalid(
                    "occurred_at is empty: map it, e.g. occurred_at = $.created_at")
            event = CanonicalEvent(
                name=name, occurred_at=utc_iso(occurred_at), data=mapped["data"],
                customer=CustomerRef(**mapped["customer"]), key=_text(mapped.get("key")),
                channel=mapped.get("channel"), source=self.name, raw=payload)
            validate_event(event)
        except (MappingInvalid, EventInvalid, ValueError) as error:
            raise PayloadInvalid(f"{topic} → {name}: {error}") from None
        return [event]

    def event_name_for(self, topic: str) -> str | None:
        """``event_name`` read as one name for every topic, or as ``topic=name`` pairs."""
        setting = (self.config.get("event_name") or "").strip()
        if not setting:
            return None
        if "=" not in setting:
            pairs = {"*": setting}
        else:
            pairs = {k.strip(): v.strip() for k, _, v in
                     (p.partition("=") for p in setting.split(","))}
        name = pairs.get(topic, pairs.get("*"))
        if name is not None and name not in EVENT_NAMES:
            raise PayloadInvalid(f"event_name: {name!r} is not a canonical event")
        return name

    # -- outbound --------------------------------------------------------------------------
    def make_http(self) -> HttpClient:
        return HttpClient(self.config.get("api_base_url") or "")

    def action_http_request(self, inputs: dict[str, Any], *, idempotency_key: str) -> Outcome:
        url = self.http.url(inputs["url"])
        if not url.startswith(("http://", "https://")):
            return failed("a relative URL needs the connection's api_base_url")
        headers = dict(inputs.get("headers") or {})
        if self._is_own_base(url) and self.config.get("auth_header_value"):
            name = self.config.get("auth_header_name") or "Authorization"
            headers[name] = self.config["auth_header_value"]
        idempotency_header = inputs.get("idempotency_header")
        if idempotency_header:
            headers[idempotency_header] = idempotency_key
        outcome, response = self.http.send(
            inputs["method"], url, json=inputs.get("json"), params=inputs.get("query"),
            headers=headers, ok_summary=f"{inputs['method']} {urlsplit(url).path or '/'} accepted")
        if outcome.kind == "unknown" and idempotency_header:
            return Outcome("retry", outcome.summary + "; safe to resend: it carries "
                           f"{idempotency_header}", request=outcome.request, result=outcome.result)
        if outcome.ok and response is not None:
            return Outcome(outcome.kind, outcome.summary, status_code=outcome.status_code,
                           request=outcome.request, response=outcome.response,
                           result={"status_code": response.status_code,
                                   "body": _json_or_none(response)})
        return outcome

    def _is_own_base(self, url: str) -> bool:
        base = (self.config.get("api_base_url") or "").rstrip("/")
        return bool(base) and (url == base or url.startswith(base + "/"))


def _text(value: Any) -> str | None:
    return None if value in (None, "") else str(value)


def _json_or_none(response: Any) -> Any:
    try:
        return response.json() if response.content and len(response.content) <= 20_000 else None
    except ValueError:
        return None
