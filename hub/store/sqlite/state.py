"""Small durable values: poll cursors and adapters' memory, committed with their events."""

from __future__ import annotations

import json
from typing import Any

from hub import clock
from hub.store.records import AuditEntry, NewEvent, RecordOutcome
from hub.store.sqlite.base import SqliteBase, dumps


class StateMixin(SqliteBase):
    def get_state(self, scope: str, key: str) -> Any | None:
        rows = self._query("SELECT value FROM state WHERE scope = ? AND key = ?", (scope, key))
        return json.loads(rows[0][0]) if rows else None

    def put_state(self, scope: str, key: str, value: Any) -> None:
        self._execute(
            "INSERT INTO state (scope, key, value, updated_at) VALUES (?,?,?,?)"
            " ON CONFLICT (scope, key) DO UPDATE SET value = excluded.value,"
            " updated_at = excluded.updated_at",
            (scope, key, dumps(value), clock.now_iso()),
        )

    def record_poll_page(
        self, events: list[NewEvent], scope: str, key: str, cursor: Any, audit: AuditEntry | None
    ) -> list[RecordOutcome]:
        with self.atomic():
            outcomes = [self._insert_event(e) for e in events]  # type: ignore[attr-defined]
            self.put_state(scope, key, cursor)
            if audit is not None:
                self._append_audit_rows([audit])  # type: ignore[attr-defined]
        return outcomes
