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


@dataclass(frozen=True)
class Instance:
    """An installed recipe: the owner's parameter values and a snapshot of the recipe file.

    The snapshot (``recipe``) is what runs: editing a file in ``recipes/`` never changes what
    an enabled instance, or a wait it left pending, does (see decision 0007).
    """

    id: str
    recipe_id: str
    name: str
    params: dict[str, Any]
    connections: dict[str, str]
    recipe: dict[str, Any]
    recipe_digest: str
    enabled: bool
    created_at: str
    updated_at: str


@dataclass(frozen=True)
class Run:
    """One instance handling one trigger (an event, an event for one customer, a schedule tick).

    ``status``: running | waiting | completed | skipped | failed | cancelled.
    ``steps``: what each step did, in order (the Activity page shows them).
    """

    id: int
    instance_id: str
    recipe_id: str
    trigger_key: str
    event_id: int | None
    profile_id: str | None
    status: str
    steps: list[dict[str, Any]]
    error: str | None
    correlation_id: str | None
    created_at: str
    updated_at: str
    #: The trigger as the run saw it (the canonical event), so a resumed run sees it too.
    context: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Wait:
    """A paused run: resumes at instruction ``resume_at`` when ``due_at`` passes.

    Cancelled instead when ``cancel_event`` arrives for the same ``cancel_key`` (an object
    key such as a checkout token) or, without a key, for the same ``profile_id``.
    """

    id: int
    run_id: int
    instance_id: str
    resume_at: int
    due_at: str
    cancel_event: str | None
    cancel_key: str | None
    profile_id: str | None
    status: str  # pending | fired | cancelled
    created_at: str


@dataclass(frozen=True)
class NewDelivery:
    """An outbox row to create; a second row with the same ``idempotency_key`` is a no-op."""

    idempotency_key: str
    connection_id: str
    adapter: str
    action: str
    inputs: dict[str, Any]
    run_id: int | None = None
    instance_id: str | None = None
    step_id: str | None = None
    profile_id: str | None = None
    correlation_id: str | None = None
    status: str = "pending"
    summary: str | None = None


@dataclass(frozen=True)
class Delivery:
    """One outbound action and where it stands.

    ``status``: pending | delivered | dead | unknown (sent, fate unknown, never resent by
    itself) | refused (consent missing: never sent).
    """

    id: int
    idempotency_key: str
    run_id: int | None
    instance_id: str | None
    step_id: str | None
    connection_id: str
    adapter: str
    action: str
    inputs: dict[str, Any]
    profile_id: str | None
    status: str
    attempts: int
    next_attempt_at: str
    created_at: str
    updated_at: str
    last_summary: str | None
    last_status_code: int | None
    external_id: str | None
    vendor_status: str | None
    result: dict[str, Any] | None
    correlation_id: str | None


@dataclass(frozen=True)
class Attempt:
    """One try of a delivery: what was sent and what came back, summarised and redacted."""

    delivery_id: int
    at: str
    kind: str
    summary: str
    status_code: int | None = None
    duration_ms: int | None = None
    request: dict[str, Any] | None = None
    response: dict[str, Any] | None = None
    id: int | None = None


@dataclass(frozen=True)
class DeliveryUpdate:
    """How a delivery attempt (or a decision not to attempt) changes its row."""

    status: str
    next_attempt_at: str | None = None
    count_attempt: bool = True
    summary: str | None = None
    status_code: int | None = None
    external_id: str | None = None
    result: dict[str, Any] | None = None
