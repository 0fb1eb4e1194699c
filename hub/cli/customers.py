"""``hub customers``: one customer across every channel, from the command line."""

from __future__ import annotations

import json

import click

from hub.cli.state import CliState, pass_state


@click.group()
def customers() -> None:
    """Customer profiles: identities, consent, cart, wishlist, purchases, timeline."""


@customers.command("show")
@click.argument("who")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@click.option("--limit", type=click.IntRange(1, 10_000), default=50, show_default=True,
              help="Timeline lines to show.")
@pass_state
def show(state: CliState, who: str, fmt: str, limit: int) -> None:
    """Show a customer by EMAIL, PHONE (any format) or profile id, with their timeline."""
    from hub.customers import CustomerNotFound, find_customer

    rt = state.runtime()
    try:
        profile = find_customer(rt.store, who, region=rt.settings.phone_region)
    except CustomerNotFound as error:
        raise click.ClickException(str(error)) from None
    timeline = rt.store.list_timeline(profile.id, limit=limit)
    if fmt == "json":
        click.echo(json.dumps({"profile": profile.to_dict(),
                               "timeline": [line.__dict__ for line in timeline]}, indent=2))
        return
    for line in describe(profile):
        click.echo(line)
    click.echo("")
    click.echo("Timeline (newest first):")
    for line in timeline:
        click.echo(f"  {line.at[:16].replace('T', ' ')}  {line.channel or '':<9} {line.summary}")


def describe(profile) -> list[str]:
    """A profile in plain lines, as a store associate would want to read it."""
    data = profile.to_dict()
    ids = "; ".join(f"{vendor} {', '.join(v)}" for vendor, v in sorted(profile.external_ids.items()))
    lines = [
        f"{profile.name or '(no name)'}  [{profile.id}]",
        f"  email:     {', '.join(profile.emails) or '—'}",
        f"  phone:     {', '.join(profile.phones) or '—'}",
        f"  ids:       {ids or '—'}",
        "  consent:   " + ", ".join(
            f"{channel} {c['state']}" + (f" ({c.get('source')}, {str(c.get('at'))[:10]})"
                                          if c.get("source") else "")
            for channel, c in data["consent"].items()),
        f"  last seen: {profile.last_channel or '—'} {str(profile.last_seen_at or '')[:16]}",
    ]
    cart = profile.cart
    if cart:
        items = ", ".join(f"{i.get('title')} ×{i.get('quantity', 1)}" for i in cart.get("items", []))
        lines.append(f"  cart:      {items} — {cart.get('value')} {cart.get('currency') or ''}")
    else:
        lines.append("  cart:      empty")
    wish = ", ".join(f"{w.get('title')} ({w.get('current_price')})" for w in profile.wishlist)
    lines.append(f"  wishlist:  {wish or 'empty'}")
    lines.append(f"  purchases: {len(profile.purchases)}, lifetime value {profile.lifetime_value}")
    for purchase in profile.purchases[-5:]:
        where = "in store" if purchase.get("channel") == "in_store" else "online"
        lines.append(f"    {str(purchase.get('at'))[:10]}  {purchase.get('order_name') or purchase['order_id']}"
                     f"  {purchase.get('total')} {purchase.get('currency') or ''}  {where}")
    return lines


@customers.command("search")
@click.argument("text", default="")
@click.option("--limit", type=click.IntRange(1, 1000), default=20, show_default=True)
@pass_state
def search(state: CliState, text: str, limit: int) -> None:
    """Find customers by part of a name, email or phone."""
    from hub.customers import search_customers

    rt = state.runtime()
    found = search_customers(rt.store, text, limit=limit)
    if not found:
        click.echo("no customers found")
    for profile in found:
        click.echo(f"{profile.id}  {profile.name or '(no name)':<24} {profile.email or '—':<32} "
                   f"{profile.phone or '—'}")


COMMANDS = [customers]
