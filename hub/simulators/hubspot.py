"""HubSpot CRM: contact batch upsert by email, notes on contacts, contact reads, properties.

``Authorization: Bearer`` checked (401), then the 10-second rolling and daily limits (429
with ``policyName``; every answer carries ``X-HubSpot-RateLimit-*``), then the body: a
malformed batch is a 400 with HubSpot's error shape, bad values in some inputs a 207 with
``numErrors`` and ``errors[]`` next to the good results. HubSpot documents no
``Retry-After`` on its 429, so none is sent (vendor-apis.md).
"""

from __future__ import annotations

import hmac
import itertools
import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Mapping

from flask import Blueprint, Response, g, request

from hub import clock
from hub.simulators import hubspot_schema as schema
from hub.simulators.config import HubSpotConfig
from hub.simulators.delivery import WebhookDelivery
from hub.simulators.ratelimit import DailyCount, RollingWindow
from hub.simulators.senders import send_hubspot_webhook
from hub.simulators.vendor import VendorSim, json_response, new_uuid

AUTH_MISSING = ("Authentication credentials not found. This API supports OAuth 2.0 "
                "authentication and you can find more details at "
                "https://developers.hubspot.com/docs/methods/auth/oauth-overview")


def hubspot_time(moment: datetime | None = None) -> str:
    """``2026-11-20T14:15:00.000Z``: HubSpot's millisecond UTC timestamps."""
    return (moment or clock.now()).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


@dataclass
class Contact:
    id: str
    properties: dict[str, str]
    created_at: str
    updated_at: str

    def to_json(self, names: Mapping[str, Any] | None = None) -> dict[str, Any]:
        shown = dict(self.properties) if names is None else {
            k: self.properties.get(k) for k in names}
        shown.update(createdate=self.created_at, lastmodifieddate=self.updated_at,
                     hs_object_id=self.id)
        return {"id": self.id, "properties": shown, "createdAt": self.created_at,
                "updatedAt": self.updated_at, "archived": False}


@dataclass
class Note:
    id: str
    properties: dict[str, str]
    contact_ids: list[str] = field(default_factory=list)
    created_at: str = ""


