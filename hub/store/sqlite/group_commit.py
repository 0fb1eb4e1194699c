"""Group commit: concurrent writers in one process share one transaction and one fsync.

Under load, webhooks arrive on many threads at once. Committing each alone costs one lock
round and one fsync apiece (``synchronous=FULL``), and the writers of different processes
queue on SQLite's lock. Here the first caller becomes the *leader*: it takes everything queued
so far, writes it in one ``BEGIN IMMEDIATE … COMMIT``, and hands each caller its own result;
callers arriving meanwhile wait for the next round. Each caller still returns only after its
row is committed, so "acknowledged means stored" holds, with full durability.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from typing import Any, Callable, Generic, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")


@dataclass
class _Slot(Generic[Item]):
    item: Item
    done: threading.Event = field(default_factory=threading.Event)
    result: Any = None
    error: BaseException | None = None


class GroupCommitter(Generic[Item, Result]):
    """Batches ``write_batch(items) -> results`` calls made concurrently from many threads.

    ``write_batch`` runs inside the leader's thread and must be atomic (one transaction);
    if it raises, each item of that batch is retried alone with ``write_one`` so that one bad
    item cannot fail the others.
    """

    def __init__(self, write_batch: Callable[[list[Item]], list[Result]],
                 write_one: Callable[[Item], Result], max_batch: int = 256) -> None:
        self._write_batch = write_batch
        self._write_one = write_one
        self._max_batch = max_batch
        self._reset()

    def _reset(self) -> None:
        self._pid = os.getpid()
        self._lock = threading.Lock()
        self._queue: list[_Slot[Item]] = []
        self._leading = False

    def submit(self, item: Item) -> Result:
        if self._pid != os.getpid():  # forked: the parent's lock and queue are not ours
            self._reset()
        slot = _Slot(item)
        with self._lock:
            self._queue.append(slot)
            lead = not self._leading
            if lead:
                self._leading = True
        if lead:
            self._lead()
        slot.done.wait()
        if slot.error is not None:
            raise slot.error
        return slot.result

    def _lead(self) -> None:
        while True:
            with self._lock:
                batch, self._queue = self._queue[: self._max_batch], self._queue[self._max_batch:]
                if not batch:
                    self._leading = False
                    return
            self._commit(batch)

    def _commit(self, batch: list[_Slot[Item]]) -> None:
        try:
            results = self._write_batch([slot.item for slot in batch])
        except BaseException:
            if len(batch) == 1:
                results = None
            else:
                for slot in batch:
                    self._commit_alone(slot)
                return
        if results is None:
            self._commit_alone(batch[0])
            return
        for slot, result in zip(batch, results, strict=True):
            slot.result = result
            slot.done.set()

    def _commit_alone(self, slot: _Slot[Item]) -> None:
        try:
            slot.result = self._write_one(slot.item)
        except BaseException as error:  # handed to the waiting caller, who raises it
            slot.error = error
        slot.done.set()
