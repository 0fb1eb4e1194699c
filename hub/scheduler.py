"""Periodic jobs (retention, polls, schedule triggers), run by exactly one process at a time.

Every worker process starts a scheduler, but a job body runs only while its process holds
the ``scheduler`` lease in the store; the lease is renewed well inside its lifetime, so if
the leader dies another process takes over within one lease period. Each job also takes its
own lease while it runs, so a slow poll never overlaps the next tick of itself.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Callable

from apscheduler.schedulers.background import BackgroundScheduler

from hub.store import Store, StoreUnavailable

log = logging.getLogger("hub.scheduler")
LEADER_LEASE = "scheduler"


@dataclass(frozen=True)
class Job:
    """A periodic job: its name (also its lease), how often, and what it does."""

    name: str
    every_seconds: float
    run: Callable[[], object]


class Scheduler:
    def __init__(self, store: Store, owner: str, jobs: list[Job], *, lease_seconds: float = 30.0):
        self.store = store
        self.owner = owner
        self.jobs = jobs
        self.lease_seconds = lease_seconds
        self.is_leader = False
        self._aps = BackgroundScheduler(timezone="UTC", job_defaults={
            "coalesce": True, "max_instances": 1, "misfire_grace_time": None,
        })

    def start(self) -> None:
        self.renew_leadership()
        self._aps.add_job(self.renew_leadership, "interval", seconds=self.lease_seconds / 3,
                          id="leadership")
        for job in self.jobs:
            self._aps.add_job(self.run_job, "interval", args=[job], seconds=job.every_seconds,
                              id=job.name)
        self._aps.start()

    def stop(self) -> None:
        if self._aps.running:
            self._aps.shutdown(wait=True)
        if self.is_leader:
            self.store.release_lease(LEADER_LEASE, self.owner)
            self.is_leader = False

    def renew_leadership(self) -> bool:
        try:
            self.is_leader = self.store.acquire_lease(LEADER_LEASE, self.owner,
                                                      seconds=self.lease_seconds)
        except StoreUnavailable as error:
            log.warning("cannot renew scheduler lease: %s", error)
            self.is_leader = False
        return self.is_leader

    def run_job(self, job: Job) -> bool:
        """Run one tick of ``job`` if this process leads and no other run of it is going on."""
        if not self.is_leader:
            return False
        lease = f"job:{job.name}"
        try:
            if not self.store.acquire_lease(lease, self.owner, seconds=max(60.0, job.every_seconds)):
                return False
            try:
                job.run()
            finally:
                self.store.release_lease(lease, self.owner)
        except StoreUnavailable as error:
            log.warning("job %s skipped: %s", job.name, error)
            return False
        except Exception:
            log.exception("job %s failed", job.name)
            return False
        return True
