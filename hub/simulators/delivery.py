"""POSTing a webhook the way a vendor does: fixed bytes, timeouts, a retry schedule.

A vendor retries with the *same* bytes and headers (Shopify keeps ``X-Shopify-Webhook-Id``),
so a delivery is built once and re-sent as is. Waits between attempts go through ``sleep``
(hub seconds; by default scaled by ``hub.clock.real_seconds`` so the demo's sped-up clock
shortens Shopify's four hours of retries). ``Dispatcher`` runs deliveries in the background
and stops them promptly.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Callable, Sequence

import requests

from hub import clock

log = logging.getLogger(__name__)

#: Shopify (2024-09 changelog): 8 retries over 4 hours with exponential backoff. The exact
#: spacing is not published; doubling waits that add up to 4 hours match the description.
SHOPIFY_RETRY_DELAYS: tuple[float, ...] = tuple(round(14400 * 2**i / 255) for i in range(8))
#: Shopify gives 1 s to connect and 5 s for the whole answer.
SHOPIFY_TIMEOUT = (1.0, 5.0)

Sleep = Callable[[float], "bool | None"]


def sleep_hub_seconds(seconds: float) -> None:
    """Wait ``seconds`` of hub time (shorter on the wall clock when the demo speeds it up)."""
    time.sleep(clock.real_seconds(seconds))


@dataclass(frozen=True)
class Attempt:
    number: int
    at: str
    status: int | None
    error: str = ""


@dataclass
class WebhookDelivery:
    """One webhook and every attempt to deliver it; ``delivered`` once any answer was 2xx."""

    url: str
    headers: dict[str, str]
    body: bytes
    attempts: list[Attempt] = field(default_factory=list)

    @property
    def delivered(self) -> bool:
        return any(a.status is not None and 200 <= a.status < 300 for a in self.attempts)

    @property
    def last_status(self) -> int | None:
        return self.attempts[-1].status if self.attempts else None

    def __repr__(self) -> str:
        return (f"<WebhookDelivery {self.url} attempts={len(self.attempts)} "
                f"delivered={self.delivered}>")


def deliver(url: str, body: bytes, headers: dict[str, str], *,
            retry_delays: Sequence[float] = (), timeout: tuple[float, float] = SHOPIFY_TIMEOUT,
            sleep: Sleep = sleep_hub_seconds, session: requests.Session | None = None
            ) -> WebhookDelivery:
    """POST ``body`` to ``url``; on anything but 2xx (or no answer) retry after each delay."""
    delivery = WebhookDelivery(url=url, headers=dict(headers), body=body)
    http = session or requests.Session()
    for number in range(1, len(retry_delays) + 2):
        at = clock.now_iso()
        try:
            answer = http.post(url, data=body, headers=headers, timeout=timeout,
                               allow_redirects=False)
            delivery.attempts.append(Attempt(number, at, answer.status_code))
        except requests.RequestException as error:
            delivery.attempts.append(Attempt(number, at, None, type(error).__name__))
        if delivery.delivered or number > len(retry_delays):
            break
        if sleep(retry_delays[number - 1]):
            break  # the sender was asked to stop
    if not delivery.delivered:
        log.info("webhook to %s not delivered after %d attempts", url, len(delivery.attempts))
    return delivery


class Dispatcher:
    """Background deliveries (webhooks, Twilio status callbacks) that ``stop`` ends at once."""

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()
        self.results: list[WebhookDelivery] = []

    def sleep(self, hub_seconds: float) -> bool:
        """Wait like ``sleep_hub_seconds``; True when asked to stop meanwhile."""
        return self._stop.wait(clock.real_seconds(hub_seconds))

    def submit(self, job: Callable[[Sleep], WebhookDelivery | None], *,
               delay: float = 0.0) -> None:
        """Run ``job(sleep)`` in a thread after ``delay`` real seconds; keep its delivery."""

        def run() -> None:
            if delay and self._stop.wait(delay):
                return
            if self._stop.is_set():
                return
            result = job(self.sleep)
            if result is not None:
                with self._lock:
                    self.results.append(result)

        thread = threading.Thread(target=run, name="sim-dispatch", daemon=True)
        with self._lock:
            self._threads = [t for t in self._threads if t.is_alive()]
            self._threads.append(thread)
        thread.start()

    def wait_idle(self, timeout: float = 5.0) -> bool:
        """Wait until every submitted job finished (tests); False on timeout."""
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                alive = [t for t in self._threads if t.is_alive()]
            if not alive:
                return True
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            alive[0].join(min(remaining, 0.1))

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        with self._lock:
            threads = list(self._threads)
        for thread in threads:
            thread.join(timeout)
