"""Operations endpoints, open without a session: liveness, readiness, Prometheus metrics."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify

from hub import metrics
from hub.store import StoreUnavailable

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> Response:
    """The process is up and answering."""
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz() -> Response:
    """The store answers and its schema is current: safe to send traffic here."""
    store = current_app.extensions["hub"].store
    try:
        store.ping()
        pending = store.pending_migrations()
    except StoreUnavailable as error:
        response = jsonify(status="unavailable", reason=str(error))
        response.status_code = 503
        return response
    if pending:
        response = jsonify(status="migrations pending", pending=pending)
        response.status_code = 503
        return response
    return jsonify(status="ready")


@bp.get("/metrics")
def prometheus_metrics() -> Response:
    body, content_type = metrics.render()
    return Response(body, content_type=content_type)
