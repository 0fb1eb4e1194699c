"""Property-based: whatever arrives at a webhook URL gets a documented answer, never a 500."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from tests.support.fixtures import SECRETS
from tests.support.signing import shopify_headers

DOCUMENTED = {200, 202, 400, 401, 404, 413, 422}

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)
topics = st.sampled_from(["orders/create", "checkouts/update", "products/update", "carts/update",
                          "themes/publish", "", "orders/../../etc", "ö/ü"])
header_text = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=40)


@pytest.fixture
def fuzz_client(client, shopify, rt):
    rt.connection_cache_seconds = 0
    return client


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.binary(max_size=2048), topic=topics, signature=header_text,
       event_id=header_text, path=st.sampled_from(["shopify-shop", "shopify-shop/status", "nope"]))
def test_unsigned_garbage_gets_a_documented_4xx(fuzz_client, body, topic, signature, event_id, path):
    headers = {"X-Shopify-Topic": topic, "X-Shopify-Hmac-Sha256": signature,
               "X-Shopify-Event-Id": event_id, "Content-Type": "application/json"}
    answer = fuzz_client.post(f"/hooks/{path}", data=body, headers=headers)
    assert answer.status_code in {400, 401, 404, 422}, answer.data


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(payload=json_values, raw=st.binary(max_size=512), use_raw=st.booleans(), topic=topics)
def test_correctly_signed_bodies_of_any_shape_are_stored_or_refused_precisely(
        fuzz_client, rt, payload, raw, use_raw, topic):
    body = raw if use_raw else json.dumps(payload).encode()
    headers = shopify_headers(body, SECRETS["shopify"], topic=topic)
    answer = fuzz_client.post("/hooks/shopify-shop", data=body, headers=headers)
    assert answer.status_code in DOCUMENTED
    if answer.status_code in (200, 202):
        assert isinstance(json.loads(body), dict)
    else:
        assert answer.json["message"]  # a reason, in words
