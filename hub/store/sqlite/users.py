"""Accounts of the web UI, their signed-in sessions and the failed sign-in counters."""

from __future__ import annotations

import sqlite3
from typing import Any

from hub import clock
from hub.store.sqlite.base import SqliteBase
from hub.users import User, UserSession

_UPDATABLE = {"name", "role", "password_hash", "invite_hash", "invite_expires_at",
              "last_login_at"}
_COLUMNS = ("email", "name", "role", "password_hash", "invite_hash", "invite_expires_at",
            "invited_by", "created_at", "updated_at", "last_login_at")


def _user(row: sqlite3.Row) -> User:
    return User(id=row["id"], **{c: row[c] for c in _COLUMNS})


class UsersMixin(SqliteBase):
    def count_users(self) -> int:
        return self._query("SELECT count(*) FROM users")[0][0]

    def _insert_user(self, user: User) -> int:
        marks = ",".join("?" for _ in _COLUMNS)
        try:
            cursor = self.conn.execute(
                f"INSERT INTO users ({', '.join(_COLUMNS)}) VALUES ({marks})",
                tuple(getattr(user, c) for c in _COLUMNS),
            )
        except sqlite3.IntegrityError:
            raise KeyError(user.email) from None
        return int(cursor.lastrowid)

    def create_user(self, user: User) -> int:
        with self.atomic():
            return self._insert_user(user)

    def create_first_user(self, user: User) -> int | None:
        # The check and the insert share one write transaction: of two set-up forms sent at
        # the same moment (two tabs, two processes) exactly one creates the owner.
        with self.atomic():
            if self.conn.execute("SELECT count(*) FROM users").fetchone()[0]:
                return None
            return self._insert_user(user)

    def get_user(self, user_id: int) -> User | None:
        rows = self._query("SELECT * FROM users WHERE id = ?", (user_id,))
        return _user(rows[0]) if rows else None

    def get_user_by_email(self, email: str) -> User | None:
        rows = self._query("SELECT * FROM users WHERE email = ?", (email,))
        return _user(rows[0]) if rows else None

    def get_user_by_invite(self, invite_hash: str) -> User | None:
        rows = self._query("SELECT * FROM users WHERE invite_hash = ?", (invite_hash,))
        return _user(rows[0]) if rows else None

    def list_users(self) -> list[User]:
        return [_user(r) for r in self._query(
            "SELECT * FROM users ORDER BY role = 'owner' DESC, email")]

    def update_user(self, user_id: int, **changes: Any) -> None:
        unknown = set(changes) - _UPDATABLE
        if unknown:
            raise ValueError(f"cannot update {sorted(unknown)}")
        values = {**changes, "updated_at": clock.now_iso()}
        assignments = ", ".join(f"{k} = ?" for k in values)
        self._execute(f"UPDATE users SET {assignments} WHERE id = ?", (*values.values(), user_id))

    def delete_user(self, user_id: int) -> bool:
        with self.atomic():
            self.conn.execute("DELETE FROM user_sessions WHERE user_id = ?", (user_id,))
            return self.conn.execute("DELETE FROM users WHERE id = ?", (user_id,)).rowcount == 1

    # -- sessions --------------------------------------------------------------------------
    def add_user_session(self, session: UserSession) -> None:
        self._execute(
            "INSERT INTO user_sessions (token_hash, user_id, created_at, last_seen_at, expires_at)"
            " VALUES (?,?,?,?,?)",
            (session.token_hash, session.user_id, session.created_at, session.last_seen_at,
             session.expires_at),
        )

    def get_user_session(self, token_hash: str) -> UserSession | None:
        rows = self._query("SELECT * FROM user_sessions WHERE token_hash = ?", (token_hash,))
        if not rows:
            return None
        row = rows[0]
        return UserSession(token_hash=row["token_hash"], user_id=row["user_id"],
                           created_at=row["created_at"], last_seen_at=row["last_seen_at"],
                           expires_at=row["expires_at"])

    def touch_user_session(self, token_hash: str, at: str) -> None:
        self._execute("UPDATE user_sessions SET last_seen_at = ? WHERE token_hash = ?",
                      (at, token_hash))

    def delete_user_session(self, token_hash: str) -> None:
        self._execute("DELETE FROM user_sessions WHERE token_hash = ?", (token_hash,))

    def delete_user_sessions(self, user_id: int) -> None:
        self._execute("DELETE FROM user_sessions WHERE user_id = ?", (user_id,))

    # -- failed sign-ins -------------------------------------------------------------------
    def record_login_failure(self, key: str, at: str, *, forget_before: str) -> int:
        with self.atomic():
            self.conn.execute(
                "INSERT INTO login_failures (key, failures, last_failed_at) VALUES (?, 1, ?)"
                " ON CONFLICT (key) DO UPDATE SET last_failed_at = excluded.last_failed_at,"
                " failures = CASE WHEN login_failures.last_failed_at < ? THEN 1"
                " ELSE login_failures.failures + 1 END",
                (key, at, forget_before),
            )
            # Old counters of other keys go too, so the table stays small.
            self.conn.execute("DELETE FROM login_failures WHERE last_failed_at < ?",
                              (forget_before,))
            row = self.conn.execute("SELECT failures FROM login_failures WHERE key = ?",
                                    (key,)).fetchone()
        return int(row[0])

    def get_login_failures(self, key: str, *, since: str) -> tuple[int, str] | None:
        rows = self._query(
            "SELECT failures, last_failed_at FROM login_failures WHERE key = ?"
            " AND last_failed_at >= ?", (key, since))
        return (int(rows[0][0]), rows[0][1]) if rows else None

    def clear_login_failures(self, key: str) -> None:
        self._execute("DELETE FROM login_failures WHERE key = ?", (key,))
