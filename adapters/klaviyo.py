"""Klaviyo: email/SMS marketing. Track events, upsert profiles, subscribe and unsubscribe.

Facts relied on (``docs/vendor-apis.md``, Klaviyo):
- every call carries ``Authorization: Klaviyo-API-Key pk_…`` and a ``revision`` date header,
  with JSON:API bodies (``application/vnd.api+json``);
- ``POST /api/events/`` answers 202; a second event with the same ``unique_id`` (same profile
  and metric) is a duplicate, so the hub derives ``unique_id`` from the delivery's
  idempotency key and a retry can never create a second event;
- ``POST /api/profile-import/`` upserts one profile synchronously (200/201, the profile back);
  it never changes consent, which only the subscribe/unsubscribe bulk jobs do;
- the subscribe/unsubscribe jobs take a *list* of profiles and answer 202: these actions are
  batchable. Klaviyo's bulk *import* job is not used for ``upsert_profile``: it reports
  per-profile failures only later, through the job, so a bad row would be lost silently;
- errors are JSON:API ``errors[]``; ``source.pointer`` names the offending field (and, in a
  bulk job, the profile's index); a 429 carries ``Retry-After``;
- limits per endpoint, burst (1 s) and steady (1 min): create event XL (350/s, 3,500/m),
  bulk subscribe/unsubscribe L (75/s, 700/m), profile import L (unverified).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import replace
from typing import Any, Mapping

import requests

from adapters.base import Action, Adapter, Field, RateLimit
from adapters.http import HttpClient, Outcome, default_error_text, failed

API_BASE = "https://a.klaviyo.com"
REVISION = "2026-01-15"
JSON_API = "application/vnd.api+json"

#: Klaviyo accepts a profile by any of these identifiers.
_IDENTIFIERS = ("email", "phone_number", "external_id", "profile_id")
_E164 = r"^\+[1-9]\d{6,14}$"
_BULK_PROFILE = re.compile(r"^/data/attributes/profiles/data/(\d+)(/|$)")



def optional(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` that also takes null: a recipe expression with nothing to say gives None,
    which means "leave it out", not an error."""
    kinds = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
    return {**schema, "type": [*kinds, "null"]}


_EMAIL = {"type": "string", "minLength": 3, "pattern": r"^[^@\s]+@[^@\s]+$"}
_PHONE = {"type": "string", "pattern": _E164, "description": "E.164, e.g. +14155550142"}
_PROFILE_FIELDS: dict[str, Any] = {
    "email": optional(_EMAIL),
    "phone_number": optional(_PHONE),
    "external_id": optional({"type": "string", "minLength": 1}),
    "profile_id": optional({"type": "string", "minLength": 1,
                            "description": "Klaviyo's own profile id"}),
    "first_name": optional({"type": "string"}),
    "last_name": optional({"type": "string"}),
}
#: At least one identifier given as text (the others may be null).
_ANY_IDENTIFIER = [{"required": [name], "properties": {name: {"type": "string"}}}
                   for name in _IDENTIFIERS]


def _consent_schema(channel: str, *, subscribe: bool) -> dict[str, Any]:
    """Inputs of a subscribe/unsubscribe action: who, and (optionally) which list."""
    who = "email" if channel == "email" else "phone_number"
    properties: dict[str, Any] = {
        who: _EMAIL if channel == "email" else _PHONE,
        "list_id": optional({"type": "string", "minLength": 1,
                             "description": "Klaviyo list; defaults to the connection's list"}),
    }
    if subscribe:
        properties.update(
            custom_source=optional({"type": "string", "maxLength": 255,
                                    "description": "Where consent was collected (shown in "
                                                   "Klaviyo)"}),
            consented_at=optional({"type": "string", "format": "date-time",
                                   "description": "When the person opted in, for consent "
                                                  "collected earlier (a historical import)"}),
        )
    return {"type": "object", "required": [who], "properties": properties,
            "additionalProperties": False}


TRACK_EVENT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["metric"],
    "anyOf": _ANY_IDENTIFIER,
    "properties": {
        "metric": {"type": "string", "minLength": 1, "maxLength": 128,
                   "description": "Metric name, e.g. 'Abandoned Checkout' (created on first use)"},
        **_PROFILE_FIELDS,
        "properties": optional({"type": "object", "maxProperties": 300,
                                "description": "Data the flow's template uses"}),
        "time": optional({"type": "string", "format": "date-time"}),
        "value": optional({"type": ["number", "string"], "pattern": r"^-?\d+(\.\d+)?$",
                           "description": "A number (a decimal string is read as one)"}),
        "value_currency": optional({"type": "string", "pattern": "^[A-Z]{3}$"}),
        "unique_id": optional({"type": "string", "minLength": 1, "maxLength": 255,
                               "description": "Dedupe key; derived from the delivery when "
                                              "not given"}),
    },
    "additionalProperties": False,
}

