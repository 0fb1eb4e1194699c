"""``hub audit``: the audit log, exported or pruned."""

from __future__ import annotations

import click

from hub.cli.state import CliState, pass_state


@click.group("audit")
def audit_group() -> None:
    """Who did what, when, and how it ended (secrets redacted)."""


@audit_group.command("export")
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv"]), default="jsonl",
              show_default=True)
@click.option("--since", default=None, help="ISO 8601 time; only entries at or after it.")
@click.option("--until", default=None, help="ISO 8601 time; only entries before it.")
@click.option("--outcome", default=None, help="Only this outcome (accepted, rejected, dead…).")
@click.option("--correlation", default=None, help="Only entries caused by one inbound event.")
@click.option("--output", "-o", type=click.File("w"), default="-", help="File (default stdout).")
@pass_state
def export_(state: CliState, fmt: str, since: str | None, until: str | None,
            outcome: str | None, correlation: str | None, output) -> None:
    """Write the audit log as JSON lines or CSV, oldest first."""
    from hub import audit, clock
    from hub.store import AuditQuery

    def moment(value: str | None, name: str) -> str | None:
        if value is None:
            return None
        try:
            return clock.iso(clock.parse_iso(value))
        except ValueError:
            raise click.BadParameter(f"{value!r} is not an ISO 8601 time", param_hint=name)

    query = AuditQuery(since=moment(since, "--since"), until=moment(until, "--until"),
                       outcome=outcome, correlation_id=correlation)
    count = audit.export(state.runtime().store, output, fmt=fmt, query=query)
    click.echo(f"exported {count} entries", err=True)


@audit_group.command("prune")
@click.option("--days", type=click.IntRange(0), default=None,
              help="Keep this many days (default: HUB_AUDIT_RETENTION_DAYS).")
@pass_state
def prune(state: CliState, days: int | None) -> None:
    """Delete audit entries older than the retention period."""
    from hub import audit

    rt = state.runtime()
    removed = audit.prune(rt.store, rt.settings.audit_retention_days if days is None else days)
    click.echo(f"removed {removed} entries")


COMMANDS = [audit_group]
