"""Processing: turn stored events into profile updates, recipe runs, waits and outbox rows.

For each leased event, all in one savepoint: the adapter maps the stored payload to canonical
events (with its durable memory, e.g. last prices seen), each event updates the customer
profile, cancels the waits it completes, and starts every enabled recipe instance whose
trigger matches; the runs' actions become outbox rows and the event is marked done. Events
are committed in batches of a few milliseconds. If anything fails, that event's savepoint
rolls back and the event goes back to the queue; if the lease was lost meanwhile, nothing of
this attempt is kept. Runs are unique per (instance,
trigger), outbox rows per idempotency key: processing an event twice changes nothing.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from typing import Any

from hub import audit, clock
from hub.customers import ProfileUpdate, update_profiles
from hub.delivery import FACT_TOPIC
from hub.engine import runner
from hub.events import CanonicalEvent, EventInvalid, validate_event
from hub.profiles import Profile, missing_consent
from hub.quiet_hours import quiet_hours
from hub.runtime import Runtime
from hub.store import Instance, NewDelivery, Run, StoredEvent, StoreUnavailable, Wait

log = logging.getLogger("hub.processing")

#: An event whose processing raised this many times is set aside as failed (and audited).
MAX_EVENT_ATTEMPTS = 5
#: Events processed in one write transaction, each in its own savepoint, for at most this
#: long: one commit (one fsync) per batch instead of one per event, while the write lock is
#: never held long enough to keep webhooks (acknowledged only after their commit) waiting.
BATCH_SECONDS = 0.002
#: Pause between batches. SQLite's write lock is not fair: a worker that begins its next
#: transaction at once keeps waiting webhooks from it (bench.ingest at c=64, worker busy:
#: p99 600 ms without a pause).
YIELD_SECONDS = 0.001


class LeaseLost(Exception):
    """Another worker took the item over; this attempt's work is rolled back."""


class StoreMemory:
    """An adapter's durable memory, scoped to its connection, written in the event's transaction."""

    def __init__(self, rt: Runtime, connection_id: str) -> None:
        self._store = rt.store
        self._scope = f"memory:{connection_id}"

    def get(self, key: str) -> Any | None:
        return self._store.get_state(self._scope, key)

    def put(self, key: str, value: Any) -> None:
        self._store.put_state(self._scope, key, value)


# -- events ----------------------------------------------------------------------------------
def process_events(rt: Runtime, owner: str, *, limit: int = 50) -> int:
    """Lease up to ``limit`` events and process them, in short batches of transactions."""
    events = rt.store.claim_events(owner, limit=limit, lease_seconds=rt.settings.lease_seconds)
    pending = iter(events)
    remaining = len(events)
    while remaining:
        failed: list[tuple[StoredEvent, Exception]] = []
        deadline = time.monotonic() + BATCH_SECONDS
        with rt.store.atomic():
            for stored in pending:
                remaining -= 1
                try:
                    with rt.store.savepoint():
                        status = process_event(rt, stored)
                        if not rt.store.finish_event(stored.id, owner, status=status):
                            raise LeaseLost(f"event {stored.id}")
                except LeaseLost:
                    log.warning("event %s: lease lost, another worker took it over", stored.id)
                except StoreUnavailable:
                    raise
                except Exception as error:
                    log.exception("event %s could not be processed", stored.id)
                    failed.append((stored, error))
                if time.monotonic() > deadline:
                    break
        for stored, error in failed:
            _set_aside_or_retry(rt, owner, stored, error)
        time.sleep(YIELD_SECONDS)
    return len(events)


def _set_aside_or_retry(rt: Runtime, owner: str, stored: StoredEvent, error: Exception) -> None:
    reason = f"{type(error).__name__}: {error}"
    final = stored.attempts >= MAX_EVENT_ATTEMPTS
    with rt.store.atomic():
        if final:
            rt.store.finish_event(stored.id, owner, status="failed", error=reason)
        else:
            rt.store.release_event(stored.id, owner, error=reason)
        rt.store.append_audit([audit.entry(
            "system", "event", "process", "error", subject_id=str(stored.id),
            correlation_id=stored.correlation_id,
            detail=(f"set aside after {stored.attempts} attempts: " if final else
                    f"attempt {stored.attempts} failed, will retry: ") + reason)])


