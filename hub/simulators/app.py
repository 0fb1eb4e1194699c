"""The simulators' Flask app: one route prefix per vendor, faults and the request log shared.

Every request to a vendor prefix goes through the same two steps before the vendor sees it:
the fault book decides (outage, dropped connection, injected error, added latency), and the
request is recorded with the answer it got. Auth, rate limits and validation are the vendor
module's job, in the vendor's own order and words.
"""

from __future__ import annotations

import socket
import time
from typing import TYPE_CHECKING

from flask import Flask, Response, g, request

from hub import clock
from hub.simulators.control import control_blueprint
from hub.simulators.vendor import VendorSim

if TYPE_CHECKING:
    from hub.simulators.core import Simulators


class DropUnsupported(RuntimeError):
    """Dropping a connection needs the simulator's own (werkzeug) server to own the socket."""


def create_app(sims: "Simulators") -> Flask:
    """Build the app serving every vendor of ``sims`` plus the ``/_sim`` control API."""
    app = Flask("hub.simulators")
    app.config["MAX_CONTENT_LENGTH"] = 6 * 1024 * 1024  # above Klaviyo's 5 MB event limit
    for vendor in sims.vendors.values():
        app.register_blueprint(vendor.blueprint(), url_prefix=f"/{vendor.name}")
    app.register_blueprint(control_blueprint(sims), url_prefix="/_sim")
    # App-level hooks run before any blueprint's own, so faults come first for every vendor
    # and even a request the vendor refuses (or an unknown path) is recorded.
    app.before_request(_fault_step(sims))
    app.teardown_request(_release_step(sims))

    @app.after_request
    def record(response: Response) -> Response:
        vendor = g.get("sim_vendor")
        if vendor is not None and not g.get("sim_recorded"):
            _record(sims, vendor, response.status_code, dict(response.headers))
        return response

    return app


def _vendor_of(sims: "Simulators") -> VendorSim | None:
    """The vendor a request is for: its blueprint, or the first path segment (404s)."""
    name = request.blueprint or request.path.strip("/").split("/", 1)[0]
    return sims.vendors.get(name)


def _fault_step(sims: "Simulators"):
    def apply_faults() -> Response | None:
        vendor = _vendor_of(sims)
        if vendor is None:
            return None
        g.sim_vendor = vendor.name
        g.sim_started = time.perf_counter()
        g.sim_at = clock.now_iso()
        request.get_data(cache=True)  # keep the raw body for the log and for signatures
        refused = vendor.admit()
        if refused is not None:
            return refused
        g.sim_admitted = vendor.name
        decision = sims.faults.decide(vendor.name)
        g.sim_fault = decision.reason
        if decision.latency:
            time.sleep(decision.latency)
        if decision.action == "drop":
            _record(sims, vendor.name, None, {})
            g.sim_recorded = True
            _drop_connection()
            return Response(status=204)  # never reaches the client: the socket is shut
        if decision.action == "error":
            assert decision.status is not None
            return vendor.throttled() if decision.status == 429 else vendor.server_error(
                decision.status)
        return None

    return apply_faults


def _release_step(sims: "Simulators"):
    def release(error: BaseException | None) -> None:
        vendor = sims.vendors.get(g.pop("sim_admitted", ""))
        if vendor is not None:
            vendor.release()

    return release


def _drop_connection() -> None:
    """Shut the socket both ways so the client sees the connection close with no answer.

    werkzeug then fails to write the response with a ``ConnectionError``, which it treats as
    a client that went away (no traceback, no answer sent).
    """
    sock = request.environ.get("werkzeug.socket")
    if sock is None:
        raise DropUnsupported("dropped connections need the simulators' own server "
                              "(SimulatorServer or `hub simulators serve`)")
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass  # the client is already gone: the effect we wanted


def _record(sims: "Simulators", vendor: str, status: int | None,
            response_headers: dict[str, str]) -> None:
    sims.log.record(
        vendor=vendor, method=request.method, path=request.path,
        query=request.query_string.decode("latin-1"), headers=dict(request.headers),
        body=request.get_data(cache=True), status=status, at=g.get("sim_at", clock.now_iso()),
        duration_ms=(time.perf_counter() - g.get("sim_started", time.perf_counter())) * 1000,
        fault=g.get("sim_fault", ""), note=g.get("sim_note", ""),
        response_headers=response_headers,
    )