UPSERT_PROFILE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "anyOf": _ANY_IDENTIFIER[:3],
    "properties": {
        **{k: v for k, v in _PROFILE_FIELDS.items() if k != "profile_id"},
        "location": optional({
            "type": "object",
            "properties": {k: optional({"type": "string"}) for k in
                           ("address1", "address2", "city", "region", "country", "zip",
                            "timezone")},
            "additionalProperties": False,
        }),
        "properties": optional({"type": "object", "maxProperties": 300}),
    },
    "additionalProperties": False,
}


def klaviyo_error_text(response: requests.Response) -> str:
    """JSON:API ``errors[]`` as one readable sentence per error, with the field it names."""
    errors = _errors(response)
    if not errors:
        return default_error_text(response)
    return "; ".join(_error_sentence(e) for e in errors)


def _errors(response: requests.Response) -> list[dict[str, Any]]:
    try:
        body = response.json()
    except ValueError:
        return []
    errors = body.get("errors") if isinstance(body, dict) else None
    return [e for e in errors if isinstance(e, dict)] if isinstance(errors, list) else []


def _error_sentence(error: Mapping[str, Any]) -> str:
    title = str(error.get("title") or "").strip()
    detail = str(error.get("detail") or "").strip()
    text = detail if detail.startswith(title.rstrip(".")) else f"{title} {detail}".strip()
    pointer = (error.get("source") or {}).get("pointer")
    if pointer and pointer not in ("/data", "/data/"):
        text += f" (at {pointer})"
    code = error.get("code")
    return f"{text} [{code}]" if code else text


def unique_id_for(idempotency_key: str) -> str:
    """A stable ``unique_id`` for one delivery: its key when short and plain, else a digest."""
    if re.fullmatch(r"[A-Za-z0-9._:-]{1,100}", idempotency_key):
        return f"hub-{idempotency_key}"
    return "hub-" + hashlib.sha256(idempotency_key.encode()).hexdigest()[:40]


def _profile_attributes(inputs: Mapping[str, Any]) -> dict[str, Any]:
    keys = ("email", "phone_number", "external_id", "first_name", "last_name")
    attributes = {k: inputs[k] for k in keys if inputs.get(k) not in (None, "")}
    if inputs.get("profile_id"):
        attributes["id"] = inputs["profile_id"]
    return attributes


