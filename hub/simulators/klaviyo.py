"""Klaviyo API: events, profile import, subscription jobs and accounts, as the hub uses them.

In Klaviyo's order and words: ``Authorization: Klaviyo-API-Key`` (401 JSON:API error), the
``revision`` header (400 without a valid one), the endpoint's burst/steady fixed windows (429
with ``Retry-After``; other answers carry ``RateLimit-*``), the media type, then the JSON:API
body (400 with ``errors[]`` and ``source.pointer``). A second event with the same
``unique_id`` for the same profile and metric is accepted (202) but stored once; the
duplicate is counted and noted in the request log.
"""

from __future__ import annotations

import copy
import hmac
import json
import math
import re
import secrets
import threading
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

from flask import Blueprint, Response, g, request

from hub import clock
from hub.simulators import klaviyo_schema as schema
from hub.simulators.config import KlaviyoConfig
from hub.simulators.ratelimit import FixedWindows
from hub.simulators.vendor import VendorSim, json_response, new_uuid

JSON_API = "application/vnd.api+json"
_REVISION = re.compile(r"^\d{4}-\d{2}-\d{2}(\.pre|\.beta)?$")
_ULID_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
KNOWN_PATHS = frozenset({
    "/api/events/", "/api/profile-import/", "/api/accounts/",
    "/api/profile-subscription-bulk-create-jobs/", "/api/profile-subscription-bulk-delete-jobs/",
})


def _error(status: int, code: str, title: str, detail: str, pointer: str | None = None,
           meta: Mapping[str, Any] | None = None) -> dict[str, Any]:
    error: dict[str, Any] = {"id": new_uuid(), "status": status, "code": code, "title": title,
                             "detail": detail}
    if pointer is not None:
        error["source"] = {"pointer": pointer}
    error.update(links={}, meta=dict(meta or {}))
    return error


def errors_response(status: int, errors: list[dict[str, Any]],
                    headers: dict[str, str] | None = None) -> Response:
    return json_response({"errors": errors}, status, content_type=JSON_API, headers=headers)


def _profile_id() -> str:
    return "01" + "".join(secrets.choice(_ULID_ALPHABET) for _ in range(24))


@dataclass
class KlaviyoProfile:
    id: str
    attributes: dict[str, Any]
    created: str
    updated: str
    consent: dict[str, str] = field(default_factory=lambda: {
        "email": "NEVER_SUBSCRIBED", "sms": "NEVER_SUBSCRIBED"})
    lists: set[str] = field(default_factory=set)

    def matches(self, attributes: Mapping[str, Any]) -> bool:
        return any(attributes.get(k) and self.attributes.get(k) == attributes.get(k)
                   for k in schema.PROFILE_IDS)


@dataclass(frozen=True)
class KlaviyoEvent:
    id: str
    metric: str
    profile_id: str
    unique_id: str | None
    properties: dict[str, Any]
    time: str
    value: float | None = None
    value_currency: str | None = None


@dataclass(frozen=True)
class SubscriptionJob:
    id: str
    kind: str
    list_id: str | None
    profiles: list[dict[str, Any]]


