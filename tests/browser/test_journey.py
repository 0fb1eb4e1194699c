"""The issue's "Done when" walk, in a real browser against a real server: first-run sign-up,
sign-in, add a connection, enable the abandoned-checkout recipe with a changed delay, send a
signed webhook, see it in Activity and on the customer page, replay a dead letter, sign out;
plus CSRF rejection and the redirect of a visitor without a session."""

from __future__ import annotations

import pytest

from tests.browser import journey
from tests.support.fixtures import SECRETS

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_the_owners_first_hour(live, klaviyo, page):
    base = live.url
    journey.create_owner(page, base, live.data_dir)
    journey.sign_out(page)
    journey.sign_in(page, base)

    webhook_url = journey.connect_shopify(page, base)
    assert webhook_url == "https://hub.example.com/hooks/shopify-shop"
    page.get_by_role("link", name="Open the connection and test it").click()
    settings = page.get_by_role("region", name="Settings").inner_text()
    assert SECRETS["shopify"] not in page.content()
    assert "••••" + SECRETS["shopify"][-4:] in settings
    journey.connect_klaviyo(page, base, klaviyo.url)

    journey.enable_abandoned_checkout(page, base, delay_hours="0.25")
    assert "0.25" in page.get_by_role("region", name="Settings").inner_text()

    journey.send_checkout_webhook(base)
    page.goto(base + "/activity/")
    page.get_by_role("link", name="Receive · event").first.click()
    page.get_by_role("heading", name="What came in").wait_for()
    assert "checkouts/update" in page.get_by_role("region", name="What came in").inner_text()

    def customer_known() -> bool:
        """the worker to build Maya's profile"""
        page.goto(base + "/customers/?q=maya.lopez%40example.com")
        return page.get_by_role("heading", name="Maya Lopez").count() > 0

    journey.wait_for(customer_known)
    cart = page.get_by_role("region", name="Cart now").inner_text()
    assert "Linen Wrap Dress" in cart
    assert "checkout" in page.get_by_role("region", name="Timeline across channels").inner_text()

    journey.open_failed_send_and_replay(page, base)

    def delivered() -> bool:
        """the replayed send to reach Klaviyo"""
        page.reload()
        return page.get_by_text("Sent", exact=True).count() > 0

    journey.wait_for(delivered)
    assert len(klaviyo.received) == 2
    assert klaviyo.received[1]["body"]["data"]["attributes"]["metric"]["data"]["attributes"][
        "name"] == "Abandoned Checkout"

    journey.sign_out(page)
    page.goto(base + "/activity/")
    assert "/login" in page.url


def test_a_visitor_without_a_session_is_sent_to_sign_in(live, browser):
    context = browser.new_context()
    page = context.new_page()
    page.goto(live.url + "/customers/")
    assert page.url.startswith(live.url + "/login") or page.url.endswith("/setup")
    page.get_by_role("heading", name="Sign in").or_(
        page.get_by_role("heading", name="Welcome to your hub")).wait_for()
    context.close()


def test_a_form_with_a_forged_csrf_token_is_refused(live, page):
    base = live.url
    if "/setup" in (page.goto(base + "/login") or page).url:
        journey.create_owner(page, base, live.data_dir)
    else:
        journey.sign_in(page, base)
    page.goto(base + "/people")
    page.get_by_label("Email").fill("forged@example.com")
    page.locator("form[action='/people/invite'] input[name=csrf_token]").evaluate(
        "input => input.value = 'forged-token'")
    with page.expect_response(lambda r: r.url.endswith("/people/invite")) as answer:
        page.get_by_role("button", name="Create the invitation").click()
    assert answer.value.status == 400
    page.get_by_role("heading", name="This form has expired").wait_for()
    page.goto(base + "/people")
    assert "forged@example.com" not in page.content()
