"""Shopify Admin REST API (the parts the hub polls and tests) and Shopify's webhook delivery.

- ``X-Shopify-Access-Token`` checked first (401 with Shopify's error body);
- a leaky bucket per app and shop; every answer carries ``X-Shopify-Shop-Api-Call-Limit``
  and a full bucket answers 429 with ``Retry-After`` (fixture ``rest_429``);
- ``checkouts.json`` (abandoned checkouts) and ``orders.json`` with ``status``,
  ``since_id``, ``created_at_min|max``, ``updated_at_min|max``, ``limit`` ≤ 250, ``fields``,
  and cursor pagination: ``page_info`` in the ``Link`` header, filters not repeatable;
- webhooks: subscriptions made through the Python API receive signed deliveries whenever the
  data set changes (``add_checkout`` → ``checkouts/create`` …), retried like Shopify.
"""

from __future__ import annotations

import copy
import hmac
import re
import threading
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any, Callable, Mapping

from flask import Blueprint, Response, request

from hub.simulators import shopify_data as data
from hub.simulators.config import ShopifyConfig
from hub.simulators.delivery import Dispatcher, Sleep, WebhookDelivery
from hub.simulators.ratelimit import LeakyBucket
from hub.simulators.senders import send_webhook
from hub.simulators.vendor import VendorSim, json_response

CALL_LIMIT = "X-Shopify-Shop-Api-Call-Limit"
UNAUTHORIZED = "[API] Invalid API key or access token (unrecognized login or wrong password)"
THROTTLED = ("Exceeded 2 calls per second for api client. "
             "Reduce request rates to resume uninterrupted service.")
_VERSION = re.compile(r"^\d{4}-(01|04|07|10)$")


@dataclass(frozen=True)
class Subscription:
    topic: str
    url: str