class KlaviyoAdapter(Adapter):
    name = "klaviyo"
    title = "Klaviyo"
    description = "Email and SMS marketing: flows triggered by events, profiles, consent."
    auth_fields = (
        Field("api_key", "Private API key", secret=True, placeholder="pk_…",
              pattern=r"^pk_[A-Za-z0-9_]+$",
              help="Klaviyo → Settings → API keys → Create private key, with the scopes "
                   "events:write, profiles:write, lists:write, subscriptions:write and "
                   "accounts:read."),
        Field("list_id", "Default list", required=False, placeholder="RkTq2Z",
              help="List that subscribe/unsubscribe use when a recipe names none."),
        Field("revision", "API revision", required=False, default=REVISION,
              pattern=r"^\d{4}-\d{2}-\d{2}$",
              help="The API version the hub's requests are written for."),
        Field("api_base_url", "API base URL", required=False, default=API_BASE,
              pattern=r"^https?://\S+$", help="Change only to point at a test server."),
    )
    actions = (
        Action("track_event", "Track an event", TRACK_EVENT_SCHEMA,
               description="Record a metric (e.g. 'Abandoned Checkout') on a profile; Klaviyo "
                           "flows start from it. A retry never records it twice."),
        Action("upsert_profile", "Create or update a profile", UPSERT_PROFILE_SCHEMA,
               description="Set a profile's details and custom properties (not consent)."),
        Action("subscribe_email", "Subscribe to email marketing",
               _consent_schema("email", subscribe=True), batch_size=100, consent="email",
               description="Only for people who opted in to marketing email."),
        Action("subscribe_sms", "Subscribe to SMS marketing",
               _consent_schema("sms", subscribe=True), batch_size=100, consent="sms",
               description="Only for people who opted in to marketing SMS."),
        Action("unsubscribe_email", "Unsubscribe from email marketing",
               _consent_schema("email", subscribe=False), batch_size=100),
        Action("unsubscribe_sms", "Unsubscribe from SMS marketing",
               _consent_schema("sms", subscribe=False), batch_size=100),
    )
    rate_limits = (
        RateLimit(350, 1.0, "track_event"), RateLimit(3500, 60.0, "track_event"),
        RateLimit(75, 1.0, "upsert_profile"), RateLimit(700, 60.0, "upsert_profile"),
        # One endpoint each for subscribing and unsubscribing, whichever the channel.
        *(limit for scope, shared in (("bulk-create-jobs", ("subscribe_email", "subscribe_sms")),
                                      ("bulk-delete-jobs", ("unsubscribe_email", "unsubscribe_sms")))
          for limit in (RateLimit(75, 1.0, scope, shared), RateLimit(700, 60.0, scope, shared))),
    )

    def make_http(self) -> HttpClient:
        return HttpClient(
            self.config.get("api_base_url") or API_BASE,
            headers={
                "Authorization": f"Klaviyo-API-Key {self.config['api_key']}",
                "revision": self.config.get("revision") or REVISION,
                "Accept": JSON_API,
                "Content-Type": JSON_API,
            },
            error_text=klaviyo_error_text,
        )

    # -- actions -------------------------------------------------------------------------------
    def action_track_event(self, inputs: dict[str, Any], *, idempotency_key: str) -> Outcome:
        unique_id = inputs.get("unique_id") or unique_id_for(idempotency_key)
        attributes: dict[str, Any] = {"properties": inputs.get("properties") or {}}
        if inputs.get("time"):
            attributes["time"] = inputs["time"]
        attributes["unique_id"] = unique_id
        attributes["metric"] = {"data": {"type": "metric",
                                         "attributes": {"name": inputs["metric"]}}}
        attributes["profile"] = {"data": {"type": "profile",
                                          "attributes": _profile_attributes(inputs)}}
        if inputs.get("value") is not None:
            attributes["value"] = float(inputs["value"]) if isinstance(inputs["value"], str) \
                else inputs["value"]
        if inputs.get("value_currency"):
            attributes["value_currency"] = inputs["value_currency"]
        body = {"data": {"type": "event", "attributes": attributes}}
        outcome, _ = self.http.send(
            "POST", "/api/events/", json=body,
            ok_summary=f"event '{inputs['metric']}' accepted by Klaviyo",
        )
        return _with_result(outcome, unique_id=unique_id, external_id=unique_id)

    def action_upsert_profile(self, inputs: dict[str, Any], *, idempotency_key: str) -> Outcome:
        attributes = _profile_attributes(inputs)
        if inputs.get("location"):
            attributes["location"] = {k: v for k, v in inputs["location"].items() if v is not None}
        if inputs.get("properties"):
            attributes["properties"] = inputs["properties"]
        body = {"data": {"type": "profile", "attributes": attributes}}
        outcome, response = self.http.send("POST", "/api/profile-import/", json=body)
        if not outcome.ok or response is None:
            return outcome
        created = response.status_code == 201
        profile_id = _profile_id(response)
        verb = "created" if created else "updated"
        return _with_result(outcome, summary=f"profile {verb} in Klaviyo",
                            profile_id=profile_id, created=created, external_id=profile_id)

    def action_subscribe_email(self, inputs: dict[str, Any], *, idempotency_key: str) -> Outcome:
        return self.batch_subscribe_email([(idempotency_key, inputs)])[0]

    def action_subscribe_sms(self, inputs: dict[str, Any], *, idempotency_key: str) -> Outcome:
        return self.batch_subscribe_sms([(idempotency_key, inputs)])[0]

    def action_unsubscribe_email(self, inputs: dict[str, Any], *, idempotency_key: str) -> Outcome:
        return self.batch_unsubscribe_email([(idempotency_key, inputs)])[0]

    def action_unsubscribe_sms(self, inputs: dict[str, Any], *, idempotency_key: str) -> Outcome:
        return self.batch_unsubscribe_sms([(idempotency_key, inputs)])[0]

    def batch_subscribe_email(self, items: list[tuple[str, dict[str, Any]]]) -> list[Outcome]:
        return self._consent_jobs("email", True, items)

    def batch_subscribe_sms(self, items: list[tuple[str, dict[str, Any]]]) -> list[Outcome]:
        return self._consent_jobs("sms", True, items)

    def batch_unsubscribe_email(self, items: list[tuple[str, dict[str, Any]]]) -> list[Outcome]:
        return self._consent_jobs("email", False, items)

    def batch_unsubscribe_sms(self, items: list[tuple[str, dict[str, Any]]]) -> list[Outcome]:
        return self._consent_jobs("sms", False, items)

    def test_connection(self) -> Outcome:
        outcome, response = self.http.send("GET", "/api/accounts/")
        if not outcome.ok or response is None:
            return outcome
        try:
            account = (response.json().get("data") or [{}])[0]
        except (ValueError, AttributeError, IndexError):
            account = {}
        contact = (account.get("attributes") or {}).get("contact_information") or {}
        name = contact.get("organization_name") or account.get("id") or "your account"
        return _with_result(outcome, summary=f"connected to Klaviyo ({name})",
                            account_id=account.get("id"))

    # -- consent jobs --------------------------------------------------------------------------
    def _consent_jobs(self, channel: str, subscribe: bool,
                      items: list[tuple[str, dict[str, Any]]]) -> list[Outcome]:
        """One bulk job per list (a job names one list); one ``Outcome`` per item, in order."""
        groups: dict[tuple[str | None, str | None, bool], list[int]] = {}
        for index, (_, inputs) in enumerate(items):
            list_id = inputs.get("list_id") or self.config.get("list_id") or None
            source = inputs.get("custom_source") if subscribe else None
            historical = bool(subscribe and inputs.get("consented_at"))
            groups.setdefault((list_id, source, historical), []).append(index)
        outcomes: list[Outcome | None] = [None] * len(items)
        for (list_id, source, historical), indexes in groups.items():
            rows = [items[i][1] for i in indexes]
            results = self._consent_job(channel, subscribe, rows, list_id, source, historical)
            for index, outcome in zip(indexes, results, strict=True):
                outcomes[index] = outcome
        return [o for o in outcomes if o is not None]

    def _consent_job(self, channel: str, subscribe: bool, rows: list[dict[str, Any]],
                     list_id: str | None, source: str | None, historical: bool) -> list[Outcome]:
        state = "SUBSCRIBED" if subscribe else "UNSUBSCRIBED"
        who = "email" if channel == "email" else "phone_number"
        profiles = []
        for row in rows:
            consent: dict[str, Any] = {"consent": state}
            if historical:
                consent["consented_at"] = row["consented_at"]
            profiles.append({"type": "profile", "attributes": {
                who: row[who], "subscriptions": {channel: {"marketing": consent}}}})
        attributes: dict[str, Any] = {"profiles": {"data": profiles}}
        if subscribe:
            if source:
                attributes["custom_source"] = source
            attributes["historical_import"] = historical
        kind = "profile-subscription-bulk-create-job" if subscribe else \
            "profile-subscription-bulk-delete-job"
        data: dict[str, Any] = {"type": kind, "attributes": attributes}
        if list_id:
            data["relationships"] = {"list": {"data": {"type": "list", "id": list_id}}}
        path = "/api/profile-subscription-bulk-create-jobs/" if subscribe else \
            "/api/profile-subscription-bulk-delete-jobs/"
        verb = "subscribed to" if subscribe else "unsubscribed from"
        outcome, response = self.http.send(
            "POST", path, json={"data": data},
            ok_summary=f"{verb} {channel} marketing (Klaviyo job accepted)",
        )
        if outcome.kind == "failed" and response is not None and len(rows) > 1:
            return _split_rejection(outcome, response, len(rows))
        return [outcome] * len(rows)