def canonical_events(rt: Runtime, stored: StoredEvent) -> list[CanonicalEvent]:
    """The canonical events a stored payload stands for (via its adapter and memory)."""
    return canonical_events_with(rt, stored, StoreMemory(rt, stored.connection_id))


def canonical_events_with(rt: Runtime, stored: StoredEvent, memory: Any) -> list[CanonicalEvent]:
    if stored.topic == FACT_TOPIC:
        return [CanonicalEvent.from_dict(json.loads(stored.body))]
    from adapters import get_adapter_class

    record = rt.connection(stored.connection_id)
    payload = json.loads(stored.body)
    if record is not None:
        adapter = rt.adapter_for(record)
    else:  # connection removed since: the adapter still knows how to read its payloads
        adapter = get_adapter_class(stored.adapter)({}, connection_id=stored.connection_id)
    return adapter.to_events(stored.topic, payload, memory)


def process_event(rt: Runtime, stored: StoredEvent) -> str:
    """Everything one stored event causes; call inside a transaction. Returns its status.

    Two phases: first every canonical event of the payload updates the profiles (a Shopify
    customer payload is a customer *and* their consent), then recipes run and see the
    profile as the whole payload left it.
    """
    events = canonical_events(rt, stored)
    if not events:
        rt.store.append_audit([audit.entry(
            "system", "event", "process", "ignored", subject_id=str(stored.id),
            correlation_id=stored.correlation_id,
            detail=f"{stored.adapter} {stored.topic}: nothing the hub acts on")])
        return "ignored"
    updates = [(index, event, update_for(rt, event, stored)) for index, event in enumerate(events)]
    for index, event, update in updates:
        if update is not None:
            start_runs(rt, event, update, stored=stored, index=index)
    return "done"


def update_for(rt: Runtime, event: CanonicalEvent, stored: StoredEvent) -> ProfileUpdate | None:
    """Validate the event and fold it into the profiles; None if it is invalid (audited)."""
    try:
        validate_event(event)
    except EventInvalid as error:
        rt.store.append_audit([audit.entry(
            "system", "event", "map", "error", subject_id=str(stored.id),
            correlation_id=stored.correlation_id,
            detail=f"the {stored.adapter} adapter produced an invalid event: {error}")])
        return None
    update = update_profiles(rt.store, event, region=rt.settings.phone_region,
                             event_id=stored.id, correlation_id=stored.correlation_id)
    _cancel_waits(rt, event, update, stored)
    _note_message_status(rt, event)
    return update


def start_runs(rt: Runtime, event: CanonicalEvent, update: ProfileUpdate, *,
               stored: StoredEvent, index: int = 0) -> None:
    """Start every enabled instance whose trigger matches ``event``."""
    trigger_base = f"event:{stored.id}:{index}"
    trigger = {"event_id": stored.id, "delivery_id": stored.delivery_id,
               "connection": stored.connection_id, "source": stored.source}
    profile = rt.store.get_profile(update.profile.id) if update.profile else None
    for instance in rt.store.list_instances(enabled=True):
        recipe = instance.recipe
        if not runner.trigger_matches(recipe, event.name, source=stored.source,
                                      adapter=stored.adapter):
            continue
        if recipe["trigger"].get("for_each") == "wishlister":
            for wisher in update.wishlisters:
                start_run(rt, instance, event, wisher, f"{trigger_base}:{wisher.id}",
                          stored=stored, item=wishlisted(wisher, event), trigger=trigger)
        else:
            start_run(rt, instance, event, profile, trigger_base, stored=stored, trigger=trigger)


