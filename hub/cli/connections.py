"""``hub connections``: connect vendor accounts."""

from __future__ import annotations

import json

import click

from hub.cli.state import CliState, parse_assignments, pass_state


@click.group()
def connections() -> None:
    """Vendor accounts the hub talks to (Shopify, Klaviyo, Twilio, HubSpot, wishlist…)."""


@connections.command("add")
@click.argument("adapter")
@click.option("--name", required=True, help="A short name, e.g. 'main'; the id becomes ADAPTER-NAME.")
@click.option("--set", "assignments", multiple=True, metavar="KEY=VALUE",
              help="A setting of the adapter (repeat). `hub adapters list` shows which.")
@pass_state
def add(state: CliState, adapter: str, name: str, assignments: tuple[str, ...]) -> None:
    """Connect an account; prints its id and the webhook URL to give the vendor."""
    from hub.connections import ConnectionInvalid, add_connection

    rt = state.runtime()
    try:
        record = add_connection(rt.store, rt.vault, adapter, name, parse_assignments(assignments))
    except ConnectionInvalid as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"id: {record.id}")
    click.echo(f"webhook path: /hooks/{record.id}")
    click.echo(f"webhook URL: {rt.settings.public_url.rstrip('/')}/hooks/{record.id}")


@connections.command("list")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
@pass_state
def list_(state: CliState, fmt: str) -> None:
    """Show connections (secrets only as their last four characters)."""
    from dataclasses import asdict

    from hub.connections import view

    rt = state.runtime()
    views = [view(r, rt.vault) for r in rt.store.list_connections()]
    if fmt == "json":
        click.echo(json.dumps([asdict(v) for v in views], indent=2))
        return
    if not views:
        click.echo("no connections yet: hub connections add ADAPTER --name NAME --set KEY=VALUE")
        return
    for v in views:
        secrets = ", ".join(f"{k}={h}" for k, h in v.secrets_hint.items())
        settings = ", ".join(f"{k}={val}" for k, val in v.settings.items())
        state_text = "enabled" if v.enabled else "disabled"
        click.echo(f"{v.id:<24} {v.title:<22} {state_text:<9} {v.webhook_path}")
        if settings or secrets:
            click.echo(f"{'':<24} {'; '.join(p for p in (settings, secrets) if p)}")


@connections.command("remove")
@click.argument("connection_id")
@pass_state
def remove(state: CliState, connection_id: str) -> None:
    """Remove a connection (its stored events and audit entries stay)."""
    from hub.connections import ConnectionInvalid, remove_connection

    rt = state.runtime()
    try:
        remove_connection(rt.store, connection_id)
    except ConnectionInvalid as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"removed {connection_id}")


COMMANDS = [connections]
