"""Every request a simulator received, so a test or a person can see exactly what the hub sent.

Credentials never enter the log: headers are passed through ``hub.redact.redact_headers``
(``Authorization``, ``X-Shopify-Access-Token`` …). Bodies are kept as sent (up to
``MAX_BODY`` bytes), since showing the payload is the point.
"""

from __future__ import annotations

import json
import threading
from dataclasses import asdict, dataclass, field
from typing import Any, Mapping
from urllib.parse import parse_qsl

from hub.redact import redact_headers

MAX_BODY = 256 * 1024
MAX_ENTRIES = 10_000


@dataclass(frozen=True)
class RecordedRequest:
    """One request and how the simulator answered it (``status`` None: connection dropped)."""

    id: int
    vendor: str
    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: str
    status: int | None
    at: str
    duration_ms: float
    fault: str = ""
    note: str = ""
    response_headers: dict[str, str] = field(default_factory=dict)

    def json(self) -> Any:
        """The body parsed as JSON (raises ``ValueError`` if it is not JSON)."""
        return json.loads(self.body)

    def form(self) -> dict[str, str]:
        """The body parsed as a form, blank values kept (Twilio signs them too)."""
        return dict(parse_qsl(self.body, keep_blank_values=True))

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


class RequestLog:
    """An append-only, thread-safe list of ``RecordedRequest`` (oldest dropped past a cap)."""

    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self._lock = threading.Lock()
        self._entries: list[RecordedRequest] = []
        self._next_id = 1
        self._max = max_entries

    def record(self, *, vendor: str, method: str, path: str, query: str,
               headers: Mapping[str, str], body: bytes, status: int | None, at: str,
               duration_ms: float, fault: str = "", note: str = "",
               response_headers: Mapping[str, str] | None = None) -> RecordedRequest:
        text = body[:MAX_BODY].decode("utf-8", errors="replace")
        with self._lock:
            entry = RecordedRequest(
                id=self._next_id, vendor=vendor, method=method, path=path, query=query,
                headers=redact_headers(dict(headers)), body=text, status=status, at=at,
                duration_ms=round(duration_ms, 3), fault=fault, note=note,
                response_headers=redact_headers(dict(response_headers or {})),
            )
            self._next_id += 1
            self._entries.append(entry)
            if len(self._entries) > self._max:
                del self._entries[: len(self._entries) - self._max]
        return entry

    def list(self, vendor: str | None = None, *, path_contains: str | None = None,
             since_id: int = 0) -> list[RecordedRequest]:
        with self._lock:
            entries = list(self._entries)
        return [
            e for e in entries
            if (vendor is None or e.vendor == vendor)
            and (path_contains is None or path_contains in e.path)
            and e.id > since_id
        ]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
