"""Polls commit each page with its cursor: a failed page resumes without duplicates or gaps."""

from __future__ import annotations

import json

import pytest
import responses

from hub.polling import PollUnknown, run_poll
from hub.store import AuditQuery
from tests.adapters.vendor_files import reply_headers, request_url
from tests.support.fixtures import fixture_json

PAGE1 = request_url("shopify/rest_abandoned_checkouts_page1.headers.txt").replace("limit=1", "limit=250")
PAGE2 = request_url("shopify/rest_abandoned_checkouts_page2.headers.txt")
EXPECTED = ["checkouts:32109876543210:2026-11-20T14:14:02.000000Z",
            "checkouts:32109876541111:2026-11-20T16:30:00.000000Z"]


def page(mock, url: str, number: int) -> None:
    name = f"shopify/rest_abandoned_checkouts_page{number}"
    mock.add("GET", url, json=fixture_json(f"{name}.json"), headers=reply_headers(f"{name}.headers.txt"))


def poll_events(rt) -> list[str]:
    return [e.delivery_id for e in reversed(rt.store.list_events(connection_id="shopify-shop"))
            if e.source == "poll"]


@pytest.fixture
def started(rt, shopify):
    """The checkouts poll's cursor as if its previous run ended at midnight New York time."""
    rt.store.put_state("poll:shopify-shop", "abandoned_checkouts", {"since": "2026-11-20T00:00:00-05:00"})
    return rt


def test_page_two_failure_then_resume_stores_every_checkout_once(started):
    rt = started
    with responses.RequestsMock() as mock:
        page(mock, PAGE1, 1)
        mock.add("GET", PAGE2, status=503, body="Service Unavailable")
        first = run_poll(rt, "shopify-shop", "abandoned_checkouts")
    assert (first.pages, first.stored, first.done) == (1, 1, False)
    assert "503" in first.error
    assert rt.store.get_state("poll:shopify-shop", "abandoned_checkouts")["next_url"] == PAGE2

    with responses.RequestsMock() as mock:
        page(mock, PAGE2, 2)  # the next run starts from the committed page-2 URL, not page 1
        second = run_poll(rt, "shopify-shop", "abandoned_checkouts")
    assert (second.pages, second.stored, second.duplicates, second.done) == (1, 1, 0, True)
    assert poll_events(rt) == EXPECTED
    cursor = rt.store.get_state("poll:shopify-shop", "abandoned_checkouts")
    assert cursor["next_url"] is None and cursor["since"] == "2026-11-20T16:29:00Z"


def test_reading_the_same_pages_again_stores_nothing_new(started):
    rt = started
    for _ in range(2):
        rt.store.put_state("poll:shopify-shop", "abandoned_checkouts", {"since": "2026-11-20T00:00:00-05:00"})
        with responses.RequestsMock() as mock:
            page(mock, PAGE1, 1)
            page(mock, PAGE2, 2)
            run = run_poll(rt, "shopify-shop", "abandoned_checkouts")
    assert (run.stored, run.duplicates) == (0, 2)
    assert poll_events(rt) == EXPECTED


def test_stored_poll_events_keep_the_vendor_item_and_topic(started):
    with responses.RequestsMock() as mock:
        page(mock, PAGE1, 1)
        page(mock, PAGE2, 2)
        run_poll(started, "shopify-shop", "abandoned_checkouts")
    [newest] = started.store.list_events(limit=1)
    assert newest.topic == "checkouts/update" and newest.source == "poll"
    assert json.loads(newest.body) == fixture_json("shopify/rest_abandoned_checkouts_page2.json")["checkouts"][0]
    assert newest.occurred_at == "2026-11-20T16:30:00.000000Z"


def test_max_pages_ends_a_run_early_and_the_next_run_continues(started):
    with responses.RequestsMock() as mock:
        page(mock, PAGE1, 1)
        run = run_poll(started, "shopify-shop", "abandoned_checkouts", max_pages=1)
    assert (run.pages, run.done, run.error) == (1, False, None)
    with responses.RequestsMock() as mock:
        page(mock, PAGE2, 2)
        assert run_poll(started, "shopify-shop", "abandoned_checkouts").done
    assert poll_events(started) == EXPECTED


def test_each_page_and_failure_is_audited(started):
    with responses.RequestsMock() as mock:
        page(mock, PAGE1, 1)
        mock.add("GET", PAGE2, status=429, json=fixture_json("shopify/rest_429.json"),
                 headers={"Retry-After": "2.0"})
        run = run_poll(started, "shopify-shop", "abandoned_checkouts")
    assert run.retry_after == 2.0
    entries = started.store.query_audit(AuditQuery(actor_type="poll"))
    assert [(e.outcome, e.detail.split(":")[0]) for e in reversed(entries)] == [
        ("ok", "page 1"), ("error", "page 2 failed")]
    assert "Exceeded 2 calls per second" in entries[0].detail


def test_first_run_reads_changes_from_the_last_day(rt, shopify, frozen_clock):
    url = ("https://northwind-boutique.myshopify.com/admin/api/2025-10/checkouts.json"
           "?limit=250&status=open&updated_at_min=2026-11-19T14:00:00.000000Z")
    with responses.RequestsMock() as mock:
        mock.add("GET", url, json={"checkouts": []})
        run = run_poll(rt, "shopify-shop", "abandoned_checkouts")
    assert run.done and run.stored == 0


def test_unknown_poll_or_connection_is_refused(rt, shopify):
    with pytest.raises(PollUnknown, match="has no poll 'carts'"):
        run_poll(rt, "shopify-shop", "carts")
    with pytest.raises(PollUnknown):
        run_poll(rt, "shopify-nope", "orders")
