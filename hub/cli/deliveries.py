"""``hub deliveries``: every outbound action, where it stands, and replaying dead letters."""

from __future__ import annotations

import json

import click

from hub import delivery
from hub.cli.state import CliState, pass_state

STATUSES = ("pending", "delivered", "dead", "unknown", "refused")


@click.group()
def deliveries() -> None:
    """The outbox: actions sent, waiting to retry, dead, or refused."""


@deliveries.command("list")
@click.option("--status", type=click.Choice(STATUSES), default=None)
@click.option("--dead", is_flag=True, help="Only dead letters (same as --status dead).")
@click.option("--limit", type=click.IntRange(1, 100_000), default=20, show_default=True)
@click.option("--format", "fmt", type=click.Choice(["table", "jsonl"]), default="table")
@pass_state
def list_(state: CliState, status: str | None, dead: bool, limit: int, fmt: str) -> None:
    """List deliveries, newest first, with status, attempts and the last answer."""
    rows = state.runtime().store.list_deliveries(status="dead" if dead else status, limit=limit)
    if fmt == "jsonl":
        for d in rows:
            click.echo(json.dumps({
                "id": d.id, "status": d.status, "action": f"{d.adapter}.{d.action}",
                "connection": d.connection_id, "attempts": d.attempts,
                "next_attempt_at": d.next_attempt_at, "last": d.last_summary,
                "instance": d.instance_id, "profile": d.profile_id,
            }))
        return
    if not rows:
        click.echo("no deliveries")
        return
    click.echo(f"{'id':>6}  {'status':<9} {'action':<26} {'tries':>5}  last answer")
    for d in rows:
        click.echo(f"{d.id:>6}  {d.status:<9} {d.adapter + '.' + d.action:<26} {d.attempts:>5}  "
                   f"{(d.last_summary or '')[:90]}")


@deliveries.command("replay")
@click.argument("delivery_id", type=int, required=False)
@click.option("--all-dead", is_flag=True, help="Re-queue every dead letter.")
@pass_state
def replay(state: CliState, delivery_id: int | None, all_dead: bool) -> None:
    """Re-queue a dead (or unknown, or refused) delivery so the worker sends it again."""
    rt = state.runtime()
    if all_dead == (delivery_id is not None):
        raise click.UsageError("give a delivery id or --all-dead")
    if all_dead:
        click.echo(f"re-queued {delivery.replay_all_dead(rt, actor='cli')} dead deliveries")
        return
    try:
        done = delivery.replay(rt, delivery_id, actor="cli")
    except KeyError as error:
        raise click.ClickException(str(error.args[0])) from None
    if not done:
        row = rt.store.get_delivery(delivery_id)
        raise click.ClickException(f"delivery {delivery_id} is {row.status}; only dead, unknown "
                                   "or refused deliveries can be replayed")
    click.echo(f"re-queued delivery {delivery_id}")


COMMANDS = [deliveries]
