"""Counts for the dashboard's activity chart, computed by SQLite rather than in Python."""

from __future__ import annotations

from hub.store.sqlite.base import SqliteBase


class StatsMixin(SqliteBase):
    def count_audit_by_hour(self, since: str) -> list[tuple[str, str, str, int]]:
        # Timestamps are stored as sortable UTC text, so the first 13 characters are the hour.
        rows = self._query(
            "SELECT substr(at, 1, 13) AS hour, actor_type, outcome, count(*) FROM audit"
            " WHERE at >= ? GROUP BY hour, actor_type, outcome ORDER BY hour", (since,))
        return [(r[0], r[1], r[2], int(r[3])) for r in rows]
