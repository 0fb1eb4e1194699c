"""``hub demo``: the hub, the vendor simulators and a stream of shoppers, with no accounts."""

from __future__ import annotations

import os
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path

import click
import requests

from hub.cli.state import CliState, pass_state


@click.command()
@click.option("--port", type=int, default=8000, show_default=True, help="Port of the hub's web UI.")
@click.option("--speed", type=click.FloatRange(1, 3600), default=60.0, show_default=True,
              help="How many times faster than real time the hub's clock runs (60: the "
                   "two-hour abandoned-checkout wait takes two minutes).")
@click.option("--sim-port", type=int, default=0, help="Port of the simulators (default: any free).")
@pass_state
def demo(state: CliState, port: int, speed: float, sim_port: int) -> None:
    """Run the whole product locally: hub, vendor simulators, shoppers. Ctrl-C stops it all."""
    from hub import clock, logs
    from hub.demo.player import Player
    from hub.demo.setup import prepare
    from hub.runtime import open_runtime
    from hub.serving import BackgroundWorkers, prepare_metrics_dir, run_gunicorn
    from hub.simulators import Faults, Simulators, SimulatorServer

    data_dir = state.data_dir or Path(tempfile.mkdtemp(prefix="hub-demo-"))
    if data_dir.exists() and any(data_dir.iterdir()):
        raise click.UsageError(f"{data_dir} is not empty: the demo starts on a fresh store "
                               "(leave out --data-dir to use a new temporary folder)")
    epoch = time.time()
    os.environ.update({
        "HUB_DATA_DIR": str(data_dir), "HUB_PORT": str(port), "HUB_HOST": "127.0.0.1",
        "HUB_PUBLIC_URL": f"http://127.0.0.1:{port}", "HUB_CLOCK_SPEED": str(speed),
        "HUB_CLOCK_EPOCH": clock.iso(datetime.fromtimestamp(epoch, clock.UTC)),
        "HUB_TIMEZONE": os.environ.get("HUB_TIMEZONE", "America/New_York"),
        "HUB_LOG_LEVEL": os.environ.get("HUB_LOG_LEVEL", "WARNING"),
        "HUB_LOG_FORMAT": os.environ.get("HUB_LOG_FORMAT", "text"),
        "HUB_WORKER_POLL_SECONDS": "0.2",
    })
    settings = state.settings()
    logs.configure(settings.log_level, settings.log_format)
    prepare_metrics_dir(settings)
    rt = open_runtime(settings)  # also starts this process's sped-up clock
    # Shown in the first minute: a rate-limited Klaviyo call and a HubSpot outage blip, retried.
    sims = Simulators(seed=7, faults={"klaviyo": Faults(fail_next=2, fail_status=429),
                                      "hubspot": Faults(fail_next=1, fail_status=503)})
    server = SimulatorServer(sims, port=sim_port).start()
    accounts = prepare(rt, server.base_url, sims.config)
    rt.store.close()
    hub_url = f"http://127.0.0.1:{port}"
    player = Player(sims, hub_url, accounts.connection_ids)
    click.echo(
        f"\n  Omnichannel hub demo\n"
        f"  open      {hub_url}\n"
        f"  sign in   {accounts.owner_email}  /  {accounts.owner_password}\n"
        f"  clock     {speed:g}x real time (a 2-hour wait takes {120 / speed:.1f} minutes)\n"
        f"  vendors   simulated at {server.base_url} (Shopify, Klaviyo, Twilio, HubSpot, wishlist)\n"
        f"  data      {data_dir}\n"
        f"  also      HUB_DATA_DIR={data_dir} hub deliveries list  (and hub recipes runs, "
        f"hub customers search)\n"
        f"  Ctrl-C stops everything.\n")
    threading.Thread(target=_start_when_ready, args=(hub_url, player), daemon=True).start()
    background = BackgroundWorkers(1, data_dir)
    parent = os.getpid()
    try:
        run_gunicorn(settings, workers=1, threads=8, background=background)
    finally:
        if os.getpid() == parent:  # gunicorn's forked web worker leaves through here too
            player.stop()
            server.stop()
            sims.close()
            click.echo("demo stopped", err=True)


def _start_when_ready(hub_url: str, player) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{hub_url}/readyz", timeout=1).ok:
                player.start()
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)


COMMANDS = [demo]
