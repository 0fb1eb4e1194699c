"""The delivery outbox: one row per outbound action, its attempts, and connection pacing."""

from __future__ import annotations

import json
import sqlite3
from typing import Iterable, Sequence

from hub import clock
from hub.store.records import Attempt, Delivery, DeliveryUpdate, NewDelivery
from hub.store.sqlite.base import SqliteBase, dumps



def _delivery(row: sqlite3.Row) -> Delivery:
    return Delivery(
        id=row["id"], idempotency_key=row["idempotency_key"], run_id=row["run_id"],
        instance_id=row["instance_id"], step_id=row["step_id"],
        connection_id=row["connection_id"], adapter=row["adapter"], action=row["action"],
        inputs=json.loads(row["inputs"]), profile_id=row["profile_id"], status=row["status"],
        attempts=row["attempts"], next_attempt_at=row["next_attempt_at"],
        created_at=row["created_at"], updated_at=row["updated_at"],
        last_summary=row["last_summary"], last_status_code=row["last_status_code"],
        external_id=row["external_id"], vendor_status=row["vendor_status"],
        result=json.loads(row["result"]) if row["result"] else None,
        correlation_id=row["correlation_id"],
    )


def _attempt(row: sqlite3.Row) -> Attempt:
    return Attempt(
        id=row["id"], delivery_id=row["delivery_id"], at=row["at"], kind=row["kind"],
        summary=row["summary"], status_code=row["status_code"], duration_ms=row["duration_ms"],
        request=json.loads(row["request"]) if row["request"] else None,
        response=json.loads(row["response"]) if row["response"] else None,
    )


