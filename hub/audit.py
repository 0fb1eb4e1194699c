"""The audit trail: who did what to what, when, and how it ended — and why.

Every step of the flow appends here through ``entry``/``record``, which redact the text and
any structured data first, so a secret can never reach the table. Entries are never updated;
retention (``prune``) is the only delete.
"""

from __future__ import annotations

import csv
import io
import json
import secrets
from dataclasses import asdict
from datetime import timedelta
from typing import Any, Iterator, TextIO

from hub import clock
from hub.redact import redact_mapping, redact_text
from hub.store import AuditEntry, AuditQuery, Store

EXPORT_FIELDS = ("id", "at", "actor_type", "actor_id", "subject_type", "subject_id", "action",
                 "outcome", "detail", "correlation_id", "data")


def new_correlation_id() -> str:
    """Links an inbound event to everything it causes (runs, deliveries, profile changes)."""
    return secrets.token_hex(16)


def entry(
    actor_type: str,
    subject_type: str,
    action: str,
    outcome: str,
    *,
    actor_id: str | None = None,
    subject_id: str | None = None,
    detail: str = "",
    correlation_id: str | None = None,
    data: dict[str, Any] | None = None,
) -> AuditEntry:
    """Build a redacted entry stamped with the hub's clock."""
    return AuditEntry(
        at=clock.now_iso(), actor_type=actor_type, actor_id=actor_id,
        subject_type=subject_type, subject_id=subject_id, action=action, outcome=outcome,
        detail=redact_text(detail)[:1000], correlation_id=correlation_id,
        data=redact_mapping(data, phones=True) if data is not None else None,
    )


def record(store: Store, actor_type: str, subject_type: str, action: str, outcome: str,
           **fields: Any) -> AuditEntry:
    item = entry(actor_type, subject_type, action, outcome, **fields)
    store.append_audit([item])
    return item


def iter_all(store: Store, query: AuditQuery, *, page: int = 1000) -> Iterator[AuditEntry]:
    """Every matching entry, oldest first, read in pages by key."""
    after = query.after_id or 0
    while True:
        rows = store.query_audit(AuditQuery(**{**asdict(query), "after_id": after, "limit": page}))
        if not rows:
            return
        rows.reverse()  # a page comes newest first
        yield from rows
        after = rows[-1].id or after
        if len(rows) < page:
            return


def export(store: Store, out: TextIO, *, fmt: str = "jsonl", query: AuditQuery | None = None) -> int:
    """Write the audit log as CSV or JSON lines; return the number of entries written."""
    query = query or AuditQuery()
    count = 0
    if fmt == "csv":
        writer = csv.DictWriter(out, fieldnames=EXPORT_FIELDS)
        writer.writeheader()
    for item in iter_all(store, query):
        row = asdict(item)
        if fmt == "csv":
            row["data"] = json.dumps(row["data"]) if row["data"] is not None else ""
            writer.writerow(row)
        else:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
        count += 1
    return count


def prune(store: Store, retention_days: int) -> int:
    """Delete entries older than the retention; the pruning itself is audited."""
    cutoff = clock.iso(clock.now() - timedelta(days=retention_days))
    removed = store.prune_audit(cutoff)
    if removed:
        record(store, "system", "audit", "prune", "ok",
               detail=f"removed {removed} entries older than {retention_days} days")
    return removed


def export_to_string(store: Store, fmt: str = "jsonl", query: AuditQuery | None = None) -> str:
    buffer = io.StringIO()
    export(store, buffer, fmt=fmt, query=query)
    return buffer.getvalue()