class HubSpotSim(VendorSim):
    name = "hubspot"
    title = "HubSpot CRM API"

    def __init__(self, config: HubSpotConfig) -> None:
        self.config = config
        self._lock = threading.RLock()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self._ids = itertools.count(51234567001)
            self._note_ids = itertools.count(78123456001)
            self.contacts: dict[str, Contact] = {}  # by lower-cased email
            self.notes: list[Note] = []
            self.properties: set[str] = set(schema.DEFAULT_PROPERTIES) | set(
                self.config.custom_properties)
            self._ten_seconds = RollingWindow(self.config.ten_second_limit, 10.0)
            self._daily = DailyCount(self.config.daily_limit)
            self._search = RollingWindow(self.config.search_per_second, 1.0)

    # -- Python API ----------------------------------------------------------------------------
    def contact(self, email: str) -> Contact | None:
        with self._lock:
            return self.contacts.get(email.lower())

    def contact_by_id(self, contact_id: str) -> Contact | None:
        with self._lock:
            return next((c for c in self.contacts.values() if c.id == contact_id), None)

    def send_webhook(self, url: str, events: list[Mapping[str, Any]]) -> WebhookDelivery:
        """POST HubSpot webhook events (JSON array) signed with the app's client secret."""
        return send_hubspot_webhook(url, events, self.config.client_secret)

    def property_change_event(self, contact_id: str, name: str, value: str) -> dict[str, Any]:
        """A ``contact.propertyChange`` event (fixture ``webhook_contact_property_change``)."""
        return {"eventId": int(clock.now().timestamp() * 1000) % 10**9,
                "subscriptionId": 2345678, "portalId": self.config.portal_id, "appId": 1160452,
                "occurredAt": int(clock.now().timestamp() * 1000),
                "subscriptionType": "contact.propertyChange", "attemptNumber": 0,
                "objectId": int(contact_id), "propertyName": name, "propertyValue": value,
                "changeSource": "CRM_UI", "sourceId": "userId:1234567"}

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {"contacts": [c.to_json() for c in self.contacts.values()],
                    "notes": [n.__dict__ for n in self.notes]}

    # -- answers -------------------------------------------------------------------------------
    def server_error(self, status: int) -> Response:
        if status == 503:
            return schema.error(503, "Service unavailable", "SERVICE_UNAVAILABLE")
        return schema.error(status, "internal error", "INTERNAL_ERROR")

    def throttled(self, policy: str = "TEN_SECONDLY_ROLLING") -> Response:
        response = json_response({
            "status": "error", "message": f"You have reached your {policy.lower()} limit.",
            "errorType": "RATE_LIMIT", "correlationId": new_uuid(), "policyName": policy,
            "requestId": new_uuid()}, 429, content_type="application/json;charset=utf-8")
        response.headers.update(self._limit_headers(0))
        return response

    def _limit_headers(self, remaining: int) -> dict[str, str]:
        return {"X-HubSpot-RateLimit-Max": str(self.config.ten_second_limit),
                "X-HubSpot-RateLimit-Remaining": str(max(0, remaining)),
                "X-HubSpot-RateLimit-Interval-Milliseconds": "10000",
                "X-HubSpot-RateLimit-Daily": str(self.config.daily_limit),
                "X-HubSpot-RateLimit-Daily-Remaining": str(self._daily.peek_remaining())}

    # -- routes --------------------------------------------------------------------------------
    def _guard(self) -> tuple[Response | None, dict[str, str]]:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme != "Bearer" or not token:
            return schema.error(401, AUTH_MISSING, "INVALID_AUTHENTICATION"), {}
        if not hmac.compare_digest(token.strip().encode(), self.config.access_token.encode()):
            return schema.error(401, "The OAuth token used to make this call expired or is "
                                     "not valid.", "INVALID_AUTHENTICATION"), {}
        window = self._ten_seconds.take()
        if not window.allowed:
            return self.throttled("TEN_SECONDLY_ROLLING"), {}
        if not self._daily.take().allowed:
            return self.throttled("DAILY"), {}
        return None, self._limit_headers(window.remaining)

    def blueprint(self) -> Blueprint:
        bp = Blueprint("hubspot", __name__)

        @bp.after_request
        def limit_headers(response: Response) -> Response:
            for name, value in g.get("hubspot_limit_headers", {}).items():
                response.headers.setdefault(name, value)
            return response

        @bp.before_request
        def guard() -> Response | None:
            refused, headers = self._guard()
            g.hubspot_limit_headers = headers
            return refused

        @bp.post("/crm/v3/objects/contacts/batch/upsert")
        def batch_upsert() -> Response:
            return self._batch_upsert(schema.parse_json(request.get_data(cache=True)))

        @bp.post("/crm/v3/objects/notes")
        def create_note() -> Response:
            return self._create_note(schema.parse_json(request.get_data(cache=True)))

        @bp.get("/crm/v3/objects/contacts")
        def list_contacts() -> Response:
            return self._list_contacts()

        @bp.get("/crm/v3/objects/contacts/<contact_id>")
        def get_contact(contact_id: str) -> Response:
            if request.args.get("idProperty") == "email":
                contact = self.contact(contact_id)
            else:
                contact = self.contact_by_id(contact_id)
            if contact is None:
                return schema.error(404, "resource not found", "OBJECT_NOT_FOUND")
            return json_response(contact.to_json(_requested(request.args.get("properties"))))

        @bp.post("/crm/v3/objects/contacts/search")
        def search() -> Response:
            if not self._search.take().allowed:
                return self.throttled("SECONDLY")
            return self._search_contacts(schema.parse_json(request.get_data(cache=True)))

        @bp.get("/crm/v3/properties/contacts")
        def list_properties() -> Response:
            with self._lock:
                names = sorted(self.properties)
            return json_response({"results": [{"name": n, "label": n, "type": "string",
                                               "fieldType": "text",
                                               "groupName": "contactinformation"}
                                              for n in names]})

        @bp.post("/crm/v3/properties/contacts")
        def create_property() -> Response:
            return self._create_property(schema.parse_json(request.get_data(cache=True)))

        @bp.get("/account-info/v3/details")
        def account() -> Response:
            return json_response({
                "portalId": self.config.portal_id, "accountType": "STANDARD",
                "timeZone": "US/Eastern", "companyCurrency": "USD", "additionalCurrencies": [],
                "utcOffset": "-05:00", "utcOffsetMilliseconds": -18000000,
                "uiDomain": "app.hubspot.com", "dataHostingLocation": "na1"})

        return bp

    # -- behaviour -----------------------------------------------------------------------------
    def _batch_upsert(self, body: Any) -> Response:
        if isinstance(body, Response):
            return body
        inputs = body.get("inputs") if isinstance(body, Mapping) else None
        if not isinstance(inputs, list):
            return schema.validation_error(
                "Invalid input JSON on line 1, column 2: Cannot build "
                "BatchInputSimplePublicObjectBatchInputUpsert, some of required attributes "
                "are not set [inputs]")
        if not inputs:
            return schema.validation_error("inputs must contain at least 1 input")
        if len(inputs) > schema.MAX_BATCH:
            return schema.validation_error(
                f"Batch input cannot contain more than {schema.MAX_BATCH} inputs; "
                f"got {len(inputs)}")
        started = hubspot_time()
        good: list[tuple[str, dict[str, str]]] = []
        errors: list[dict[str, Any]] = []
        with self._lock:
            known = set(self.properties)
        for index, item in enumerate(inputs):
            email, problem = schema.check_upsert_input(item, index, known)
            if isinstance(problem, Response):
                return problem
            if problem is not None:
                errors.append(problem)
            else:
                assert email is not None
                good.append((email, {k: _string(v) for k, v in item.get(
                    "properties", {}).items()}))
        seen = [email for email, _ in good]
        duplicated = sorted({e for e in seen if seen.count(e) > 1})
        if duplicated:
            return schema.validation_error(f"Duplicate IDs found in batch input: {duplicated}")
        results = [self._upsert(email, properties) for email, properties in good]
        body_out: dict[str, Any] = {"status": "COMPLETE", "results": results}
        if errors:
            body_out.update(numErrors=len(errors), errors=errors)
        body_out.update(startedAt=started, completedAt=hubspot_time())
        return json_response(body_out, 207 if errors else 200)

    def _upsert(self, email: str, properties: dict[str, str]) -> dict[str, Any]:
        stamp = hubspot_time()
        with self._lock:
            contact = self.contacts.get(email)
            new = contact is None
            if contact is None:
                contact = Contact(str(next(self._ids)), {"email": email}, stamp, stamp)
                self.contacts[email] = contact
            contact.properties.update(properties)
            contact.updated_at = stamp
            shown = {"email": email, **properties}
            return {**contact.to_json(shown), "new": new}

    def _create_note(self, body: Any) -> Response:
        if isinstance(body, Response):
            return body
        problem = schema.check_note(body, lambda cid: self.contact_by_id(cid) is not None)
        if problem is not None:
            return problem
        stamp = hubspot_time()
        properties = {k: _string(v) for k, v in body["properties"].items()}
        contact_ids = [str(a["to"]["id"]) for a in body.get("associations", [])]
        with self._lock:
            note = Note(str(next(self._note_ids)), properties, contact_ids, stamp)
            self.notes.append(note)
        shown = {**properties, "hs_createdate": stamp, "hs_lastmodifieddate": stamp,
                 "hs_object_id": note.id}
        return json_response({"id": note.id, "properties": shown, "createdAt": stamp,
                              "updatedAt": stamp, "archived": False}, 201)

    def _list_contacts(self) -> Response:
        limit_raw, after_raw = request.args.get("limit", "10"), request.args.get("after", "0")
        if not limit_raw.isdigit() or not 1 <= int(limit_raw) <= 100:
            return schema.validation_error("limit must be between 1 and 100")
        if not after_raw.isdigit():
            return schema.validation_error("after must be a paging cursor from a previous "
                                           "answer")
        limit, after = int(limit_raw), int(after_raw)
        with self._lock:
            ordered = sorted(self.contacts.values(), key=lambda c: int(c.id))
        rest = [c for c in ordered if int(c.id) > after]
        page = rest[:limit]
        names = _requested(request.args.get("properties")) or {
            "email": 1, "firstname": 1, "lastname": 1}
        body: dict[str, Any] = {"results": [c.to_json(names) for c in page]}
        if len(rest) > limit:
            cursor = page[-1].id
            body["paging"] = {"next": {"after": cursor, "link": f"{request.base_url}?limit="
                                                                f"{limit}&after={cursor}"}}
        return json_response(body)

    def _search_contacts(self, body: Any) -> Response:
        if isinstance(body, Response):
            return body
        if not isinstance(body, Mapping):
            return schema.validation_error("Invalid input JSON: expected an object")
        limit = body.get("limit", 10)
        if not isinstance(limit, int) or not 1 <= limit <= 200:
            return schema.validation_error("limit must be between 1 and 200")
        groups = body.get("filterGroups") or []
        with self._lock:
            contacts = sorted(self.contacts.values(), key=lambda c: int(c.id))
        found = [c for c in contacts if not groups or any(
            all(_matches(c, f) for f in (g.get("filters") or [])) for g in groups)]
        after = int(body.get("after") or 0)
        rest = [c for c in found if int(c.id) > after]
        names = {n: 1 for n in body.get("properties") or ["email", "firstname", "lastname"]}
        answer: dict[str, Any] = {"total": len(found),
                                  "results": [c.to_json(names) for c in rest[:limit]]}
        if len(rest) > limit:
            answer["paging"] = {"next": {"after": rest[limit - 1].id}}
        return json_response(answer)

    def _create_property(self, body: Any) -> Response:
        if isinstance(body, Response):
            return body
        required = ("name", "label", "type", "fieldType", "groupName")
        if not isinstance(body, Mapping) or any(not body.get(k) for k in required):
            return schema.validation_error(f"Property definitions need {', '.join(required)}")
        with self._lock:
            if body["name"] in self.properties:
                return schema.error(409, f"Property named '{body['name']}' already exists.",
                                    "OBJECT_ALREADY_EXISTS")
            self.properties.add(str(body["name"]))
        return json_response({k: body[k] for k in required}, 201)


def _string(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def _requested(raw: str | None) -> dict[str, int] | None:
    if not raw:
        return None
    return {name.strip(): 1 for name in raw.split(",") if name.strip()}


def _matches(contact: Contact, rule: Mapping[str, Any]) -> bool:
    name, operator = rule.get("propertyName"), rule.get("operator", "EQ")
    value = contact.properties.get(str(name)) if name != "hs_object_id" else contact.id
    if operator == "EQ":
        return value is not None and value.lower() == str(rule.get("value", "")).lower()
    if operator == "NEQ":
        return value is None or value.lower() != str(rule.get("value", "")).lower()
    if operator == "HAS_PROPERTY":
        return bool(value)
    if operator == "NOT_HAS_PROPERTY":
        return not value
    return False
