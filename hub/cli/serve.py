"""``hub serve`` and ``hub worker``: running the hub."""

from __future__ import annotations

import signal
import threading

import click

from hub.cli.state import CliState, pass_state


@click.command()
@click.option("--host", default=None, help="Interface to listen on.  [default: HUB_HOST or 127.0.0.1]")
@click.option("--port", type=int, default=None, help="Port.  [default: HUB_PORT or 8000]")
@click.option("--workers", type=click.IntRange(1, 64), default=None,
              help="Web processes.  [default: HUB_WEB_WORKERS or 2]")
@click.option("--threads", type=click.IntRange(1, 256), default=8, show_default=True,
              help="Threads per web process.")
@click.option("--background-workers", type=click.IntRange(0, 64), default=1, show_default=True,
              help="Background worker processes started beside the web ones (0: run `hub worker` "
                   "elsewhere).")
@click.option("--dev", is_flag=True, help="Flask's development server, worker in a thread.")
@pass_state
def serve(state: CliState, host: str | None, port: int | None, workers: int | None,
          threads: int, background_workers: int, dev: bool) -> None:
    """Run the web server and the background worker until Ctrl-C."""
    from hub import logs
    from hub.runtime import open_runtime
    from hub.serving import BackgroundWorkers, prepare_metrics_dir, run_dev, run_gunicorn

    settings = state.settings(host=host, port=port, web_workers=workers)
    logs.configure(settings.log_level, settings.log_format)
    if dev:
        run_dev(settings, background=background_workers > 0)
        return
    prepare_metrics_dir(settings)
    # Migrate and create the secret key once, here, before any child process starts.
    rt = open_runtime(settings)
    settings = rt.settings
    rt.store.close()
    click.echo(f"hub listening on http://{settings.host}:{settings.port} "
               f"(public URL {settings.public_url}); data in {settings.data_dir}", err=True)
    background = BackgroundWorkers(background_workers, settings.data_dir) if background_workers else None
    run_gunicorn(settings, workers=settings.web_workers, threads=threads, background=background)


@click.command()
@pass_state
def worker(state: CliState) -> None:
    """Run one background worker (process events, deliver, scheduled jobs) until stopped."""
    from hub import logs
    from hub.worker import Worker

    settings = state.settings()
    logs.configure(settings.log_level, settings.log_format)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    Worker(state.runtime()).run(stop)


COMMANDS = [serve, worker]