def wishlisted(profile: Profile, event: CanonicalEvent) -> list[dict[str, Any]]:
    """The wishlist items of ``profile`` whose price this event changed."""
    changed = {str(v.get("variant_id")) for v in event.data.get("variants", [])}
    return [item for item in profile.wishlist if str(item.get("variant_id")) in changed]


def event_keys(event: CanonicalEvent | dict[str, Any]) -> list[str]:
    """The objects an event is about: its own key and the checkout/cart it completes."""
    data = event.data if isinstance(event, CanonicalEvent) else event.get("data") or {}
    key = event.key if isinstance(event, CanonicalEvent) else event.get("key")
    keys = [key, data.get("checkout_token"), data.get("cart_token")]
    return list(dict.fromkeys(str(k) for k in keys if k))


def _cancel_waits(rt: Runtime, event: CanonicalEvent, update: ProfileUpdate,
                  stored: StoredEvent) -> None:
    keys = event_keys(event)
    for key in keys:
        rt.store.mark_seen(event.name, key)
    profiles = [update.profile.id] if update.profile else []
    profiles += list(update.merged)
    cancelled = []
    for index, key in enumerate(keys or [None]):
        cancelled += rt.store.cancel_waits(event.name, key=key,
                                           profile_ids=profiles if index == 0 else (),
                                           ended_by=f"event {stored.id} ({event.name})")
    for wait in cancelled:
        _end_cancelled_run(rt, wait, f"cancelled: {event.name} arrived first",
                           stored.correlation_id)


def _end_cancelled_run(rt: Runtime, wait: Wait, reason: str, correlation_id: str | None) -> None:
    run = rt.store.get_run(wait.run_id)
    if run is None:
        return
    steps = run.steps + [{"step": "wait", "kind": "wait", "status": "cancelled", "reason": reason}]
    rt.store.update_run(run.id, status="cancelled", steps=steps, error=None)
    rt.store.append_audit([audit.entry(
        "recipe", "run", "wait", "cancelled", actor_id=run.instance_id, subject_id=str(run.id),
        correlation_id=run.correlation_id, detail=reason,
        data={"cancelled_by": correlation_id})])


def _note_message_status(rt: Runtime, event: CanonicalEvent) -> None:
    if event.name != "message.status_updated":
        return
    sid = event.data.get("message_sid")
    delivery = rt.store.find_delivery_by_external_id(str(sid)) if sid else None
    if delivery is not None:
        rt.store.set_vendor_status(delivery.id, str(event.data.get("status")))


# -- runs ------------------------------------------------------------------------------------
def context_for(rt: Runtime, instance: Instance, event: dict[str, Any],
                profile: Profile | None, item: Any = None,
                trigger: dict[str, Any] | None = None) -> dict[str, Any]:
    """What expressions see: ``event``, ``profile``, ``params``, ``item`` (for_each), ``trigger``
    (the stored event's ids), ``now``, ``today`` (the shop's date), ``shop``."""
    now = clock.now()
    quiet = quiet_hours(rt.settings.quiet_hours, rt.settings.timezone)
    return {
        "event": event, "profile": profile.to_dict() if profile else None,
        "params": instance.params, "item": item, "trigger": trigger or {}, "now": clock.iso(now),
        "today": quiet.local_date(now), "shop": {"timezone": rt.settings.timezone},
    }


def start_run(rt: Runtime, instance: Instance, event: CanonicalEvent, profile: Profile | None,
              trigger_key: str, *, stored: StoredEvent | None, item: Any = None,
              trigger: dict[str, Any] | None = None) -> Run | None:
    event_dict = event.to_dict()
    run = rt.store.create_run(
        instance, trigger_key, event_id=stored.id if stored else None,
        profile_id=profile.id if profile else None,
        correlation_id=stored.correlation_id if stored else audit.new_correlation_id(),
        context={"event": event_dict, "item": item, "trigger": trigger or {}},
    )
    if run is None:
        return None  # this instance handled this trigger before: a replay changes nothing
    result = runner.run(instance.recipe,
                        context_for(rt, instance, event_dict, profile, item, trigger))
    apply_result(rt, instance, run, result, event, profile)
    return run


