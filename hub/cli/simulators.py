"""``hub simulators serve``: the local vendor simulators as their own process."""

from __future__ import annotations

import dataclasses
import json
import signal
from pathlib import Path
from typing import Any

import click


@click.group()
def simulators() -> None:
    """Local stand-ins for Shopify, Klaviyo, Twilio and HubSpot (demos, tests, trying things)."""


@simulators.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", type=click.IntRange(0, 65535), default=8900, show_default=True,
              help="Port (0: any free port).")
@click.option("--seed", type=int, default=0, show_default=True,
              help="Seed for injected faults, so a run can be repeated exactly.")
@click.option("--faults", "faults_text", default=None, metavar="JSON|@FILE",
              help='Faults per vendor, e.g. \'{"klaviyo": {"error_rate": 0.2}}\'.')
@click.option("--set", "assignments", multiple=True, metavar="VENDOR.FIELD=VALUE",
              help="Change an account setting, e.g. twilio.max_concurrent=2 (repeat).")
def serve(host: str, port: int, seed: int, faults_text: str | None,
          assignments: tuple[str, ...]) -> None:
    """Serve every simulated vendor on one port until Ctrl-C.

    Prints each vendor's base URL (a connection's api_base_url) and the simulated accounts'
    credentials, which open nothing but this simulator.
    """
    from hub.simulators import Faults, SimConfig, Simulators, SimulatorServer
    from hub.simulators.faults import FaultsInvalid

    config = _configure(SimConfig(), assignments)
    try:
        faults = {vendor: Faults.from_json(settings)
                  for vendor, settings in _load_json(faults_text).items()}
        sims = Simulators(config, seed=seed, faults=faults)
    except (FaultsInvalid, KeyError, TypeError) as error:
        raise click.UsageError(f"--faults: {error}") from None
    server = SimulatorServer(sims, host, port)
    _print_banner(server, config)

    def stop(*_: Any) -> None:
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    click.echo("simulators stopped", err=True)


def _load_json(text: str | None) -> dict[str, Any]:
    if not text:
        return {}
    raw = Path(text[1:]).read_text() if text.startswith("@") else text
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as error:
        raise click.UsageError(f"--faults is not JSON: {error}") from None
    if not isinstance(data, dict):
        raise click.UsageError('--faults must be an object: {"vendor": {setting: value}}')
    return data


def _configure(config: Any, assignments: tuple[str, ...]) -> Any:
    """Apply ``vendor.field=value`` to the (frozen) config, typed like the default value."""
    for item in assignments:
        path, sep, value = item.partition("=")
        vendor, dot, name = path.partition(".")
        section = getattr(config, vendor, None) if dot else None
        if not sep or section is None or not dataclasses.is_dataclass(section) or \
                name not in {f.name for f in dataclasses.fields(section)}:
            raise click.UsageError(f"--set {item!r}: expected VENDOR.FIELD=VALUE with a known "
                                   "vendor (shopify, klaviyo, twilio, hubspot) and field")
        current = getattr(section, name)
        try:
            typed: Any = (tuple(v for v in value.split(",") if v) if isinstance(current, tuple)
                          else value.lower() in ("1", "true", "yes") if isinstance(current, bool)
                          else type(current)(value))
        except ValueError:
            raise click.UsageError(f"--set {item!r}: {name} takes a "
                                   f"{type(current).__name__}") from None
        config = dataclasses.replace(config, **{vendor: dataclasses.replace(
            section, **{name: typed})})
    return config


def _print_banner(server: Any, config: Any) -> None:
    base = server.base_url
    click.echo(f"simulators listening on {base}  (requests: {base}/_sim/requests)")
    click.echo("connect the hub to them (simulator-only credentials):")
    lines = [
        ("shopify", "sim", {"shop_domain": config.shopify.shop_domain,
                            "access_token": config.shopify.access_token,
                            "webhook_secret": config.shopify.webhook_secret}),
        ("klaviyo", "sim", {"api_key": config.klaviyo.private_key}),
        ("twilio", "sim", {"account_sid": config.twilio.account_sid,
                           "auth_token": config.twilio.auth_token,
                           "from_number": config.twilio.phone_numbers[0]}),
        ("hubspot", "sim", {"access_token": config.hubspot.access_token,
                            "client_secret": config.hubspot.client_secret}),
    ]
    for vendor, name, settings in lines:
        sets = " ".join(f"--set {k}={v}" for k, v in settings.items())
        click.echo(f"  hub connections add {vendor} --name {name} "
                   f"--set api_base_url={server.url(vendor)} {sets}")


COMMANDS = [simulators]
