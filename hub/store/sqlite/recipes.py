"""Recipe instances, their runs, and stored waits (paused runs that survive restarts)."""

from __future__ import annotations

import json
import sqlite3
from typing import Any, Iterable

from hub import clock
from hub.store.records import Instance, Run, Wait
from hub.store.sqlite.base import SqliteBase, dumps


def _instance(row: sqlite3.Row) -> Instance:
    return Instance(
        id=row["id"], recipe_id=row["recipe_id"], name=row["name"],
        params=json.loads(row["params"]), connections=json.loads(row["connections"]),
        recipe=json.loads(row["recipe"]), recipe_digest=row["recipe_digest"],
        enabled=bool(row["enabled"]), created_at=row["created_at"], updated_at=row["updated_at"],
    )


def _run(row: sqlite3.Row) -> Run:
    return Run(
        id=row["id"], instance_id=row["instance_id"], recipe_id=row["recipe_id"],
        trigger_key=row["trigger_key"], event_id=row["event_id"], profile_id=row["profile_id"],
        status=row["status"], steps=json.loads(row["steps"]), error=row["error"],
        correlation_id=row["correlation_id"], created_at=row["created_at"],
        updated_at=row["updated_at"], context=json.loads(row["context"]),
    )


def _wait(row: sqlite3.Row) -> Wait:
    return Wait(
        id=row["id"], run_id=row["run_id"], instance_id=row["instance_id"],
        resume_at=row["resume_at"], due_at=row["due_at"], cancel_event=row["cancel_event"],
        cancel_key=row["cancel_key"], profile_id=row["profile_id"], status=row["status"],
        created_at=row["created_at"],
    )


