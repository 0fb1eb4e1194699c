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
from typing import Any, Iterable, Protocol

from hub.store.records import (
    AuditEntry,
    AuditQuery,
    ConnectionRecord,
    NewEvent,
    RecordOutcome,
    StoredEvent,
    TimelineEntry,
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


class Store(SchemaStore, EventQueue, AuditLog, ConnectionStore, LeaseStore, StateStore,
            ProfileStore, Protocol):
    """Everything the hub persists. See ``hub/store/sqlite`` for the embedded default."""
