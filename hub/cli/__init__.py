"""The ``hub`` command. Each group lives in its own module and maps onto hub functions.

Run ``hub --help`` for the tour; every command takes ``--data-dir`` (or ``HUB_DATA_DIR``).
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from hub.cli.state import CliState


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              envvar="HUB_DATA_DIR", show_envvar=True,
              help="Where the hub keeps its database and secret key.  [default: ./data]")
@click.pass_context
def main(ctx: click.Context, data_dir: Path | None) -> None:
    """Omnichannel hub: keeps your store, email, SMS, CRM and wishlist in sync.

    \b
    First ten minutes:
      hub serve                                   start the hub (web + background worker)
      hub connections add shopify --name shop --set webhook_secret=...
                                                  connect a service; prints its webhook URL
      hub events list                             see what arrived
      hub audit export --format csv               everything that happened, and why
    """
    ctx.obj = CliState(data_dir=data_dir)


def _register() -> None:
    from hub.cli import (adapters, audit, connections, customers, db, deliveries, demo, events,
                         recipes, serve, simulators, users)

    for module in (demo, serve, db, adapters, connections, events, audit, customers, recipes, deliveries,
                   simulators, users):
        for command in module.COMMANDS:
            main.add_command(command)


_register()


if __name__ == "__main__":
    sys.exit(main())