class ShopifySim(VendorSim):
    name = "shopify"
    title = "Shopify Admin REST API"

    def __init__(self, config: ShopifyConfig, dispatcher: Dispatcher) -> None:
        self.config = config
        self._dispatcher = dispatcher
        self._lock = threading.RLock()
        self._subscriptions: list[Subscription] = []
        self.reset()

    # -- state -------------------------------------------------------------------------------
    def reset(self) -> None:
        """Seeded data back, bucket empty. Webhook subscriptions are setup, so they stay."""
        with self._lock:
            seed = data.seed_checkouts(self.config.shop_domain) if self.config.seed_data else []
            self._checkouts: dict[str, dict[str, Any]] = {c["token"]: c for c in seed}
            self._orders: dict[int, dict[str, Any]] = {}
            self._bucket = LeakyBucket(self.config.bucket_size, self.config.leak_per_second)

    def checkouts(self) -> list[dict[str, Any]]:
        with self._lock:
            return copy.deepcopy(list(self._checkouts.values()))

    def orders(self) -> list[dict[str, Any]]:
        with self._lock:
            return copy.deepcopy(list(self._orders.values()))

    def add_checkout(self, checkout: Mapping[str, Any], *, notify: bool = True) -> dict[str, Any]:
        """Store a checkout (see ``shopify_data.make_checkout``); sends ``checkouts/create``."""
        record = copy.deepcopy(dict(checkout))
        with self._lock:
            self._checkouts[record["token"]] = record
        if notify:
            self.emit("checkouts/create", record)
        return copy.deepcopy(record)

    def update_checkout(self, token: str, changes: Mapping[str, Any], *,
                        notify: bool = True) -> dict[str, Any]:
        """Change a checkout (``updated_at`` moves to now); sends ``checkouts/update``."""
        with self._lock:
            record = self._checkouts[token]
            record.update(copy.deepcopy(dict(changes)))
            record["updated_at"] = data.shop_time()
            snapshot = copy.deepcopy(record)
        if notify:
            self.emit("checkouts/update", snapshot)
        return snapshot

    def add_order(self, order: Mapping[str, Any], *, notify: bool = True) -> dict[str, Any]:
        """Store an order; its checkout (same ``checkout_token``) is completed, no longer open."""
        record = copy.deepcopy(dict(order))
        with self._lock:
            self._orders[int(record["id"])] = record
            checkout = self._checkouts.get(record.get("checkout_token") or "")
            if checkout is not None and checkout.get("completed_at") is None:
                checkout["completed_at"] = record["created_at"]
                checkout["updated_at"] = record["created_at"]
        if notify:
            self.emit("orders/create", record)
        return copy.deepcopy(record)

    def cancel_order(self, order_id: int, reason: str = "customer", *,
                     notify: bool = True) -> dict[str, Any]:
        with self._lock:
            record = self._orders[int(order_id)]
            stamp = data.shop_time()
            record.update(cancelled_at=stamp, cancel_reason=reason, updated_at=stamp,
                          financial_status="voided")
            snapshot = copy.deepcopy(record)
        if notify:
            self.emit("orders/cancelled", snapshot)
        return snapshot

    # -- webhooks ------------------------------------------------------------------------------
    def subscribe(self, topic: str, url: str) -> None:
        """Deliver ``topic`` (``"*"``: every topic) to ``url``, like a store-admin webhook."""
        with self._lock:
            self._subscriptions.append(Subscription(topic, url))

    def unsubscribe_all(self) -> None:
        with self._lock:
            self._subscriptions.clear()

    def emit(self, topic: str, payload: Mapping[str, Any] | bytes) -> int:
        """Send ``payload`` to every subscription of ``topic`` in the background; how many."""
        with self._lock:
            targets = [s.url for s in self._subscriptions if s.topic in (topic, "*")]
        for url in targets:
            self._dispatcher.submit(self._delivery_job(topic, payload, url))
        return len(targets)

    def send_webhook(self, topic: str, payload: Mapping[str, Any] | bytes, url: str,
                     **options: Any) -> WebhookDelivery:
        """Deliver one webhook now (blocking, with Shopify's retries) signed with this shop."""
        return send_webhook(topic, payload, url, self.config.webhook_secret,
                            shop_domain=self.config.shop_domain,
                            api_version=self.config.api_version, **options)

    def _delivery_job(self, topic: str, payload: Any, url: str
                      ) -> Callable[[Sleep], WebhookDelivery]:
        return lambda sleep: self.send_webhook(topic, payload, url, sleep=sleep)

    # -- answers -------------------------------------------------------------------------------
    def server_error(self, status: int) -> Response:
        return json_response({"errors": HTTPStatus(status).phrase}, status)

    def throttled(self) -> Response:
        return json_response({"errors": THROTTLED}, 429, headers={
            "Retry-After": f"{self.config.retry_after:.1f}",
            CALL_LIMIT: f"{self.config.bucket_size}/{self.config.bucket_size}"})

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {"checkouts": len(self._checkouts), "orders": len(self._orders),
                    "subscriptions": [s.__dict__ for s in self._subscriptions]}

    # -- routes --------------------------------------------------------------------------------
    def _guard(self, version: str) -> tuple[Response | None, str]:
        """Auth, then API version, then the bucket: an error answer, or the call-limit value."""
        token = request.headers.get("X-Shopify-Access-Token", "")
        if not _same(token, self.config.access_token):
            return json_response({"errors": UNAUTHORIZED}, 401), ""
        if not _VERSION.match(version):
            return json_response({"errors": "Not Found"}, 404), ""
        state = self._bucket.take()
        if not state.allowed:
            return self.throttled(), ""
        return None, f"{state.used}/{state.size}"

    def blueprint(self) -> Blueprint:
        bp = Blueprint("shopify", __name__)

        def guarded(view: Callable[..., Response]) -> Callable[..., Response]:
            def wrapper(version: str, **kwargs: Any) -> Response:
                refused, call_limit = self._guard(version)
                if refused is not None:
                    return refused
                response = view(**kwargs)
                response.headers[CALL_LIMIT] = call_limit
                return response

            wrapper.__name__ = view.__name__
            return wrapper

        @bp.get("/admin/api/<version>/shop.json", endpoint="shop")
        @guarded
        def shop() -> Response:
            return json_response({"shop": self._shop()})

        @bp.get("/admin/api/<version>/checkouts.json", endpoint="checkouts")
        @guarded
        def checkouts() -> Response:
            return self._list("checkouts", self.checkouts())

        @bp.get("/admin/api/<version>/checkouts/count.json", endpoint="checkouts_count")
        @guarded
        def checkouts_count() -> Response:
            return self._count("checkouts", self.checkouts())

        @bp.get("/admin/api/<version>/orders.json", endpoint="orders")
        @guarded
        def orders() -> Response:
            return self._list("orders", self.orders())

        @bp.get("/admin/api/<version>/orders/count.json", endpoint="orders_count")
        @guarded
        def orders_count() -> Response:
            return self._count("orders", self.orders())

        @bp.get("/admin/api/<version>/orders/<int:order_id>.json", endpoint="order")
        @guarded
        def order(order_id: int) -> Response:
            with self._lock:
                record = copy.deepcopy(self._orders.get(order_id))
            if record is None:
                return json_response({"errors": "Not Found"}, 404)
            return json_response({"order": _only_fields(record, request.args.get("fields"))})

        @bp.route("/admin/api/<version>/<path:rest>", endpoint="unknown",
                  methods=["GET", "POST", "PUT", "DELETE"])
        @guarded
        def unknown(rest: str) -> Response:
            return json_response({"errors": "Not Found"}, 404)

        return bp

    def _shop(self) -> dict[str, Any]:
        domain = self.config.shop_domain
        return {
            "id": 59581317309, "name": "Northwind Boutique", "email": "owner@northwind.example",
            "domain": domain, "myshopify_domain": domain, "province": "California",
            "country": "US", "currency": "USD", "iana_timezone": "America/New_York",
            "timezone": "(GMT-05:00) America/New_York", "plan_name": "basic",
            "created_at": "2024-03-02T10:00:00-05:00", "updated_at": data.shop_time(),
        }

    def _list(self, kind: str, records: list[dict[str, Any]]) -> Response:
        args = request.args
        try:
            limit = _limit(args.get("limit"))
            cursor, filters = _cursor_and_filters(args)
            selected = data.filter_records(kind, records, filters)
            page = data.page_of(selected, limit, cursor, filters)
        except data.ListError as error:
            return json_response({"errors": str(error)}, 400)
        fields = args.get("fields")
        body = {kind: [_only_fields(r, fields) for r in page.items]}
        links = []
        for cursor_value, rel in ((page.prev_cursor, "previous"), (page.next_cursor, "next")):
            if cursor_value is not None:
                query = f"limit={limit}&page_info={data.encode_page_info(cursor_value)}"
                if fields:
                    query += f"&fields={fields}"
                links.append(f'<{request.base_url}?{query}>; rel="{rel}"')
        headers = {"Link": ", ".join(links)} if links else {}
        return json_response(body, headers=headers, content_type="application/json; charset=utf-8")

    def _count(self, kind: str, records: list[dict[str, Any]]) -> Response:
        filters = {k: v for k, v in request.args.items() if k in data.FILTERS}
        try:
            count = len(data.filter_records(kind, records, filters))
        except data.ListError as error:
            return json_response({"errors": str(error)}, 400)
        return json_response({"count": count})


def _same(given: str, expected: str) -> bool:
    return bool(given) and hmac.compare_digest(given.encode(), expected.encode())


def _limit(raw: str | None) -> int:
    if raw is None:
        return data.DEFAULT_LIMIT
    if not raw.isdigit() or not 1 <= int(raw) <= data.MAX_LIMIT:
        raise data.ListError(f"limit must be a number between 1 and {data.MAX_LIMIT}")
    return int(raw)


def _cursor_and_filters(args: Mapping[str, str]) -> tuple[dict[str, Any] | None, dict[str, str]]:
    """With ``page_info`` the filters come from the cursor, and repeating one is an error."""
    given = {k: v for k, v in args.items() if k in data.FILTERS}
    token = args.get("page_info")
    if token is None:
        return None, given
    if given:
        raise data.ListError(
            f"page_info cannot be combined with other filters ({', '.join(sorted(given))})")
    cursor = data.decode_page_info(token)
    return cursor, dict(cursor.get("filters") or {})


def _only_fields(record: Mapping[str, Any], fields: str | None) -> dict[str, Any]:
    if not fields:
        return dict(record)
    wanted = [f.strip() for f in fields.split(",") if f.strip()]
    return {name: record[name] for name in wanted if name in record}
