"""HubSpot CRM: keep contacts current (cart, wishlist, orders, consent), add notes, hear changes.

Facts relied on (``docs/vendor-apis.md``, HubSpot):
- ``Authorization: Bearer pat-…`` (a private app's token), base ``https://api.hubapi.com``;
- ``POST /crm/v3/objects/contacts/batch/upsert`` with ``idProperty: email``, at most 100
  inputs, property values as strings; ``200`` lists ``results[]``, ``207`` adds ``errors[]``
  whose ``context.ids`` name the rejected inputs: each row gets its own outcome. An upsert by
  email is idempotent, so a row HubSpot did not mention can safely be sent again;
- custom properties must exist in the account first (``POST /crm/v3/properties/contacts``);
  the hub writes ``hub_*`` properties (``CONTACT_PROPERTIES`` below, names of our choosing)
  and creates any that are missing the first time HubSpot says one does not exist;
- ``POST /crm/v3/objects/notes`` with ``hs_timestamp`` and ``hs_note_body``, associated to a
  contact with type 202 (note → contact);
- limits per app: 100 requests per 10 s and 250,000 a day on the smallest plans (larger plans
  allow more; the hub paces at the smallest). A 429 body names its ``policyName``:
  ``TEN_SECONDLY_ROLLING`` → wait for the next 10 s window; ``DAILY`` → nothing more gets in
  until midnight in the account's time zone, so the wait runs until then;
- webhooks (signature v3): ``X-HubSpot-Signature-v3`` = base64 HMAC-SHA256 (key: the app's
  client secret) of method + URI + raw body + ``X-HubSpot-Request-Timestamp`` (epoch ms),
  refused when the timestamp is more than 5 minutes off; bodies are JSON arrays of events
  (``eventId``, ``subscriptionType``, ``objectId``, ``propertyName``, ``propertyValue``…).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from typing import Any, Iterable, Mapping
from urllib.parse import quote
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

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
    parse_json_body,
)
from adapters.http import HttpClient, Outcome, default_error_text, failed
from hub import clock
from hub.events import CanonicalEvent, CustomerRef, utc_iso

API_BASE = "https://api.hubapi.com"
BATCH_LIMIT = 100
SIGNATURE_WINDOW_MS = 5 * 60 * 1000
NOTE_TO_CONTACT = 202
#: HubSpot decodes these in the URI it signs (validating-requests guide; unverified list).
_SIGNED_URI_DECODES = {"%3A": ":", "%2F": "/", "%3F": "?", "%40": "@", "%21": "!", "%24": "$",
                       "%27": "'", "%28": "(", "%29": ")", "%2A": "*", "%2C": ",", "%3B": ";"}
_ENCODED = re.compile("|".join(_SIGNED_URI_DECODES), re.IGNORECASE)
#: Per-row error categories that a later attempt may get past.
_TRANSIENT_CATEGORIES = frozenset({"RATE_LIMITS", "INTERNAL_ERROR", "SERVICE_UNAVAILABLE"})

#: Input → HubSpot contact property. ``hub_*`` are custom properties the account must have.
CONTACT_PROPERTIES: dict[str, str] = {
    "first_name": "firstname",
    "last_name": "lastname",
    "phone": "phone",
    "cart_items": "hub_cart_items",
    "cart_value": "hub_cart_value",
    "wishlist": "hub_wishlist",
    "last_channel": "hub_last_channel",
    "sms_consent": "hub_sms_consent",
    "email_consent": "hub_email_consent",
    "last_order_name": "hub_last_order_name",
    "last_order_date": "hub_last_order_date",
    "last_order_value": "hub_last_order_value",
    "lifetime_value": "hub_lifetime_value",
    "order_count": "hub_order_count",
}
#: How the hub's custom properties are created when an account lacks them: label, type.
#: Money and counts are numbers (HubSpot reads "176.00" into a number property); the rest text.
CUSTOM_PROPERTY_DEFINITIONS: dict[str, tuple[str, str]] = {
    "hub_cart_items": ("Cart items (hub)", "string"),
    "hub_cart_value": ("Cart value (hub)", "number"),
    "hub_wishlist": ("Wishlist (hub)", "string"),
    "hub_last_channel": ("Last channel seen (hub)", "string"),
    "hub_sms_consent": ("SMS marketing consent (hub)", "string"),
    "hub_email_consent": ("Email marketing consent (hub)", "string"),
    "hub_last_order_name": ("Last order (hub)", "string"),
    "hub_last_order_date": ("Last order date (hub)", "string"),
    "hub_last_order_value": ("Last order value (hub)", "number"),
    "hub_lifetime_value": ("Lifetime value (hub)", "number"),
    "hub_order_count": ("Order count (hub)", "number"),
}
_MISSING_PROPERTY = "PROPERTY_DOESNT_EXIST"
_MONEY_INPUTS = frozenset({"cart_value", "last_order_value", "lifetime_value"})
_LIST_INPUTS = frozenset({"cart_items", "wishlist"})

#: Contact properties whose change in HubSpot is a consent statement: name → channel.
CONSENT_PROPERTIES = {"hs_sms_consent": "sms", "hub_sms_consent": "sms",
                      "hub_email_consent": "email", "hs_email_optout": "email"}
_SUBSCRIBED = frozenset({"subscribed", "opted_in", "opt_in", "yes"})
_UNSUBSCRIBED = frozenset({"unsubscribed", "opted_out", "opt_out", "not_subscribed", "no"})

# Optional inputs also take null ("nothing to say": the property is left as it is).
_MONEY = {"type": ["number", "string", "null"], "minimum": 0, "pattern": r"^\d+(\.\d+)?$"}
_TEXT = {"type": ["string", "null"]}
_TEXT_OR_LIST = {"type": ["string", "array", "null"], "items": {"type": "string"}}
_CONSENT_STATE = {"enum": ["subscribed", "unsubscribed", "not_subscribed", "pending", "unknown",
                           None]}

UPSERT_CONTACT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["email"],
    "properties": {
        "email": {"type": "string", "pattern": r"^[^@\s]+@[^@\s]+$", "maxLength": 254},
        "first_name": _TEXT,
        "last_name": _TEXT,
        "phone": _TEXT,
        "cart_items": {**_TEXT_OR_LIST, "description": "e.g. 'Straw Tote (Natural) x1'"},
        "cart_value": _MONEY,
        "wishlist": _TEXT_OR_LIST,
        "last_channel": _TEXT,
        "sms_consent": _CONSENT_STATE,
        "email_consent": _CONSENT_STATE,
        "last_order_name": _TEXT,
        "last_order_date": _TEXT,
        "last_order_value": _MONEY,
        "lifetime_value": _MONEY,
        "order_count": {"type": ["integer", "null"], "minimum": 0},
        "properties": {"type": ["object", "null"],
                       "description": "Other HubSpot properties, by name",
                       "additionalProperties": {"type": ["string", "number", "boolean", "null"]}},
    },
    "additionalProperties": False,
}

CREATE_NOTE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["body"],
    "anyOf": [{"required": ["contact_id"]}, {"required": ["email"]}],
    "properties": {
        "contact_id": {"type": "string", "pattern": r"^\d+$",
                       "description": "e.g. the result of upsert_contact"},
        "email": {"type": "string", "pattern": r"^[^@\s]+@[^@\s]+$",
                  "description": "Used to find the contact when no id is given"},
        "body": {"type": "string", "minLength": 1, "maxLength": 65536,
                 "description": "HTML, e.g. '<p>Online cart: …</p>'"},
        "timestamp": {"type": ["string", "null"], "minLength": 1,
                      "description": "ISO 8601 UTC or epoch ms; defaults to now"},
        "owner_id": {"type": ["string", "null"], "pattern": r"^\d+$"},
    },
    "additionalProperties": False,
}


# -- helpers -----------------------------------------------------------------------------------
def hubspot_error_text(response: requests.Response) -> str:
    """``{"message", "category"}`` as "message [CATEGORY]"."""
    try:
        body = response.json()
    except ValueError:
        return default_error_text(response)
    if isinstance(body, dict) and body.get("message"):
        category = body.get("category") or body.get("policyName")
        text = f"{body['message']} [{category}]" if category else str(body["message"])
        return with_setup_hint(text)
    return default_error_text(response)


def with_setup_hint(text: str) -> str:
    """Say what to do when HubSpot lacks one of the hub's custom contact properties."""
    if _MISSING_PROPERTY in text or "does not exist" in text:
        names = ", ".join(sorted(CUSTOM_PROPERTY_DEFINITIONS))
        return (f"{text} (the hub's contact properties must exist in HubSpot: give the private "
                f"app the crm.schemas.contacts.write scope so the hub creates them, or add them "
                f"under Settings → Properties: {names})")
    return text


