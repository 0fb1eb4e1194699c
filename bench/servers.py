"""Starting the systems under test on a free loopback port, and stopping them."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_http(url: str, timeout: float = 30.0) -> float:
    """Seconds until ``url`` answers 200."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        try:
            with urllib.request.urlopen(url, timeout=1) as answer:
                if answer.status == 200:
                    return time.monotonic() - started
        except OSError:
            time.sleep(0.02)
    raise RuntimeError(f"{url} did not answer in {timeout}s")


@contextmanager
def process(command: list[str], ready_url: str, env: dict[str, str] | None = None) -> Iterator[subprocess.Popen]:
    log = tempfile.TemporaryFile()
    proc = subprocess.Popen(command, cwd=ROOT, env={**os.environ, **(env or {})}, stdout=log,
                            stderr=log, start_new_session=True)
    try:
        proc.ready_seconds = wait_http(ready_url)  # type: ignore[attr-defined]
        yield proc
    except RuntimeError:
        log.seek(0)
        sys.stderr.write(log.read().decode(errors="replace")[-4000:])
        raise
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def hub_serve_command(data_dir: Path, port: int, workers: int, threads: int,
                      background: int = 1) -> list[str]:
    return [sys.executable, "-m", "hub.cli", "--data-dir", str(data_dir), "serve", "--port",
            str(port), "--workers", str(workers), "--threads", str(threads),
            "--background-workers", str(background)]


def bare_flask_command(port: int, workers: int, threads: int) -> list[str]:
    return [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--worker-class",
            "gthread", "--threads", str(threads), "--bind", f"127.0.0.1:{port}",
            "--log-level", "warning", "--no-control-socket", "bench.bare_app:app"]
