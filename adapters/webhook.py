"""A generic inbound webhook with a shared secret, for services the hub has no adapter for.

The sender signs the raw body with HMAC-SHA256 and the connection's secret and sends
``X-Hub-Signature-256: sha256=<hex>`` (the convention GitHub and many others use), or, for
senders that cannot sign, the secret itself as ``Authorization: Bearer <secret>``.
"""

from __future__ import annotations

import hashlib
from typing import Any

from adapters.base import (
    Adapter,
    Field,
    ParsedWebhook,
    PayloadInvalid,
    SignatureInvalid,
    Topic,
    WebhookRequest,
    hmac_digest,
    parse_json_body,
    require_equal,
)


class GenericWebhookAdapter(Adapter):
    name = "webhook"
    title = "Any service (webhook)"
    description = "Receive JSON from any service that can sign a webhook with a shared secret."
    auth_fields = (
        Field("webhook_secret", "Shared secret", secret=True,
              help="The sender signs each body with this secret (HMAC-SHA256)."),
        Field("topic_field", "Topic field", required=False, default="type",
              help="Name of the JSON field that says what happened."),
        Field("id_field", "Event id field", required=False, default="id",
              help="Name of the JSON field that identifies the event (used to ignore repeats)."),
    )
    topics = (Topic("*", (), "Any topic the sender names."),)

    def verify_webhook(self, request: WebhookRequest) -> None:
        secret = self.config["webhook_secret"]
        signature = request.header("X-Hub-Signature-256")
        if signature:
            expected = "sha256=" + hmac_digest(secret, request.body).hex()
            require_equal(expected, signature, "X-Hub-Signature-256 signature")
            return
        authorization = request.header("Authorization")
        if authorization:
            require_equal(f"Bearer {secret}", authorization, "Authorization header")
            return
        raise SignatureInvalid("missing X-Hub-Signature-256 signature")

    def parse_webhook(self, request: WebhookRequest) -> ParsedWebhook:
        payload: Any = parse_json_body(request.body)
        if not isinstance(payload, dict):
            raise PayloadInvalid("the body must be a JSON object")
        topic_field = self.config.get("topic_field") or "type"
        id_field = self.config.get("id_field") or "id"
        topic = payload.get(topic_field)
        if not isinstance(topic, str) or not topic:
            raise PayloadInvalid(f"field {topic_field!r} (the topic) is missing or not text")
        event_id = payload.get(id_field)
        delivery_id = str(event_id) if event_id not in (None, "") else (
            "sha256:" + hashlib.sha256(request.body).hexdigest())
        return ParsedWebhook(topic=topic, delivery_id=delivery_id, payload=payload)
