"""Connections: fields validated against the adapter's declaration, secrets encrypted at rest."""

from __future__ import annotations

import re
import sqlite3

import pytest

from hub.connections import ConnectionInvalid, add_connection, update_connection, view
from hub.store import AuditQuery


def test_secret_fields_are_not_stored_in_plain_text(rt):
    add_connection(rt.store, rt.vault, "shopify", "shop", {
        "webhook_secret": "shpss_test_5f0c1d2e3a4b", "shop_domain": "northwind-boutique.myshopify.com"})
    raw = sqlite3.connect(rt.settings.database_path).execute(
        "SELECT settings || secrets FROM connections").fetchone()[0]
    assert "shpss_test_5f0c1d2e3a4b" not in raw
    assert "northwind-boutique.myshopify.com" in raw  # plain settings stay queryable


def test_view_shows_only_the_last_four_characters_of_secrets(rt):
    record = add_connection(rt.store, rt.vault, "shopify", "shop",
                            {"webhook_secret": "shpss_test_5f0c1d2e3a4b"})
    shown = view(record, rt.vault)
    assert shown.secrets_hint == {"webhook_secret": "••••3a4b"}
    assert shown.webhook_path == "/hooks/shopify-shop"
    assert shown.settings == {"api_version": "2025-10"}  # the declared default


@pytest.mark.parametrize("adapter, values, message", [
    ("shopify", {}, "Webhook signing secret (webhook_secret) is required"),
    ("shopify", {"webhook_secret": "s", "colour": "red"}, "shopify has no setting colour"),
    ("shopify", {"webhook_secret": "s", "shop_domain": "evil.example.com"},
     "Shop domain (shop_domain): 'evil.example.com' is not in the expected form"),
    ("mailchimp", {}, "unknown adapter 'mailchimp'"),
])
def test_invalid_values_are_refused_with_a_precise_message(rt, adapter, values, message):
    with pytest.raises(ConnectionInvalid, match=re.escape(message)):
        add_connection(rt.store, rt.vault, adapter, "x", values)


def test_a_taken_name_is_refused(rt):
    add_connection(rt.store, rt.vault, "shopify", "Shop", {"webhook_secret": "s"})
    with pytest.raises(ConnectionInvalid, match="'shopify-shop' already exists"):
        add_connection(rt.store, rt.vault, "shopify", "shop", {"webhook_secret": "s"})


def test_updating_with_a_blank_secret_keeps_the_stored_one(rt):
    add_connection(rt.store, rt.vault, "shopify", "shop", {"webhook_secret": "old-secret-1234"})
    record = update_connection(rt.store, rt.vault, "shopify-shop",
                               {"webhook_secret": "", "shop_domain": "a-b.myshopify.com"})
    assert rt.vault.decrypt(record.secrets) == {"webhook_secret": "old-secret-1234"}
    assert record.settings["shop_domain"] == "a-b.myshopify.com"


def test_changes_are_audited_without_secret_values(rt):
    add_connection(rt.store, rt.vault, "shopify", "shop", {"webhook_secret": "very-secret-value"})
    entries = rt.store.query_audit(AuditQuery(subject_type="connection"))
    assert [e.action for e in entries] == ["add"]
    assert all("very-secret-value" not in f"{e}" for e in entries)


def test_live_adapter_is_rebuilt_only_when_the_connection_changes(rt):
    add_connection(rt.store, rt.vault, "shopify", "shop", {"webhook_secret": "s1-secret"})
    first = rt.adapter_for(rt.store.get_connection("shopify-shop"))
    assert rt.adapter_for(rt.store.get_connection("shopify-shop")) is first
    update_connection(rt.store, rt.vault, "shopify-shop", {"webhook_secret": "s2-secret"})
    second = rt.adapter_for(rt.store.get_connection("shopify-shop"))
    assert second is not first and second.config["webhook_secret"] == "s2-secret"
    assert "s2-secret" not in repr(second)
