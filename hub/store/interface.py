"""The store interface: named operations, each one transaction, and nothing else.

Everything the hub persists goes through these methods, so that a shop outgrowing one
machine can put PostgreSQL (or a broker for the queue parts) behind the same names without
touching recipes, adapters or the web layer. Rules every backend keeps:

- each method is atomic; ``atomic()`` groups several calls into one transaction;
- claims are *leases* (owner + expiry), never in-process locks: a crashed worker's claim
  expires and another worker takes the work over;
- failures to reach or write the store raise ``StoreUnavailable`` (the web layer answers 503,
  so the vendor retries: never 200-and-lost).
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any, Iterable, Protocol, Sequence

from hub.store.records import (
    Attempt,
    AuditEntry,
    AuditQuery,
    ConnectionRecord,
    Delivery,
    DeliveryUpdate,
    Instance,
    NewDelivery,
    NewEvent,
    RecordOutcome,
    Run,
    StoredEvent,
    TimelineEntry,
    Wait,
)


class StoreUnavailable(Exception):
    """The store cannot be reached or written (locked past the timeout, disk full, gone)."""


class SchemaStore(Protocol):
    def migrate(self) -> list[str]:
        """Apply pending schema steps; return the names applied."""

    def pending_migrations(self) -> list[str]: ...

    def ping(self) -> None:
        """Raise ``StoreUnavailable`` unless a read round-trip works."""

    def atomic(self) -> AbstractContextManager[None]:
        """Group the calls made inside the block into one write transaction."""

    def savepoint(self) -> AbstractContextManager[None]:
        """Inside a transaction, a part that rolls back alone when the block raises."""

    def close(self) -> None: ...


class EventQueue(Protocol):
    def record_event(self, event: NewEvent, audit: AuditEntry | None = None) -> RecordOutcome:
        """Store an inbound event once per (connection, delivery id).

        ``audit`` is written in the same transaction, with the new event's id as its subject,
        only when the event is new; a duplicate stores nothing and the caller audits it.
        """

    def get_event(self, event_id: int) -> StoredEvent | None: ...

    def list_events(
        self, *, limit: int = 50, before_id: int | None = None, connection_id: str | None = None
    ) -> list[StoredEvent]: ...

    def claim_events(self, owner: str, *, limit: int, lease_seconds: float) -> list[StoredEvent]:
        """Lease up to ``limit`` unprocessed events, oldest first."""

    def finish_event(self, event_id: int, owner: str, *, status: str, error: str | None = None) -> bool:
        """Mark a leased event done/failed/ignored; False if the lease was lost meanwhile."""

    def release_event(self, event_id: int, owner: str, *, error: str) -> None:
        """Give a leased event back to the queue (it failed in a way worth retrying)."""

    def count_events(self, *, status: str | None = None, since: str | None = None) -> int: ...

    def prune_events(self, before: str) -> int:
        """Delete processed events received before ``before``; return how many."""


class AuditLog(Protocol):
    def append_audit(self, entries: Iterable[AuditEntry]) -> None: ...

    def query_audit(self, query: AuditQuery) -> list[AuditEntry]:
        """Newest first, filtered, paged by key (``before_id`` / ``after_id``)."""

    def prune_audit(self, before: str) -> int: ...


class ConnectionStore(Protocol):
    def add_connection(self, record: ConnectionRecord) -> None:
        """Raise ``KeyError`` if the id is taken."""

    def get_connection(self, connection_id: str) -> ConnectionRecord | None: ...

    def list_connections(self) -> list[ConnectionRecord]: ...

    def update_connection(self, connection_id: str, **changes: Any) -> None: ...

    def remove_connection(self, connection_id: str) -> bool: ...


class LeaseStore(Protocol):
    def acquire_lease(self, name: str, owner: str, *, seconds: float) -> bool:
        """Take or renew the named lease; False if another owner holds an unexpired one."""

    def release_lease(self, name: str, owner: str) -> None: ...


class StateStore(Protocol):
    """Small durable values: poll cursors and adapters' memory (e.g. last seen prices)."""

    def get_state(self, scope: str, key: str) -> Any | None: ...

    def put_state(self, scope: str, key: str, value: Any) -> None: ...

    def record_poll_page(
        self, events: list[NewEvent], scope: str, key: str, cursor: Any, audit: AuditEntry | None
    ) -> list[RecordOutcome]:
        """Store a poll page's events and the cursor after them in one transaction."""


class ProfileStore(Protocol):
    """Customer profiles (``hub.profiles.Profile``), their identities and timeline."""

    def find_profile_ids(self, identities: Iterable[tuple[str, str]]) -> list[str]:
        """Profiles owning any of the identities, merges followed, in identity order."""

    def get_profile(self, profile_id: str) -> Any | None:
        """The profile, or the one it was merged into."""

    def save_profile(self, profile: Any, identities: Iterable[tuple[str, str]] = ()) -> None: ...

    def mark_merged(self, absorbed_id: str, survivor_id: str) -> None:
        """Point the absorbed profile, its identities and timeline at the survivor."""

    def profile_ids_with_variants(self, variant_ids: Iterable[str]) -> list[str]:
        """Profiles with any of these variants on their wishlist."""

    def append_timeline(self, entries: Iterable[TimelineEntry]) -> None: ...

    def list_timeline(self, profile_id: str, *, limit: int = 100,
                      before_id: int | None = None) -> list[TimelineEntry]: ...

    def search_profiles(self, text: str, *, limit: int = 20) -> list[Any]: ...


