"""Delivery: send due outbox rows through their adapters and record how each ended.

Per pass: lease due rows, then for each (connection, action) group check the gates —
consent (an SMS to someone without SMS consent is refused, never sent, even if consent was
withdrawn after the row was queued), quiet hours (marketing SMS wait for the morning),
pacing (the vendor's rate limit, shared by every process) — and send, one row at a time or
in the vendor's batch size. ``hub/retry.py`` decides what each outcome means for the row;
every attempt is stored and audited; facts a vendor's answer revealed (a Twilio 21610 means
"opted out") are recorded as events for the engine.
"""

from __future__ import annotations

import json
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from functools import lru_cache
from itertools import groupby
from typing import Iterable

from adapters.base import Action, Adapter
from adapters.http import Outcome, paced
from hub import audit, clock, retry
from hub.events import CanonicalEvent
from hub.profiles import missing_consent
from hub.quiet_hours import quiet_hours
from hub.redact import redact_mapping, redact_text
from hub.runtime import Runtime
from hub.store import Attempt, Delivery, DeliveryUpdate, NewEvent

log = logging.getLogger("hub.delivery")

#: Outcome of a gate: None means "go ahead".
Gate = DeliveryUpdate | None


#: Groups (connection, action) sent side by side in one pass, so a slow vendor does not hold
#: up the others.
PARALLEL_GROUPS = 8
#: Stored events whose body is already a canonical event (facts from vendors' answers).
FACT_TOPIC = "hub/canonical"


@lru_cache(maxsize=1)
def _senders() -> ThreadPoolExecutor:
    """One pool per process, kept: its threads keep their SQLite connections and HTTP pools
    from pass to pass (a pool per pass reopened both every half second)."""
    return ThreadPoolExecutor(PARALLEL_GROUPS, thread_name_prefix="deliver")


def deliver_due(rt: Runtime, owner: str, *, limit: int = 100) -> int:
    """One pass: lease up to ``limit`` due rows and try each; returns how many were handled."""
    rows = rt.store.claim_deliveries(owner, limit=limit, lease_seconds=rt.settings.lease_seconds)
    groups = [(key, list(group)) for key, group in groupby(
        sorted(rows, key=lambda r: (r.connection_id, r.action, r.id)),
        key=lambda r: (r.connection_id, r.action))]
    # Stop starting new sends well before the leases run out: a row still being worked on
    # when its lease expires could be taken and sent by another worker.
    deadline = time.monotonic() + rt.settings.lease_seconds / 2
    if len(groups) == 1:
        (connection_id, action_name), group = groups[0]
        _deliver_group(rt, owner, connection_id, action_name, group, deadline)
    elif groups:
        futures = [_senders().submit(_deliver_group, rt, owner, connection_id, action_name, group,
                                     deadline) for (connection_id, action_name), group in groups]
        for future in futures:
            future.result()
    return len(rows)


def _deliver_group(rt: Runtime, owner: str, connection_id: str, action_name: str,
                   rows: list[Delivery], deadline: float) -> None:
    record = rt.connection(connection_id)
    if record is None or not record.enabled:
        reason = "its connection was removed" if record is None else "its connection is disabled"
        for row in rows:
            _finish(rt, owner, row, DeliveryUpdate("dead", summary=f"not sent: {reason}",
                                                   count_attempt=False), None)
        return
    adapter = rt.adapter_for(record)
    declaration = adapter.action(action_name)
    ready = []
    for row in rows:
        gate = _gate(rt, row, declaration)
        if gate is None:
            ready.append(row)
        else:
            _finish(rt, owner, row, gate, None)
    size = max(1, declaration.batch_size)
    for start in range(0, len(ready), size):
        chunk = ready[start:start + size]
        if time.monotonic() > deadline:
            rt.store.release_deliveries([r.id for r in ready[start:]], owner)
            return
        wait = _pace(rt, adapter, action_name)
        if wait > 0:
            # The rest of the group shares this limit: hold all of it back, in one commit.
            with rt.store.atomic():
                for row in ready[start:]:
                    _apply(rt, owner, row, paced(wait), declaration, duration_ms=None)
            return
        began = time.monotonic()
        outcomes = _send(adapter, action_name, chunk)
        duration_ms = int((time.monotonic() - began) * 1000 / max(1, len(chunk)))
        with rt.store.atomic():  # a batch's rows are recorded in one commit, not one each
            updates = [_apply(rt, owner, row, outcome, declaration, duration_ms=duration_ms)
                       for row, outcome in zip(chunk, outcomes, strict=True)]
        if any(o.kind in ("retry", "unknown") and o.status_code is None for o in outcomes):
            # The vendor is unreachable or not answering: the rest of this group would only
            # wait for the same timeout. Hold them back, unattempted, until the retry is due.
            retry_at = next((u.next_attempt_at for u in updates if u.next_attempt_at), None)
            retry_at = retry_at or clock.iso(clock.now() + timedelta(seconds=30))
            for row in ready[start + size:]:
                _finish(rt, owner, row, DeliveryUpdate(
                    "pending", next_attempt_at=retry_at, count_attempt=False,
                    summary=f"held back: {adapter.title} is not answering"), None)
            return


