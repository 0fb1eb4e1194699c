"""The embedded default store: one SQLite file through sqlite-utils, all SQL in this package."""

from __future__ import annotations

from hub.store.migrations import migrations
from hub.store.sqlite.audit import AuditMixin
from hub.store.sqlite.connections import ConnectionsMixin
from hub.store.sqlite.events import EventsMixin
from hub.store.sqlite.leases import LeasesMixin
from hub.store.sqlite.outbox import OutboxMixin
from hub.store.sqlite.profiles import ProfilesMixin
from hub.store.sqlite.recipes import RecipesMixin
from hub.store.sqlite.state import StateMixin
from hub.store.sqlite.stats import StatsMixin
from hub.store.sqlite.users import UsersMixin


class SqliteStore(EventsMixin, AuditMixin, ConnectionsMixin, LeasesMixin, StateMixin,
                  ProfilesMixin, RecipesMixin, OutboxMixin, UsersMixin,
                  StatsMixin):
    """The ``Store`` interface over SQLite (WAL, busy timeout, ``BEGIN IMMEDIATE`` writes)."""

    def migrate(self) -> list[str]:
        # One write transaction around the whole run: processes starting together queue on
        # the lock, and the later ones find nothing left to apply.
        with self.atomic():
            pending = [m.name for m in migrations.pending(self.db)]
            migrations.apply(self.db)
        return pending

    def pending_migrations(self) -> list[str]:
        return [m.name for m in migrations.pending(self.db)]

    def __repr__(self) -> str:
        return f"SqliteStore({str(self.path)!r})"
