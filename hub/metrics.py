"""Prometheus metrics. Under gunicorn every process writes to ``PROMETHEUS_MULTIPROC_DIR``
(set by ``hub serve`` before workers start) and ``/metrics`` adds them up."""

from __future__ import annotations

import os

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)

WEBHOOKS = Counter(
    "hub_webhooks_total", "Inbound webhooks by outcome", ["adapter", "outcome"]
)
INGEST_SECONDS = Histogram(
    "hub_ingest_seconds", "Time from request to answer for inbound webhooks",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)
DELIVERIES = Counter(
    "hub_deliveries_total", "Outbound delivery attempts by outcome", ["adapter", "action", "outcome"]
)
EVENTS_PROCESSED = Counter("hub_events_processed_total", "Events processed by the engine", ["status"])


def render() -> tuple[bytes, str]:
    """The metrics page: all processes' values when running multi-process."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(), CONTENT_TYPE_LATEST
