"""What every simulated vendor provides to the shared app: routes, its error answers, reset.

The shared app (``hub.simulators.app``) applies faults and records requests for every vendor
the same way; to do that it only needs each vendor's own words for "server error" and "too
many requests", declared here.
"""

from __future__ import annotations

import json
import uuid
from typing import Any, ClassVar

from flask import Blueprint, Response


def json_response(body: Any, status: int = 200, *, content_type: str = "application/json",
                  headers: dict[str, str] | None = None) -> Response:
    """A compact JSON answer (vendors send compact JSON; tests compare shapes, not spacing)."""
    text = "" if body is None else json.dumps(body, separators=(",", ":"))
    response = Response(text, status=status, content_type=content_type)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def new_uuid() -> str:
    return str(uuid.uuid4())


class VendorSim:
    """Base of the per-vendor simulators. Subclasses hold their state behind a lock."""

    name: ClassVar[str]
    title: ClassVar[str]

    def blueprint(self) -> Blueprint:
        """A fresh blueprint with this vendor's routes (mounted under ``/<name>``)."""
        raise NotImplementedError

    def server_error(self, status: int) -> Response:
        """The vendor's answer to an internal failure or outage (``status`` 5xx)."""
        raise NotImplementedError

    def throttled(self) -> Response:
        """The vendor's 429 answer, used when a 429 is injected as a fault."""
        raise NotImplementedError

    def admit(self) -> Response | None:
        """Called first for every request (before faults); a response refuses it at once.

        Twilio counts concurrent requests here, so injected latency holds a slot as a slow
        request would. ``release`` is always called when the request ends.
        """
        return None

    def release(self) -> None:
        """The request admitted by ``admit`` has ended (answered, failed or dropped)."""

    def reset(self) -> None:
        """Back to the seeded data set, with rate-limit counters cleared."""
        raise NotImplementedError

    def snapshot(self) -> dict[str, Any]:
        """A JSON summary of the vendor's current data, for ``GET /_sim/state``."""
        raise NotImplementedError

    def close(self) -> None:
        """Stop background work (callbacks, webhook retries). Default: nothing to stop."""