def _send(adapter: Adapter, action_name: str, rows: list[Delivery]) -> list[Outcome]:
    try:
        if len(rows) > 1:
            return adapter.perform_batch(action_name, [(r.idempotency_key, r.inputs) for r in rows])
        row = rows[0]
        return [adapter.perform(action_name, row.inputs, idempotency_key=row.idempotency_key)]
    except Exception as error:  # an adapter bug must not take the worker down
        log.exception("adapter %s.%s raised", adapter.name, action_name)
        return [Outcome("retry", f"internal error in the {adapter.name} adapter: "
                                 f"{type(error).__name__}", result={"sent": False})] * len(rows)


def _gate(rt: Runtime, row: Delivery, declaration: Action) -> Gate:
    """Consent and quiet hours, checked at send time (consent may have changed since)."""
    if declaration.consent:
        profile = rt.store.get_profile(row.profile_id) if row.profile_id else None
        refusal = missing_consent(profile, declaration.consent)
        if refusal:
            return DeliveryUpdate("refused", count_attempt=False, summary=f"not sent: {refusal}")
        if declaration.consent == "sms":
            quiet = quiet_hours(rt.settings.quiet_hours, rt.settings.timezone)
            now = clock.now()
            if quiet.contains(now):
                allowed = quiet.next_allowed(now)
                return DeliveryUpdate("pending", next_attempt_at=clock.iso(allowed),
                                      count_attempt=False,
                                      summary=f"quiet hours: deferred to {clock.iso(allowed)}")
    return None


def _pace(rt: Runtime, adapter: Adapter, action_name: str) -> float:
    """Seconds to hold back so this connection stays under the vendor's documented limits.

    Every limit that applies is checked and booked together, as a sliding window: a slot is
    taken only when all of them allow it, and no interval of a limit's length ever holds
    more than its count, wherever the vendor's own windows begin.
    """
    hub_seconds_per_real_second = 1.0 / clock.real_seconds(1.0)  # >1 in a sped-up demo
    windows = [(f"{adapter.connection_id}|{limit.scope}|{limit.per_seconds:g}", limit.requests,
                limit.per_seconds * hub_seconds_per_real_second)
               for limit in adapter.rate_limits if limit.applies_to(action_name)]
    return rt.store.take_pacing_slot(windows) if windows else 0.0


def _apply(rt: Runtime, owner: str, row: Delivery, outcome: Outcome, declaration: Action,
           *, duration_ms: int | None) -> DeliveryUpdate:
    now = clock.now()
    decision = retry.decide(
        outcome, attempt_number=row.attempts + 1, first_queued=clock.parse_iso(row.created_at),
        now=now, idempotent=declaration.idempotent,
        max_attempts=rt.settings.delivery_max_attempts,
        max_age=timedelta(hours=rt.settings.delivery_max_age_hours),
    )
    update = DeliveryUpdate(
        decision.status,
        next_attempt_at=clock.iso(decision.next_attempt_at) if decision.next_attempt_at else None,
        count_attempt=decision.count_attempt, summary=redact_text(decision.reason, phones=False),
        status_code=outcome.status_code, external_id=_external_id(outcome),
        result=outcome.result or None,
    )
    attempt = None
    if decision.count_attempt:
        attempt = Attempt(delivery_id=row.id, at=clock.iso(now), kind=outcome.kind,
                          summary=redact_text(outcome.summary, phones=False),
                          status_code=outcome.status_code, duration_ms=duration_ms,
                          request=redact_mapping(outcome.request) or None,
                          response=redact_mapping(outcome.response) or None)
    _finish(rt, owner, row, update, attempt, facts=outcome.facts)
    return update


