"""Fuzzed recipe files: any text or structure gets a validation message or passes, never an
exception of another kind (hypothesis)."""

from __future__ import annotations

import copy

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hub.engine.recipes import RecipeInvalid, parse_text, validate
from tests.engine.test_recipe_validation import GOOD

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=20,
)
# Plausible pieces of recipes, so the fuzzer reaches the deeper checks too.
pieces = st.sampled_from([
    "{{ params.x }}", "{{ event.data.items | length }}", "{{ 1/0 }}", "{{ unclosed", "{% if %}",
    "klaviyo.track_event", "twilio.send_sms", "nope.nothing", "order.completed", "2 hours",
    "every 1 day", "0 9 * * *", "key", "profile", "wishlister", "", None, 3, [], {},
])
keys = st.sampled_from(["id", "title", "description", "params", "trigger", "when", "steps",
                        "action", "with", "wait", "for", "until", "cancel_on", "event", "events",
                        "if", "then", "else", "once_per", "schedule", "poll", "for_each", "same"])


def mutate(data, path, value):
    target = data
    for key in path[:-1]:
        if isinstance(target, dict) and key in target:
            target = target[key]
        elif isinstance(target, list) and target:
            target = target[0]
        else:
            return data
    if isinstance(target, dict):
        target[path[-1]] = value
    return data


def check(data) -> None:
    try:
        validate(data, "fuzz.yaml")
    except RecipeInvalid as error:
        assert error.problems and all(str(p).startswith("fuzz.yaml: ") for p in error.problems)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(keys, min_size=1, max_size=4), pieces | json_values)
def test_mutated_recipes_get_messages_not_crashes(path, value):
    check(mutate(copy.deepcopy(GOOD), path, value))


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(keys, pieces | json_values, max_size=8))
def test_arbitrary_structures_get_messages_not_crashes(data):
    check(data)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_arbitrary_text_gets_messages_not_crashes(text):
    try:
        data = parse_text(text, "fuzz.yaml")
    except RecipeInvalid:
        return
    check(data)