class KlaviyoSim(VendorSim):
    name = "klaviyo"
    title = "Klaviyo API"

    def __init__(self, config: KlaviyoConfig) -> None:
        self.config = config
        self._lock = threading.RLock()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self.profiles: dict[str, KlaviyoProfile] = {}
            self.events: list[KlaviyoEvent] = []
            self.duplicates: list[dict[str, Any]] = []
            self.jobs: list[SubscriptionJob] = []
            self.metrics: set[str] = set()
            self._windows = {name: FixedWindows(t.burst, t.steady)
                             for name, t in self.config.tiers.items()}

    # -- Python API ----------------------------------------------------------------------------
    def find_profile(self, *, email: str | None = None, phone_number: str | None = None,
                     external_id: str | None = None) -> KlaviyoProfile | None:
        wanted = {"email": email, "phone_number": phone_number, "external_id": external_id}
        with self._lock:
            return next((p for p in self.profiles.values() if p.matches(wanted)), None)

    def events_named(self, metric: str) -> list[KlaviyoEvent]:
        with self._lock:
            return [e for e in self.events if e.metric == metric]

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "events": [e.__dict__ for e in self.events],
                "duplicates": list(self.duplicates),
                "profiles": [{"id": p.id, **p.attributes, "consent": p.consent,
                              "lists": sorted(p.lists)} for p in self.profiles.values()],
                "jobs": [{"id": j.id, "kind": j.kind, "list_id": j.list_id,
                          "profiles": len(j.profiles)} for j in self.jobs],
            }

    # -- answers -------------------------------------------------------------------------------
    def server_error(self, status: int) -> Response:
        title = "Service unavailable." if status == 503 else "A server error occurred."
        return errors_response(status, [_error(status, "error", title, title)])

    def throttled(self, seconds: int = 1) -> Response:
        detail = f"Request was throttled. Expected available in {seconds} second" + (
            "" if seconds == 1 else "s") + "."
        return errors_response(429, [_error(429, "throttled", "Request was throttled.", detail,
                                            "/data/")], headers={"Retry-After": str(seconds)})

    # -- routes --------------------------------------------------------------------------------
    def _guard(self, endpoint: str) -> tuple[Response | None, dict[str, str]]:
        header = request.headers.get("Authorization", "")
        if not header:
            return errors_response(401, [_error(
                401, "not_authenticated", "Authentication credentials were not provided.",
                "Missing or invalid private key.")]), {}
        scheme, _, key = header.partition(" ")
        if scheme != "Klaviyo-API-Key" or not hmac.compare_digest(
                key.strip().encode(), self.config.private_key.encode()):
            return errors_response(401, [_error(
                401, "authentication_failed", "Incorrect authentication credentials.",
                "Incorrect authentication credentials.")]), {}
        revision = request.headers.get("revision", "")
        if not _REVISION.match(revision):
            detail = ("The 'revision' header is required." if not revision else
                      f"Invalid revision '{revision}': use a date such as 2026-01-15.")
            return errors_response(400, [_error(400, "invalid", "Invalid input.", detail)]), {}
        window = self._windows.get(endpoint)
        headers: dict[str, str] = {}
        if window is not None:
            state = window.take()
            if not state.allowed:
                return self.throttled(max(1, math.ceil(state.retry_after))), {}
            headers = {"RateLimit-Limit": str(state.limit),
                       "RateLimit-Remaining": str(state.remaining),
                       "RateLimit-Reset": str(max(0, math.ceil(state.reset)))}
        return None, headers

    def blueprint(self) -> Blueprint:
        bp = Blueprint("klaviyo", __name__)

        def endpoint(name: str, *, body: bool) -> Callable[[Callable[..., Response]],
                                                          Callable[..., Response]]:
            def decorate(view: Callable[..., Response]) -> Callable[..., Response]:
                def wrapper(**kwargs: Any) -> Response:
                    refused, headers = self._guard(name)
                    if refused is not None:
                        return refused
                    if body:
                        parsed = _json_body()
                        if isinstance(parsed, Response):
                            response = parsed
                        else:
                            response = view(parsed, **kwargs)
                    else:
                        response = view(**kwargs)
                    for header, value in headers.items():
                        response.headers[header] = value
                    return response

                wrapper.__name__ = view.__name__
                return wrapper

            return decorate

        @bp.post("/api/events/")
        @endpoint("events", body=True)
        def create_event(body: Any) -> Response:
            problems = schema.validate_event(body)
            if problems:
                return _invalid(problems)
            self._store_event(body["data"]["attributes"])
            return Response(status=202)

        @bp.post("/api/profile-import/")
        @endpoint("profile-import", body=True)
        def profile_import(body: Any) -> Response:
            problems = schema.validate_profile(body)
            if problems:
                return _invalid(problems)
            return self._import_profile(body["data"])

        @bp.post("/api/profile-subscription-bulk-create-jobs/")
        @endpoint("profile-subscription-bulk-create-jobs", body=True)
        def subscribe(body: Any) -> Response:
            return self._subscription_job(body, subscribe=True)

        @bp.post("/api/profile-subscription-bulk-delete-jobs/")
        @endpoint("profile-subscription-bulk-delete-jobs", body=True)
        def unsubscribe(body: Any) -> Response:
            return self._subscription_job(body, subscribe=False)

        @bp.get("/api/accounts/")
        @endpoint("accounts", body=False)
        def accounts() -> Response:
            return json_response(self._accounts(), content_type=JSON_API)

        @bp.route("/api/<path:rest>", methods=["GET", "POST", "PATCH", "DELETE"])
        @endpoint("unknown", body=False)
        def unknown(rest: str) -> Response:
            if f"/api/{rest}" in KNOWN_PATHS:
                return errors_response(405, [_error(
                    405, "method_not_allowed", "Method not allowed.",
                    f'Method "{request.method}" not allowed.')])
            return errors_response(404, [_error(404, "not_found", "Not found.",
                                                f"No endpoint at /api/{rest}.")])

        return bp

    # -- behaviour -----------------------------------------------------------------------------
    def _resolve(self, attributes: Mapping[str, Any], profile_id: str | None
                 ) -> tuple[KlaviyoProfile, bool]:
        """The profile an identifier names, created on first sight (as events do)."""
        with self._lock:
            if profile_id and profile_id in self.profiles:
                return self.profiles[profile_id], False
            for profile in self.profiles.values():
                if profile.matches(attributes):
                    return profile, False
            stamp = clock.now().strftime("%Y-%m-%dT%H:%M:%S+00:00")
            profile = KlaviyoProfile(
                id=_profile_id(), created=stamp, updated=stamp,
                attributes={k: attributes[k] for k in schema.PROFILE_IDS if attributes.get(k)})
            self.profiles[profile.id] = profile
            return profile, True

    def _store_event(self, attributes: Mapping[str, Any]) -> None:
        metric = attributes["metric"]["data"]["attributes"]["name"]
        profile_data = attributes["profile"]["data"]
        who = profile_data.get("attributes") or {}
        unique_id = attributes.get("unique_id")
        with self._lock:
            profile, _ = self._resolve(who, profile_data.get("id") or who.get("id"))
            if unique_id is not None and any(
                    e.unique_id == unique_id and e.profile_id == profile.id and e.metric == metric
                    for e in self.events):
                self.duplicates.append({"unique_id": unique_id, "metric": metric,
                                        "profile_id": profile.id, "at": clock.now_iso()})
                g.sim_note = f"duplicate unique_id {unique_id}: accepted, not stored again"
                return
            self.metrics.add(metric)
            self.events.append(KlaviyoEvent(
                id=new_uuid(), metric=metric, profile_id=profile.id, unique_id=unique_id,
                properties=copy.deepcopy(dict(attributes["properties"])),
                time=attributes.get("time") or clock.now_iso(), value=attributes.get("value"),
                value_currency=attributes.get("value_currency")))

    def _import_profile(self, data: Mapping[str, Any]) -> Response:
        attributes = dict(data["attributes"])
        profile_id = data.get("id") or attributes.pop("id", None)
        with self._lock:
            matches = {p.id for p in self.profiles.values() if p.matches(attributes)}
            if profile_id and profile_id not in self.profiles:
                return errors_response(404, [_error(404, "not_found", "Not found.",
                                                    f"Profile {profile_id} does not exist.",
                                                    "/data/id")])
            if profile_id:
                matches.add(profile_id)
            if len(matches) > 1:
                duplicate = sorted(matches - {profile_id} if profile_id else matches)[-1]
                return errors_response(409, [_error(
                    409, "duplicate_profile", "Conflict.",
                    "A profile already exists with one of these identifiers.",
                    "/data/attributes", meta={"duplicate_profile_id": duplicate})])
            profile, created = self._resolve(attributes, profile_id)
            properties = {**profile.attributes.get("properties", {}),
                          **(attributes.pop("properties", None) or {})}
            profile.attributes.update(attributes)
            if properties:
                profile.attributes["properties"] = properties
            profile.updated = clock.now().strftime("%Y-%m-%dT%H:%M:%S+00:00")
            body = self._profile_body(profile)
        return json_response(body, 201 if created else 200, content_type=JSON_API)

    def _profile_body(self, profile: KlaviyoProfile) -> dict[str, Any]:
        attributes = {key: profile.attributes.get(key) for key in (
            "email", "phone_number", "external_id", "first_name", "last_name")}
        attributes.update(created=profile.created, updated=profile.updated,
                          properties=profile.attributes.get("properties", {}))
        if "location" in profile.attributes:
            attributes["location"] = profile.attributes["location"]
        return {"data": {"type": "profile", "id": profile.id, "attributes": attributes,
                         "links": {"self": f"{request.host_url}klaviyo/api/profiles/"
                                           f"{profile.id}/"}}}

    def _subscription_job(self, body: Any, *, subscribe: bool) -> Response:
        problems = schema.validate_subscription_job(body, subscribe)
        if problems:
            return _invalid(problems)
        data = body["data"]
        relationship = ((data.get("relationships") or {}).get("list") or {}).get("data") or {}
        list_id = relationship.get("id")
        rows = data["attributes"]["profiles"]["data"]
        state = "SUBSCRIBED" if subscribe else "UNSUBSCRIBED"
        with self._lock:
            for row in rows:
                who = {k: row["attributes"].get(k) for k in ("email", "phone_number")}
                profile, _ = self._resolve(who, None)
                for channel in schema.subscription_channels(row):
                    profile.consent[channel] = state
                if list_id:
                    (profile.lists.add if subscribe else profile.lists.discard)(list_id)
            self.jobs.append(SubscriptionJob(new_uuid(), data["type"], list_id,
                                             copy.deepcopy(rows)))
        return Response(status=202)

    def _accounts(self) -> dict[str, Any]:
        account_id = "SimAcc"
        self_link = f"{request.host_url}klaviyo/api/accounts/"
        return {
            "data": [{
                "type": "account", "id": account_id,
                "attributes": {
                    "test_account": False,
                    "contact_information": {
                        "default_sender_name": "Northwind Boutique",
                        "default_sender_email": "hello@northwind.example",
                        "website_url": "https://northwind-boutique.myshopify.com",
                        "organization_name": "Northwind Boutique",
                        "street_address": {"address1": "410 Valencia St", "address2": "",
                                           "city": "San Francisco", "region": "CA",
                                           "country": "US", "zip": "94103"}},
                    "industry": "Retail", "timezone": "America/New_York",
                    "preferred_currency": "USD", "public_api_key": account_id,
                    "locale": "en-US"},
                "links": {"self": f"{self_link}{account_id}/"}}],
            "links": {"self": self_link, "next": None, "prev": None},
        }


def _json_body() -> Any:
    """The JSON body, or Klaviyo's answer to a wrong media type or malformed JSON."""
    media = (request.mimetype or "").lower()
    if media not in (JSON_API, "application/json"):
        return errors_response(415, [_error(415, "unsupported_media_type",
                                            "Unsupported media type.",
                                            f'Unsupported media type "{media}" in request.')])
    try:
        return json.loads(request.get_data(cache=True) or b"null")
    except (ValueError, UnicodeDecodeError) as error:
        return errors_response(400, [_error(400, "parse_error", "Malformed request.",
                                            f"JSON parse error: {error}", "/data")])


def _invalid(problems: list[schema.Problem]) -> Response:
    return errors_response(400, [_error(400, "invalid", "Invalid input.", p.detail, p.pointer)
                                 for p in problems])
