"""Error pages in plain words (and JSON for JSON callers); never a traceback or a secret."""

from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from hub.store import StoreUnavailable
from web.access import wants_json

MESSAGES = {
    400: ("This request could not be used", "Something in it was missing or not in the expected form."),
    403: ("Not for your account", "Your account cannot open this page. Ask the shop owner if you need it."),
    404: ("Not found", "There is nothing at this address. It may have been removed."),
    405: ("Not allowed here", "This address does not take that kind of request."),
    413: ("Too large", "What was sent is larger than the hub accepts."),
    503: ("The hub is busy", "The database is not answering right now. Wait a moment and reload."),
}


#: Machine callers (vendors, probes) always get JSON, whatever they say they accept.
MACHINE_PATHS = ("/hooks", "/healthz", "/readyz", "/metrics")


def _page(status: int, title: str, text: str):
    if wants_json() or request.path.startswith(MACHINE_PATHS):
        response = jsonify(error=title, detail=text)
        response.status_code = status
        return response
    return render_template("error.html", status=status, title=title, text=text), status


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def _csrf(error: CSRFError):
        return _page(400, "This form has expired",
                     "The page was open too long, or the form did not come from this hub. "
                     "Go back, reload the page and try again.")

    @app.errorhandler(StoreUnavailable)
    def _store(error: StoreUnavailable):
        return _page(503, *MESSAGES[503])

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException):
        status = error.code or 500
        title, text = MESSAGES.get(status, (error.name, error.description or ""))
        return _page(status, title, text)