class OutboxMixin(SqliteBase):
    def enqueue_delivery(self, item: NewDelivery) -> int | None:
        """Create the row; None when a row with this idempotency key exists already."""
        now = clock.now_iso()
        # Deliveries to one customer through one connection go out in order (see claim).
        order_key = f"{item.connection_id}|{item.profile_id or item.idempotency_key}"
        with self.atomic():
            row = self.conn.execute(
                "INSERT INTO deliveries (idempotency_key, run_id, instance_id, step_id,"
                " connection_id, adapter, action, inputs, profile_id, order_key, status,"
                " next_attempt_at, created_at, updated_at, last_summary, correlation_id)"
                " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
                " ON CONFLICT (idempotency_key) DO NOTHING RETURNING id",
                (item.idempotency_key, item.run_id, item.instance_id, item.step_id,
                 item.connection_id, item.adapter, item.action, dumps(item.inputs),
                 item.profile_id, order_key, item.status, now, now, now, item.summary,
                 item.correlation_id),
            ).fetchone()
        return row[0] if row else None

    def claim_deliveries(self, owner: str, *, limit: int, lease_seconds: float) -> list[Delivery]:
        """Lease due pending rows, oldest first, skipping a row while an older pending row for
        the same customer and connection exists (per-customer order survives retries)."""
        now = clock.now_iso()
        rows = self._lease(
            "deliveries", "SELECT d.id FROM deliveries d WHERE d.status = 'pending'"
            " AND d.next_attempt_at <= ? AND (d.lease_until IS NULL OR d.lease_until < ?)"
            " AND NOT EXISTS (SELECT 1 FROM deliveries e WHERE e.order_key = d.order_key"
            "   AND e.status = 'pending' AND e.id < d.id)"
            " ORDER BY d.next_attempt_at, d.id LIMIT ?", (now, now, limit), owner, lease_seconds)
        return sorted((_delivery(r) for r in rows), key=lambda d: d.id)

    def finish_delivery(self, delivery_id: int, owner: str, update: DeliveryUpdate,
                        attempt: Attempt | None = None) -> bool:
        """Apply an attempt's result to a leased row; False if the lease was lost meanwhile."""
        now = clock.now_iso()
        with self.atomic():
            changed = self.conn.execute(
                "UPDATE deliveries SET status = ?, attempts = attempts + ?,"
                " next_attempt_at = coalesce(?, next_attempt_at), updated_at = ?,"
                " last_summary = coalesce(?, last_summary),"
                " last_status_code = coalesce(?, last_status_code),"
                " external_id = coalesce(?, external_id), result = coalesce(?, result),"
                " lease_owner = NULL, lease_until = NULL"
                " WHERE id = ? AND lease_owner = ? AND status = 'pending'",
                (update.status, int(update.count_attempt), update.next_attempt_at, now,
                 update.summary, update.status_code, update.external_id,
                 dumps(update.result) if update.result is not None else None,
                 delivery_id, owner),
            ).rowcount == 1
            if changed and attempt is not None:
                self._insert_attempt(attempt)
        return changed

    def release_deliveries(self, delivery_ids: Iterable[int], owner: str) -> None:
        """Give leased rows back untouched (not attempted this pass; no attempt counted)."""
        ids = list(delivery_ids)
        if ids:
            self._execute(
                f"UPDATE deliveries SET lease_owner = NULL, lease_until = NULL"
                f" WHERE lease_owner = ? AND id IN ({','.join('?' * len(ids))})", (owner, *ids))

    def _insert_attempt(self, attempt: Attempt) -> None:
        self.conn.execute(
            "INSERT INTO attempts (delivery_id, at, kind, status_code, summary, duration_ms,"
            " request, response) VALUES (?,?,?,?,?,?,?,?)",
            (attempt.delivery_id, attempt.at, attempt.kind, attempt.status_code, attempt.summary,
             attempt.duration_ms, dumps(attempt.request) if attempt.request else None,
             dumps(attempt.response) if attempt.response else None),
        )

    def get_delivery(self, delivery_id: int) -> Delivery | None:
        rows = self._query("SELECT * FROM deliveries WHERE id = ?", (delivery_id,))
        return _delivery(rows[0]) if rows else None

    def find_delivery_by_external_id(self, external_id: str) -> Delivery | None:
        rows = self._query("SELECT * FROM deliveries WHERE external_id = ? ORDER BY id DESC"
                           " LIMIT 1", (external_id,))
        return _delivery(rows[0]) if rows else None

    def list_deliveries(self, *, status: str | Iterable[str] | None = None,
                        run_id: int | None = None, connection_id: str | None = None,
                        before_id: int | None = None, limit: int = 50) -> list[Delivery]:
        statuses = None if status is None else ("status", [status] if isinstance(status, str)
                                                else list(status))
        where, params = self._where({"run_id": run_id, "connection_id": connection_id},
                                    before_id=before_id, any_of=statuses)
        rows = self._query(f"SELECT * FROM deliveries WHERE {where} ORDER BY id DESC LIMIT ?",
                           (*params, limit))
        return [_delivery(r) for r in rows]

    def count_deliveries(self, *, status: str | None = None, since: str | None = None) -> int:
        where, params = self._where({"status": status or None}, since=("updated_at", since))
        return self._query(f"SELECT count(*) FROM deliveries WHERE {where}", params)[0][0]

    def list_attempts(self, delivery_id: int) -> list[Attempt]:
        return [_attempt(r) for r in self._query(
            "SELECT * FROM attempts WHERE delivery_id = ? ORDER BY id", (delivery_id,))]

    def requeue_delivery(self, delivery_id: int) -> bool:
        """Put a dead, unknown or refused row back in the queue, due now (a person's replay)."""
        now = clock.now_iso()
        return self._execute(
            "UPDATE deliveries SET status = 'pending', next_attempt_at = ?, updated_at = ?,"
            " attempts = 0, lease_owner = NULL, lease_until = NULL"
            " WHERE id = ? AND status IN ('dead', 'unknown', 'refused')",
            (now, now, delivery_id),
        ).rowcount == 1

    def set_vendor_status(self, delivery_id: int, vendor_status: str) -> None:
        self._execute("UPDATE deliveries SET vendor_status = ?, updated_at = ? WHERE id = ?",
                      (vendor_status, clock.now_iso(), delivery_id))

    # -- pacing ------------------------------------------------------------------------------
    def take_pacing_slot(self, windows: Sequence[tuple[str, int, float]]) -> float:
        """A sliding-window log per key, shared by every process through the store.

        A request may go when, for every ``(key, count, seconds)``, fewer than ``count``
        requests were booked under ``key`` in the last ``seconds``. Returns 0 when it may (and
        books it under every key), else the seconds until it may (booking nothing), in the
        hub's clock. Unlike a token bucket, a full burst of ``count`` never lets more than
        ``count`` through in any ``seconds``: vendors with fixed windows (Klaviyo) would
        answer the excess with 429s, wherever their windows start.
        """
        with self.atomic():
            # Read the time under the write lock, so booked times rise with the sequence.
            now = clock.now().timestamp()
            wait, booking = 0.0, []
            for key, count, seconds in windows:
                last = self.conn.execute("SELECT seq, at FROM pacing_log WHERE key = ?"
                                         " ORDER BY seq DESC LIMIT 1", (key,)).fetchone()
                seq = last[0] + 1 if last else 0
                now = max(now, last[1] if last else now)
                oldest = self.conn.execute("SELECT at FROM pacing_log WHERE key = ? AND seq = ?",
                                           (key, seq - count)).fetchone()
                if oldest and oldest[0] + seconds > now:
                    wait = max(wait, oldest[0] + seconds - now)
                booking.append((key, seq, count))
            if wait > 0:
                return wait
            for key, seq, count in booking:
                self.conn.execute("INSERT INTO pacing_log (key, seq, at) VALUES (?, ?, ?)",
                                  (key, seq, now))
                self.conn.execute("DELETE FROM pacing_log WHERE key = ? AND seq <= ?",
                                  (key, seq - count))
        return 0.0
