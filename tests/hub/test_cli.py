"""The ``hub`` command as a newcomer uses it: connect, receive, look, export."""

from __future__ import annotations

import csv
import io
import json

import pytest
from click.testing import CliRunner

from hub.cli import main
from tests.support.fixtures import SECRETS, signed


@pytest.fixture
def hub_cli(tmp_path, monkeypatch):
    monkeypatch.setenv("HUB_SECRET_KEY", "cli-test-master-secret")
    monkeypatch.setenv("HUB_PUBLIC_URL", "https://hub.example.com")
    runner = CliRunner()

    def run(*args: str, ok: bool = True):
        result = runner.invoke(main, ["--data-dir", str(tmp_path / "data"), *args],
                               catch_exceptions=False)
        if ok:
            assert result.exit_code == 0, result.output
        return result

    return run


def post_fixture(tmp_path, name: str, connection_id: str = "shopify-shop") -> int:
    """Deliver a signed fixture through the web app over the CLI's data directory."""
    from hub.settings import from_env
    from web import create_app

    app = create_app(settings=from_env(data_dir=tmp_path / "data"))
    request = signed(name)
    return app.test_client().post(f"/hooks/{connection_id}", data=request.body,
                                  headers=request.headers).status_code


def test_connections_add_prints_the_id_and_webhook_path(hub_cli):
    result = hub_cli("connections", "add", "shopify", "--name", "shop",
                     "--set", f"webhook_secret={SECRETS['shopify']}")
    assert "id: shopify-shop" in result.output
    assert "webhook path: /hooks/shopify-shop" in result.output
    assert "webhook URL: https://hub.example.com/hooks/shopify-shop" in result.output


def test_newcomers_first_webhook_is_accepted(hub_cli, tmp_path):
    hub_cli("connections", "add", "shopify", "--name", "shop",
            "--set", f"webhook_secret={SECRETS['shopify']}")
    assert post_fixture(tmp_path, "shopify/customers_create.json") == 202
    listed = hub_cli("events", "list").output
    assert "shopify-shop" in listed and "customers/create" in listed
    assert "808254bb-9e92-5a21-a127-b2ac5187cc6d" in listed  # the vendor's event id


def test_events_list_jsonl_has_one_object_per_event(hub_cli, tmp_path):
    hub_cli("connections", "add", "shopify", "--name", "shop",
            "--set", f"webhook_secret={SECRETS['shopify']}")
    for name in ("shopify/carts_update.json", "shopify/checkouts_create.json"):
        post_fixture(tmp_path, name)
    lines = hub_cli("events", "list", "--format", "jsonl", "--limit", "1").output.splitlines()
    [event] = [json.loads(line) for line in lines]
    assert event["topic"] == "checkouts/create" and event["connection"] == "shopify-shop"


def test_connections_list_never_prints_a_secret(hub_cli):
    hub_cli("connections", "add", "shopify", "--name", "shop",
            "--set", f"webhook_secret={SECRETS['shopify']}")
    output = hub_cli("connections", "list").output
    assert SECRETS["shopify"] not in output and "••••3a4b" in output


def test_bad_connection_values_exit_non_zero_with_the_reason(hub_cli):
    result = hub_cli("connections", "add", "shopify", "--name", "shop", "--set", "nope", ok=False)
    assert result.exit_code == 2 and "'nope' is not KEY=VALUE" in result.output
    result = hub_cli("connections", "add", "shopify", "--name", "shop", ok=False)
    assert result.exit_code == 1 and "webhook_secret) is required" in result.output


def test_connections_remove(hub_cli):
    hub_cli("connections", "add", "shopify", "--name", "shop", "--set", "webhook_secret=s")
    assert "removed shopify-shop" in hub_cli("connections", "remove", "shopify-shop").output
    assert hub_cli("connections", "remove", "shopify-shop", ok=False).exit_code == 1


def test_audit_export_csv_since_a_time(hub_cli, tmp_path):
    hub_cli("connections", "add", "shopify", "--name", "shop",
            "--set", f"webhook_secret={SECRETS['shopify']}")
    post_fixture(tmp_path, "shopify/customers_create.json")
    post_fixture(tmp_path, "shopify/customers_create.json")
    rows = list(csv.DictReader(io.StringIO(hub_cli("audit", "export", "--format", "csv").stdout)))
    assert [r["outcome"] for r in rows] == ["ok", "accepted", "duplicate"]  # oldest first
    later = hub_cli("audit", "export", "--since", rows[1]["at"]).stdout.splitlines()
    assert [json.loads(line)["outcome"] for line in later] == ["accepted", "duplicate"]
    bad = hub_cli("audit", "export", "--since", "yesterday", ok=False)
    assert "'yesterday' is not an ISO 8601 time" in bad.output


def test_db_migrate_is_idempotent(hub_cli):
    first = hub_cli("db", "migrate").output
    assert "applied 0001_events_audit_connections" in first
    assert "schema is current" in hub_cli("db", "migrate").output


def test_help_names_every_command_a_newcomer_needs(hub_cli):
    output = hub_cli("--help").output
    for command in ("serve", "worker", "db", "connections", "events", "audit"):
        assert command in output
