"""The contract kit: one pytest suite every adapter runs unchanged.

An adapter joins in its own test module (``tests/adapters/test_<name>.py``): describe the
adapter with an ``AdapterContract`` — a config with test secrets, signed fixture webhooks and
the canonical events each must become, one ``ActionCase`` per action (valid inputs, the exact
request the vendor expects and its reply, inputs that must be refused), one ``PollCase`` per
poll (its pages), the connection test's call, and the vendor's own 4xx and 429 answers —
then let ``contract_tests`` turn it into a test class::

    from adapters.contract import (ActionCase, AdapterContract, Exchange, Reply, Request,
                                   WebhookCase, contract_tests)

    CONTRACT = AdapterContract(
        adapter=KlaviyoAdapter,
        config={"api_key": SECRETS["klaviyo"]},
        actions=[ActionCase(
            "track_event", inputs={...},
            exchange=Exchange(Request("POST", "https://a.klaviyo.com/api/events/",
                                      headers={"revision": "2026-10-15"}, json={...}),
                              Reply(202)),
            invalid=[{"metric": ""}])],
        client_error=Reply(400, json=fixture_json("klaviyo/error_400.json")),
        client_error_text="words from the vendor's error body",
        rate_limited=Reply(429, json=..., headers={"Retry-After": "7"}),
    )
    TestKlaviyoContract = contract_tests(CONTRACT)

The class holds only the checks that apply (no webhooks → no webhook tests). What it proves,
each as its own named test (``adapters/contract_checks.py``):

- declarations are well formed: registry entry, unique names, action input schemas are valid
  JSON Schema, every emitted event is canonical, every action/poll/topic has a case, an
  ``api_base_url`` field for adapters that call out (so a simulator can stand in);
- each webhook verifies with the right secret and is rejected (``SignatureInvalid``) with a
  wrong secret, a forged or missing signature, a changed body and, where the vendor signs a
  timestamp, when stale; it parses to a stable delivery id and becomes exactly the expected
  canonical events, each valid against its schema and carrying the raw payload;
- each action sends exactly the vendor's request, and refuses invalid inputs before sending;
  429 → retry after the vendor's wait; 5xx, refused connections and connect timeouts → retry;
  a read timeout → unknown (retry allowed only for idempotent actions); other 4xx → failed
  in the vendor's own words;
- each poll reads every page once, and resumes after a failed page without duplicates or
  gaps (the cursor round-trips through JSON, as the store keeps it);
- no secret appears in ``repr``, outcome summaries, request/response summaries or log lines.

A bug found in one adapter becomes a new check here, and every adapter gets it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Mapping, Sequence
from urllib.parse import parse_qs, urlsplit

import requests
import responses

from adapters.base import Adapter, WebhookRequest
from adapters.http import Outcome

_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


# -- describing an adapter ---------------------------------------------------------------------
@dataclass(frozen=True)
class Reply:
    """A canned vendor answer (``responses`` registration)."""

    status: int = 200
    json: Any = None
    body: str | bytes | None = None
    headers: Mapping[str, str] = field(default_factory=dict)

    def register(self, mock: responses.RequestsMock, method: str, url: Any) -> None:
        headers = {k: v for k, v in self.headers.items() if k.lower() != "content-type"}
        content_type = next((v for k, v in self.headers.items() if k.lower() == "content-type"),
                            "application/json" if self.json is not None else "text/plain")
        body: Any = json.dumps(self.json) if self.json is not None else (self.body or "")
        mock.add(method, url, status=self.status, body=body, headers=headers,
                 content_type=content_type)


@dataclass(frozen=True)
class Request:
    """The request the vendor expects. ``headers`` must be present with these values (others
    may be too); ``json`` / ``form`` when given must equal the body; the query is compared as
    a set of parameters."""

    method: str
    url: str
    headers: Mapping[str, str] = field(default_factory=dict)
    json: Any = None
    form: Mapping[str, str] | None = None


@dataclass(frozen=True)
class Exchange:
    request: Request
    reply: Reply = Reply()


@dataclass(frozen=True)
class WebhookCase:
    """A signed inbound request as the vendor sends it, and what it must become.

    ``signature_headers`` carry the proof (removed for the "missing" check, the first one is
    altered for the "forged" check); ``signs_body`` is False for static-token senders (Swym),
    where a changed body cannot be noticed. ``at`` freezes the hub clock while verifying
    (vendors that sign a timestamp); ``stale_at`` is a moment the same request must be
    refused. ``memory`` is the adapter's memory before this request (e.g. last prices).
    ``config`` overrides the contract's config for this case (one adapter, several senders).
    """

    id: str
    request: WebhookRequest
    emits: tuple[str, ...]
    signature_headers: tuple[str, ...]
    topic: str | None = None
    signs_body: bool = True
    at: datetime | None = None
    stale_at: datetime | None = None
    memory: Mapping[str, Any] = field(default_factory=dict)
    config: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ActionCase:
    """One valid call of an action with the exact request it must send, and inputs that
    must be refused before anything is sent. ``batch`` runs it through ``perform_batch``.
    ``safe_to_resend`` overrides the action's ``idempotent`` for these inputs (a generic
    request that carries an idempotency header may be resent after a timeout)."""

    action: str
    inputs: Mapping[str, Any]
    exchange: Exchange
    invalid: Sequence[Mapping[str, Any]]
    expect_kind: str = "delivered"
    id: str = ""
    idempotency_key: str = "contract-0001"
    batch: bool = False
    safe_to_resend: bool | None = None


@dataclass(frozen=True)
class PollCase:
    """A poll from ``cursor`` over ``pages`` (in order) yielding items with ``delivery_ids``."""

    poll: str
    cursor: Any
    pages: Sequence[Exchange]
    delivery_ids: Sequence[str]


@dataclass(frozen=True)
class AdapterContract:
    """Everything the kit needs to hold an adapter to the contract (see the module doc)."""

    adapter: type[Adapter]
    config: Mapping[str, Any]
    webhooks: Sequence[WebhookCase] = ()
    actions: Sequence[ActionCase] = ()
    polls: Sequence[PollCase] = ()
    connection_test: Exchange | None = None
    rate_limited: Reply = Reply(429, json={"error": "too many requests"},
                                headers={"Retry-After": "2"})
    #: The wait the adapter must report for ``rate_limited``; None: its Retry-After header.
    rate_limit_wait: float | None = None
    client_error: Reply = Reply(400, json={"message": "the request was not valid"})
    client_error_text: str = "the request was not valid"
    connection_id: str = "contract-test"
    public_url: str = "https://hub.example.com"

    def build(self, **overrides: Any) -> Adapter:
        return self.adapter({**self.config, **overrides}, connection_id=self.connection_id,
                            public_url=self.public_url)

    def secrets(self) -> list[str]:
        names = set(self.adapter.secret_fields())
        configs = [self.config, *(case.config for case in self.webhooks)]
        return sorted({str(v) for config in configs for k, v in config.items() if k in names and v})

    def wrong_secrets(self, overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
        config = {**self.config, **(overrides or {})}
        return {**config, **{k: "wrong-" + str(v)[::-1] for k, v in config.items()
                             if k in self.adapter.secret_fields() and v}}

    def expected_wait(self) -> float | None:
        if self.rate_limit_wait is not None:
            return self.rate_limit_wait
        header = next((v for k, v in self.rate_limited.headers.items()
                       if k.lower() == "retry-after"), None)
        return float(header) if header is not None else None

    @property
    def calls_out(self) -> bool:
        return bool(self.adapter.actions or self.adapter.polls or self.connection_test)


class DictMemory:
    """The adapter memory of tests: values round-trip through JSON like the store's."""

    def __init__(self, initial: Mapping[str, Any] | None = None) -> None:
        self.values: dict[str, Any] = {}
        for key, value in (initial or {}).items():
            self.put(key, value)

    def get(self, key: str) -> Any | None:
        return self.values.get(key)

    def put(self, key: str, value: Any) -> None:
        self.values[key] = json.loads(json.dumps(value))


