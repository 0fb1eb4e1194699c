"""Serving the simulators on a real loopback port: in a background thread (tests, the demo)
or in the foreground (``hub simulators serve``).

werkzeug's threaded server is used on purpose: it hands the socket to the app
(``werkzeug.socket``), which is how a dropped connection is simulated.
"""

from __future__ import annotations

import threading
from types import TracebackType

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from hub.simulators.core import Simulators


class _QuietHandler(WSGIRequestHandler):
    """No access log on stderr: ``GET /_sim/requests`` is the simulators' log."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


class SimulatorServer:
    """``with SimulatorServer(sims) as server: server.url("klaviyo")`` → ``http://127.0.0.1:…``."""

    def __init__(self, sims: Simulators, host: str = "127.0.0.1", port: int = 0) -> None:
        self.sims = sims
        self._server: BaseWSGIServer = make_server(host, port, sims.app, threaded=True,
                                                   request_handler=_QuietHandler)
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return self._server.server_port

    @property
    def base_url(self) -> str:
        return f"http://{self._server.server_address[0]}:{self.port}"

    def url(self, vendor: str) -> str:
        """The base URL an adapter's ``api_base_url`` points at for ``vendor``."""
        return f"{self.base_url}/{vendor}"

    def start(self) -> "SimulatorServer":
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.05},
                                        name=f"simulators:{self.port}", daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve in this thread until ``stop`` (from a signal handler) or KeyboardInterrupt."""
        try:
            self._server.serve_forever(poll_interval=0.2)
        finally:
            self._server.server_close()
            self.sims.close()

    def stop(self) -> None:
        """Stop accepting, finish, close the socket and stop background deliveries."""
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(10)
            self._thread = None
            self._server.server_close()
        self.sims.close()

    def __enter__(self) -> "SimulatorServer":
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()


def run_in_background(sims: Simulators | None = None, *, host: str = "127.0.0.1",
                      port: int = 0) -> SimulatorServer:
    """Start the simulators on a free loopback port; call ``stop()`` when done."""
    return SimulatorServer(sims or Simulators(), host, port).start()
