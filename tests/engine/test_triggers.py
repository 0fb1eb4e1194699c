"""Triggers that are not webhooks: schedules (once per tick) and polls (run when a recipe
wants them, their events starting the recipe)."""

from __future__ import annotations

from datetime import datetime

import yaml

from hub import clock, triggers
from hub.demo.setup import connect
from hub.engine import instances
from hub.engine.catalog import load_catalog
from hub.simulators import Simulators, SimulatorServer
from tests.support.engine import klaviyo, work

DIGEST = {
    "id": "hourly-digest", "title": "Hourly digest",
    "description": "Tell Klaviyo every hour, so a digest flow can run.",
    "trigger": {"schedule": "every 1 hour"},
    "steps": [{"id": "tell", "action": "klaviyo.track_event", "with": {
        "metric": "Digest", "email": "owner@northwind.example",
        "unique_id": "digest-{{ event.occurred_at }}"}}],
}
POLLED = {
    "id": "polled-checkouts", "title": "Checkouts found by polling",
    "description": "Tell Klaviyo about each abandoned checkout the poll finds.",
    "trigger": {"poll": "shopify.abandoned_checkouts"},
    "steps": [{"id": "tell", "action": "klaviyo.track_event", "with": {
        "metric": "Checkout Found", "email": "{{ event.customer.email }}",
        "unique_id": "found-{{ event.data.checkout_token }}"}}],
}


def install(rt, tmp_path, recipe):
    folder = tmp_path / "recipes"
    folder.mkdir(exist_ok=True)
    (folder / f"{recipe['id']}.yaml").write_text(yaml.safe_dump(recipe))
    return instances.enable(rt.store, recipe["id"], catalog=load_catalog(folder))


def test_a_schedule_runs_once_per_tick(rt, tmp_path, frozen_clock):
    klaviyo(rt)
    instance = install(rt, tmp_path, DIGEST)
    frozen_clock.move(minutes=30)
    assert triggers.run_schedules(rt) == 0
    frozen_clock.move(minutes=31)
    assert triggers.run_schedules(rt) == 1
    assert triggers.run_schedules(rt) == 0  # the same tick again: nothing
    frozen_clock.move(hours=1)
    assert triggers.run_schedules(rt) == 1
    runs = rt.store.list_runs(instance_id=instance.id)
    assert len(runs) == 2 and len({r.trigger_key for r in runs}) == 2
    assert len(rt.store.list_deliveries()) == 2
    frozen_clock.move(hours=10)  # the hub was down: one catch-up run, not ten
    assert triggers.run_schedules(rt) == 1
    assert triggers.run_schedules(rt) == 0


def test_a_wanted_poll_runs_and_its_events_start_the_recipe(rt, tmp_path):
    sims = Simulators(seed=2)
    with clock.frozen(datetime(2026, 11, 20, 17, 0, tzinfo=clock.UTC)) as frozen, \
            SimulatorServer(sims) as server:
        connect(rt, server.base_url, sims.config)
        assert triggers.due_polls(rt) == []  # no recipe wants a poll yet
        install(rt, tmp_path, POLLED)
        assert triggers.due_polls(rt) == [("shopify-demo", "abandoned_checkouts")]
        assert triggers.run_polls(rt) == 1
        assert triggers.due_polls(rt) == []  # not again before its interval
        work(rt)
        found = sims.klaviyo.events_named("Checkout Found")
        assert len(found) == 2  # the simulator's two open checkouts, over two pages
        frozen.move(minutes=16)
        assert triggers.run_polls(rt) == 1
        work(rt)
        assert len(sims.klaviyo.events_named("Checkout Found")) == 2  # nothing new, nothing twice
    sims.close()


def test_only_the_leading_process_runs_trigger_jobs_and_never_two_at_once(rt, frozen_clock):
    from hub.scheduler import Job, Scheduler
    from hub.worker import periodic_jobs

    assert {"recipe-schedules", "polls"} <= {job.name for job in periodic_jobs(rt)}
    ran: list[str] = []
    first, second = (Scheduler(rt.store, owner, [], lease_seconds=30) for owner in ("a", "b"))
    assert first.renew_leadership() and not second.renew_leadership()
    assert not second.run_job(Job("polls", 30, lambda: ran.append("b")))  # not the leader

    def slow_poll() -> None:
        ran.append("a")
        # Meanwhile the leader's lease runs out and the other process takes over: it must
        # not start the same job while this run still holds the job's own lease.
        frozen_clock.move(seconds=31)
        assert second.renew_leadership()
        assert not second.run_job(Job("polls", 30, lambda: ran.append("b")))

    assert first.run_job(Job("polls", 30, slow_poll))
    assert second.run_job(Job("polls", 30, lambda: ran.append("b")))  # once the first ended
    assert ran == ["a", "b"]
