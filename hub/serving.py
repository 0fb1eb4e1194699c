"""Running the hub: gunicorn for the web processes, and the background worker beside them.

``hub serve`` is the production shape on one machine: a gunicorn master with N web worker
processes (threads inside each, so a slow client does not hold a process) and M background
worker processes, restarted if they die, all stopped together on Ctrl-C or SIGTERM. On more
machines run ``hub serve --background-workers 0`` behind a load balancer and ``hub worker``
wherever you like: they only meet in the store.
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from hub.settings import Settings

log = logging.getLogger("hub.serving")


def prepare_metrics_dir(settings: Settings) -> Path:
    """A fresh multi-process metrics folder, set before prometheus_client is imported."""
    path = settings.data_dir / "metrics"
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True, exist_ok=True)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(path.resolve())
    return path


class BackgroundWorkers:
    """Keeps ``count`` ``hub worker`` processes alive until stopped."""

    def __init__(self, count: int, data_dir: Path) -> None:
        self.count = count
        self.data_dir = data_dir
        self.processes: list[subprocess.Popen[bytes]] = []
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="worker-watch", daemon=True)

    def _spawn(self) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [sys.executable, "-m", "hub.cli", "--data-dir", str(self.data_dir), "worker"],
            env=os.environ.copy(),
        )

    def start(self) -> None:
        self.processes = [self._spawn() for _ in range(self.count)]
        self._thread.start()

    def _watch(self) -> None:
        while not self._stopping.wait(1.0):
            for index, process in enumerate(self.processes):
                # Exit code 0 means it was asked to stop (Ctrl-C reaches the whole group).
                if process.poll() not in (None, 0) and not self._stopping.is_set():
                    log.warning("background worker exited with %s; restarting", process.returncode)
                    self.processes[index] = self._spawn()

    def stop(self, timeout: float = 10.0) -> None:
        self._stopping.set()
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for process in self.processes:
            try:
                process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()


def run_gunicorn(settings: Settings, *, workers: int, threads: int,
                 background: BackgroundWorkers | None) -> None:
    """Serve the web app with gunicorn (blocks until the master stops)."""
    from gunicorn.app.base import BaseApplication

    data_dir = settings.data_dir

    class HubApplication(BaseApplication):
        def load_config(self) -> None:
            options: dict[str, Any] = {
                "bind": f"{settings.host}:{settings.port}",
                "workers": workers,
                "worker_class": "gthread",
                "threads": threads,
                "timeout": 30,
                "graceful_timeout": 10,
                "keepalive": 5,
                "accesslog": None,
                "errorlog": "-",
                "loglevel": settings.log_level.lower(),
                "proc_name": "hub-web",
                "when_ready": lambda server: background.start() if background else None,
                "on_exit": lambda server: background.stop() if background else None,
                "child_exit": _mark_dead_for_metrics,
            }
            if "control_socket_disable" in self.cfg.settings:
                # gunicorn >= 24 opens ~/.gunicorn/gunicorn.ctl; two hubs on one machine
                # (tests, benchmarks, a demo) would fight over it, and we do not use it.
                options["control_socket_disable"] = True
            for key, value in options.items():
                self.cfg.set(key, value)

        def load(self):  # noqa: ANN201 - gunicorn's signature
            from hub.settings import from_env
            from web import create_app

            return create_app(settings=from_env(data_dir=data_dir))

    HubApplication().run()


def _mark_dead_for_metrics(server: Any, worker: Any) -> None:
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def run_dev(settings: Settings, *, background: bool) -> None:
    """Flask's development server with the worker in a thread: for working on the hub."""
    from hub.runtime import open_runtime
    from hub.worker import Worker
    from web import create_app

    rt = open_runtime(settings)
    stop = threading.Event()
    thread = None
    if background:
        thread = threading.Thread(target=Worker(rt).run, args=(stop,), daemon=True)
        thread.start()
    try:
        create_app(rt).run(host=settings.host, port=settings.port, threaded=True,
                           use_reloader=False)
    finally:
        stop.set()
        if thread:
            thread.join(timeout=5)