def apply_result(rt: Runtime, instance: Instance, run: Run, result: runner.RunResult,
                 event: CanonicalEvent | dict[str, Any], profile: Profile | None) -> None:
    """Store what a run (or a resumed run) decided: outbox rows, a wait, its status."""
    keys = event_keys(event)
    event_key = keys[0] if keys else None
    occurred_at = event.occurred_at if isinstance(event, CanonicalEvent) else event.get("occurred_at")
    for planned in result.actions:
        _queue(rt, instance, run, planned, profile)
    if result.wait is not None:
        _store_wait(rt, instance, run, result, event_key, profile, occurred_at)
    rt.store.update_run(run.id, status=result.status, steps=result.steps, error=result.error)
    outcome = {"failed": "error"}.get(result.status, result.status)
    detail = result.error or _summary(instance, result)
    rt.store.append_audit([audit.entry(
        "recipe", "run", instance.recipe_id, outcome, actor_id=instance.id,
        subject_id=str(run.id), correlation_id=run.correlation_id, detail=detail,
        data={"profile": profile.id if profile else None, "trigger": run.trigger_key})])


def _summary(instance: Instance, result: runner.RunResult) -> str:
    parts = [f"{instance.recipe['title']}: {result.status}"]
    if result.actions:
        parts.append("queued " + ", ".join(f"{a.adapter}.{a.action}" for a in result.actions))
    if result.wait is not None:
        parts.append(f"waiting until {clock.iso(result.wait.due_at)}")
    return "; ".join(parts)


def idempotency_key(instance_id: str, trigger_key: str, step_id: str,
                    once_per: str | None = None) -> str:
    """Stable per (instance, trigger, step); or per (instance, step, once_per) when a recipe
    limits a step to once per something (a customer and a day)."""
    basis = f"{instance_id}|once|{step_id}|{once_per}" if once_per else \
        f"{instance_id}|{trigger_key}|{step_id}"
    return hashlib.sha256(basis.encode()).hexdigest()[:32]


def _queue(rt: Runtime, instance: Instance, run: Run, planned: runner.PlannedAction,
           profile: Profile | None) -> None:
    from adapters import get_adapter_class

    connection_id = instance.connections.get(planned.adapter)
    declaration = get_adapter_class(planned.adapter).action(planned.action)
    status, summary = "pending", None
    if connection_id is None or rt.connection(connection_id) is None:
        status, summary = "dead", f"not sent: no {planned.adapter} connection (connect it and replay)"
        connection_id = connection_id or f"{planned.adapter}-missing"
    elif refusal := missing_consent(profile, declaration.consent):
        status, summary = "refused", f"not sent: {refusal}"
    key = idempotency_key(instance.id, run.trigger_key, planned.step_id, planned.once_per)
    delivery_id = rt.store.enqueue_delivery(NewDelivery(
        idempotency_key=key, connection_id=connection_id, adapter=planned.adapter,
        action=planned.action, inputs=planned.inputs, run_id=run.id, instance_id=instance.id,
        step_id=planned.step_id, profile_id=profile.id if profile else None,
        correlation_id=run.correlation_id, status=status, summary=summary,
    ))
    if delivery_id is None:
        outcome, detail = "duplicate", (f"{planned.adapter}.{planned.action} already queued "
                                        f"(once per {planned.once_per})" if planned.once_per else
                                        f"{planned.adapter}.{planned.action} already queued")
    else:
        outcome = {"pending": "queued"}.get(status, status)
        detail = summary or f"queued {planned.adapter}.{planned.action}"
    rt.store.append_audit([audit.entry(
        "recipe", "delivery", f"{planned.adapter}.{planned.action}", outcome,
        actor_id=instance.id, subject_id=str(delivery_id) if delivery_id else None,
        correlation_id=run.correlation_id, detail=detail,
        data={"run_id": run.id, "profile": profile.id if profile else None})])


