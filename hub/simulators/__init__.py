"""Local vendor simulators: Shopify, Klaviyo, Twilio, HubSpot and the wishlist senders.

Real HTTP peers for tests, benchmarks and ``hub demo``: auth, validation, rate limits and
error bodies follow ``docs/vendor-apis.md`` and the fixtures, faults are injected on demand
and every request is recorded. Start here::

    from hub.simulators import Simulators, SimulatorServer
    with SimulatorServer(Simulators()) as server:
        server.url("klaviyo")   # → api_base_url of a Klaviyo connection

See ``docs/simulators.md``.
"""

from hub.simulators.config import SimConfig
from hub.simulators.core import Simulators
from hub.simulators.faults import Faults
from hub.simulators.server import SimulatorServer, run_in_background

__all__ = ["Faults", "SimConfig", "SimulatorServer", "Simulators", "run_in_background"]
