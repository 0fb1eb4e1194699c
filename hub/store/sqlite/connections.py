"""Connected vendor accounts (secret fields arrive here already encrypted)."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from hub import clock
from hub.store.records import ConnectionRecord
from hub.store.sqlite.base import SqliteBase, dumps

_UPDATABLE = {"name", "settings", "secrets", "enabled", "last_check_at", "last_check_ok",
              "last_check_detail"}


def _connection(row: sqlite3.Row) -> ConnectionRecord:
    return ConnectionRecord(
        id=row["id"], adapter=row["adapter"], name=row["name"],
        settings=json.loads(row["settings"]), secrets=row["secrets"],
        created_at=row["created_at"], updated_at=row["updated_at"], enabled=bool(row["enabled"]),
        last_check_at=row["last_check_at"],
        last_check_ok=None if row["last_check_ok"] is None else bool(row["last_check_ok"]),
        last_check_detail=row["last_check_detail"],
    )


class ConnectionsMixin(SqliteBase):
    def add_connection(self, record: ConnectionRecord) -> None:
        try:
            self._execute(
                "INSERT INTO connections (id, adapter, name, settings, secrets, created_at,"
                " updated_at, enabled) VALUES (?,?,?,?,?,?,?,?)",
                (record.id, record.adapter, record.name, dumps(record.settings), record.secrets,
                 record.created_at, record.updated_at, int(record.enabled)),
            )
        except sqlite3.IntegrityError:
            raise KeyError(record.id) from None

    def get_connection(self, connection_id: str) -> ConnectionRecord | None:
        rows = self._query("SELECT * FROM connections WHERE id = ?", (connection_id,))
        return _connection(rows[0]) if rows else None

    def list_connections(self) -> list[ConnectionRecord]:
        return [_connection(r) for r in self._query("SELECT * FROM connections ORDER BY id")]

    def update_connection(self, connection_id: str, **changes: Any) -> None:
        unknown = set(changes) - _UPDATABLE
        if unknown:
            raise ValueError(f"cannot update {sorted(unknown)}")
        values = {k: dumps(v) if k == "settings" else v for k, v in changes.items()}
        values["updated_at"] = clock.now_iso()
        assignments = ", ".join(f"{k} = ?" for k in values)
        self._execute(
            f"UPDATE connections SET {assignments} WHERE id = ?", (*values.values(), connection_id)
        )

    def remove_connection(self, connection_id: str) -> bool:
        return self._execute("DELETE FROM connections WHERE id = ?", (connection_id,)).rowcount == 1
