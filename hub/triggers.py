"""Triggers that are not webhooks: schedules and polls of enabled recipes.

Both run as scheduler jobs (one process at a time, see ``hub/scheduler.py``). A schedule
tick becomes a run keyed by its fire time, so a tick handled twice (a leader change at the
wrong moment) still runs once. Polls store what they find as events; recipes then react to
those events like to webhooks.
"""

from __future__ import annotations

import logging
from datetime import datetime

from hub import clock
from hub.engine.recipes import next_tick
from hub.events import CanonicalEvent
from hub.processing import start_run
from hub.runtime import Runtime

log = logging.getLogger("hub.triggers")


def run_schedules(rt: Runtime) -> int:
    """Start a run for every scheduled instance whose next tick has come; returns how many."""
    started = 0
    now = clock.now()
    for instance in rt.store.list_instances(enabled=True):
        spec = instance.recipe["trigger"].get("schedule")
        if not spec:
            continue
        last_text = rt.store.get_state("schedule", instance.id) or instance.created_at
        due = next_tick(spec, clock.parse_iso(last_text))
        if due is None or due > now:
            continue
        # After downtime, run once for the latest missed tick, not once for each.
        for _ in range(100_000):
            following = next_tick(spec, due)
            if following is None or following > now:
                break
            due = following
        tick = clock.iso(due)
        event = CanonicalEvent(name="schedule.tick", occurred_at=tick, data={"schedule": spec},
                               key=f"{instance.id}:{tick}", source="schedule")
        with rt.store.atomic():
            if start_run(rt, instance, event, None, f"schedule:{tick}", stored=None):
                started += 1
            rt.store.put_state("schedule", instance.id, tick)
    return started


def due_polls(rt: Runtime, now: datetime | None = None) -> list[tuple[str, str]]:
    """(connection id, poll name) pairs some enabled recipe wants and whose interval passed."""
    from adapters import get_adapter_class

    now = now or clock.now()
    wanted: dict[tuple[str, str], int] = {}
    for instance in rt.store.list_instances(enabled=True):
        poll = instance.recipe["trigger"].get("poll")
        if not poll:
            continue
        adapter_name, _, poll_name = poll.partition(".")
        connection_id = instance.connections.get(adapter_name)
        declared = {p.name: p for p in get_adapter_class(adapter_name).polls}
        if connection_id and poll_name in declared:
            wanted[(connection_id, poll_name)] = declared[poll_name].every_seconds
    due = []
    for (connection_id, poll_name), every in wanted.items():
        last = rt.store.get_state("poll-ran", f"{connection_id}:{poll_name}")
        if last is None or (now - clock.parse_iso(last)).total_seconds() >= every:
            due.append((connection_id, poll_name))
    return due


def run_polls(rt: Runtime) -> int:
    from hub.polling import run_poll

    ran = 0
    for connection_id, poll_name in due_polls(rt):
        rt.store.put_state("poll-ran", f"{connection_id}:{poll_name}", clock.now_iso())
        try:
            run_poll(rt, connection_id, poll_name)
            ran += 1
        except Exception:
            log.exception("poll %s of %s failed; the next run resumes from its cursor",
                          poll_name, connection_id)
    return ran