class RecipesMixin(SqliteBase):
    # -- instances -------------------------------------------------------------------------
    def save_instance(self, instance: Instance) -> None:
        self._execute(
            "INSERT INTO instances (id, recipe_id, name, params, connections, recipe,"
            " recipe_digest, enabled, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?)"
            " ON CONFLICT (id) DO UPDATE SET name = excluded.name, params = excluded.params,"
            " connections = excluded.connections, recipe = excluded.recipe,"
            " recipe_digest = excluded.recipe_digest, enabled = excluded.enabled,"
            " updated_at = excluded.updated_at",
            (instance.id, instance.recipe_id, instance.name, dumps(instance.params),
             dumps(instance.connections), dumps(instance.recipe), instance.recipe_digest,
             int(instance.enabled), instance.created_at, instance.updated_at),
        )

    def get_instance(self, instance_id: str) -> Instance | None:
        rows = self._query("SELECT * FROM instances WHERE id = ?", (instance_id,))
        return _instance(rows[0]) if rows else None

    def list_instances(self, *, enabled: bool | None = None) -> list[Instance]:
        if enabled is None:
            rows = self._query("SELECT * FROM instances ORDER BY created_at, id")
        else:
            rows = self._query("SELECT * FROM instances WHERE enabled = ? ORDER BY created_at, id",
                               (int(enabled),))
        return [_instance(r) for r in rows]

    def delete_instance(self, instance_id: str) -> bool:
        with self.atomic():
            self.conn.execute(
                "UPDATE waits SET status = 'cancelled', ended_at = ?, ended_by = 'instance deleted'"
                " WHERE instance_id = ? AND status = 'pending'", (clock.now_iso(), instance_id))
            return self.conn.execute("DELETE FROM instances WHERE id = ?",
                                     (instance_id,)).rowcount == 1

    # -- runs ------------------------------------------------------------------------------
    def create_run(self, instance: Instance, trigger_key: str, *, event_id: int | None,
                   profile_id: str | None, correlation_id: str | None,
                   context: dict[str, Any] | None = None) -> Run | None:
        """A new run, or None if this instance already handled this trigger (a replay)."""
        now = clock.now_iso()
        with self.atomic():
            row = self.conn.execute(
                "INSERT INTO runs (instance_id, recipe_id, trigger_key, event_id, profile_id,"
                " status, context, correlation_id, created_at, updated_at)"
                " VALUES (?,?,?,?,?,'running',?,?,?,?)"
                " ON CONFLICT (instance_id, trigger_key) DO NOTHING RETURNING *",
                (instance.id, instance.recipe_id, trigger_key, event_id, profile_id,
                 dumps(context or {}), correlation_id, now, now),
            ).fetchone()
        return _run(row) if row else None

    def update_run(self, run_id: int, *, status: str, steps: list[dict[str, Any]],
                   error: str | None = None) -> None:
        self._execute("UPDATE runs SET status = ?, steps = ?, error = ?, updated_at = ? WHERE id = ?",
                      (status, dumps(steps), error, clock.now_iso(), run_id))

    def get_run(self, run_id: int) -> Run | None:
        rows = self._query("SELECT * FROM runs WHERE id = ?", (run_id,))
        return _run(rows[0]) if rows else None

    def list_runs(self, *, event_id: int | None = None, instance_id: str | None = None,
                  status: str | None = None, correlation_id: str | None = None,
                  before_id: int | None = None, limit: int = 50) -> list[Run]:
        where, params = self._where({"event_id": event_id, "instance_id": instance_id,
                                     "status": status, "correlation_id": correlation_id},
                                    before_id=before_id)
        rows = self._query(f"SELECT * FROM runs WHERE {where} ORDER BY id DESC LIMIT ?",
                           (*params, limit))
        return [_run(r) for r in rows]

    # -- waits -----------------------------------------------------------------------------
    def create_wait(self, run_id: int, instance_id: str, *, resume_at: int, due_at: str,
                    cancel_event: str | None, cancel_key: str | None,
                    profile_id: str | None) -> int:
        return self._execute(
            "INSERT INTO waits (run_id, instance_id, resume_at, due_at, cancel_event, cancel_key,"
            " profile_id, created_at) VALUES (?,?,?,?,?,?,?,?)"
            " ON CONFLICT (run_id) DO UPDATE SET resume_at = excluded.resume_at,"
            " due_at = excluded.due_at, cancel_event = excluded.cancel_event,"
            " cancel_key = excluded.cancel_key, status = 'pending', lease_owner = NULL,"
            " lease_until = NULL, ended_at = NULL, ended_by = NULL",
            (run_id, instance_id, resume_at, due_at, cancel_event, cancel_key, profile_id,
             clock.now_iso()),
        ).lastrowid

    def claim_due_waits(self, owner: str, *, limit: int, lease_seconds: float) -> list[Wait]:
        now = clock.now_iso()
        rows = self._lease(
            "waits", "SELECT id FROM waits WHERE status = 'pending' AND due_at <= ?"
            " AND (lease_until IS NULL OR lease_until < ?) ORDER BY due_at, id LIMIT ?",
            (now, now, limit), owner, lease_seconds)
        return sorted((_wait(r) for r in rows), key=lambda w: (w.due_at, w.id))

    def finish_wait(self, wait_id: int, owner: str, *, status: str, ended_by: str) -> bool:
        """End a leased wait; False if its lease was lost or it was cancelled meanwhile."""
        return self._execute(
            "UPDATE waits SET status = ?, ended_at = ?, ended_by = ?, lease_owner = NULL,"
            " lease_until = NULL WHERE id = ? AND lease_owner = ? AND status = 'pending'",
            (status, clock.now_iso(), ended_by, wait_id, owner),
        ).rowcount == 1

    def cancel_waits(self, event_name: str, *, key: str | None, profile_ids: Iterable[str],
                     ended_by: str) -> list[Wait]:
        """Cancel pending waits listening for ``event_name`` on this key or these profiles."""
        now = clock.now_iso()
        profiles = [p for p in profile_ids if p]
        cancelled: list[Wait] = []
        with self.atomic():
            if key:
                cancelled += [_wait(r) for r in self.conn.execute(
                    "UPDATE waits SET status = 'cancelled', ended_at = ?, ended_by = ?"
                    " WHERE status = 'pending' AND cancel_event = ? AND cancel_key = ? RETURNING *",
                    (now, ended_by, event_name, key)).fetchall()]
            for profile_id in profiles:
                cancelled += [_wait(r) for r in self.conn.execute(
                    "UPDATE waits SET status = 'cancelled', ended_at = ?, ended_by = ?"
                    " WHERE status = 'pending' AND cancel_event = ? AND profile_id = ? RETURNING *",
                    (now, ended_by, event_name, profile_id)).fetchall()]
        return cancelled

    def supersede_waits(self, instance_id: str, cancel_key: str, *, ended_by: str) -> list[Wait]:
        """End this instance's pending waits on the same key: the newer state of the object
        (a checkout updated again) restarts the wait instead of adding a second one."""
        rows = self._execute_returning(
            "UPDATE waits SET status = 'cancelled', ended_at = ?, ended_by = ?"
            " WHERE status = 'pending' AND instance_id = ? AND cancel_key = ? RETURNING *",
            (clock.now_iso(), ended_by, instance_id, cancel_key))
        return [_wait(r) for r in rows]

    def _execute_returning(self, sql: str, params: Any = ()) -> list[sqlite3.Row]:
        with self.atomic():
            return self.conn.execute(sql, params).fetchall()

    def list_waits(self, *, status: str | None = "pending", limit: int = 100) -> list[Wait]:
        if status is None:
            rows = self._query("SELECT * FROM waits ORDER BY id DESC LIMIT ?", (limit,))
        else:
            rows = self._query("SELECT * FROM waits WHERE status = ? ORDER BY due_at LIMIT ?",
                               (status, limit))
        return [_wait(r) for r in rows]

    # -- keys seen (so a wait created after its cancelling event still gets cancelled) ------
    def mark_seen(self, event_name: str, key: str) -> None:
        self._execute("INSERT INTO seen_keys (event_name, key, at) VALUES (?,?,?)"
                      " ON CONFLICT DO NOTHING", (event_name, key, clock.now_iso()))

    def was_seen(self, event_name: str, key: str) -> bool:
        return bool(self._query("SELECT 1 FROM seen_keys WHERE event_name = ? AND key = ?",
                                (event_name, key)))
