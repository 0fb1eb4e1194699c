"""Records that cross the store boundary: plain dataclasses, no behaviour, no SQL."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class NewEvent:
    """An inbound vendor event as received (webhook, poll page, or a vendor's answer).

    ``body`` is always JSON: the original bytes when the vendor sent JSON, the parsed fields
    re-encoded when it sent a form (Twilio). ``content_type`` records how it arrived.
    """

    connection_id: str
    adapter: str
    topic: str
    delivery_id: str
    source: str  # webhook | poll | delivery | replay
    body: bytes
    correlation_id: str
    received_at: str
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json"
    occurred_at: str | None = None


@dataclass(frozen=True)
class StoredEvent:
    id: int
    connection_id: str
    adapter: str
    topic: str
    delivery_id: str
    source: str
    body: bytes
    correlation_id: str
    received_at: str
    headers: dict[str, str]
    content_type: str
    occurred_at: str | None
    status: str  # new | done | failed | ignored
    attempts: int
    processed_at: str | None = None
    error: str | None = None


@dataclass(frozen=True)
class RecordOutcome:
    """What storing an inbound event did: a new row, or nothing because it was seen before."""

    event_id: int | None
    duplicate: bool


@dataclass(frozen=True)
class AuditEntry:
    """One append-only line of who did what to what, when, and how it ended.

    ``actor_type``: webhook | poll | recipe | delivery | user | system.
    ``subject_type``: event | delivery | customer | recipe | connection | run | user.
    ``outcome``: accepted | duplicate | rejected | delivered | retrying | dead | ok | error …
    """

    at: str
    actor_type: str
    subject_type: str
    action: str
    outcome: str
    actor_id: str | None = None
    subject_id: str | None = None
    detail: str = ""
    correlation_id: str | None = None
    data: dict[str, Any] | None = None
    id: int | None = None


@dataclass(frozen=True)
class AuditQuery:
    """Filters for reading the audit log; ``before_id`` pages backwards by key."""

    since: str | None = None
    until: str | None = None
    subject_type: str | None = None
    subject_id: str | None = None
    outcome: str | None = None
    correlation_id: str | None = None
    actor_type: str | None = None
    actor_id: str | None = None
    action: str | None = None
    before_id: int | None = None
    after_id: int | None = None
    limit: int = 100


@dataclass(frozen=True)
class ConnectionRecord:
    """A connected vendor account. ``secrets`` is ciphertext; only ``hub.connections`` reads it."""

    id: str
    adapter: str
    name: str
    settings: dict[str, Any]
    secrets: str
    created_at: str
    updated_at: str
    enabled: bool = True
    last_check_at: str | None = None
    last_check_ok: bool | None = None
    last_check_detail: str | None = None


@dataclass(frozen=True)
class TimelineEntry:
    """One line of a customer's story across channels (the customer page, the CRM note)."""

    profile_id: str
    at: str
    event_name: str
    summary: str
    channel: str | None = None
    event_id: int | None = None
    correlation_id: str | None = None
    id: int | None = None
