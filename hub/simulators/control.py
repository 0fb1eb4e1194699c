"""``/_sim``: the control API a test, the demo or a person uses to drive the simulators.

=========================  ===============================================================
``GET /_sim/requests``     recorded requests (``?vendor=klaviyo&since_id=12&path=events``)
``DELETE /_sim/requests``  forget them
``GET /_sim/faults``       current faults per vendor
``POST /_sim/faults``      ``{"vendor": "twilio", "error_rate": 0.2, …}`` or
                           ``{"twilio": {…}, "klaviyo": {…}}``; replaces that vendor's faults
``DELETE /_sim/faults``    every vendor behaves again
``POST /_sim/reset``       data back to the seed, log and faults cleared
``GET /_sim/state``        each vendor's data (events, messages, contacts, opt-outs…)
``POST /_sim/twilio/inbound``  an inbound SMS to the hub (``{"url", "from", "body"}``)
=========================  ===============================================================
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import Blueprint, Response, request

from hub.simulators.faults import Faults, FaultsInvalid
from hub.simulators.vendor import json_response

if TYPE_CHECKING:
    from hub.simulators.core import Simulators


def _bad(message: str) -> Response:
    return json_response({"error": message}, 400)


def control_blueprint(sims: "Simulators") -> Blueprint:
    bp = Blueprint("sim_control", __name__)

    @bp.get("/requests")
    def list_requests() -> Response:
        vendor = request.args.get("vendor") or None
        if vendor is not None and vendor not in sims.vendors:
            return _bad(f"unknown vendor {vendor!r}")
        try:
            since_id = int(request.args.get("since_id", "0"))
        except ValueError:
            return _bad("since_id must be a number")
        entries = sims.log.list(vendor, path_contains=request.args.get("path") or None,
                                since_id=since_id)
        return json_response({"requests": [e.to_json() for e in entries]})

    @bp.delete("/requests")
    def clear_requests() -> Response:
        sims.log.clear()
        return json_response(None, 204)

    @bp.get("/faults")
    def get_faults() -> Response:
        return json_response({"faults": sims.faults.to_json()})

    @bp.post("/faults")
    def set_faults() -> Response:
        data = request.get_json(silent=True)
        if not isinstance(data, dict):
            return _bad("send a JSON object")
        try:
            for vendor, settings in _fault_settings(data).items():
                if vendor not in sims.vendors:
                    return _bad(f"unknown vendor {vendor!r} (known: {', '.join(sims.vendors)})")
                sims.set_faults(vendor, Faults.from_json(settings))
        except FaultsInvalid as error:
            return _bad(str(error))
        return json_response({"faults": sims.faults.to_json()})

    @bp.delete("/faults")
    def clear_faults() -> Response:
        sims.faults.clear()
        return json_response(None, 204)

    @bp.post("/reset")
    def reset() -> Response:
        sims.reset()
        return json_response(None, 204)

    @bp.get("/state")
    def state() -> Response:
        return json_response({name: vendor.snapshot() for name, vendor in sims.vendors.items()})

    @bp.post("/twilio/inbound")
    def twilio_inbound() -> Response:
        data = request.get_json(silent=True)
        if not isinstance(data, dict) or not all(
                isinstance(data.get(k), str) for k in ("url", "from", "body")):
            return _bad('send {"url": hub webhook URL, "from": "+1…", "body": "STOP"}')
        delivery = sims.twilio.send_inbound_sms(data["url"], from_=data["from"],
                                                body=data["body"], to=data.get("to"))
        return json_response({"status": delivery.last_status, "delivered": delivery.delivered})

    return bp


def _fault_settings(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Accept one vendor (``{"vendor": …, settings}``) or several (``{vendor: settings}``)."""
    if "vendor" in data:
        settings = dict(data)
        return {str(settings.pop("vendor")): settings}
    result = {}
    for vendor, settings in data.items():
        if not isinstance(settings, dict):
            raise FaultsInvalid(f"faults for {vendor!r} must be a JSON object")
        result[vendor] = settings
    return result
