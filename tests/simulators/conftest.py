"""The simulators on a real loopback port, and a small receiver standing in for the hub's
webhook endpoint, so senders are checked over real HTTP."""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass, replace
from typing import Iterable, Iterator

import pytest
from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from hub.simulators import SimConfig, Simulators, SimulatorServer
from hub.simulators.config import KlaviyoConfig, ShopifyConfig, TwilioConfig
from tests.support.fixtures import SECRETS

FIXTURE_ACCOUNT_SID = "AC3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f"


def fixture_config(**sections) -> SimConfig:
    """The simulated accounts with the fixtures' credentials (tests/fixtures/README.md)."""
    config = SimConfig(
        shopify=ShopifyConfig(access_token=SECRETS["shopify_access_token"],
                              webhook_secret=SECRETS["shopify"]),
        klaviyo=KlaviyoConfig(private_key=SECRETS["klaviyo"]),
        twilio=TwilioConfig(account_sid=FIXTURE_ACCOUNT_SID, auth_token=SECRETS["twilio"],
                            status_callback_delay=0.05),
        wishlist_secret=SECRETS["wishlist"], swym_token=SECRETS["swym"],
    )
    return replace(config, **sections)


@pytest.fixture
def sims() -> Iterator[Simulators]:
    simulators = Simulators(fixture_config())
    yield simulators
    simulators.close()


@pytest.fixture
def server(sims: Simulators) -> Iterator[SimulatorServer]:
    with SimulatorServer(sims) as running:
        yield running


@dataclass(frozen=True)
class Received:
    method: str
    url: str
    headers: dict[str, str]
    body: bytes


class _Quiet(WSGIRequestHandler):
    def log_request(self, *args, **kwargs) -> None:
        pass


class Receiver:
    """Answers each request with the next queued status (then 200) and keeps what came."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self._statuses: deque[int] = deque()
        self._server = make_server("127.0.0.1", 0, self, threaded=True, request_handler=_Quiet)
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.05}, daemon=True)

    def answer_with(self, statuses: Iterable[int]) -> None:
        self._statuses.extend(statuses)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self._server.server_port}{path}"

    def __call__(self, environ, start_response):
        request = Request(environ)
        self.received.append(Received(request.method, request.url, dict(request.headers),
                                      request.get_data()))
        status = self._statuses.popleft() if self._statuses else 200
        return Response("ok", status=status)(environ, start_response)

    def start(self) -> "Receiver":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join(5)
        self._server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    running = Receiver().start()
    yield running
    running.stop()