def _finish(rt: Runtime, owner: str, row: Delivery, update: DeliveryUpdate,
            attempt: Attempt | None, *, facts: Iterable[CanonicalEvent] = ()) -> None:
    with rt.store.atomic():
        if not rt.store.finish_delivery(row.id, owner, update, attempt):
            log.warning("delivery %s: lease lost; another worker owns it now", row.id)
            return
        for index, fact in enumerate(facts):
            rt.store.record_event(_fact_event(row, fact, index))
        if update.status == "delivered" and row.profile_id and (update.result or {}).get("customer_id"):
            _link_vendor_id(rt, row, str(update.result["customer_id"]))
        if update.count_attempt or update.status != "pending":
            rt.store.append_audit([_audit(row, update, attempt)])


def _link_vendor_id(rt: Runtime, row: Delivery, vendor_id: str) -> None:
    """Remember the vendor's id of this customer (a HubSpot contact id) on their profile."""
    from hub.profiles import add_identities

    profile = rt.store.get_profile(row.profile_id)
    identity = (row.adapter, vendor_id)
    if profile is not None and vendor_id not in profile.external_ids.get(row.adapter, []):
        add_identities(profile, [identity])
        rt.store.save_profile(profile, [identity])


def _audit(row: Delivery, update: DeliveryUpdate, attempt: Attempt | None):
    outcome = {"pending": "retrying" if attempt else "deferred"}.get(update.status, update.status)
    number = row.attempts + 1 if attempt else row.attempts
    return audit.entry(
        "delivery", "delivery", f"{row.adapter}.{row.action}", outcome, subject_id=str(row.id),
        actor_id=row.connection_id, correlation_id=row.correlation_id,
        detail=(f"attempt {number}: " if attempt else "") + (update.summary or ""),
        data={"run_id": row.run_id, "instance": row.instance_id, "profile": row.profile_id,
              "status_code": update.status_code, "next_attempt_at": update.next_attempt_at},
    )


def _external_id(outcome: Outcome) -> str | None:
    for key in ("external_id", "sid", "id"):
        value = outcome.result.get(key) if outcome.result else None
        if value:
            return str(value)
    return None


def _fact_event(row: Delivery, fact: CanonicalEvent, index: int) -> NewEvent:
    body = json.dumps(fact.to_dict(), sort_keys=True).encode()
    return NewEvent(
        connection_id=row.connection_id, adapter=row.adapter, topic=FACT_TOPIC,
        delivery_id=f"fact:{row.id}:{row.attempts + 1}:{index}", source="delivery", body=body,
        correlation_id=row.correlation_id or audit.new_correlation_id(),
        received_at=clock.now_iso(), occurred_at=fact.occurred_at,
    )



# -- what people do ------------------------------------------------------------------------
def replay(rt: Runtime, delivery_id: int, *, actor: str = "cli") -> bool:
    """Re-queue a dead, unknown or refused row (it is sent again, attempts counted afresh)."""
    row = rt.store.get_delivery(delivery_id)
    if row is None:
        raise KeyError(f"no delivery {delivery_id}")
    with rt.store.atomic():
        done = rt.store.requeue_delivery(delivery_id)
        rt.store.append_audit([audit.entry(
            "user", "delivery", "replay", "ok" if done else "rejected", actor_id=actor,
            subject_id=str(delivery_id), correlation_id=row.correlation_id,
            detail=(f"re-queued {row.adapter}.{row.action} (was {row.status})" if done else
                    f"not re-queued: it is {row.status}, only dead, unknown or refused rows are"),
        )])
    return done


def replay_all_dead(rt: Runtime, *, actor: str = "cli", limit: int = 10_000) -> int:
    return sum(replay(rt, row.id, actor=actor)
               for row in rt.store.list_deliveries(status="dead", limit=limit))
