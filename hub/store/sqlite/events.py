"""The inbound event queue: store once per delivery id, lease, finish."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import replace
from functools import cached_property

from hub import clock
from hub.store.records import AuditEntry, NewEvent, RecordOutcome, StoredEvent
from hub.store.sqlite.base import SqliteBase, dumps
from hub.store.sqlite.group_commit import GroupCommitter


def _event(row: sqlite3.Row) -> StoredEvent:
    return StoredEvent(
        id=row["id"], connection_id=row["connection_id"], adapter=row["adapter"],
        topic=row["topic"], delivery_id=row["delivery_id"], source=row["source"],
        body=bytes(row["body"]), correlation_id=row["correlation_id"],
        received_at=row["received_at"], headers=json.loads(row["headers"]),
        content_type=row["content_type"], occurred_at=row["occurred_at"], status=row["status"],
        attempts=row["attempts"], processed_at=row["processed_at"], error=row["error"],
    )


class EventsMixin(SqliteBase):
    def _insert_event(self, event: NewEvent) -> RecordOutcome:
        cursor = self.conn.execute(
            "INSERT INTO events (connection_id, adapter, topic, delivery_id, source, received_at,"
            " occurred_at, headers, body, content_type, correlation_id)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?)"
            " ON CONFLICT (connection_id, delivery_id) DO NOTHING",
            (
                event.connection_id, event.adapter, event.topic, event.delivery_id, event.source,
                event.received_at, event.occurred_at, dumps(event.headers), event.body,
                event.content_type, event.correlation_id,
            ),
        )
        if cursor.rowcount == 0:
            return RecordOutcome(event_id=None, duplicate=True)
        return RecordOutcome(event_id=cursor.lastrowid, duplicate=False)

    def record_event(self, event: NewEvent, audit: AuditEntry | None = None) -> RecordOutcome:
        if self.conn.in_transaction:  # part of a caller's transaction: no batching
            return self._record_events([(event, audit)])[0]
        return self._event_committer.submit((event, audit))

    @cached_property
    def _event_committer(self) -> GroupCommitter:
        return GroupCommitter(self._record_events, lambda item: self._record_events([item])[0])

    def _record_events(self, items: list[tuple[NewEvent, AuditEntry | None]]) -> list[RecordOutcome]:
        """Insert events (and, for new ones, their audit entries) in one transaction."""
        outcomes, entries = [], []
        with self.atomic():
            for event, audit in items:
                outcome = self._insert_event(event)
                outcomes.append(outcome)
                if audit is not None and not outcome.duplicate:
                    entries.append(replace(audit, subject_id=str(outcome.event_id)))
            if entries:
                self._append_audit_rows(entries)
        return outcomes

    def get_event(self, event_id: int) -> StoredEvent | None:
        rows = self._query("SELECT * FROM events WHERE id = ?", (event_id,))
        return _event(rows[0]) if rows else None

    def list_events(
        self, *, limit: int = 50, before_id: int | None = None, connection_id: str | None = None
    ) -> list[StoredEvent]:
        where, params = self._where({"connection_id": connection_id}, before_id=before_id)
        rows = self._query(f"SELECT * FROM events WHERE {where} ORDER BY id DESC LIMIT ?",
                           (*params, limit))
        return [_event(r) for r in rows]

    def claim_events(self, owner: str, *, limit: int, lease_seconds: float) -> list[StoredEvent]:
        rows = self._lease(
            "events", "SELECT id FROM events WHERE status = 'new'"
            " AND (lease_until IS NULL OR lease_until < ?) ORDER BY id LIMIT ?",
            (clock.now_iso(), limit), owner, lease_seconds, also_set=", attempts = attempts + 1")
        return sorted((_event(r) for r in rows), key=lambda e: e.id)

    def finish_event(
        self, event_id: int, owner: str, *, status: str, error: str | None = None
    ) -> bool:
        cursor = self._execute(
            "UPDATE events SET status = ?, error = ?, processed_at = ?, lease_owner = NULL,"
            " lease_until = NULL WHERE id = ? AND lease_owner = ? AND status = 'new'",
            (status, error, clock.now_iso(), event_id, owner),
        )
        return cursor.rowcount == 1

    def release_event(self, event_id: int, owner: str, *, error: str) -> None:
        self._execute(
            "UPDATE events SET lease_owner = NULL, lease_until = NULL, error = ?"
            " WHERE id = ? AND lease_owner = ?",
            (error, event_id, owner),
        )

    def count_events(self, *, status: str | None = None, since: str | None = None) -> int:
        where, params = self._where({"status": status or None}, since=("received_at", since))
        return self._query(f"SELECT count(*) FROM events WHERE {where}", params)[0][0]

    def prune_events(self, before: str) -> int:
        return self._execute(
            "DELETE FROM events WHERE received_at < ? AND status != 'new'", (before,)
        ).rowcount