def v3_signature(client_secret: str, method: str, uri: str, body: bytes, timestamp: str) -> str:
    """``X-HubSpot-Signature-v3`` of a request, with the URI decoded as HubSpot signs it."""
    decoded = _ENCODED.sub(lambda m: _SIGNED_URI_DECODES[m.group(0).upper()], uri)
    message = method.upper().encode() + decoded.encode() + body + timestamp.encode()
    digest = hmac.new(client_secret.encode(), message, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def _money(value: Any) -> str:
    try:
        return f"{Decimal(str(value)).quantize(Decimal('0.01'))}"
    except InvalidOperation:
        return str(value)


def contact_properties(inputs: Mapping[str, Any]) -> dict[str, str]:
    """An ``upsert_contact`` input row as HubSpot properties (all values strings)."""
    properties = {"email": inputs["email"]}
    for name, prop in CONTACT_PROPERTIES.items():
        value = inputs.get(name)
        if value is None:
            continue
        if name in _MONEY_INPUTS:
            value = _money(value)
        elif name in _LIST_INPUTS and isinstance(value, list):
            value = "; ".join(value)
        properties[prop] = str(value)
    for prop, value in (inputs.get("properties") or {}).items():
        if value is not None:
            properties[prop] = str(value).lower() if isinstance(value, bool) else str(value)
    return properties


def seconds_until_midnight(time_zone: str, now: datetime) -> float:
    """Seconds from ``now`` to the next midnight in ``time_zone`` (HubSpot's daily reset)."""
    zone = _zone(time_zone)
    local = now.astimezone(zone)
    midnight = datetime.combine(local.date() + timedelta(days=1), datetime.min.time(), zone)
    # Subtract in UTC: within one zone Python subtracts wall-clock times, wrong across DST.
    return (midnight.astimezone(timezone.utc) - now.astimezone(timezone.utc)).total_seconds()


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


class HubSpotClient(HttpClient):
    """Reads HubSpot's 429 body: the 10-second window passes soon, the daily limit at midnight."""

    def __init__(self, *args: Any, time_zone: str = "UTC", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.time_zone = time_zone

    def classify(self, response: requests.Response, **kwargs: Any) -> Outcome:
        outcome = super().classify(response, **kwargs)
        if response.status_code != 429:
            return outcome
        try:
            body = response.json()
        except ValueError:
            body = {}
        policy = str(body.get("policyName") or "") if isinstance(body, dict) else ""
        if policy.upper() == "DAILY":
            wait = seconds_until_midnight(self.time_zone, clock.now()) + 60
            hours, minutes = int(wait // 3600), int(wait % 3600 // 60)
            return replace(outcome, retry_after=wait, summary=(
                f"HubSpot's daily API limit is used up; it resets at midnight "
                f"({self.time_zone}), in {hours}h {minutes:02d}m"))
        if outcome.retry_after is None:
            interval = response.headers.get("X-HubSpot-RateLimit-Interval-Milliseconds")
            wait = int(interval) / 1000 if (interval or "").isdigit() else 10.0
            return replace(outcome, retry_after=wait)
        return outcome


# -- the adapter -------------------------------------------------------------------------------
class HubSpotAdapter(Adapter):
    name = "hubspot"
    title = "HubSpot CRM"
    description = "Contacts with their cart, wishlist, orders and consent; notes for your team."
    auth_fields = (
        Field("access_token", "Private app access token", secret=True, placeholder="pat-…",
              help="HubSpot → Settings → Integrations → Private apps, with the scopes "
                   "crm.objects.contacts.read, crm.objects.contacts.write and "
                   "crm.schemas.contacts.write (to create the hub's contact properties)."),
        Field("client_secret", "App client secret", secret=True, required=False,
              help="Only to receive HubSpot webhooks: it signs each request."),
        Field("time_zone", "Account time zone", required=False, default="UTC",
              pattern=r"^[A-Za-z]+(?:/[A-Za-z0-9_+-]+)*$", placeholder="America/New_York",
              help="The HubSpot account's time zone: its daily API limit resets at "
                   "midnight there."),
        Field("api_base_url", "API base URL", required=False, default=API_BASE,
              pattern=r"^https?://\S+$", help="Change only to point at a test server."),
    )
    topics = (
        Topic("contact.creation", ("customer.created",), "A contact was created in HubSpot."),
        Topic("contact.propertyChange", ("customer.updated", "consent.changed"),
              "A contact property changed; consent properties become consent changes."),
        Topic("mixed", ("customer.created", "customer.updated", "consent.changed"),
              "One delivery holding several kinds of contact events."),
    )
    actions = (
        Action("upsert_contact", "Create or update a contact (by email)", UPSERT_CONTACT_SCHEMA,
               batch_size=BATCH_LIMIT,
               description="Cart, wishlist, last order, lifetime value and consent on the "
                           "contact, as hub_* properties."),
        Action("create_note", "Add a note to a contact", CREATE_NOTE_SCHEMA, idempotent=False,
               description="A note on the contact's timeline, e.g. what is in their cart."),
    )
    rate_limits = (RateLimit(100, 10.0), RateLimit(250_000, 86_400.0))

    def make_http(self) -> HttpClient:
        return HubSpotClient(
            self.config.get("api_base_url") or API_BASE,
            headers={"Authorization": f"Bearer {self.config['access_token']}",
                     "Accept": "application/json", "Content-Type": "application/json"},
            error_text=hubspot_error_text,
            time_zone=self.config.get("time_zone") or "UTC",
        )

    # -- upsert --------------------------------------------------------------------------------
    def action_upsert_contact(self, inputs: dict[str, Any], *, idempotency_key: str) -> Outcome:
        return self.batch_upsert_contact([(idempotency_key, inputs)])[0]

    def batch_upsert_contact(self, items: list[tuple[str, dict[str, Any]]]) -> list[Outcome]:
        """Upsert rows, ≤ 100 per request; one outcome per row, in order.

        One request may not name a contact twice, so a repeated email goes into a later
        request: rows for one contact are applied in the order they came.
        """
        outcomes: list[Outcome | None] = [None] * len(items)
        for indexes in _requests_for(items):
            results = self._upsert([items[i][1] for i in indexes])
            for index, outcome in zip(indexes, results, strict=True):
                outcomes[index] = outcome
        return [o for o in outcomes if o is not None]

    def _upsert(self, rows: list[dict[str, Any]]) -> list[Outcome]:
        outcomes = self._upsert_once(rows)
        if not any(_MISSING_PROPERTY in o.summary for o in outcomes):
            return outcomes
        # The account lacks some hub_* properties: create them once, then those rows go again.
        created = self.ensure_contact_properties()
        if not created.ok:
            return [replace(o, summary=f"{o.summary}; creating them failed: {created.summary}")
                    if _MISSING_PROPERTY in o.summary else o for o in outcomes]
        return [Outcome("retry", f"HubSpot lacked the hub's contact properties: "
                                 f"{created.summary}; the contact will be sent again",
                        status_code=o.status_code, retry_after=0.0, request=o.request,
                        response=o.response)
                if _MISSING_PROPERTY in o.summary else o for o in outcomes]

    def ensure_contact_properties(self) -> Outcome:
        """Create the hub's custom contact properties the account does not have yet."""
        outcome, response = self.http.send("GET", "/crm/v3/properties/contacts")
        if not outcome.ok or response is None:
            return outcome
        try:
            existing = {p.get("name") for p in response.json().get("results") or []}
        except (ValueError, AttributeError):
            return failed("HubSpot's property list could not be read", request=outcome.request)
        missing = [name for name in CUSTOM_PROPERTY_DEFINITIONS if name not in existing]
        for name in missing:
            label, kind = CUSTOM_PROPERTY_DEFINITIONS[name]
            created, answer = self.http.send("POST", "/crm/v3/properties/contacts", json={
                "name": name, "label": label, "type": kind,
                "fieldType": "number" if kind == "number" else "text",
                "groupName": "contactinformation",
                "description": "Kept up to date by the omnichannel hub."})
            if not created.ok and not (answer is not None and answer.status_code == 409):
                return created
        summary = f"created {', '.join(missing)}" if missing else "all properties exist"
        return replace(outcome, summary=summary, result={"created": missing})

    def _upsert_once(self, rows: list[dict[str, Any]]) -> list[Outcome]:
        body = {"inputs": [{"idProperty": "email", "id": row["email"],
                            "properties": contact_properties(row)} for row in rows]}
        outcome, response = self.http.send("POST", "/crm/v3/objects/contacts/batch/upsert",
                                           json=body)
        if not outcome.ok or response is None:
            return [outcome] * len(rows)
        try:
            answer = response.json()
        except ValueError:
            answer = {}
        found = {str((r.get("properties") or {}).get("email") or "").lower(): r
                 for r in answer.get("results") or [] if isinstance(r, dict)}
        rejected: dict[str, dict[str, Any]] = {}
        for error in answer.get("errors") or []:
            for input_id in (error.get("context") or {}).get("ids") or []:
                rejected[str(input_id).lower()] = error
        return [self._row_outcome(outcome, row["email"].lower(), found, rejected) for row in rows]

    @staticmethod
    def _row_outcome(outcome: Outcome, email: str, found: Mapping[str, Any],
                     rejected: Mapping[str, Any]) -> Outcome:
        common = {"status_code": outcome.status_code, "request": outcome.request,
                  "response": outcome.response}
        if email in rejected:
            error = rejected[email]
            category = error.get("category") or "ERROR"
            kind = "retry" if category in _TRANSIENT_CATEGORIES else "failed"
            return Outcome(kind, with_setup_hint(f"HubSpot rejected this contact: "
                                                 f"{error.get('message')} [{category}]"),
                           **common)
        result = found.get(email)
        if result is None:
            return Outcome("retry", "HubSpot's answer did not mention this contact; the upsert "
                                    "will be sent again (it is safe to repeat)",
                           retry_after=10.0, **common)
        verb = "created" if result.get("new") else "updated"
        return Outcome("delivered", f"contact {verb} in HubSpot ({result.get('id')})",
                       result={"contact_id": str(result.get("id")), "new": bool(result.get("new")),
                               "external_id": str(result.get("id")),
                               "customer_id": str(result.get("id"))},
                       **common)

    # -- notes ---------------------------------------------------------------------------------
    def action_create_note(self, inputs: dict[str, Any], *, idempotency_key: str) -> Outcome:
        contact_id = inputs.get("contact_id")
        if not contact_id:
            found = self._contact_id_by_email(inputs["email"])
            if isinstance(found, Outcome):
                return found
            contact_id = found
        properties = {"hs_timestamp": inputs.get("timestamp") or _hubspot_now(),
                      "hs_note_body": inputs["body"]}
        if inputs.get("owner_id"):
            properties["hubspot_owner_id"] = inputs["owner_id"]
        body = {"properties": properties, "associations": [{
            "to": {"id": str(contact_id)},
            "types": [{"associationCategory": "HUBSPOT_DEFINED",
                       "associationTypeId": NOTE_TO_CONTACT}]}]}
        outcome, response = self.http.send("POST", "/crm/v3/objects/notes", json=body)
        if not outcome.ok or response is None:
            return outcome
        try:
            note_id = response.json().get("id")
        except (ValueError, AttributeError):
            note_id = None
        return replace(outcome, summary=f"note added to HubSpot contact {contact_id}",
                       result={"note_id": note_id, "contact_id": str(contact_id),
                               "external_id": note_id})

    def _contact_id_by_email(self, email: str) -> str | Outcome:
        path = f"/crm/v3/objects/contacts/{quote(email, safe='@')}"
        outcome, response = self.http.send("GET", path, params={"idProperty": "email"})
        if response is not None and response.status_code == 404:
            return failed(f"no HubSpot contact has the email {email}; upsert the contact first",
                          status_code=404, request=outcome.request, response=outcome.response)
        if not outcome.ok or response is None:
            return outcome
        try:
            return str(response.json()["id"])
        except (ValueError, KeyError, TypeError):
            return failed("HubSpot's contact answer had no id", request=outcome.request,
                          response=outcome.response)

    def test_connection(self) -> Outcome:
        outcome, response = self.http.send("GET", "/crm/v3/objects/contacts",
                                           params={"limit": "1"})
        if not outcome.ok or response is None:
            return outcome
        left = response.headers.get("X-HubSpot-RateLimit-Daily-Remaining")
        extra = f"; {left} API calls left today" if left else ""
        return replace(outcome, summary=f"connected to HubSpot{extra}")

    # -- inbound -------------------------------------------------------------------------------
    def verify_webhook(self, request: WebhookRequest) -> None:
        secret = self.config.get("client_secret")
        if not secret:
            raise SignatureInvalid("this HubSpot connection has no client secret to check "
                                   "webhook signatures with")
        signature = (request.header("X-HubSpot-Signature-v3") or "").strip()
        timestamp = (request.header("X-HubSpot-Request-Timestamp") or "").strip()
        if not signature:
            raise SignatureInvalid("missing X-HubSpot-Signature-v3 (v1/v2 signatures are "
                                   "not accepted: they can be replayed)")
        if not timestamp.isdigit():
            raise SignatureInvalid("missing or malformed X-HubSpot-Request-Timestamp")
        now_ms = int(clock.now().timestamp() * 1000)
        if abs(now_ms - int(timestamp)) > SIGNATURE_WINDOW_MS:
            raise SignatureInvalid("X-HubSpot-Request-Timestamp is more than 5 minutes from "
                                   "now: a stale or replayed request")
        expected = v3_signature(secret, request.method, request.url, request.body, timestamp)
        if not hmac.compare_digest(expected.encode(), signature.encode()):
            raise SignatureInvalid("X-HubSpot-Signature-v3 does not match (HubSpot signs the "
                                   "URL it called: is HUB_PUBLIC_URL the address it uses?)")

    def parse_webhook(self, request: WebhookRequest) -> ParsedWebhook:
        payload = parse_json_body(request.body)
        if not isinstance(payload, list) or not payload or not all(
                isinstance(e, dict) and "eventId" in e and e.get("subscriptionType")
                for e in payload):
            raise PayloadInvalid("a HubSpot webhook body is a non-empty JSON array of events "
                                 "with eventId and subscriptionType")
        kinds = {e["subscriptionType"] for e in payload}
        known = {t.name for t in self.topics}
        if not kinds & known:
            raise TopicUnknown(f"hubspot does not handle {', '.join(sorted(kinds))}")
        topic = kinds.pop() if len(kinds) == 1 else "mixed"
        ids = sorted(str(e["eventId"]) for e in payload)
        delivery_id = ids[0] if len(ids) == 1 else "events:" + hashlib.sha256(
            ",".join(ids).encode()).hexdigest()[:32]
        moments = [e["occurredAt"] for e in payload if isinstance(e.get("occurredAt"), int)]
        return ParsedWebhook(topic, delivery_id, payload,
                             utc_iso(max(moments)) if moments else None)

    def to_events(self, topic: str, payload: Any, memory: Any) -> list[CanonicalEvent]:
        events: list[CanonicalEvent] = []
        # Each event keeps the whole delivery as its raw payload: that is what HubSpot sent.
        for item in payload if isinstance(payload, list) else [payload]:
            events.extend(_contact_events(item, payload))
        return events


def _requests_for(items: list[tuple[str, dict[str, Any]]]) -> Iterable[list[int]]:
    """Row indexes grouped into requests of ≤ 100 with no email twice in one request."""
    waves: list[list[int]] = []
    seen: list[set[str]] = []
    for index, (_, inputs) in enumerate(items):
        email = str(inputs["email"]).lower()
        wave = next((w for w, emails in enumerate(seen) if email not in emails), len(waves))
        if wave == len(waves):
            waves.append([])
            seen.append(set())
        waves[wave].append(index)
        seen[wave].add(email)
    for wave in waves:
        for start in range(0, len(wave), BATCH_LIMIT):
            yield wave[start:start + BATCH_LIMIT]


def _hubspot_now() -> str:
    """Now as HubSpot writes timestamps: ISO 8601 UTC with milliseconds."""
    return clock.now().strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _contact_events(item: Mapping[str, Any], raw: Any) -> list[CanonicalEvent]:
    kind = item.get("subscriptionType")
    contact_id = str(item.get("objectId") or "")
    if kind not in ("contact.creation", "contact.propertyChange") or not contact_id:
        return []  # other objects (deals, companies) are not customers
    at = utc_iso(item["occurredAt"]) if item.get("occurredAt") else clock.now_iso()
    common = {"key": contact_id, "channel": "crm", "source": "hubspot", "raw": raw}
    customer = CustomerRef(external_ids={"hubspot": contact_id})
    if kind == "contact.creation":
        return [CanonicalEvent("customer.created", at, {}, customer=customer, **common)]
    name, value = str(item.get("propertyName") or ""), item.get("propertyValue")
    channel = CONSENT_PROPERTIES.get(name)
    state = _consent_state(name, value) if channel else None
    if channel and state:
        return [CanonicalEvent("consent.changed", at, {
            "channel": channel, "state": state, "source": "hubspot",
            "reason": f"{name} set to {value!r} in HubSpot"}, customer=customer, **common)]
    data: dict[str, Any] = {}
    if name == "firstname":
        data["first_name"] = value
    elif name == "lastname":
        data["last_name"] = value
    else:
        data["properties"] = {name: value}
    if name == "email" and value:
        customer = replace(customer, email=str(value))
    elif name in ("phone", "mobilephone") and value:
        customer = replace(customer, phone=str(value))
    return [CanonicalEvent("customer.updated", at, data, customer=customer, **common)]


def _consent_state(name: str, value: Any) -> str | None:
    text = str(value or "").strip().lower()
    if name == "hs_email_optout":  # HubSpot's own "opted out of all email" checkbox
        return "unsubscribed" if text == "true" else None
    if text in _SUBSCRIBED:
        return "subscribed"
    if text in _UNSUBSCRIBED:
        return "unsubscribed"
    return None