class RecipeStore(Protocol):
    """Installed recipes, their runs, and waits (paused runs, leased like events)."""

    def save_instance(self, instance: Instance) -> None: ...

    def get_instance(self, instance_id: str) -> Instance | None: ...

    def list_instances(self, *, enabled: bool | None = None) -> list[Instance]: ...

    def delete_instance(self, instance_id: str) -> bool:
        """Delete it and cancel its pending waits."""

    def create_run(self, instance: Instance, trigger_key: str, *, event_id: int | None,
                   profile_id: str | None, correlation_id: str | None,
                   context: dict[str, Any] | None = None) -> Run | None:
        """A new run, or None when (instance, trigger_key) ran before: replays do nothing."""

    def update_run(self, run_id: int, *, status: str, steps: list[dict[str, Any]],
                   error: str | None = None) -> None: ...

    def get_run(self, run_id: int) -> Run | None: ...

    def list_runs(self, *, event_id: int | None = None, instance_id: str | None = None,
                  status: str | None = None, correlation_id: str | None = None,
                  before_id: int | None = None, limit: int = 50) -> list[Run]: ...

    def create_wait(self, run_id: int, instance_id: str, *, resume_at: int, due_at: str,
                    cancel_event: str | None, cancel_key: str | None,
                    profile_id: str | None) -> int: ...

    def claim_due_waits(self, owner: str, *, limit: int, lease_seconds: float) -> list[Wait]: ...

    def finish_wait(self, wait_id: int, owner: str, *, status: str, ended_by: str) -> bool:
        """End a leased wait; False if the lease was lost or it was cancelled meanwhile."""

    def cancel_waits(self, event_name: str, *, key: str | None, profile_ids: Iterable[str],
                     ended_by: str) -> list[Wait]: ...

    def supersede_waits(self, instance_id: str, cancel_key: str, *, ended_by: str) -> list[Wait]:
        """Cancel this instance's pending waits on the same key (a newer event restarts it)."""

    def list_waits(self, *, status: str | None = "pending", limit: int = 100) -> list[Wait]: ...

    def mark_seen(self, event_name: str, key: str) -> None: ...

    def was_seen(self, event_name: str, key: str) -> bool: ...


class Outbox(Protocol):
    """Outbound actions: created once per idempotency key, leased, finished, replayed."""

    def enqueue_delivery(self, item: NewDelivery) -> int | None:
        """The new row's id, or None when the key exists (creating twice is a no-op)."""

    def claim_deliveries(self, owner: str, *, limit: int, lease_seconds: float) -> list[Delivery]: ...

    def finish_delivery(self, delivery_id: int, owner: str, update: DeliveryUpdate,
                        attempt: Attempt | None = None) -> bool: ...

    def release_deliveries(self, delivery_ids: Iterable[int], owner: str) -> None:
        """Give leased rows back untouched: not attempted in this pass."""

    def get_delivery(self, delivery_id: int) -> Delivery | None: ...

    def find_delivery_by_external_id(self, external_id: str) -> Delivery | None: ...

    def list_deliveries(self, *, status: str | Iterable[str] | None = None,
                        run_id: int | None = None, connection_id: str | None = None,
                        before_id: int | None = None, limit: int = 50) -> list[Delivery]: ...

    def count_deliveries(self, *, status: str | None = None, since: str | None = None) -> int: ...

    def list_attempts(self, delivery_id: int) -> list[Attempt]: ...

    def requeue_delivery(self, delivery_id: int) -> bool: ...

    def set_vendor_status(self, delivery_id: int, vendor_status: str) -> None: ...

    def take_pacing_slot(self, windows: Sequence[tuple[str, int, float]]) -> float:
        """0 if a request may go now under every ``(key, count, seconds)`` sliding window
        (booked under each), else seconds to wait (nothing booked); shared across processes."""


class ActivityStats(Protocol):
    def count_audit_by_hour(self, since: str) -> list[tuple[str, str, str, int]]:
        """(UTC hour ``YYYY-MM-DDTHH``, actor type, outcome, entries) since ``since``."""


class UserStore(Protocol):
    """Accounts of the web UI (``hub.users.User``), their sessions and failed sign-ins."""

    def count_users(self) -> int: ...

    def create_user(self, user: Any) -> int:
        """Raise ``KeyError`` if the email is taken."""

    def create_first_user(self, user: Any) -> int | None:
        """Create ``user`` only if no account exists yet (atomically); else return None."""

    def get_user(self, user_id: int) -> Any | None: ...

    def get_user_by_email(self, email: str) -> Any | None: ...

    def get_user_by_invite(self, invite_hash: str) -> Any | None: ...

    def list_users(self) -> list[Any]: ...

    def update_user(self, user_id: int, **changes: Any) -> None: ...

    def delete_user(self, user_id: int) -> bool:
        """Remove the account and every session of it."""

    def add_user_session(self, session: Any) -> None: ...

    def get_user_session(self, token_hash: str) -> Any | None: ...

    def touch_user_session(self, token_hash: str, at: str) -> None: ...

    def delete_user_session(self, token_hash: str) -> None: ...

    def delete_user_sessions(self, user_id: int) -> None: ...

    def record_login_failure(self, key: str, at: str, *, forget_before: str) -> int:
        """Count one failed sign-in for ``key``; return the failures since ``forget_before``."""

    def get_login_failures(self, key: str, *, since: str) -> tuple[int, str] | None:
        """(failures, last failure time) for ``key`` if its last failure is after ``since``."""

    def clear_login_failures(self, key: str) -> None: ...


class Store(SchemaStore, EventQueue, AuditLog, ConnectionStore, LeaseStore, StateStore,
            ProfileStore, RecipeStore, Outbox, UserStore, ActivityStats,
            Protocol):
    """Everything the hub persists. See ``hub/store/sqlite`` for the embedded default."""
