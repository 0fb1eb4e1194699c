"""The Shopify simulator answers like the Admin REST API and delivers webhooks like Shopify."""

from __future__ import annotations

import json
from datetime import datetime

import pytest
import requests

from adapters.base import WebhookRequest
from adapters.shopify import ShopifyAdapter
from hub import clock
from hub.simulators import Simulators, SimulatorServer
from hub.simulators.config import ShopifyConfig
from hub.simulators.delivery import SHOPIFY_RETRY_DELAYS
from hub.simulators.shopify_data import CATALOG, line_item, make_checkout, make_order
from tests.simulators.conftest import fixture_config
from tests.support.fixtures import SECRETS, fixture_bytes, fixture_json, signed

TOKEN = {"X-Shopify-Access-Token": SECRETS["shopify_access_token"]}
PAGE1_QUERY = "limit=1&status=open&updated_at_min=2026-11-20T00:00:00-05:00"


def api(server: SimulatorServer, resource: str) -> str:
    return f"{server.url('shopify')}/admin/api/2025-10/{resource}"


@pytest.mark.parametrize("headers", [{}, {"X-Shopify-Access-Token": "shpat_wrong"}])
def test_a_missing_or_wrong_access_token_gets_shopifys_401(server, headers):
    answer = requests.get(api(server, "checkouts.json"), headers=headers)
    assert answer.status_code == 401
    assert answer.json() == {"errors": "[API] Invalid API key or access token (unrecognized "
                                       "login or wrong password)"}


def test_pages_follow_the_link_header_exactly_like_the_fixtures(server):
    first = requests.get(f"{api(server, 'checkouts.json')}?{PAGE1_QUERY}", headers=TOKEN)
    assert first.json() == fixture_json("shopify/rest_abandoned_checkouts_page1.json")
    assert "previous" not in first.links
    second = requests.get(first.links["next"]["url"], headers=TOKEN)
    assert second.json() == fixture_json("shopify/rest_abandoned_checkouts_page2.json")
    assert "next" not in second.links
    back = requests.get(second.links["previous"]["url"], headers=TOKEN)
    assert back.json() == first.json()


def test_the_link_header_has_shopifys_format_and_carries_only_limit_and_page_info(server):
    answer = requests.get(f"{api(server, 'checkouts.json')}?{PAGE1_QUERY}", headers=TOKEN)
    link = answer.headers["Link"]
    assert link.startswith(f"<{api(server, 'checkouts.json')}?limit=1&page_info=")
    assert link.endswith('>; rel="next"')


def test_filters_cannot_be_repeated_next_to_page_info(server):
    first = requests.get(f"{api(server, 'checkouts.json')}?{PAGE1_QUERY}", headers=TOKEN)
    again = requests.get(first.links["next"]["url"] + "&status=open", headers=TOKEN)
    assert again.status_code == 400
    assert "page_info" in again.json()["errors"]


def test_updated_at_min_and_status_filter_the_data_set(sims, server):
    maya = {"id": 7212345678901, "email": "maya.lopez@example.com"}
    later = requests.get(api(server, "checkouts.json"), headers=TOKEN,
                         params={"updated_at_min": "2026-11-20T10:00:00-05:00"})
    assert [c["email"] for c in later.json()["checkouts"]] == ["jordan.kim@example.com"]
    sims.shopify.add_order(make_order(email=maya["email"], phone=None,
                                      items=[line_item(CATALOG[0])], customer=maya,
                                      checkout_token="5b9f3c2ad41e4f0e8c1b7a6d9e2f4a10"))
    open_now = requests.get(api(server, "checkouts.json"), headers=TOKEN).json()["checkouts"]
    closed = requests.get(api(server, "checkouts.json"), headers=TOKEN,
                          params={"status": "closed"}).json()["checkouts"]
    assert [c["email"] for c in open_now] == ["jordan.kim@example.com"]
    assert [c["token"] for c in closed] == ["5b9f3c2ad41e4f0e8c1b7a6d9e2f4a10"]
    count = requests.get(api(server, "checkouts/count.json"), headers=TOKEN).json()
    assert count == {"count": 1}


def test_orders_added_by_a_test_are_listed_with_fields(sims, server):
    order = sims.shopify.add_order(make_order(email="a@example.com", phone=None,
                                              items=[line_item(CATALOG[2])]), notify=False)
    answer = requests.get(api(server, "orders.json"), headers=TOKEN,
                          params={"status": "any", "fields": "id,total_price"})
    assert answer.json() == {"orders": [{"id": order["id"], "total_price": "65.00"}]}


@pytest.mark.parametrize("query", ["limit=251", "limit=x", "status=lost",
                                   "updated_at_min=yesterday"])
def test_bad_list_parameters_are_refused(server, query):
    answer = requests.get(f"{api(server, 'checkouts.json')}?{query}", headers=TOKEN)
    assert answer.status_code == 400 and answer.json()["errors"]


