"""The checks of the contract kit, as pytest test methods (see ``adapters/contract.py``).

``build_suite`` assembles a test class from the groups that apply to an adapter: declarations
always; webhook, action, poll and connection-test checks when the contract has such cases.
Each check is one behaviour with a name that says it, parametrised over the contract's cases.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import replace
from datetime import datetime
from typing import Any, Callable, Mapping, Sequence

import jsonschema
import pytest
import requests
import responses

from adapters.base import Adapter, ParsedWebhook, SignatureInvalid, WebhookRequest, declared_events
from adapters.contract import (
    ActionCase,
    AdapterContract,
    DictMemory,
    PollCase,
    Reply,
    WebhookCase,
    answer_every_call,
    assert_no_secret,
    assert_request_matches,
    outcome_text,
    run_action,
)
from adapters.http import HttpClient
from adapters.pagination import PollFailed
from hub import clock
from hub.events import EVENT_NAMES, CanonicalEvent, validate_event

_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


def _with_headers(request: WebhookRequest, headers: Mapping[str, str], body: bytes | None = None,
                  drop: Sequence[str] = ()) -> WebhookRequest:
    kept = {k: v for k, v in request.headers.items() if k.lower() not in {d.lower() for d in drop}}
    return replace(request, headers={**kept, **headers},
                   body=request.body if body is None else body)


def _forged(value: str) -> str:
    last = value[-1]
    return value[:-1] + ("A" if last != "A" else "B")


def _verify(contract: AdapterContract, case: WebhookCase, request: WebhookRequest,
            adapter: Adapter | None = None, at: datetime | None = None) -> None:
    adapter = adapter or contract.build(**case.config)
    moment = at or case.at
    if moment is None:
        adapter.verify_webhook(request)
        return
    with clock.frozen(moment):
        adapter.verify_webhook(request)


def _expect_rejected(contract: AdapterContract, case: WebhookCase, request: WebhookRequest,
                     adapter: Adapter | None = None, at: datetime | None = None) -> None:
    with pytest.raises(SignatureInvalid) as caught:
        _verify(contract, case, request, adapter, at)
    assert_no_secret(contract, str(caught.value))


def _events_of(contract: AdapterContract,
               case: WebhookCase) -> tuple[ParsedWebhook, list[CanonicalEvent]]:
    adapter = contract.build(**case.config)
    parsed = adapter.parse_webhook(case.request)
    return parsed, adapter.to_events(parsed.topic, parsed.payload, DictMemory(case.memory))


def _poll_all(contract: AdapterContract, case: PollCase, cursor: Any,
              committed: list[str]) -> tuple[Any, PollFailed | None]:
    """Poll page after page like ``hub/polling.py``: commit items and cursor per page."""
    adapter = contract.build()  # a fresh instance: a restart keeps nothing but the cursor
    for _ in range(len(case.pages) + 2):
        try:
            page = adapter.poll(case.poll, cursor)
        except PollFailed as failure:
            return cursor, failure
        committed.extend(item.delivery_id for item in page.items)
        cursor = json.loads(json.dumps(page.cursor))
        if page.done:
            return cursor, None
    raise AssertionError(f"poll {case.poll} did not finish within {len(case.pages)} pages")


def _accepts_any_topic(cls: type[Adapter]) -> bool:
    return any(t.name == "*" for t in cls.topics)


def _declared_for(cls: type[Adapter], topic: str) -> set[str]:
    return set(EVENT_NAMES) if _accepts_any_topic(cls) else set(cls.topic(topic).emits)


def _ids(cases: list[Any], label: Callable[[Any], str]) -> list[str]:
    return [label(case) or str(index) for index, case in enumerate(cases)]


def _first_case_per_action(contract: AdapterContract) -> list[ActionCase]:
    seen: dict[str, ActionCase] = {}
    for case in contract.actions:
        seen.setdefault(case.action, case)
    return list(seen.values())


# -- declarations ------------------------------------------------------------------------------
def declaration_checks(contract: AdapterContract) -> dict[str, Any]:
    cls = contract.adapter

    def test_adapter_is_registered_under_its_name(self) -> None:
        from adapters import REGISTRY

        assert _NAME.match(cls.name), f"adapter name {cls.name!r} must be lower_snake_case"
        assert cls.title.strip(), "a title shop owners can read is required"
        assert REGISTRY.get(cls.name) is cls, f"add {cls.__name__} to adapters/__init__.py REGISTRY"

    def test_auth_fields_are_unique_and_their_defaults_fit(self) -> None:
        names = [f.name for f in cls.auth_fields]
        assert len(names) == len(set(names)), f"duplicate auth fields in {names}"
        for f in cls.auth_fields:
            assert _NAME.match(f.name), f"field {f.name!r} must be lower_snake_case"
            if f.default is not None and f.pattern:
                assert re.fullmatch(f.pattern, f.default), f"default of {f.name} breaks its pattern"
            assert not (f.secret and f.default), f"secret field {f.name} must not have a default"

    def test_outbound_base_url_is_a_setting(self) -> None:
        field = next((f for f in cls.auth_fields if f.name == "api_base_url"), None)
        assert field is not None, "adapters that call out declare an api_base_url field"
        assert not field.secret and not field.required
        http = contract.build(api_base_url="http://127.0.0.1:9/sim").make_http()
        assert isinstance(http, HttpClient)
        assert http.url("/x").startswith("http://127.0.0.1:9/sim/"), http.url("/x")

    def test_every_emitted_event_is_canonical(self) -> None:
        unknown = declared_events(cls) - set(EVENT_NAMES)
        assert not unknown, f"not canonical events: {sorted(unknown)}"
        topics = [t.name for t in cls.topics]
        assert len(topics) == len(set(topics)), f"duplicate topics in {topics}"

    def test_actions_declare_valid_input_schemas_and_methods(self) -> None:
        names = [a.name for a in cls.actions]
        assert len(names) == len(set(names)), f"duplicate actions in {names}"
        for action in cls.actions:
            jsonschema.Draft202012Validator.check_schema(action.input_schema)
            assert action.input_schema.get("type") == "object", f"{action.name}: not an object"
            assert callable(getattr(cls, f"action_{action.name}", None)), f"no action_{action.name}"
            if action.batch_size > 1:
                method = f"batch_{action.name}"
                assert callable(getattr(cls, method, None)), f"no {method}"
            assert action.consent in (None, "email", "sms"), action.consent

    def test_polls_and_rate_limits_are_well_formed(self) -> None:
        for poll in cls.polls:
            assert callable(getattr(cls, f"poll_{poll.name}", None)), f"no poll_{poll.name}"
            assert poll.every_seconds > 0 and poll.emits
        actions = {a.name for a in cls.actions}
        for limit in cls.rate_limits:
            assert limit.requests > 0 and limit.per_seconds > 0
            if limit.actions:  # a limit several actions share, named by its scope
                unknown = set(limit.actions) - actions
                assert not unknown, f"limit {limit.scope} names unknown actions {unknown}"
            else:
                assert limit.scope == "all" or limit.scope in actions, f"unknown scope {limit.scope}"

    def test_every_topic_action_and_poll_has_a_contract_case(self) -> None:
        tested_topics = {contract.build(**c.config).parse_webhook(c.request).topic
                         for c in contract.webhooks}
        missing = [t.name for t in cls.topics if t.name != "*" and t.name not in tested_topics]
        assert not missing, f"topics without a WebhookCase: {missing}"
        for action in cls.actions:
            cases = [c for c in contract.actions if c.action == action.name]
            assert cases, f"action {action.name} has no ActionCase"
            assert any(c.invalid for c in cases), f"action {action.name} has no invalid inputs"
        missing_polls = {p.name for p in cls.polls} - {c.poll for c in contract.polls}
        assert not missing_polls, f"polls without a PollCase: {sorted(missing_polls)}"

    def test_repr_shows_no_secret(self) -> None:
        adapter = contract.build()
        assert_no_secret(contract, repr(adapter), str(adapter))

    checks = {k: v for k, v in locals().items() if k.startswith("test_")}
    if not contract.calls_out:
        del checks["test_outbound_base_url_is_a_setting"]
    return checks


# -- inbound -----------------------------------------------------------------------------------
def webhook_checks(contract: AdapterContract) -> dict[str, Any]:
    cases = list(contract.webhooks)
    each = pytest.mark.parametrize("case", cases, ids=_ids(cases, lambda c: c.id))
    stale = [c for c in cases if c.stale_at is not None]
    body_signed = [c for c in cases if c.signs_body]

    @each
    def test_webhook_verifies_with_the_right_secret(self, case: WebhookCase) -> None:
        _verify(contract, case, case.request)

    @each
    def test_webhook_is_rejected_with_a_wrong_secret(self, case: WebhookCase) -> None:
        wrong = contract.build(**contract.wrong_secrets(case.config))
        _expect_rejected(contract, case, case.request, wrong)

    @each
    def test_webhook_is_rejected_with_a_forged_signature(self, case: WebhookCase) -> None:
        name = case.signature_headers[0]
        value = case.request.header(name)
        assert value, f"{case.id}: no {name} header to forge"
        _expect_rejected(contract, case, _with_headers(case.request, {name: _forged(value)}))

    @each
    def test_webhook_is_rejected_without_a_signature(self, case: WebhookCase) -> None:
        _expect_rejected(contract, case,
                         _with_headers(case.request, {}, drop=case.signature_headers))

    @each
    def test_webhook_parses_to_its_topic_and_a_stable_delivery_id(self, case: WebhookCase) -> None:
        adapter = contract.build(**case.config)
        first, again = adapter.parse_webhook(case.request), adapter.parse_webhook(case.request)
        assert first.delivery_id and first.delivery_id == again.delivery_id
        if case.topic is not None:
            assert first.topic == case.topic
        _declared_for(contract.adapter, first.topic)  # raises TopicUnknown for an undeclared one

    @each
    def test_webhook_becomes_the_expected_canonical_events(self, case: WebhookCase) -> None:
        parsed, events = _events_of(contract, case)
        assert tuple(e.name for e in events) == tuple(case.emits)
        declared = _declared_for(contract.adapter, parsed.topic)
        for event in events:
            validate_event(event)
            assert event.name in declared, f"{event.name} is not declared for {parsed.topic}"
            assert event.source == contract.adapter.name
            assert event.raw == parsed.payload, "events keep the vendor's raw payload"

    checks = {k: v for k, v in locals().items() if k.startswith("test_")}
    if body_signed:
        @pytest.mark.parametrize("case", body_signed, ids=_ids(body_signed, lambda c: c.id))
        def test_webhook_is_rejected_when_the_body_was_changed(self, case: WebhookCase) -> None:
            changed = case.request.body.replace(b"{", b"{ ", 1) + b" "
            _expect_rejected(contract, case, _with_headers(case.request, {}, body=changed))

        checks["test_webhook_is_rejected_when_the_body_was_changed"] = (
            test_webhook_is_rejected_when_the_body_was_changed)
    if stale:
        @pytest.mark.parametrize("case", stale, ids=_ids(stale, lambda c: c.id))
        def test_webhook_is_rejected_when_its_timestamp_is_stale(self, case: WebhookCase) -> None:
            _expect_rejected(contract, case, case.request, at=case.stale_at)

        checks["test_webhook_is_rejected_when_its_timestamp_is_stale"] = (
            test_webhook_is_rejected_when_its_timestamp_is_stale)
    return checks


# -- outbound: actions -------------------------------------------------------------------------
def action_checks(contract: AdapterContract) -> dict[str, Any]:
    cases = list(contract.actions)
    firsts = _first_case_per_action(contract)
    each = pytest.mark.parametrize("case", cases, ids=_ids(cases, lambda c: c.id or c.action))
    per_action = pytest.mark.parametrize("case", firsts, ids=[c.action for c in firsts])

    def attempt(case: ActionCase, reply: Reply | Exception) -> Any:
        with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
            answer_every_call(mock, reply)
            outcome = run_action(contract.build(), case)
            assert len(mock.calls) == 1, f"expected one request, {len(mock.calls)} were sent"
        assert_no_secret(contract, outcome_text(outcome))
        return outcome

    @each
    def test_action_sends_the_vendors_request(self, case: ActionCase) -> None:
        with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
            answer_every_call(mock, case.exchange.reply)
            outcome = run_action(contract.build(), case)
            assert len(mock.calls) == 1, f"expected one request, {len(mock.calls)} were sent"
            assert_request_matches(mock.calls[0].request, case.exchange.request)
        assert outcome.kind == case.expect_kind, outcome.summary
        assert_no_secret(contract, outcome_text(outcome))

    @each
    def test_action_refuses_invalid_inputs_before_sending(self, case: ActionCase) -> None:
        for inputs in case.invalid:
            with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
                answer_every_call(mock, case.exchange.reply)
                outcome = run_action(contract.build(), case, inputs)
                assert not mock.calls, f"sent a request for invalid inputs {inputs}"
            assert outcome.kind == "failed" and outcome.summary

    @per_action
    def test_rate_limited_action_retries_after_the_vendors_wait(self, case: ActionCase) -> None:
        outcome = attempt(case, contract.rate_limited)
        assert outcome.kind == "retry", outcome.summary
        assert outcome.retry_after == contract.expected_wait()

    @per_action
    @pytest.mark.parametrize("status", [500, 502, 503])
    def test_server_error_is_retried(self, case: ActionCase, status: int) -> None:
        outcome = attempt(case, Reply(status, body="upstream trouble"))
        assert outcome.kind == "retry", outcome.summary

    @per_action
    def test_refused_connection_and_connect_timeout_are_retried(self, case: ActionCase) -> None:
        for error in (requests.ConnectionError("Connection refused"), requests.ConnectTimeout()):
            assert attempt(case, error).kind == "retry"

    @per_action
    def test_read_timeout_is_unknown_unless_idempotent(self, case: ActionCase) -> None:
        outcome = attempt(case, requests.ReadTimeout())
        safe = case.safe_to_resend
        if contract.adapter.action(case.action).idempotent if safe is None else safe:
            assert outcome.kind in ("retry", "unknown"), outcome.summary
        else:
            assert outcome.kind == "unknown", "a resend could act twice: the outcome is unknown"

    @per_action
    def test_client_error_fails_in_the_vendors_words(self, case: ActionCase) -> None:
        outcome = attempt(case, contract.client_error)
        assert outcome.kind == "failed", outcome.summary
        assert contract.client_error_text in outcome.summary

    @per_action
    def test_no_secret_reaches_the_logs(self, case: ActionCase, caplog: Any) -> None:
        caplog.set_level(logging.DEBUG)
        for reply in (case.exchange.reply, contract.client_error, contract.rate_limited):
            attempt(case, reply)
        assert_no_secret(contract, caplog.text)

    return {k: v for k, v in locals().items() if k.startswith("test_")}


# -- outbound: polls and the connection test ---------------------------------------------------
def _register_pages(mock: responses.RequestsMock, case: PollCase, fail_at: int | None = None,
                    failure: Reply | None = None) -> None:
    for index, page in enumerate(case.pages):
        if index == fail_at and failure is not None:
            failure.register(mock, page.request.method, page.request.url)
        page.reply.register(mock, page.request.method, page.request.url)


def poll_checks(contract: AdapterContract) -> dict[str, Any]:
    cases = list(contract.polls)
    each = pytest.mark.parametrize("case", cases, ids=_ids(cases, lambda c: c.poll))
    restarts = [(c, k) for c in cases for k in range(1, len(c.pages))]

    @each
    def test_poll_reads_every_page_once(self, case: PollCase) -> None:
        committed: list[str] = []
        with responses.RequestsMock() as mock:
            _register_pages(mock, case)
            _, failure = _poll_all(contract, case, case.cursor, committed)
            for call, page in zip(mock.calls, case.pages, strict=True):
                assert_request_matches(call.request, page.request)
        assert failure is None, failure.outcome.summary if failure else ""
        assert committed == list(case.delivery_ids)

    @pytest.mark.parametrize("case, fail_at", restarts,
                             ids=[f"{c.poll}-page{k + 1}" for c, k in restarts])
    def test_poll_resumes_after_a_failed_page_without_duplicates_or_gaps(
            self: Any, case: PollCase, fail_at: int) -> None:
        committed: list[str] = []
        with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
            _register_pages(mock, case, fail_at, Reply(503, body="Service Unavailable"))
            cursor, failure = _poll_all(contract, case, case.cursor, committed)
            assert failure is not None and failure.outcome.kind == "retry"
            cursor, failure = _poll_all(contract, case, cursor, committed)  # the next run
        assert failure is None, failure.outcome.summary if failure else ""
        assert committed == list(case.delivery_ids)

    @each
    def test_rate_limited_poll_retries_after_the_vendors_wait(self, case: PollCase) -> None:
        with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
            answer_every_call(mock, contract.rate_limited)
            with pytest.raises(PollFailed) as caught:
                contract.build().poll(case.poll, case.cursor)
        assert caught.value.outcome.kind == "retry"
        assert caught.value.outcome.retry_after == contract.expected_wait()
        assert_no_secret(contract, outcome_text(caught.value.outcome), str(caught.value))

    @each
    def test_rejected_poll_fails_in_the_vendors_words(self, case: PollCase) -> None:
        with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
            answer_every_call(mock, contract.client_error)
            with pytest.raises(PollFailed) as caught:
                contract.build().poll(case.poll, case.cursor)
        assert caught.value.outcome.kind == "failed"
        assert contract.client_error_text in caught.value.outcome.summary

    return {k: v for k, v in locals().items() if k.startswith("test_")}


def connection_test_checks(contract: AdapterContract) -> dict[str, Any]:
    exchange = contract.connection_test
    assert exchange is not None

    def test_connection_test_makes_one_harmless_call(self) -> None:
        with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
            answer_every_call(mock, exchange.reply)
            outcome = contract.build().test_connection()
            assert len(mock.calls) == 1
            assert_request_matches(mock.calls[0].request, exchange.request)
        assert exchange.request.method.upper() == "GET", "a connection test must not change data"
        assert outcome.kind == "delivered", outcome.summary
        assert_no_secret(contract, outcome_text(outcome))

    def test_connection_test_reports_a_rejection(self) -> None:
        with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
            answer_every_call(mock, contract.client_error)
            outcome = contract.build().test_connection()
        assert outcome.kind == "failed" and contract.client_error_text in outcome.summary

    return {k: v for k, v in locals().items() if k.startswith("test_")}


def build_suite(contract: AdapterContract) -> type:
    """The test class for ``contract``: only the groups of checks that apply."""
    checks = declaration_checks(contract)
    if contract.webhooks:
        checks.update(webhook_checks(contract))
    if contract.actions:
        checks.update(action_checks(contract))
    if contract.polls:
        checks.update(poll_checks(contract))
    if contract.connection_test is not None:
        checks.update(connection_test_checks(contract))
    name = f"Test{contract.adapter.__name__}Contract"
    suite = type(name, (), {"contract": contract, **checks,
                            "__doc__": f"The contract, held by {contract.adapter.__name__}."})
    return suite

