"""Polls: read a vendor's changes page by page, committing each page with the cursor after it.

The promise (like webhooks): at least once, never a gap. A page's items are stored as events
(``source="poll"``) together with the cursor that follows them, in one transaction, so a run
that fails or crashes between pages resumes from the last committed page; a page read twice
stores nothing new, because events dedupe on (connection, delivery id).

A cursor is whatever JSON the adapter returns. Before a poll's first run there is none: the
hub offers ``{"since": <a day ago>}`` (``FIRST_RUN_LOOKBACK``), so an adapter that reads
changes "since" a time starts with recent history rather than all of it.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from adapters.base import Adapter, ParsedWebhook
from adapters.pagination import PollFailed
from hub import audit, clock
from hub.redact import redact_text
from hub.runtime import Runtime
from hub.store import NewEvent

log = logging.getLogger("hub.polling")

FIRST_RUN_LOOKBACK = timedelta(days=1)
MAX_PAGES = 50


class PollUnknown(LookupError):
    """No such enabled connection, or its adapter declares no such poll."""


@dataclass(frozen=True)
class PollRun:
    """How one run of a poll went: pages committed, events new and already known, and why it
    stopped (``error`` set when a page failed; ``retry_after`` is the vendor's wait)."""

    connection_id: str
    poll: str
    pages: int
    stored: int
    duplicates: int
    done: bool
    error: str | None = None
    retry_after: float | None = None


def cursor_scope(connection_id: str) -> str:
    return f"poll:{connection_id}"


def first_cursor() -> dict[str, Any]:
    return {"since": clock.iso(clock.now() - FIRST_RUN_LOOKBACK)}


def run_poll(rt: Runtime, connection_id: str, poll_name: str, *,
             max_pages: int = MAX_PAGES) -> PollRun:
    """Run ``poll_name`` of a connection for up to ``max_pages`` pages, resuming its cursor."""
    adapter, adapter_name = _adapter(rt, connection_id, poll_name)
    scope = cursor_scope(connection_id)
    cursor = rt.store.get_state(scope, poll_name)
    cursor = first_cursor() if cursor is None else cursor
    pages = stored = duplicates = 0
    actor = f"{adapter_name}.{poll_name}"
    while pages < max_pages:
        correlation_id = audit.new_correlation_id()
        try:
            page = adapter.poll(poll_name, cursor)
        except PollFailed as failure:
            return _failed(rt, connection_id, poll_name, actor, correlation_id, pages, stored,
                           duplicates, failure.outcome.summary, failure.outcome.retry_after)
        except Exception as error:  # an adapter bug must not stop other polls; it is audited
            log.exception("poll %s of %s crashed", poll_name, connection_id)
            return _failed(rt, connection_id, poll_name, actor, correlation_id, pages, stored,
                           duplicates, f"{type(error).__name__}: {error}", None)
        events = [_new_event(connection_id, adapter_name, item, correlation_id)
                  for item in page.items]
        entry = audit.entry(
            "poll", "connection", "poll", "ok", actor_id=actor, subject_id=connection_id,
            detail=f"page {pages + 1}: {len(events)} item(s)"
                   + ("" if page.done else ", more to read"),
            correlation_id=correlation_id, data={"items": len(events), "done": page.done},
        )
        outcomes = rt.store.record_poll_page(events, scope, poll_name, page.cursor, entry)
        pages += 1
        stored += sum(1 for o in outcomes if not o.duplicate)
        duplicates += sum(1 for o in outcomes if o.duplicate)
        cursor = page.cursor
        if page.done:
            return PollRun(connection_id, poll_name, pages, stored, duplicates, done=True)
    return PollRun(connection_id, poll_name, pages, stored, duplicates, done=False)


def _adapter(rt: Runtime, connection_id: str, poll_name: str) -> tuple[Adapter, str]:
    record = rt.store.get_connection(connection_id)
    if record is None or not record.enabled:
        raise PollUnknown(f"no enabled connection {connection_id!r}")
    adapter = rt.adapter_for(record)
    if poll_name not in {p.name for p in adapter.polls}:
        known = ", ".join(p.name for p in adapter.polls) or "none"
        raise PollUnknown(f"{record.adapter} has no poll {poll_name!r} (it has: {known})")
    return adapter, record.adapter


def _new_event(connection_id: str, adapter_name: str, item: ParsedWebhook,
               correlation_id: str) -> NewEvent:
    return NewEvent(
        connection_id=connection_id, adapter=adapter_name, topic=item.topic,
        delivery_id=item.delivery_id, source="poll",
        body=json.dumps(item.payload, separators=(",", ":"), ensure_ascii=False).encode(),
        correlation_id=correlation_id, received_at=clock.now_iso(), occurred_at=item.occurred_at,
    )


def _failed(rt: Runtime, connection_id: str, poll_name: str, actor: str, correlation_id: str,
            pages: int, stored: int, duplicates: int, reason: str,
            retry_after: float | None) -> PollRun:
    """Audit a failed page; the cursor stays where the last committed page left it."""
    rt.store.append_audit([audit.entry(
        "poll", "connection", "poll", "error", actor_id=actor, subject_id=connection_id,
        detail=f"page {pages + 1} failed: {reason}", correlation_id=correlation_id,
        data={"retry_after": retry_after} if retry_after is not None else None,
    )])
    log.warning("poll %s of %s stopped at page %d: %s", poll_name, connection_id, pages + 1,
                redact_text(reason))
    return PollRun(connection_id, poll_name, pages, stored, duplicates, done=False,
                   error=reason, retry_after=retry_after)
