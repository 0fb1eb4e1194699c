"""A real ``hub serve`` (gunicorn) on a free loopback port, for tests over real HTTP."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class LiveHub:
    """``hub serve`` as a child process; ``stderr`` is kept so tests can read every log line."""

    data_dir: Path
    port: int = field(default_factory=free_port)
    workers: int = 2
    background_workers: int = 0
    env: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = None
    log_path: Path | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        return [sys.executable, "-m", "hub.cli", "--data-dir", str(self.data_dir), "serve",
                "--port", str(self.port), "--workers", str(self.workers),
                "--background-workers", str(self.background_workers)]

    def start(self, timeout: float = 20.0) -> "LiveHub":
        self.log_path = self.data_dir.parent / f"hub-{self.port}.log"
        env = {**os.environ, "HUB_PUBLIC_URL": "https://hub.example.com", **self.env}
        env.pop("PROMETHEUS_MULTIPROC_DIR", None)
        log = open(self.log_path, "ab")
        self.process = subprocess.Popen(self.command(), stdout=log, stderr=log, env=env,
                                        start_new_session=True)
        self.wait_ready(timeout)
        return self

    def wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process and self.process.poll() is not None:
                raise RuntimeError(f"hub serve exited early:\n{self.logs()}")
            try:
                with urllib.request.urlopen(self.url + "/readyz", timeout=1) as answer:
                    if answer.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.1)
        raise RuntimeError(f"hub serve not ready in {timeout}s:\n{self.logs()}")

    def kill(self) -> None:
        """``kill -9`` the whole process group: master, web workers, background workers."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()

    def logs(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path and self.log_path.exists() else ""
