"""Photograph every main page of the web UI at desktop and phone width into docs/screenshots/.

Walks the same journey as ``tests/browser/test_journey.py`` against a real ``hub serve`` (a
fresh data folder, a sped-up clock, a stand-in Klaviyo on loopback), so the pictures show
real data flowing, then saves ``<page>-desktop.png`` and ``<page>-phone.png`` per page.

    .venv/bin/python scripts/screenshots.py [--out docs/screenshots]

Needs Debian's chromium (``apt-get install chromium``); never downloads a browser.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.browser import journey  # noqa: E402
from tests.support.fixtures import signed  # noqa: E402


def _send(base: str, name: str) -> None:
    import requests

    request = signed(name)
    requests.post(base + "/hooks/shopify-shop", data=request.body, headers=request.headers,
                  timeout=10).raise_for_status()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    args = parser.parse_args()
    reason = journey.chromium_missing_reason()
    if reason:
        print(reason, file=sys.stderr)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    from playwright.sync_api import sync_playwright

    klaviyo = journey.FakeKlaviyo().start()
    with tempfile.TemporaryDirectory() as folder, sync_playwright() as playwright:
        hub = journey.start_hub(Path(folder) / "data")
        browser = playwright.chromium.launch(executable_path=journey.CHROMIUM)
        try:
            pages = _walk(browser, hub, klaviyo, args.out)
        finally:
            browser.close()
            hub.stop()
            klaviyo.stop()
    print(f"{len(pages) * 2} screenshots in {args.out}")
    return 0


def _walk(browser, hub, klaviyo, out: Path) -> list[str]:
    base = hub.url
    context = browser.new_context(viewport=journey.DESKTOP)
    context.set_default_timeout(20_000)
    page = context.new_page()
    shots: dict[str, str] = {}

    page.goto(base + "/")
    shots["setup"] = page.url
    _shoot(browser, context, "setup", page.url, out, signed_in=False)
    journey.create_owner(page, base, hub.data_dir)
    journey.connect_shopify(page, base)
    journey.connect_klaviyo(page, base, klaviyo.url)
    journey.enable_abandoned_checkout(page, base, delay_hours="0.25")
    for name in ("shopify/customers_create.json", "shopify/checkouts_update.json"):
        _send(base, name)
    journey.open_failed_send_and_replay(page, base)
    run_url = page.url
    # Later she buys in store: the purchase shows on her page and the timeline.
    _send(base, "shopify/orders_create_pos.json")

    page.goto(base + "/customers/?q=maya.lopez%40example.com")
    customer_url = page.url
    page.goto(base + "/recipes/")
    page.get_by_role("link", name="Email the exact items left in an abandoned checkout").first.click()
    instance_url = page.url
    shots.update({
        "dashboard": base + "/", "connections": base + "/connections/",
        "connection": base + "/connections/shopify-shop",
        "connection-form": base + "/connections/new/shopify",
        "recipes": base + "/recipes/",
        "recipe-enable": base + "/recipes/abandoned-checkout-email/enable",
        "recipe": instance_url, "activity": base + "/activity/", "activity-run": run_url,
        "failed-sends": base + "/activity/failed", "customers": base + "/customers/",
        "customer": customer_url, "people": base + "/people",
    })
    for name, url in shots.items():
        if name != "setup":
            _shoot(browser, context, name, url, out, signed_in=True)
    _shoot(browser, None, "login", base + "/login", out, signed_in=False)
    context.close()
    return [*shots, "login"]


def _shoot(browser, signed_context, name: str, url: str, out: Path, *, signed_in: bool) -> None:
    """Full-page pictures at both widths; a signed-in page reuses the owner's cookies."""
    state = signed_context.storage_state() if signed_in and signed_context else None
    for label, viewport in journey.iter_widths():
        context = browser.new_context(viewport=viewport, storage_state=state,
                                      device_scale_factor=1)
        page = context.new_page()
        page.goto(url)
        page.wait_for_load_state("networkidle")
        page.screenshot(path=str(out / f"{name}-{label}.png"), full_page=True)
        context.close()
    print(f"  {name}: {url}")


if __name__ == "__main__":
    raise SystemExit(main())
