"""``hub db``: the store's schema."""

from __future__ import annotations

import click

from hub.cli.state import CliState, pass_state


@click.group()
def db() -> None:
    """The database (an SQLite file under the data directory by default)."""


@db.command()
@pass_state
def migrate(state: CliState) -> None:
    """Apply pending schema steps (also done automatically at start-up)."""
    from hub.store import open_store

    settings = state.settings()
    store = open_store(settings, migrate=False)
    applied = store.migrate()
    if applied:
        for name in applied:
            click.echo(f"applied {name}")
    else:
        click.echo("schema is current")
    click.echo(f"database: {settings.database_path}")


COMMANDS = [db]
