"""Inbound webhooks: verify → parse → dedupe → store → acknowledge. Nothing else.

The answer goes back only after the event is committed, and the work it causes happens
afterwards in the engine: vendors give a webhook a few seconds (Shopify: 5 s) and retry on
failure, so ingest must be fast, and a retry of a delivery already stored is a duplicate.

Every outcome — accepted, duplicate, rejected and why — is exactly one audit entry. When the
store cannot take the event the answer is 503 (the vendor retries), never a 2xx.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field

from adapters.base import ParsedWebhook, WebhookRejected, WebhookRequest
from hub import audit, clock, metrics
from hub.crypto import DecryptionError
from hub.runtime import Runtime
from hub.store import NewEvent, StoreUnavailable

log = logging.getLogger("hub.ingest")

#: Headers kept with a stored event: what processing may need, never signatures or auth.
_KEEP_HEADERS = ("content-type", "user-agent", "x-shopify-topic", "x-shopify-shop-domain",
                 "x-shopify-api-version", "x-shopify-webhook-id", "x-shopify-event-id",
                 "x-shopify-triggered-at", "x-hubspot-request-timestamp", "i-twilio-idempotency-token")


@dataclass(frozen=True)
class IngestResult:
    """The HTTP answer to give, and what happened (for the caller's logs and tests)."""

    status: int
    outcome: str  # accepted | duplicate | rejected | unavailable
    message: str
    event_id: int | None = None
    correlation_id: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None
    content_type: str = "application/json"


def receive_webhook(rt: Runtime, connection_id: str, request: WebhookRequest) -> IngestResult:
    """Handle one inbound webhook for ``connection_id`` and say what to answer."""
    started = time.perf_counter()
    result = _receive(rt, connection_id, request)
    metrics.INGEST_SECONDS.observe(time.perf_counter() - started)
    return result


def _receive(rt: Runtime, connection_id: str, request: WebhookRequest) -> IngestResult:
    correlation_id = audit.new_correlation_id()

    def reject(status: int, reason: str, adapter: str = "unknown") -> IngestResult:
        metrics.WEBHOOKS.labels(adapter, "rejected").inc()
        _audit_safely(rt, audit.entry(
            "webhook", "connection", "receive", "rejected", actor_id=adapter,
            subject_id=connection_id, detail=f"{status}: {reason}", correlation_id=correlation_id,
        ))
        return IngestResult(status, "rejected", reason, correlation_id=correlation_id)

    if len(request.body) > rt.settings.max_body_bytes:
        return reject(413, f"body of {len(request.body)} bytes is over the limit of "
                           f"{rt.settings.max_body_bytes}")
    try:
        record = rt.connection(connection_id)
    except StoreUnavailable as error:
        return _unavailable(error, correlation_id)
    if record is None:
        return reject(404, f"no connection {connection_id!r}")
    if not record.enabled:
        return reject(404, f"connection {connection_id!r} is disabled")
    try:
        adapter = rt.adapter_for(record)
    except DecryptionError as error:
        log.error("cannot read credentials of %s: %s", connection_id, error)
        return _unavailable(error, correlation_id)
    try:
        adapter.verify_webhook(request)
        parsed = adapter.parse_webhook(request)
    except WebhookRejected as error:
        return reject(error.status, str(error), record.adapter)
    return _store(rt, record.id, record.adapter, request, parsed, correlation_id, adapter.webhook_ack)


def _store(rt: Runtime, connection_id: str, adapter_name: str, request: WebhookRequest,
           parsed: ParsedWebhook, correlation_id: str,
           ack: tuple[str, str] | None) -> IngestResult:
    event = NewEvent(
        connection_id=connection_id, adapter=adapter_name, topic=parsed.topic,
        delivery_id=parsed.delivery_id, source="webhook", body=_stored_body(request, parsed),
        correlation_id=correlation_id, received_at=clock.now_iso(),
        headers=_kept_headers(request), content_type=_content_type(request),
        occurred_at=parsed.occurred_at,
    )
    detail = f"{parsed.topic} (delivery {parsed.delivery_id})"
    entry = audit.entry("webhook", "event", "receive", "accepted", actor_id=adapter_name,
                        detail=detail, correlation_id=correlation_id)
    try:
        outcome = rt.store.record_event(event, entry)
    except StoreUnavailable as error:
        return _unavailable(error, correlation_id)
    if outcome.duplicate:
        metrics.WEBHOOKS.labels(adapter_name, "duplicate").inc()
        _audit_safely(rt, audit.entry(
            "webhook", "connection", "receive", "duplicate", actor_id=adapter_name,
            subject_id=connection_id, detail=f"already stored: {detail}",
            correlation_id=correlation_id,
        ))
        return _ack(200, "duplicate", "already received; nothing new stored", None,
                    correlation_id, ack)
    metrics.WEBHOOKS.labels(adapter_name, "accepted").inc()
    return _ack(202, "accepted", "stored", outcome.event_id, correlation_id, ack)


def _ack(status: int, outcome: str, message: str, event_id: int | None, correlation_id: str,
         ack: tuple[str, str] | None) -> IngestResult:
    if ack is not None:
        content_type, body = ack
        return IngestResult(status, outcome, message, event_id, correlation_id,
                            body=body.encode(), content_type=content_type)
    return IngestResult(status, outcome, message, event_id, correlation_id)


def _unavailable(error: Exception, correlation_id: str) -> IngestResult:
    metrics.WEBHOOKS.labels("unknown", "unavailable").inc()
    log.error("webhook not stored, answering 503: %s", error)
    return IngestResult(503, "unavailable", "temporarily unable to store; retry later",
                        correlation_id=correlation_id, headers={"Retry-After": "5"})


def _audit_safely(rt: Runtime, entry: audit.AuditEntry) -> None:
    """Audit a rejection; if the store is down the rejection still answers (and is logged)."""
    try:
        rt.store.append_audit([entry])
    except StoreUnavailable as error:
        log.error("could not audit %s %s: %s", entry.action, entry.outcome, error)


def _stored_body(request: WebhookRequest, parsed: ParsedWebhook) -> bytes:
    """JSON bodies are kept byte for byte; other encodings (Twilio's forms) as parsed JSON."""
    if _content_type(request).startswith("application/json"):
        return request.body
    return json.dumps(parsed.payload, separators=(",", ":")).encode()


def _content_type(request: WebhookRequest) -> str:
    return (request.header("Content-Type") or "application/json").split(";")[0].strip().lower()


def _kept_headers(request: WebhookRequest) -> dict[str, str]:
    """Only the allow-listed headers: none of them carries a secret, so none needs masking."""
    return {name: request.headers[name] for name in _KEEP_HEADERS if name in request.headers}
