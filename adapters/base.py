"""The adapter contract: everything a service integration declares and implements, in one file.

An adapter is mostly *declarations* — the data the UI, validation and the contract test kit
all read — plus a few small methods where a vendor differs:

=====================  =====================================================================
declare                meaning
=====================  =====================================================================
``name``, ``title``    registry key and what a shop owner sees
``auth_fields``        what a connection needs (``Field(secret=True)`` is encrypted at rest)
``topics``             inbound webhook topics and the canonical events each becomes
``actions``            outbound calls, each with a JSON Schema for its inputs
``polls``              scheduled reads, each keeping a cursor
``rate_limits``        the vendor's documented limits; the hub paces calls under them
=====================  =====================================================================

=========================  ==================================================================
implement                  when
=========================  ==================================================================
``verify_webhook``         always for inbound: raise ``SignatureInvalid`` unless authentic
``parse_webhook``          always for inbound: topic, delivery id and payload of a request
``to_events``              always for inbound: a stored payload → canonical events
``action_<name>``          one method per declared action → ``Outcome``
``batch_<name>``           for actions with ``batch_size > 1``: many inputs, one request
``poll_<name>``            one method per declared poll → ``PollPage``
``test_connection``        a harmless call proving the credentials work
=========================  ==================================================================

Adapters import only this package and ``hub.events``: never the store, engine or web.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Any, ClassVar, Iterable, Mapping, Protocol

import jsonschema
from requests.structures import CaseInsensitiveDict

from adapters.http import HttpClient, Outcome, failed
from hub.events import CanonicalEvent


# -- declarations ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Field:
    """One setting a connection needs. ``secret`` fields are encrypted and never shown again."""

    name: str
    title: str
    secret: bool = False
    required: bool = True
    help: str = ""
    default: str | None = None
    pattern: str | None = None
    placeholder: str = ""


@dataclass(frozen=True)
class Topic:
    """An inbound webhook topic (vendor's name) and the canonical events it can become."""

    name: str
    emits: tuple[str, ...]
    description: str = ""


@dataclass(frozen=True)
class Action:
    """An outbound call a recipe step can make.

    ``idempotent``: resending after an unknown outcome cannot cause a second effect (Klaviyo
    ``unique_id``, HubSpot upsert). When False (an SMS) the hub never resends blindly.
    ``batch_size > 1``: the delivery worker may send up to that many pending rows in one call.
    ``consent``: a marketing channel (``sms``/``email``) the recipient must have consented to.
    """

    name: str
    title: str
    input_schema: dict[str, Any]
    description: str = ""
    idempotent: bool = True
    batch_size: int = 1
    consent: str | None = None


@dataclass(frozen=True)
class Poll:
    """A scheduled read of the vendor's API; the cursor is committed with the events it found."""

    name: str
    title: str
    emits: tuple[str, ...]
    every_seconds: int = 300
    description: str = ""


@dataclass(frozen=True)
class RateLimit:
    """At most ``requests`` per ``per_seconds`` for one connection (one of possibly several).

    ``scope``: ``"all"`` (every call), an action name (that action alone), or a name for a
    limit several ``actions`` share — vendors count per endpoint, and two actions may call
    the same one (Klaviyo's email and SMS subscriptions are one bulk-job endpoint).
    """

    requests: int
    per_seconds: float
    scope: str = "all"
    actions: tuple[str, ...] = ()

    def applies_to(self, action_name: str) -> bool:
        return self.scope in ("all", action_name) or action_name in self.actions


# -- inbound -----------------------------------------------------------------------------------
class WebhookRejected(Exception):
    """An inbound request the hub refuses; ``status`` is the HTTP answer, the text says why."""

    status = 400


class SignatureInvalid(WebhookRejected):
    status = 401


class PayloadInvalid(WebhookRejected):
    status = 400


class TopicUnknown(WebhookRejected):
    status = 422


@dataclass(frozen=True)
class WebhookRequest:
    """An inbound HTTP request as the vendor sent it. ``url`` is the public URL it called."""

    method: str
    url: str
    headers: Mapping[str, str]
    body: bytes
    path: str = ""  # what followed /hooks/<connection-id>, e.g. "status"

    def __post_init__(self) -> None:
        # Header names are case-insensitive (HTTP/2 sends them lower-cased): index them once.
        if not isinstance(self.headers, CaseInsensitiveDict):
            object.__setattr__(self, "headers", CaseInsensitiveDict(self.headers))

    def header(self, name: str) -> str | None:
        return self.headers.get(name)


@dataclass(frozen=True)
class ParsedWebhook:
    """What ingest stores: the vendor topic, its delivery id (the dedupe key), the payload."""

    topic: str
    delivery_id: str
    payload: Any
    occurred_at: str | None = None


@dataclass(frozen=True)
class PollPage:
    """One page of a poll: raw items as ``ParsedWebhook``-shaped records, and the next cursor.

    ``done`` says there is no further page now; the hub stores ``items`` and ``cursor`` in one
    transaction, so a crash between pages resumes from the last committed page.
    """

    items: list[ParsedWebhook]
    cursor: Any
    done: bool


class Memory(Protocol):
    """Durable values an adapter keeps between events (e.g. the last price seen of a variant).

    The hub scopes it to the connection and commits writes with the event's processing.
    """

    def get(self, key: str) -> Any | None: ...

    def put(self, key: str, value: Any) -> None: ...


# -- signature helpers -------------------------------------------------------------------------
def hmac_digest(secret: str, message: bytes, algorithm: str = "sha256") -> bytes:
    return hmac.new(secret.encode(), message, getattr(hashlib, algorithm)).digest()


def require_equal(expected: str, given: str | None, what: str) -> None:
    """Constant-time comparison; raises ``SignatureInvalid`` naming the header."""
    if not given:
        raise SignatureInvalid(f"missing {what}")
    if not hmac.compare_digest(expected.encode(), given.strip().encode()):
        raise SignatureInvalid(f"{what} does not match")


def verify_base64_hmac(secret: str, body: bytes, given: str | None, header: str) -> None:
    expected = base64.b64encode(hmac_digest(secret, body)).decode()
    require_equal(expected, given, header)


def parse_json_body(body: bytes) -> Any:
    """The body as JSON, or ``PayloadInvalid`` with the parser's exact complaint."""
    try:
        return json.loads(body.decode("utf-8"))
    except UnicodeDecodeError:
        raise PayloadInvalid("body is not UTF-8 text") from None
    except json.JSONDecodeError as error:
        raise PayloadInvalid(
            f"malformed JSON: {error.msg} at line {error.lineno} column {error.colno}"
        ) from None


class InputInvalid(ValueError):
    """An action's inputs do not match its schema: nothing was sent."""


# -- the adapter -------------------------------------------------------------------------------
class Adapter:
    """Base class every adapter extends. See the module docstring for the contract."""

    name: ClassVar[str]
    title: ClassVar[str]
    description: ClassVar[str] = ""
    auth_fields: ClassVar[tuple[Field, ...]] = ()
    topics: ClassVar[tuple[Topic, ...]] = ()
    actions: ClassVar[tuple[Action, ...]] = ()
    polls: ClassVar[tuple[Poll, ...]] = ()
    rate_limits: ClassVar[tuple[RateLimit, ...]] = ()
    #: (content type, body) answered to an accepted webhook; Twilio wants TwiML.
    webhook_ack: ClassVar[tuple[str, str] | None] = None

    def __init__(
        self,
        config: Mapping[str, Any],
        *,
        connection_id: str = "",
        public_url: str = "",
        http: HttpClient | None = None,
    ) -> None:
        self.config = dict(config)
        self.connection_id = connection_id
        self.public_url = public_url.rstrip("/")
        self._http = http

    def __repr__(self) -> str:
        # Never print config: it holds the credentials.
        return f"<{type(self).__name__} connection={self.connection_id!r}>"

    # declarations, looked up by name
    @classmethod
    def action(cls, name: str) -> Action:
        for action in cls.actions:
            if action.name == name:
                return action
        raise KeyError(f"{cls.name} has no action {name!r}")

    @classmethod
    def topic(cls, name: str) -> Topic:
        for topic in cls.topics:
            if topic.name == name:
                return topic
        raise TopicUnknown(f"{cls.name} does not accept the topic {name!r}")

    @classmethod
    def secret_fields(cls) -> tuple[str, ...]:
        return tuple(f.name for f in cls.auth_fields if f.secret)

    @property
    def webhook_url(self) -> str:
        return f"{self.public_url}/hooks/{self.connection_id}"

    # HTTP
    @property
    def http(self) -> HttpClient:
        if self._http is None:
            self._http = self.make_http()
        return self._http

    def make_http(self) -> HttpClient:
        """Build this connection's client (base URL, auth headers). Override per vendor."""
        raise NotImplementedError(f"{self.name} makes no outbound calls")

    # inbound
    def verify_webhook(self, request: WebhookRequest) -> None:
        raise SignatureInvalid(f"{self.name} does not accept webhooks")

    def parse_webhook(self, request: WebhookRequest) -> ParsedWebhook:
        raise TopicUnknown(f"{self.name} does not accept webhooks")

    def to_events(self, topic: str, payload: Any, memory: Memory) -> list[CanonicalEvent]:
        return []

    # outbound
    def validate_inputs(self, action_name: str, inputs: Mapping[str, Any]) -> None:
        """Raise ``InputInvalid`` naming the first wrong field, before anything is sent."""
        schema = self.action(action_name).input_schema
        errors = sorted(
            jsonschema.Draft202012Validator(schema).iter_errors(dict(inputs)),
            key=lambda e: list(e.path),
        )
        if errors:
            where = "/".join(str(p) for p in errors[0].path) or "inputs"
            raise InputInvalid(f"{self.name}.{action_name}: {where}: {errors[0].message}")

    def perform(self, action_name: str, inputs: Mapping[str, Any], *, idempotency_key: str) -> Outcome:
        """Validate and run one action; invalid inputs are a permanent failure, not a crash."""
        try:
            self.validate_inputs(action_name, inputs)
        except InputInvalid as error:
            return failed(str(error))
        method = getattr(self, f"action_{action_name}")
        return method(dict(inputs), idempotency_key=idempotency_key)

    def perform_batch(
        self, action_name: str, items: list[tuple[str, Mapping[str, Any]]]
    ) -> list[Outcome]:
        """Run many rows of a batchable action; one ``Outcome`` per item, in order."""
        valid: list[tuple[int, str, dict[str, Any]]] = []
        outcomes: list[Outcome | None] = [None] * len(items)
        for index, (key, inputs) in enumerate(items):
            try:
                self.validate_inputs(action_name, inputs)
            except InputInvalid as error:
                outcomes[index] = failed(str(error))
            else:
                valid.append((index, key, dict(inputs)))
        if valid:
            results = getattr(self, f"batch_{action_name}")([(k, i) for _, k, i in valid])
            for (index, _, _), outcome in zip(valid, results, strict=True):
                outcomes[index] = outcome
        return [o for o in outcomes if o is not None]

    def poll(self, poll_name: str, cursor: Any) -> PollPage:
        return getattr(self, f"poll_{poll_name}")(cursor)

    def test_connection(self) -> Outcome:
        return failed(f"{self.title} has no connection test")


def declared_events(adapter: type[Adapter]) -> set[str]:
    """Every canonical event an adapter says it may emit (topics and polls)."""
    names: set[str] = set()
    for group in (adapter.topics, adapter.polls):
        for item in group:
            names.update(item.emits)
    return names


def iter_items(value: Any) -> Iterable[Any]:
    return value if isinstance(value, list) else [value]
