"""``hub users``: the web UI's accounts, from the machine the hub runs on."""

from __future__ import annotations

import click

from hub.cli.state import CliState, pass_state


@click.group()
def users() -> None:
    """Accounts that sign in to the web UI (the owner and invited staff)."""


@users.command("list")
@pass_state
def list_(state: CliState) -> None:
    """Show every account, its role and when it last signed in."""
    rt = state.runtime()
    people = rt.store.list_users()
    if not people:
        click.echo("no accounts yet: open the hub's /setup page (hub users setup-code prints the code)")
        return
    for person in people:
        status = "invited" if person.pending else f"last sign-in {person.last_login_at or 'never'}"
        click.echo(f"{person.email:<36} {person.role:<6} {status}")


@users.command("setup-code")
@pass_state
def setup_code(state: CliState) -> None:
    """Print the code the first-start page asks for before it creates the owner account."""
    from hub.users import needs_owner
    from hub.users import setup_code as code_for

    rt = state.runtime()
    if not needs_owner(rt.store):
        raise click.ClickException("the owner account exists already; sign in instead")
    click.echo(code_for(rt.settings.secret_key))


@users.command("link")
@click.argument("email")
@pass_state
def link(state: CliState, email: str) -> None:
    """Print a one-time link for EMAIL to choose a new password (a forgotten owner password)."""
    from hub.users import UserInvalid, normalise_email, reissue_invite

    rt = state.runtime()
    try:
        person = rt.store.get_user_by_email(normalise_email(email))
        if person is None:
            raise UserInvalid(f"no account {email}")
        _, token = reissue_invite(rt.store, person.id, actor="cli")
    except UserInvalid as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"{rt.settings.public_url.rstrip('/')}/invite/{token}")
    click.echo("works once, for 7 days; open it in a browser that reaches the hub", err=True)


COMMANDS = [users]