def _split_rejection(outcome: Outcome, response: requests.Response, count: int) -> list[Outcome]:
    """A bulk job refused because of some profiles: fail those, resend the others.

    Klaviyo rejects the whole job when one profile is invalid, naming it by index in
    ``source.pointer``; the innocent rows are safe to send again (consent jobs are idempotent).
    """
    blamed: dict[int, list[str]] = {}
    for error in _errors(response):
        match = _BULK_PROFILE.match(str((error.get("source") or {}).get("pointer") or ""))
        if not match:
            return [outcome] * count
        blamed.setdefault(int(match.group(1)), []).append(_error_sentence(error))
    if not blamed or any(i >= count for i in blamed):
        return [outcome] * count
    results = []
    for index in range(count):
        if index in blamed:
            results.append(failed(f"rejected ({response.status_code}): {'; '.join(blamed[index])}",
                                  status_code=response.status_code, request=outcome.request,
                                  response=outcome.response))
        else:
            results.append(Outcome("retry", "not applied: another profile in the same Klaviyo "
                                            "job was rejected; will be sent again without it",
                                   status_code=response.status_code, retry_after=0.0,
                                   request=outcome.request, response=outcome.response))
    return results


def _profile_id(response: requests.Response) -> str | None:
    try:
        return (response.json().get("data") or {}).get("id")
    except (ValueError, AttributeError):
        return None


def _with_result(outcome: Outcome, *, summary: str | None = None, **result: Any) -> Outcome:
    if not outcome.ok:
        return outcome
    return replace(outcome, summary=summary or outcome.summary,
                   result={**outcome.result, **result})
