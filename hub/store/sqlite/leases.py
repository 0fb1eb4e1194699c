"""Named leases: who runs the scheduler, which poll job is running. They expire on their own."""

from __future__ import annotations

from datetime import timedelta

from hub import clock
from hub.store.sqlite.base import SqliteBase


class LeasesMixin(SqliteBase):
    def acquire_lease(self, name: str, owner: str, *, seconds: float) -> bool:
        now = clock.now()
        with self.atomic():
            self.conn.execute(
                "INSERT INTO leases (name, owner, until) VALUES (?, ?, ?)"
                " ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, until = excluded.until"
                " WHERE leases.owner = excluded.owner OR leases.until < ?",
                (name, owner, clock.iso(now + timedelta(seconds=seconds)), clock.iso(now)),
            )
            row = self.conn.execute("SELECT owner FROM leases WHERE name = ?", (name,)).fetchone()
        return row is not None and row[0] == owner

    def release_lease(self, name: str, owner: str) -> None:
        self._execute("DELETE FROM leases WHERE name = ? AND owner = ?", (name, owner))
