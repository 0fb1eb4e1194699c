"""Recipes in the UI: the gallery, a form generated from the params schema with its labels,
defaults and limits, validation in plain words, and editing/switching/deleting instances."""

from __future__ import annotations

import re

import pytest

from hub.store import AuditQuery
from tests.support.engine import klaviyo

RECIPE = "abandoned-checkout-email"


@pytest.fixture
def connected(rt, shopify):
    return klaviyo(rt)


def test_the_gallery_lists_recipes_and_what_they_need(as_owner):
    html = as_owner.get("/recipes/").get_data(as_text=True)
    assert "Email the exact items left in an abandoned checkout" in html
    assert "Klaviyo: connect" in html  # not connected yet: a link to do it


def test_the_enable_form_comes_from_the_params_schema(as_owner, connected):
    html = as_owner.get(f"/recipes/{RECIPE}/enable").get_data(as_text=True)
    assert '<label for="p-delay_hours">Hours to wait before the reminder</label>' in html
    delay = re.search(r'<input id="p-delay_hours"[^>]*>', html).group(0)
    assert 'type="number"' in delay and 'value="2"' in delay
    assert 'min="0.25"' in delay and 'max="72"' in delay and 'step="any"' in delay
    assert "At least 0.25 and at most 72. Default: 2." in html
    assert 'name="param_metric"' in html and 'value="Abandoned Checkout"' in html


def test_enabling_with_a_changed_delay_saves_it(as_owner, rt, connected):
    answer = as_owner.post(f"/recipes/{RECIPE}/enable",
                           {"param_delay_hours": "0.5", "param_metric": "Abandoned Checkout"})
    assert answer.status_code == 302
    [instance] = rt.store.list_instances()
    assert instance.params["delay_hours"] == 0.5 and instance.enabled
    assert instance.connections == {"klaviyo": "klaviyo-email"}
    assert "0.5" in as_owner.get(answer.headers["Location"]).get_data(as_text=True)


@pytest.mark.parametrize("value, message", [
    ("0.1", "Hours to wait before the reminder: 0.1 is less than the minimum of 0.25"),
    ("soon", "&#39;soon&#39; is not a valid number"),
])
def test_invalid_values_are_explained_next_to_the_field(as_owner, rt, connected, value, message):
    answer = as_owner.post(f"/recipes/{RECIPE}/enable", {"param_delay_hours": value})
    assert answer.status_code == 400
    html = answer.get_data(as_text=True)
    assert message in html and 'class="field has-error"' in html
    assert rt.store.list_instances() == []


def test_a_missing_connection_is_explained_with_a_link(as_owner, rt, shopify):
    answer = as_owner.post(f"/recipes/{RECIPE}/enable", {})
    html = answer.get_data(as_text=True)
    assert answer.status_code == 400
    assert "Klaviyo is not connected yet" in html and 'href="/connections/new/klaviyo"' in html


def test_edit_switch_off_and_delete(as_owner, rt, connected):
    as_owner.post(f"/recipes/{RECIPE}/enable", {"param_delay_hours": "3"})
    [instance] = rt.store.list_instances()
    base = f"/recipes/installed/{instance.id}"
    assert as_owner.post(base + "/edit", {"param_delay_hours": "4"}).status_code == 302
    assert rt.store.get_instance(instance.id).params["delay_hours"] == 4
    as_owner.post(base + "/switch", {"enabled": "off"})
    assert rt.store.get_instance(instance.id).enabled is False
    assert "Switch on" in as_owner.get(base).get_data(as_text=True)
    as_owner.post(base + "/delete")
    assert rt.store.get_instance(instance.id) is None
    actions = [r.action for r in rt.store.query_audit(AuditQuery(subject_type="recipe"))]
    assert actions == ["delete", "disable", "update", "enable"]