def test_every_answer_reports_the_call_limit_and_a_full_bucket_answers_429(frozen_clock):
    sims = Simulators(fixture_config(shopify=ShopifyConfig(
        access_token=SECRETS["shopify_access_token"], bucket_size=3)))
    with SimulatorServer(sims) as server:
        used = [requests.get(api(server, "shop.json"), headers=TOKEN)
                .headers["X-Shopify-Shop-Api-Call-Limit"] for _ in range(3)]
        refused = requests.get(api(server, "shop.json"), headers=TOKEN)
        frozen_clock.move(seconds=1)  # leaks 2 at 2/s
        again = requests.get(api(server, "shop.json"), headers=TOKEN)
    assert used == ["1/3", "2/3", "3/3"]
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "2.0"
    assert refused.headers["X-Shopify-Shop-Api-Call-Limit"] == "3/3"
    assert refused.json() == fixture_json("shopify/rest_429.json")
    assert again.status_code == 200 and again.headers["X-Shopify-Shop-Api-Call-Limit"] == "2/3"


def test_the_adapter_polls_the_simulator_page_by_page(sims, server):
    adapter = ShopifyAdapter({"webhook_secret": SECRETS["shopify"],
                              "access_token": SECRETS["shopify_access_token"],
                              "shop_domain": "northwind-boutique.myshopify.com",
                              "api_base_url": server.url("shopify")})
    assert adapter.test_connection().ok
    cursor, seen = None, []
    for _ in range(5):
        page = adapter.poll("abandoned_checkouts", json.loads(json.dumps(cursor)))
        seen += [item.payload["token"] for item in page.items]
        cursor = page.cursor
        if page.done:
            break
    assert sorted(seen) == sorted(c["token"] for c in sims.shopify.checkouts())


def test_fixture_signatures_are_reproduced():
    from hub.simulators.signing import shopify_hmac

    for name in ("shopify/customers_create.json", "shopify/orders_create_pos.json"):
        assert shopify_hmac(SECRETS["shopify"], fixture_bytes(name)) == \
            signed(name).headers["X-Shopify-Hmac-Sha256"]


def _as_webhook(received) -> WebhookRequest:
    return WebhookRequest(received.method, received.url, received.headers, received.body)


def test_a_sent_webhook_carries_shopifys_headers_and_passes_the_adapters_check(sims, receiver):
    with clock.frozen(datetime(2026, 11, 20, 14, 0, 5, tzinfo=clock.UTC)):
        delivery = sims.shopify.send_webhook(
            "customers/create", fixture_bytes("shopify/customers_create.json"),
            receiver.url("/hooks/shopify-shop"), sleep=lambda s: None)
    assert delivery.delivered and len(delivery.attempts) == 1
    got = receiver.received[0]
    assert got.body == fixture_bytes("shopify/customers_create.json")
    assert got.headers["X-Shopify-Hmac-Sha256"] == signed(
        "shopify/customers_create.json").headers["X-Shopify-Hmac-Sha256"]
    assert got.headers["X-Shopify-Triggered-At"] == "2026-11-20T14:00:05.000000000Z"
    for name in ("X-Shopify-Topic", "X-Shopify-Shop-Domain", "X-Shopify-Api-Version",
                 "X-Shopify-Webhook-Id", "X-Shopify-Event-Id"):
        assert got.headers[name]
    adapter = ShopifyAdapter({"webhook_secret": SECRETS["shopify"]})
    adapter.verify_webhook(_as_webhook(got))
    assert adapter.parse_webhook(_as_webhook(got)).topic == "customers/create"


def test_a_failed_delivery_is_retried_with_the_same_bytes_and_ids_on_shopifys_schedule(
        sims, receiver):
    receiver.answer_with([500, 503, 404])
    waits: list[float] = []
    delivery = sims.shopify.send_webhook("orders/create", {"id": 1},
                                         receiver.url("/hooks/shopify-shop"), sleep=waits.append)
    assert delivery.delivered and [a.status for a in delivery.attempts] == [500, 503, 404, 200]
    assert waits == list(SHOPIFY_RETRY_DELAYS[:3])
    assert len({r.body for r in receiver.received}) == 1
    assert len({r.headers["X-Shopify-Webhook-Id"] for r in receiver.received}) == 1
    assert len({r.headers["X-Shopify-Event-Id"] for r in receiver.received}) == 1


def test_shopify_gives_up_after_eight_retries_over_four_hours(sims, receiver):
    receiver.answer_with([500] * 9)
    waits: list[float] = []
    delivery = sims.shopify.send_webhook("orders/create", {"id": 1},
                                         receiver.url("/hooks/x"), sleep=waits.append)
    assert not delivery.delivered and len(delivery.attempts) == 9
    assert len(waits) == 8 and abs(sum(waits) - 4 * 3600) < 5
    assert waits == sorted(waits)


def test_new_checkouts_are_delivered_to_subscriptions(sims, server, receiver):
    sims.shopify.subscribe("checkouts/create", receiver.url("/hooks/shopify-shop"))
    checkout = make_checkout(shop_domain="northwind-boutique.myshopify.com",
                             email="new@example.com", phone=None,
                             items=[line_item(CATALOG[1], 2)])
    sims.shopify.add_checkout(checkout)
    assert sims.dispatcher.wait_idle()
    [got] = receiver.received
    assert got.headers["X-Shopify-Topic"] == "checkouts/create"
    assert json.loads(got.body)["total_price"] == "96.00"
    ShopifyAdapter({"webhook_secret": SECRETS["shopify"]}).verify_webhook(_as_webhook(got))
    listed = requests.get(api(server, "checkouts.json"), headers=TOKEN).json()["checkouts"]
    assert checkout["token"] in [c["token"] for c in listed]
