"""Connections and transactions for the SQLite store.

One connection per thread per process (a forked gunicorn worker opens its own), WAL mode so
readers never block the writer, a busy timeout so writers queue instead of failing, and
``BEGIN IMMEDIATE`` for every write so two processes never deadlock upgrading a read lock.
"""

from __future__ import annotations

import json
import os
import random
import sqlite3
import threading
import time
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any, Iterator

import sqlite_utils

from hub import clock
from hub.store.interface import StoreUnavailable

_UNAVAILABLE = ("locked", "busy", "disk is full", "unable to open", "readonly", "disk i/o", "no such table")


def _is_unavailable(error: sqlite3.Error) -> bool:
    text = str(error).lower()
    return isinstance(error, sqlite3.OperationalError) and any(s in text for s in _UNAVAILABLE)


def dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), sort_keys=True, default=str)


class SqliteBase:
    def __init__(self, path: Path | str, *, synchronous: str = "FULL", busy_timeout_ms: int = 10_000):
        self.path = Path(path)
        self.synchronous = synchronous.upper()
        self.busy_timeout_ms = busy_timeout_ms
        self._local = threading.local()

    # -- connections -------------------------------------------------------------------
    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(
            self.path, timeout=self.busy_timeout_ms / 1000, isolation_level=None,
            check_same_thread=False,
        )
        conn.row_factory = sqlite3.Row
        conn.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout_ms)}")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute(f"PRAGMA synchronous = {self.synchronous}")
        conn.execute("PRAGMA foreign_keys = ON")
        return conn

    @property
    def conn(self) -> sqlite3.Connection:
        local = self._local
        if getattr(local, "pid", None) != os.getpid() or local.conn is None:
            try:
                local.conn = self._connect()
            except sqlite3.Error as error:
                raise StoreUnavailable(f"cannot open the database at {self.path}: {error}") from error
            local.pid = os.getpid()
        return local.conn

    @property
    def db(self) -> sqlite_utils.Database:
        local = self._local
        if getattr(local, "db_conn", None) is not self.conn:
            local.db = sqlite_utils.Database(self.conn)
            local.db_conn = self.conn
        return local.db

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None and getattr(self._local, "pid", None) == os.getpid():
            conn.close()
        self._local.conn = None

    # -- transactions ------------------------------------------------------------------
    @contextmanager
    def atomic(self) -> Iterator[None]:
        """A write transaction; calls nested inside join it."""
        conn = self.conn
        if conn.in_transaction:
            yield
            return
        self._begin_immediate(conn)
        try:
            yield
        except BaseException as error:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            if isinstance(error, sqlite3.Error) and _is_unavailable(error):
                raise StoreUnavailable(f"the database is not writable: {error}") from error
            raise
        else:
            try:
                conn.execute("COMMIT")
            except sqlite3.Error as error:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise StoreUnavailable(f"the database did not commit: {error}") from error

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        """A part of the open transaction that can fail alone (rolled back to its start)."""
        conn = self.conn
        if not conn.in_transaction:
            with self.atomic():
                yield
            return
        name = f"sp_{id(conn)}_{self._local.__dict__.setdefault('depth', 0)}"
        self._local.depth += 1
        conn.execute(f"SAVEPOINT {name}")
        try:
            yield
        except BaseException:
            if conn.in_transaction:
                conn.execute(f"ROLLBACK TO {name}")
                conn.execute(f"RELEASE {name}")
            raise
        else:
            conn.execute(f"RELEASE {name}")
        finally:
            self._local.depth -= 1

    def _begin_immediate(self, conn: sqlite3.Connection) -> None:
        """Take the write lock, retrying every fraction of a millisecond up to the timeout.

        SQLite's own busy handler sleeps 1, 2, 5, 10… ms between tries; with several
        processes committing a few hundred times a second those sleeps, not the work, set the
        pace. Only this statement uses the quick retry; others keep the busy timeout.
        """
        deadline = time.monotonic() + self.busy_timeout_ms / 1000
        pause = 0.0001
        conn.execute("PRAGMA busy_timeout = 0")
        try:
            while True:
                try:
                    conn.execute("BEGIN IMMEDIATE")
                    return
                except sqlite3.OperationalError as error:
                    if "locked" not in str(error) and "busy" not in str(error):
                        raise StoreUnavailable(f"the database is not writable: {error}") from error
                    if time.monotonic() >= deadline:
                        raise StoreUnavailable(f"the database is not writable: {error}") from error
                time.sleep(pause * (0.5 + random.random()))
                pause = min(pause * 1.5, 0.002)
        finally:
            conn.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout_ms)}")

    def _lease(self, table: str, candidates: str, params: tuple[Any, ...], owner: str,
               lease_seconds: float, *, also_set: str = "") -> list[sqlite3.Row]:
        """Lease to ``owner`` the rows whose ids ``candidates`` selects, in one write.

        Every queue (events, waits, deliveries) claims work this way: the lease expires on
        its own, so a crashed worker's rows are taken over, never lost.
        """
        until = clock.iso(clock.now() + timedelta(seconds=lease_seconds))
        with self.atomic():
            return self.conn.execute(
                f"UPDATE {table} SET lease_owner = ?, lease_until = ?{also_set}"
                f" WHERE id IN ({candidates}) RETURNING *", (owner, until, *params)).fetchall()

    @staticmethod
    def _where(equal: dict[str, Any], *, before_id: int | None = None,
               since: tuple[str, str | None] | None = None,
               any_of: tuple[str, list[Any]] | None = None) -> tuple[str, list[Any]]:
        """A WHERE clause for the list/count reads: columns equal to the given (non-None)
        values, ``id < before_id`` (paging by key), ``column >= since``, ``column IN (…)``."""
        where, params = ["1=1"], []
        for column, value in equal.items():
            if value is not None:
                where.append(f"{column} = ?")
                params.append(value)
        if before_id is not None:
            where.append("id < ?")
            params.append(before_id)
        if since is not None and since[1]:
            where.append(f"{since[0]} >= ?")
            params.append(since[1])
        if any_of is not None:
            where.append(f"{any_of[0]} IN ({','.join('?' * len(any_of[1]))})")
            params += any_of[1]
        return " AND ".join(where), params

    def _query(self, sql: str, params: Any = ()) -> list[sqlite3.Row]:
        try:
            return self.conn.execute(sql, params).fetchall()
        except sqlite3.Error as error:
            if _is_unavailable(error):
                raise StoreUnavailable(f"the database cannot be read: {error}") from error
            raise

    def _execute(self, sql: str, params: Any = ()) -> sqlite3.Cursor:
        """Run one write statement inside a transaction (joining one already open)."""
        with self.atomic():
            return self.conn.execute(sql, params)

    def ping(self) -> None:
        self._query("SELECT 1")
