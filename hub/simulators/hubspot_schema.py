"""HubSpot's answers in HubSpot's shapes: error bodies and the per-input checks of a batch.

Error shape (vendor-apis.md, HubSpot): ``{"status": "error", "message", "correlationId",
"category"}``; per-input errors of a 207 carry ``status``, ``category``, ``message`` and
``context.ids`` (fixture ``hubspot/batch_upsert_response_207.json``).
"""

from __future__ import annotations

import json
import re
from typing import Any, Mapping

from flask import Response

from hub.simulators.vendor import json_response, new_uuid

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")
DEFAULT_PROPERTIES = frozenset({
    "email", "firstname", "lastname", "phone", "mobilephone", "company", "website",
    "address", "city", "state", "zip", "country", "jobtitle", "lifecyclestage",
    "hs_lead_status", "hubspot_owner_id", "hs_sms_consent", "hs_email_optout",
})
READ_ONLY = frozenset({"createdate", "lastmodifieddate", "hs_object_id"})
MAX_BATCH = 100
MAX_NOTE_BODY = 65_536
NOTE_TO_CONTACT = 202


def error(status: int, message: str, category: str, **extra: Any) -> Response:
    body = {"status": "error", "message": message, "correlationId": new_uuid(),
            "category": category, **extra}
    return json_response(body, status)


def validation_error(message: str, **extra: Any) -> Response:
    return error(400, message, "VALIDATION_ERROR", **extra)


def parse_json(raw: bytes) -> Any | Response:
    """The body, or HubSpot's 400 naming the line and column of the JSON mistake."""
    try:
        return json.loads(raw.decode("utf-8") if raw else "")
    except json.JSONDecodeError as problem:
        return validation_error(f"Invalid input JSON on line {problem.lineno}, column "
                                f"{problem.colno}: {problem.msg}")
    except UnicodeDecodeError:
        return validation_error("Invalid input JSON on line 1, column 1: not UTF-8")


def property_problem(name: str, message: str, code: str) -> dict[str, Any]:
    return {"isValid": False, "message": message, "error": code, "name": name}


def input_error(ident: str, problems: list[dict[str, Any]]) -> dict[str, Any]:
    text = json.dumps(problems, separators=(",", ":"))
    return {"status": "error", "category": "VALIDATION_ERROR",
            "message": f"Property values were not valid: {text}", "context": {"ids": [ident]}}


def check_upsert_input(item: Any, index: int, known: frozenset[str] | set[str]
                       ) -> tuple[str | None, Response | dict[str, Any] | None]:
    """(the contact's email, None) for a good input; a whole-batch 400 for a malformed one;
    a per-input error (207) for values HubSpot rejects (bad email, unknown property)."""
    if not isinstance(item, Mapping):
        return None, validation_error(f"Invalid input JSON: inputs[{index}] is not an object")
    if item.get("idProperty") != "email":
        return None, validation_error(
            f"inputs[{index}].idProperty must be a unique property; the simulator supports "
            "'email'")
    ident, properties = item.get("id"), item.get("properties", {})
    if not isinstance(ident, str) or not ident:
        return None, validation_error(f"Invalid input JSON: inputs[{index}].id must be a string")
    if not isinstance(properties, Mapping):
        return None, validation_error(
            f"Invalid input JSON: inputs[{index}].properties must be an object")
    problems = []
    for name, value in properties.items():
        if isinstance(value, (dict, list)):
            problems.append(property_problem(name, f"{value!r} is not a valid value",
                                             "INVALID_OPTION"))
        elif name in READ_ONLY:
            problems.append(property_problem(name, f'"{name}" is a read only property; its '
                                                   "value cannot be set.", "READ_ONLY_VALUE"))
        elif name not in known:
            problems.append(property_problem(name, f'Property "{name}" does not exist',
                                             "PROPERTY_DOESNT_EXIST"))
    if not EMAIL.match(ident):
        problems.append(property_problem("email", f"Email address {ident} is invalid",
                                         "INVALID_EMAIL"))
    if problems:
        return None, input_error(ident, problems)
    return ident.lower(), None


def check_note(body: Any, contact_exists: Any) -> Response | None:
    """``POST /crm/v3/objects/notes``: timestamp, body size and contact associations."""
    if not isinstance(body, Mapping) or not isinstance(body.get("properties"), Mapping):
        return validation_error("Invalid input JSON: 'properties' must be an object")
    properties = body["properties"]
    if not properties.get("hs_timestamp"):
        return validation_error("Property values were not valid: " + json.dumps([
            property_problem("hs_timestamp", "hs_timestamp is required", "REQUIRED_PROPERTY")],
            separators=(",", ":")))
    if len(str(properties.get("hs_note_body", ""))) > MAX_NOTE_BODY:
        return validation_error(f"hs_note_body is longer than {MAX_NOTE_BODY} characters")
    associations = body.get("associations", [])
    if not isinstance(associations, list):
        return validation_error("Invalid input JSON: 'associations' must be a list")
    for association in associations:
        target = (association or {}).get("to", {}) if isinstance(association, Mapping) else {}
        types = association.get("types") if isinstance(association, Mapping) else None
        if not isinstance(target, Mapping) or not isinstance(types, list) or not types:
            return validation_error("Invalid input JSON: each association needs 'to' and "
                                    "'types'")
        for kind in types:
            if not isinstance(kind, Mapping) or kind.get("associationCategory") != \
                    "HUBSPOT_DEFINED" or kind.get("associationTypeId") != NOTE_TO_CONTACT:
                return validation_error(f"Association type {kind!r} is not valid between "
                                        "notes and contacts")
        if not contact_exists(str(target.get("id", ""))):
            return validation_error("One or more associations are invalid",
                                    context={"ids": [str(target.get("id", ""))]})
    return None
