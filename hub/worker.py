"""The background worker: everything that happens after a webhook is acknowledged.

One loop per process, any number of processes: each pass runs every task once, and each task
claims its work through leases in the store, so two workers never take the same item and a
crashed worker's items are taken over when its leases expire.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from datetime import timedelta
from typing import Callable

from hub import audit, clock
from hub.runtime import Runtime
from hub.scheduler import Job, Scheduler
from hub.store import StoreUnavailable

log = logging.getLogger("hub.worker")

#: A task does one bounded batch of work and returns how many items it handled.
Task = Callable[[], int]


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def periodic_jobs(rt: Runtime) -> list[Job]:
    """Jobs the scheduler runs (once across all processes)."""
    from hub import triggers

    return [
        Job("recipe-schedules", 30, lambda: triggers.run_schedules(rt)),
        Job("polls", 30, lambda: triggers.run_polls(rt)),
        Job("prune-audit", 3600, lambda: audit.prune(rt.store, rt.settings.audit_retention_days)),
        Job("prune-events", 3600, lambda: rt.store.prune_events(
            clock.iso(clock.now() - timedelta(days=rt.settings.event_retention_days)))),
    ]


def background_tasks(rt: Runtime, owner: str) -> list[Task]:
    """Tasks each worker pass runs, in order: process events, fire due waits, deliver."""
    from hub import delivery, processing

    def process_events() -> int:
        return processing.process_events(rt, owner)

    def resume_waits() -> int:
        return processing.resume_waits(rt, owner)

    def deliver() -> int:
        return delivery.deliver_due(rt, owner)

    return [process_events, resume_waits, deliver]


class Worker:
    def __init__(self, rt: Runtime, *, owner: str | None = None,
                 tasks: list[Task] | None = None, jobs: list[Job] | None = None) -> None:
        self.rt = rt
        self.owner = owner or worker_id()
        self.tasks = background_tasks(rt, self.owner) if tasks is None else tasks
        self.scheduler = Scheduler(rt.store, self.owner,
                                   periodic_jobs(rt) if jobs is None else jobs,
                                   lease_seconds=rt.settings.lease_seconds / 2)

    def run_once(self) -> int:
        """One pass over every task; returns the number of items handled."""
        handled = 0
        for task in self.tasks:
            try:
                handled += task()
            except StoreUnavailable as error:
                log.warning("store unavailable, backing off: %s", error)
            except Exception:
                log.exception("task %s failed; the worker carries on", getattr(task, "__name__", task))
        return handled

    def run(self, stop: threading.Event) -> None:
        """Loop until ``stop`` is set; sleep only when a pass found nothing to do."""
        self.scheduler.start()
        log.info("worker %s started", self.owner)
        try:
            while not stop.is_set():
                if self.run_once() == 0:
                    stop.wait(self.rt.settings.worker_poll_seconds)
        finally:
            self.scheduler.stop()
            log.info("worker %s stopped", self.owner)
