"""HTTP for every adapter: one session per connection, timeouts, and outcome classification.

Adapters never call ``requests`` themselves; they call ``HttpClient.send`` and get an
``Outcome`` back. The classification is the one the whole hub relies on:

- **retry** (transient): connection errors, timeouts, 429, 5xx; ``retry_after`` carries the
  vendor's ``Retry-After`` (seconds or an HTTP date) when it sent one;
- **failed** (permanent): any other 4xx, with the vendor's error turned into plain words;
- **unknown**: the request may have reached the vendor but no answer came back. For an
  action that is not idempotent (an SMS) the hub must not resend blindly;
- **paced**: not sent at all, because the connection's own rate limiter said wait
  ``retry_after`` seconds; this is not an attempt and never counts towards the attempt limit.
"""

from __future__ import annotations

import email.utils
import time
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Mapping

import requests
import urllib3

CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 15.0
_SUMMARY_LIMIT = 500


@dataclass(frozen=True)
class Outcome:
    """How one outbound call ended, as a value (never an exception).

    ``kind``: ``delivered`` | ``retry`` | ``failed`` | ``unknown`` | ``paced``.
    ``result`` is what a later recipe step may read (e.g. a created message's sid);
    ``result["customer_id"]`` is the vendor's id of the person (a HubSpot contact), which the
    hub adds to the customer's profile so the vendor's later webhooks find them.
    ``facts`` are canonical events the answer revealed (a Twilio 21610 means "this person
    opted out"); the hub records them like any other inbound event.
    """

    kind: str
    summary: str
    status_code: int | None = None
    retry_after: float | None = None
    result: dict[str, Any] = field(default_factory=dict)
    facts: tuple[Any, ...] = ()
    request: dict[str, Any] = field(default_factory=dict)
    response: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.kind == "delivered"

    def with_facts(self, *facts: Any) -> "Outcome":
        return replace(self, facts=self.facts + tuple(facts))


def delivered(summary: str, **kwargs: Any) -> Outcome:
    return Outcome("delivered", summary, **kwargs)


def failed(summary: str, **kwargs: Any) -> Outcome:
    return Outcome("failed", summary, **kwargs)


def paced(wait_seconds: float) -> Outcome:
    return Outcome("paced", f"held back by the rate limit for {wait_seconds:.2f}s",
                   retry_after=wait_seconds, result={"sent": False})


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: delta-seconds (may be ``2.0``) or a date."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment is None:
        return None
    return max(0.0, moment.timestamp() - (time.time() if now is None else now))


ErrorReader = Callable[[requests.Response], str]


def default_error_text(response: requests.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return (response.text or response.reason or "").strip()[:_SUMMARY_LIMIT]
    if isinstance(body, dict):
        for key in ("message", "detail", "error", "errors"):
            if key in body:
                return str(body[key])[:_SUMMARY_LIMIT]
    return str(body)[:_SUMMARY_LIMIT]


def _summarise_request(method: str, url: str, body: Any) -> dict[str, Any]:
    return {"method": method, "url": url, "body": body}


def _summarise_response(response: requests.Response) -> dict[str, Any]:
    text = response.text or ""
    return {
        "status": response.status_code,
        "headers": {k: v for k, v in response.headers.items() if k.lower().startswith(
            ("retry-after", "ratelimit", "x-ratelimit", "x-hubspot-ratelimit",
             "x-shopify-shop-api-call-limit", "content-type"))},
        "body": text[:_SUMMARY_LIMIT] + ("…" if len(text) > _SUMMARY_LIMIT else ""),
    }


class HttpClient:
    """A ``requests`` session for one connection, with the hub's timeouts and classification.

    ``headers`` are sent on every call (auth, API version); ``error_text`` turns a vendor's
    error body into a readable sentence; ``extra_retry_statuses`` adds vendor quirks.
    """

    def __init__(
        self,
        base_url: str,
        *,
        headers: Mapping[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        error_text: ErrorReader = default_error_text,
        timeout: tuple[float, float] = (CONNECT_TIMEOUT, READ_TIMEOUT),
        session: requests.Session | None = None,
        extra_retry_statuses: tuple[int, ...] = (),
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.session = session or requests.Session()
        self.session.headers.update(headers or {})
        if auth:
            self.session.auth = auth
        self.error_text = error_text
        self.timeout = timeout
        self.extra_retry_statuses = extra_retry_statuses

    def url(self, path: str) -> str:
        return path if path.startswith(("http://", "https://")) else f"{self.base_url}/{path.lstrip('/')}"

    def send(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        data: Mapping[str, str] | None = None,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        ok_summary: str = "",
    ) -> tuple[Outcome, requests.Response | None]:
        """Send one request and classify what happened; never raises for HTTP trouble."""
        url = self.url(path)
        request = _summarise_request(method, url, json if json is not None else data)
        try:
            response = self.session.request(
                method, url, json=json, data=data, params=params, headers=headers,
                timeout=self.timeout,
            )
        except requests.ConnectTimeout as error:
            return Outcome("retry", f"could not connect in time: {error.__class__.__name__}",
                           request=request, result={"sent": False}), None
        except requests.ConnectionError as error:
            # Refused or reset before an answer: the request may not have been sent at all,
            # but a reset after sending looks the same, so say "unknown" when it could have.
            sent = not _never_sent(error)
            kind = "unknown" if sent else "retry"
            return Outcome(kind, f"connection failed: {_short(error)}", request=request,
                           result={"sent": sent}), None
        except requests.Timeout:
            return Outcome("unknown", "no answer in time (the vendor may have acted)",
                           request=request, result={"sent": True}), None
        return self.classify(response, request=request, ok_summary=ok_summary), response

    def classify(
        self, response: requests.Response, *, request: dict[str, Any] | None = None,
        ok_summary: str = "",
    ) -> Outcome:
        status = response.status_code
        summary = _summarise_response(response)
        common = {"status_code": status, "request": request or {}, "response": summary}
        if 200 <= status < 300:
            return Outcome("delivered", ok_summary or f"accepted ({status})", **common)
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        reason = self.error_text(response)
        if status == 429 or status >= 500 or status in self.extra_retry_statuses:
            label = "rate limited" if status == 429 else f"vendor error {status}"
            return Outcome("retry", f"{label}: {reason}".rstrip(": "), retry_after=retry_after,
                           **common)
        return Outcome("failed", f"rejected ({status}): {reason}".rstrip(": "), **common)


def _never_sent(error: requests.ConnectionError) -> bool:
    """True when the connection itself failed, so the vendor cannot have seen the request."""
    reason = error.args[0] if error.args else None
    inner = getattr(reason, "reason", reason)
    if isinstance(inner, urllib3.exceptions.NewConnectionError):
        return True
    text = str(error).lower()
    return any(s in text for s in ("connection refused", "name or service not known",
                                   "failed to establish a new connection", "no route to host"))


def _short(error: Exception) -> str:
    text = str(error)
    return text if len(text) < 200 else text[:200] + "…"