# -- small checks the tests share --------------------------------------------------------------
def assert_request_matches(sent: requests.PreparedRequest, expected: Request) -> None:
    """The request actually sent equals the vendor's expected shape (with a readable diff)."""
    assert sent.method == expected.method.upper(), f"sent {sent.method}, expected {expected.method}"
    got, want = urlsplit(sent.url or ""), urlsplit(expected.url)
    assert (got.scheme, got.netloc, got.path) == (want.scheme, want.netloc, want.path), (
        f"sent to {sent.url}, expected {expected.url}")
    query, wanted = (parse_qs(u.query, keep_blank_values=True) for u in (got, want))
    assert query == wanted, f"query {got.query!r} differs from {want.query!r}"
    for name, value in expected.headers.items():
        given = sent.headers.get(name)
        assert given == value, f"header {name}: {given!r} != {value!r}"
    body = sent.body.decode() if isinstance(sent.body, bytes) else (sent.body or "")
    if expected.json is not None:
        assert json.loads(body) == expected.json, f"JSON body differs:\n{body}"
    if expected.form is not None:
        fields = parse_qs(body, keep_blank_values=True)
        form = {k: v[0] if len(v) == 1 else v for k, v in fields.items()}
        assert form == dict(expected.form), f"form body differs: {form}"


def assert_no_secret(contract: AdapterContract, *texts: Any) -> None:
    blob = json.dumps([t if isinstance(t, str) else repr(t) for t in texts], default=str)
    for secret in contract.secrets():
        assert secret not in blob, "a secret value appears in output meant for people or logs"


def outcome_text(outcome: Outcome) -> str:
    return json.dumps([outcome.summary, outcome.request, outcome.response, outcome.result],
                      default=str)


def run_action(adapter: Adapter, case: ActionCase,
               inputs: Mapping[str, Any] | None = None) -> Outcome:
    inputs = case.inputs if inputs is None else inputs
    if case.batch:
        outcomes = adapter.perform_batch(case.action, [(case.idempotency_key, inputs)])
        assert len(outcomes) == 1, "perform_batch must answer one outcome per item"
        return outcomes[0]
    return adapter.perform(case.action, inputs, idempotency_key=case.idempotency_key)


def answer_every_call(mock: responses.RequestsMock, reply: Reply | Exception) -> None:
    """Answer any request with ``reply``, so a wrong URL shows up as a readable mismatch."""
    for method in _METHODS:
        if isinstance(reply, Exception):
            mock.add(method, re.compile(r".*"), body=reply)
        else:
            reply.register(mock, method, re.compile(r".*"))


# -- the suite ---------------------------------------------------------------------------------
def contract_tests(contract: AdapterContract) -> type:
    """A pytest class holding every contract check that applies to ``contract.adapter``."""
    from adapters.contract_checks import build_suite  # the checks live apart, one per test

    return build_suite(contract)
