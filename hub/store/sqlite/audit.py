"""The append-only audit log (the table refuses UPDATE; only retention deletes)."""

from __future__ import annotations

import json
import sqlite3
from typing import Iterable

from hub.store.records import AuditEntry, AuditQuery
from hub.store.sqlite.base import SqliteBase, dumps

_FILTERS = (
    ("since", "at >= ?"), ("until", "at < ?"), ("subject_type", "subject_type = ?"),
    ("subject_id", "subject_id = ?"), ("outcome", "outcome = ?"),
    ("correlation_id", "correlation_id = ?"), ("actor_type", "actor_type = ?"),
    ("actor_id", "actor_id = ?"), ("action", "action = ?"), ("before_id", "id < ?"),
    ("after_id", "id > ?"),
)


def _entry(row: sqlite3.Row) -> AuditEntry:
    return AuditEntry(
        id=row["id"], at=row["at"], actor_type=row["actor_type"], actor_id=row["actor_id"],
        subject_type=row["subject_type"], subject_id=row["subject_id"], action=row["action"],
        outcome=row["outcome"], detail=row["detail"], correlation_id=row["correlation_id"],
        data=json.loads(row["data"]) if row["data"] else None,
    )


class AuditMixin(SqliteBase):
    def _append_audit_rows(self, entries: Iterable[AuditEntry]) -> None:
        self.conn.executemany(
            "INSERT INTO audit (at, actor_type, actor_id, subject_type, subject_id, action,"
            " outcome, detail, correlation_id, data) VALUES (?,?,?,?,?,?,?,?,?,?)",
            [
                (
                    e.at, e.actor_type, e.actor_id, e.subject_type, e.subject_id, e.action,
                    e.outcome, e.detail, e.correlation_id,
                    dumps(e.data) if e.data is not None else None,
                )
                for e in entries
            ],
        )

    def append_audit(self, entries: Iterable[AuditEntry]) -> None:
        with self.atomic():
            self._append_audit_rows(entries)

    def query_audit(self, query: AuditQuery) -> list[AuditEntry]:
        where, params = [], []
        for name, clause in _FILTERS:
            value = getattr(query, name)
            if value is not None:
                where.append(clause)
                params.append(value)
        sql = "SELECT * FROM audit"
        if where:
            sql += " WHERE " + " AND ".join(where)
        # Paging forward (after_id) reads oldest-first, then flips, so pages stay contiguous.
        forward = query.after_id is not None and query.before_id is None
        sql += f" ORDER BY id {'ASC' if forward else 'DESC'} LIMIT ?"
        rows = [_entry(r) for r in self._query(sql, (*params, query.limit))]
        return rows[::-1] if forward else rows

    def prune_audit(self, before: str) -> int:
        return self._execute("DELETE FROM audit WHERE at < ?", (before,)).rowcount
