"""The bare reference for the delivery benchmark: prepared requests sent with ``requests``
straight at a vendor, at the fastest rate its documented limits allow, and nothing else.

No store, no queue, no retries beyond honouring a 429's ``Retry-After``: the figure is what
the limits and one machine's HTTP stack cost, the floor the hub is compared with.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Sequence

import requests

from bench.vendor_limits import Limit


@dataclass(frozen=True)
class Prepared:
    method: str
    url: str
    body: bytes


@dataclass
class SendResult:
    sent: int = 0
    ok: int = 0
    throttled: int = 0
    failed: int = 0
    seconds: float = 0.0
    statuses: dict[int, int] = field(default_factory=dict)


class SlidingPacer:
    """Hands out send slots so no interval of a limit's length holds more than its count.

    ``margin`` (seconds) is added to every window: the vendor measures arrival, not sending.
    """

    def __init__(self, limits: Sequence[Limit], margin: float = 0.02) -> None:
        self._limits = [(count, seconds + margin) for count, seconds in limits]
        self._sent: deque[float] = deque(maxlen=max(count for count, _ in limits))
        self._lock = threading.Lock()

    def wait_for_slot(self) -> None:
        with self._lock:
            now = time.monotonic()
            at = now
            for count, seconds in self._limits:
                if len(self._sent) >= count:
                    at = max(at, self._sent[-count] + seconds)
            self._sent.append(at)
        if at > now:
            time.sleep(at - now)


def send_all(items: Sequence[Prepared], headers: dict[str, str], limits: Sequence[Limit], *,
             threads: int = 8, max_seconds: float = 300.0,
             max_tries: int = 5) -> SendResult:
    """Send every item once (again after a 429, at most ``max_tries``), paced under ``limits``."""
    pacer = SlidingPacer(limits)
    result = SendResult()
    todo = deque(items)
    lock = threading.Lock()
    started = time.monotonic()
    deadline = started + max_seconds

    def worker() -> None:
        session = requests.Session()
        session.headers.update(headers)
        while time.monotonic() < deadline:
            with lock:
                if not todo:
                    return
                item = todo.popleft()
            for _ in range(max_tries):
                pacer.wait_for_slot()
                status, retry_after = _send(session, item)
                with lock:
                    result.sent += 1
                    result.statuses[status] = result.statuses.get(status, 0) + 1
                if status != 429:
                    break
                with lock:
                    result.throttled += 1
                time.sleep(min(retry_after, 10.0))
            with lock:
                if 200 <= status < 300:
                    result.ok += 1
                else:
                    result.failed += 1

    pool = [threading.Thread(target=worker, daemon=True) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join(max(0.0, deadline - time.monotonic()) + 15)
    result.seconds = time.monotonic() - started
    return result


def _send(session: requests.Session, item: Prepared) -> tuple[int, float]:
    try:
        answer = session.request(item.method, item.url, data=item.body, timeout=30)
    except requests.RequestException:
        return 0, 0.0
    try:
        retry_after = float(answer.headers.get("Retry-After") or 1.0)
    except ValueError:
        retry_after = 1.0
    return answer.status_code, retry_after
