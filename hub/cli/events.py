"""``hub events``: what arrived from the vendors."""

from __future__ import annotations

import json

import click

from hub.cli.state import CliState, pass_state


@click.group()
def events() -> None:
    """Inbound events as stored (webhooks and polls), newest first."""


@events.command("list")
@click.option("--format", "fmt", type=click.Choice(["table", "jsonl"]), default="table")
@click.option("--limit", type=click.IntRange(1, 100_000), default=20, show_default=True)
@click.option("--connection", "connection_id", default=None, help="Only this connection.")
@pass_state
def list_(state: CliState, fmt: str, limit: int, connection_id: str | None) -> None:
    """List stored events with their connection, topic and the vendor's delivery id."""
    rt = state.runtime()
    rows = rt.store.list_events(limit=limit, connection_id=connection_id)
    if fmt == "jsonl":
        for e in rows:
            click.echo(json.dumps({
                "id": e.id, "received_at": e.received_at, "connection": e.connection_id,
                "adapter": e.adapter, "topic": e.topic, "delivery_id": e.delivery_id,
                "source": e.source, "status": e.status, "correlation_id": e.correlation_id,
            }))
        return
    if not rows:
        click.echo("no events stored yet")
        return
    click.echo(f"{'id':>6}  {'received (UTC)':<19}  {'connection':<20} {'topic':<22} "
               f"{'status':<8} delivery id")
    for e in rows:
        click.echo(f"{e.id:>6}  {e.received_at[:19]:<19}  {e.connection_id:<20} {e.topic:<22} "
                   f"{e.status:<8} {e.delivery_id}")


COMMANDS = [events]