def _store_wait(rt: Runtime, instance: Instance, run: Run, result: runner.RunResult,
                event_key: str | None, profile: Profile | None, since: str | None) -> None:
    wait = result.wait
    assert wait is not None
    same = wait.cancel_same
    cancel_key = event_key if (wait.cancel_event and same == "key") else None
    if cancel_key:
        for older in rt.store.supersede_waits(instance.id, cancel_key,
                                              ended_by=f"superseded by run {run.id}"):
            _end_cancelled_run(rt, older, f"superseded: a newer {cancel_key[:12]}… event "
                                          f"restarted the wait (run {run.id})", run.correlation_id)
    rt.store.create_wait(run.id, instance.id, resume_at=wait.resume_at,
                         due_at=clock.iso(wait.due_at), cancel_event=wait.cancel_event,
                         cancel_key=cancel_key, profile_id=profile.id if profile else None)
    # The cancelling event may already have been processed (vendors deliver out of order).
    if wait.cancel_event and _already_seen(rt, wait, cancel_key, profile, since):
        rt.store.cancel_waits(wait.cancel_event, key=cancel_key,
                              profile_ids=[profile.id] if profile and not cancel_key else (),
                              ended_by="already seen")
        result.status = "cancelled"
        result.steps.append({"step": wait.step_id, "kind": "wait", "status": "cancelled",
                             "reason": f"{wait.cancel_event} had already arrived"})


def _already_seen(rt: Runtime, wait: runner.PlannedWait, cancel_key: str | None,
                  profile: Profile | None, since: str | None) -> bool:
    assert wait.cancel_event
    if cancel_key:
        return rt.store.was_seen(wait.cancel_event, cancel_key)
    if wait.cancel_same == "profile" and profile is not None and since:
        return any(entry.event_name == wait.cancel_event and entry.at >= since
                   for entry in rt.store.list_timeline(profile.id, limit=50))
    return False


# -- waits -----------------------------------------------------------------------------------
def resume_waits(rt: Runtime, owner: str, *, limit: int = 50) -> int:
    """Fire due waits: each resumes its run once (leased, finished in the same transaction)."""
    waits = rt.store.claim_due_waits(owner, limit=limit, lease_seconds=rt.settings.lease_seconds)
    for wait in waits:
        try:
            with rt.store.atomic():
                _resume(rt, owner, wait)
        except LeaseLost:
            log.warning("wait %s: lease lost or cancelled meanwhile", wait.id)
        except StoreUnavailable:
            raise
        except Exception:
            log.exception("wait %s could not be resumed; it will be tried again", wait.id)
    return len(waits)


def _resume(rt: Runtime, owner: str, wait: Wait) -> None:
    run = rt.store.get_run(wait.run_id)
    instance = rt.store.get_instance(wait.instance_id)
    if run is None or instance is None or not instance.enabled:
        if not rt.store.finish_wait(wait.id, owner, status="cancelled",
                                    ended_by="recipe disabled or deleted"):
            raise LeaseLost(str(wait.id))
        if run is not None:
            _end_cancelled_run(rt, wait, "cancelled: the recipe was disabled", run.correlation_id)
        return
    if not rt.store.finish_wait(wait.id, owner, status="fired", ended_by="due"):
        raise LeaseLost(str(wait.id))
    profile = rt.store.get_profile(run.profile_id) if run.profile_id else None
    event = run.context.get("event") or {}
    context = context_for(rt, instance, event, profile, run.context.get("item"),
                          run.context.get("trigger"))
    steps = [dict(s, status="done") if s.get("kind") == "wait" and s.get("status") == "waiting"
             else s for s in run.steps]
    result = runner.run(instance.recipe, context, start=wait.resume_at, previous=steps)
    apply_result(rt, instance, run, result, event, profile)
