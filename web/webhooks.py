"""The public webhook endpoint: ``POST /hooks/<connection-id>[/<path>]`` → ``hub.ingest``.

The view only turns the HTTP request into a ``WebhookRequest`` and the ``IngestResult`` back
into a response; every decision is made in ``hub.ingest``.
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify, request

from adapters.base import WebhookRequest
from hub.ingest import receive_webhook

bp = Blueprint("webhooks", __name__)


@bp.route("/hooks/<connection_id>", methods=["POST"])
@bp.route("/hooks/<connection_id>/<path:suffix>", methods=["POST"])
def receive(connection_id: str, suffix: str = "") -> Response:
    rt = current_app.extensions["hub"]
    limit = rt.settings.max_body_bytes
    # Read at most one byte past the cap: enough to know it is too big, never more.
    body = request.stream.read(limit + 1)
    if len(body) > limit:
        _drain(request.stream, limit * 16)
    url = rt.settings.public_url.rstrip("/") + request.path
    if request.query_string:
        url += "?" + request.query_string.decode("latin-1")
    result = receive_webhook(rt, connection_id, WebhookRequest(
        method=request.method, url=url, headers=dict(request.headers), body=body, path=suffix,
    ))
    if result.body is not None:
        response = Response(result.body, status=result.status, content_type=result.content_type)
    else:
        payload = {"status": result.outcome, "message": result.message}
        if result.event_id is not None:
            payload["event_id"] = result.event_id
        response = jsonify(payload)
        response.status_code = result.status
    response.headers.update(result.headers)
    if result.correlation_id:
        response.headers["X-Hub-Correlation-Id"] = result.correlation_id
    return response


def _drain(stream, most: int) -> None:
    """Read and drop what a too-large body still sends (bounded), so the client can read our
    413 instead of seeing its connection reset mid-upload."""
    left = most
    while left > 0:
        chunk = stream.read(min(65536, left))
        if not chunk:
            return
        left -= len(chunk)
