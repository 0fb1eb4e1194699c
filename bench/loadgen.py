"""A small closed-loop HTTP load generator (stdlib only): C keep-alive connections spread over
a few processes, each sending requests back to back until a count or a deadline is reached.

``make_request(n) -> (path, headers, body)`` builds request number ``n`` (unique per
request: e.g. a fresh vendor event id), so the server never sees a duplicate.
"""

from __future__ import annotations

import http.client
import multiprocessing
import statistics
import time
from dataclasses import dataclass
from typing import Callable

RequestFactory = Callable[[int], tuple[str, dict[str, str], bytes]]


@dataclass(frozen=True)
class LoadResult:
    concurrency: int
    sent: int
    ok: int
    errors: int
    seconds: float
    latencies_ms: list[float]

    @property
    def rate(self) -> float:
        return self.ok / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        if not self.latencies_ms:
            return float("nan")
        if len(self.latencies_ms) == 1:
            return self.latencies_ms[0]
        return statistics.quantiles(self.latencies_ms, n=1000, method="inclusive")[int(p * 10) - 1]


def _connection_loop(port: int, factory: RequestFactory, numbers: range, deadline: float,
                     out: list) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    for n in numbers:
        if time.monotonic() > deadline:
            break
        path, headers, body = factory(n)
        started = time.perf_counter()
        try:
            conn.request("POST", path, body=body, headers=headers)
            answer = conn.getresponse()
            answer.read()
            status = answer.status
        except (OSError, http.client.HTTPException):
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            status = 0
        out.append((status, (time.perf_counter() - started) * 1000))
    conn.close()


def _process(port: int, factory: RequestFactory, slots: list[range], deadline: float, queue) -> None:
    import threading

    results: list = []
    threads = [threading.Thread(target=_connection_loop, args=(port, factory, s, deadline, results))
               for s in slots]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    queue.put(results)


def run_load(port: int, factory: RequestFactory, *, concurrency: int, total: int,
             max_seconds: float, processes: int = 2, offset: int = 0) -> LoadResult:
    """Send up to ``total`` requests over ``concurrency`` connections, at most ``max_seconds``."""
    per_conn = total // concurrency
    slots = [range(offset + i * per_conn, offset + (i + 1) * per_conn) for i in range(concurrency)]
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    groups = [slots[i::processes] for i in range(processes)]
    started = time.monotonic()
    deadline = started + max_seconds
    workers = [context.Process(target=_process, args=(port, factory, g, deadline, queue))
               for g in groups if g]
    for w in workers:
        w.start()
    collected = [queue.get() for _ in workers]
    for w in workers:
        w.join()
    elapsed = time.monotonic() - started
    flat = [item for chunk in collected for item in chunk]
    ok = [ms for status, ms in flat if 200 <= status < 300]
    return LoadResult(concurrency, len(flat), len(ok), len(flat) - len(ok), elapsed, ok)
