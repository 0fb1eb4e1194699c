"""Activity, customers and the dashboard over real engine work: an abandoned checkout whose
Klaviyo call is refused, seen in the log, on the customer page, and replayed."""

from __future__ import annotations

import re
from datetime import datetime

import pytest
import responses

from hub import audit, clock
from hub.store import AuditQuery
from tests.support.engine import checkout, emit, enable, klaviyo, work
from tests.support.fixtures import SECRETS, fixture_bytes

EVENTS_URL = "https://a.klaviyo.com/api/events/"


@pytest.fixture
def friday():
    with clock.frozen(datetime(2026, 11, 20, 14, 14, 2, tzinfo=clock.UTC)) as frozen:
        yield frozen


@pytest.fixture
def dead_letter(friday, rt, shopify):
    """Maya's abandoned checkout; Klaviyo refuses the reminder (400), so it is a dead letter."""
    klaviyo(rt)
    enable(rt, "abandoned-checkout-email")
    with responses.RequestsMock() as vendor:
        vendor.post(EVENTS_URL, status=400, body=fixture_bytes("klaviyo/error_400.json"),
                    content_type="application/vnd.api+json")
        emit(rt, checkout())
        work(rt)
        friday.move(hours=2, seconds=1)
        work(rt)
    [row] = rt.store.list_deliveries(status="dead")
    return row


def test_a_dead_letter_is_listed_and_the_owner_replays_it(as_owner, rt, dead_letter):
    listing = as_owner.get("/activity/failed").get_data(as_text=True)
    assert "Track event" in listing and "&#39;metric&#39; is a required field." in listing
    answer = as_owner.post(f"/activity/deliveries/{dead_letter.id}/replay", follow_redirects=True)
    assert "Queued to be sent again" in answer.get_data(as_text=True)
    assert rt.store.get_delivery(dead_letter.id).status == "pending"
    [row] = rt.store.query_audit(AuditQuery(action="replay"))
    assert row.actor_id == "olive@northwind.example" and row.outcome == "ok"


def test_staff_see_failed_sends_but_cannot_replay(as_staff, rt, dead_letter):
    listing = as_staff.get("/activity/failed").get_data(as_text=True)
    assert "Track event" in listing and ">Replay<" not in listing
    assert as_staff.post(f"/activity/deliveries/{dead_letter.id}/replay").status_code == 403
    assert rt.store.get_delivery(dead_letter.id).status == "dead"


def test_the_run_page_shows_the_event_each_step_and_each_attempt(as_owner, rt, dead_letter):
    html = as_owner.get(f"/activity/run/{dead_letter.correlation_id}").get_data(as_text=True)
    assert "Recipe: Email the exact items left in an abandoned checkout" in html
    assert "wait until" in html and "prepare klaviyo.track_event" in html
    assert "Attempt 1" in html and "HTTP 400" in html and "Failed for good" in html
    assert SECRETS["klaviyo"] not in html  # the request summary's API key is masked


def test_the_customer_page_shows_cart_consent_and_timeline(as_staff, rt, dead_letter):
    found = as_staff.get("/customers/?q=maya.lopez@example.com")
    assert found.status_code == 302
    page = as_staff.get(found.headers["Location"]).get_data(as_text=True)
    assert "Maya Lopez" in page and "+14155550142" in page
    assert "Linen Wrap Dress" in page and "Straw Tote" in page
    assert "checkout updated" in page


@pytest.mark.parametrize("query", ["Maya", "lopez", "415 555 0142"])
def test_customer_search_by_name_or_phone_lists_her(as_staff, dead_letter, query):
    html = as_staff.get("/customers/", query_string={"q": query},
                        headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "Maya Lopez" in html


def test_activity_filters_by_outcome_recipe_and_customer(as_owner, rt, dead_letter):
    dead = as_owner.get("/activity/?outcome=dead").get_data(as_text=True)
    assert "Klaviyo.track event" in dead and "Receive · event" not in dead
    by_recipe = as_owner.get("/activity/?recipe=abandoned-checkout-email").get_data(as_text=True)
    assert "Klaviyo.track event" in by_recipe and "Receive · event" not in by_recipe
    mine = as_owner.get("/activity/?customer=maya.lopez@example.com").get_data(as_text=True)
    assert "Showing what the hub did about" in mine and "Klaviyo.track event" in mine
    nobody = as_owner.get("/activity/?customer=nobody@example.com").get_data(as_text=True)
    assert "No customer matches" in nobody


def test_activity_pages_by_key_without_gaps_or_repeats(as_owner, rt, friday):
    for n in range(120):
        audit.record(rt.store, "system", "test", f"step-{n:03d}", "ok")
    seen: list[str] = []
    url = "/activity/?actor=system"
    while url:
        html = as_owner.get(url).get_data(as_text=True)
        seen += re.findall(r"Step (\d{3})", html)
        older = re.search(r'href="(/activity/\?before=[^"]+)">Older', html)
        url = older.group(1).replace("&amp;", "&") if older else None
    assert seen == [f"{n:03d}" for n in range(119, -1, -1)]


def test_the_period_filter_uses_the_hubs_clock(as_owner, rt, friday):
    audit.record(rt.store, "system", "test", "long-ago", "ok")
    friday.move(days=2)
    assert "Long ago" not in as_owner.get("/activity/?period=day").get_data(as_text=True)
    assert "Long ago" in as_owner.get("/activity/?period=week").get_data(as_text=True)


def test_the_dashboard_counts_and_needs_attention(as_owner, rt, dead_letter):
    html = as_owner.get("/").get_data(as_text=True)
    assert "1 send did not go through and wait for a replay" in html
    assert "Shopify · shop has not been tested yet" in html
    assert "Email the exact items left in an abandoned checkout" in html
    table = html[html.index("Show the numbers as a table"):]
    assert '<td class="num">1</td>' in table  # one event in, one failure


def test_chart_buckets_follow_the_shops_calendar_days():
    from zoneinfo import ZoneInfo

    from web.chart import buckets

    zone = ZoneInfo("America/New_York")
    now = datetime(2026, 11, 20, 14, 0, tzinfo=clock.UTC)  # 09:00 in New York
    rows = [("2026-11-20T04", "webhook", "accepted", 3),   # 23:00 on the 19th, local
            ("2026-11-20T05", "webhook", "accepted", 2),   # 00:00 on the 20th, local
            ("2026-11-20T13", "delivery", "delivered", 1),
            ("2026-11-20T13", "delivery", "dead", 4),
            ("2026-11-20T13", "user", "ok", 9)]
    week = buckets(rows, span="week", zone=zone, now=now)
    assert [b.label for b in week][-2:] == ["Thu 19", "Fri 20"]
    assert week[-2].counts == {"in": 3, "out": 0, "fail": 0}
    assert week[-1].counts == {"in": 2, "out": 1, "fail": 4}
    day = buckets(rows, span="day", zone=zone, now=now)
    assert len(day) == 24 and day[-1].label == "09:00" and day[-2].counts["fail"] == 4
