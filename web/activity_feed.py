"""What the Activity pages read: the audit log filtered the way a shop owner asks, and
everything one inbound event caused, gathered by its correlation id.

Only reads through the ``Store`` interface; the views stay one call each.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any

from hub import clock
from hub.customers import CustomerNotFound, find_customer, search_customers
from hub.store import AuditEntry, AuditQuery, Store, StoredEvent

PERIODS: dict[str, tuple[str, timedelta | None]] = {
    "hour": ("Last hour", timedelta(hours=1)),
    "day": ("Last 24 hours", timedelta(days=1)),
    "week": ("Last 7 days", timedelta(days=7)),
    "month": ("Last 30 days", timedelta(days=30)),
    "all": ("Everything", None),
}
#: Outcomes a person filters on, grouped the way they think about them.
OUTCOME_GROUPS: dict[str, tuple[str, tuple[str, ...]]] = {
    "problems": ("Problems only", ("rejected", "dead", "failed", "error", "unknown")),
}
#: Customers whose activity is gathered at most (by their latest timeline entries).
CUSTOMER_CORRELATIONS = 200


@dataclass(frozen=True)
class ActivityFilter:
    outcome: str = ""
    actor: str = ""
    recipe: str = ""
    customer: str = ""
    period: str = "week"

    def query(self, *, before_id: int | None, after_id: int | None, limit: int) -> AuditQuery:
        since = None
        span = PERIODS.get(self.period, PERIODS["week"])[1]
        if span is not None:
            since = clock.iso(clock.now() - span)
        actor_type = self.actor or ("recipe" if self.recipe else None)
        outcome = self.outcome if self.outcome and self.outcome not in OUTCOME_GROUPS else None
        return AuditQuery(since=since, outcome=outcome, actor_type=actor_type,
                          actor_id=self.recipe or None, before_id=before_id, after_id=after_id,
                          limit=limit)


@dataclass
class ActivityPage:
    entries: list[AuditEntry]
    newer: int | None = None  # pass as ``after`` to see newer entries
    older: int | None = None  # pass as ``before`` to see older entries
    customer_label: str | None = None
    customer_missing: bool = False


def read_page(store: Store, flt: ActivityFilter, *, before: int | None, after: int | None,
              limit: int = 50, region: str = "US") -> ActivityPage:
    """One page of the log, newest first, paged by key so new entries never shift a page."""
    query = flt.query(before_id=before, after_id=after, limit=limit + 1)
    page = ActivityPage(entries=[])
    if flt.customer:
        profile = _customer(store, flt.customer, region)
        if profile is None:
            page.customer_missing = True
            return page
        page.customer_label = profile.name or profile.email or profile.phone or profile.id
        rows = _for_customer(store, profile.id, query)
    elif flt.outcome in OUTCOME_GROUPS:
        rows = _merge([store.query_audit(replace(query, outcome=o))
                       for o in OUTCOME_GROUPS[flt.outcome][1]], query)
    else:
        rows = store.query_audit(query)
    more = len(rows) > limit
    forward = after is not None and before is None
    if forward:
        rows = rows[-limit:] if more else rows  # the oldest `limit` after the key, newest first
    else:
        rows = rows[:limit]
    page.entries = rows
    if rows:
        page.older = rows[-1].id if (more or forward) else None
        page.newer = rows[0].id if (before is not None or (forward and more)) else None
    return page


def _customer(store: Store, text: str, region: str):
    try:
        return find_customer(store, text, region=region)
    except CustomerNotFound:
        found = search_customers(store, text, limit=1)
        return found[0] if found else None


def _for_customer(store: Store, profile_id: str, query: AuditQuery) -> list[AuditEntry]:
    """Audit entries of every event in the customer's timeline (the runs and sends it caused)."""
    correlations: list[str] = []
    for entry in store.list_timeline(profile_id, limit=CUSTOMER_CORRELATIONS):
        if entry.correlation_id and entry.correlation_id not in correlations:
            correlations.append(entry.correlation_id)
    batches = [store.query_audit(replace(query, correlation_id=c)) for c in correlations]
    batches.append(store.query_audit(replace(query, subject_type="customer", subject_id=profile_id)))
    return _merge(batches, query)


def _merge(batches: list[list[AuditEntry]], query: AuditQuery) -> list[AuditEntry]:
    forward = query.after_id is not None and query.before_id is None
    rows = {e.id: e for batch in batches for e in batch}
    ordered = sorted(rows.values(), key=lambda e: e.id or 0, reverse=True)
    return ordered[-query.limit:] if forward else ordered[:query.limit]


# -- one event and everything it caused --------------------------------------------------------
@dataclass
class DeliveryView:
    delivery: Any
    attempts: list[Any]


@dataclass
class RunView:
    run: Any
    instance_name: str
    deliveries: list[DeliveryView] = field(default_factory=list)


@dataclass
class Story:
    correlation_id: str
    entries: list[AuditEntry]
    event: StoredEvent | None
    runs: list[RunView]

    @property
    def problems(self) -> int:
        return sum(1 for r in self.runs for d in r.deliveries
                   if d.delivery.status in ("dead", "unknown", "refused"))


def read_story(store: Store, correlation_id: str) -> Story | None:
    """The inbound event, the audit trail, each run with its steps and each send's attempts."""
    entries = list(reversed(store.query_audit(AuditQuery(correlation_id=correlation_id,
                                                         limit=500))))
    runs = store.list_runs(correlation_id=correlation_id, limit=50)
    if not entries and not runs:
        return None
    event = None
    for entry in entries:
        if entry.subject_type == "event" and entry.subject_id and entry.subject_id.isdigit():
            event = store.get_event(int(entry.subject_id))
            if event is not None:
                break
    if event is None:
        event_ids = [r.event_id for r in runs if r.event_id]
        event = store.get_event(event_ids[0]) if event_ids else None
    names = {i.id: i.name for i in store.list_instances()}
    views = []
    for run in sorted(runs, key=lambda r: r.id):
        deliveries = [DeliveryView(d, store.list_attempts(d.id))
                      for d in sorted(store.list_deliveries(run_id=run.id, limit=200),
                                      key=lambda d: d.id)]
        views.append(RunView(run, names.get(run.instance_id, run.instance_id), deliveries))
    return Story(correlation_id, entries, event, views)


def get_entry(store: Store, entry_id: int) -> AuditEntry | None:
    rows = store.query_audit(AuditQuery(before_id=entry_id + 1, after_id=entry_id - 1, limit=1))
    return rows[0] if rows and rows[0].id == entry_id else None
