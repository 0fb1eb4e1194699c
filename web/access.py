"""Who may open what: one guard in front of every request, with an explicit allow-list.

Deny by default: a new page needs a signed-in *owner* unless its view is marked
``@staff_allowed``; only the endpoints named in ``PUBLIC`` (and the webhook and health
blueprints, which vendors and load balancers call) are open without a session. The guard
runs on the server for every request, so hiding a button is never the only protection.
"""

from __future__ import annotations

from typing import Callable, TypeVar
from urllib.parse import urlsplit

from flask import Flask, abort, current_app, g, jsonify, redirect, request, session, url_for
from werkzeug.wrappers import Response

from hub import users
from hub.users import User

#: Endpoints open without a session (vendor webhooks and health checks are whole blueprints).
PUBLIC = frozenset({"static", "auth.login", "auth.setup", "auth.invite"})
PUBLIC_BLUEPRINTS = frozenset({"webhooks", "health"})
#: Where the session cookie keeps the sign-in token (the store keeps only its digest).
SESSION_KEY = "sid"

View = TypeVar("View", bound=Callable)


def staff_allowed(view: View) -> View:
    """Mark a view as open to staff (read-only look-ups); unmarked views are owner-only."""
    view.staff_allowed = True  # type: ignore[attr-defined]
    return view


def is_public(endpoint: str | None) -> bool:
    if endpoint is None:
        return True  # no route matched: Flask answers 404 and reveals nothing
    return endpoint in PUBLIC or endpoint.partition(".")[0] in PUBLIC_BLUEPRINTS


def wants_json() -> bool:
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json" or request.path.endswith(".json")


def current_user() -> User | None:
    return g.get("user")


def safe_next(target: str | None) -> str | None:
    """Only a path on this site may be a redirect target (no ``//evil.example``)."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def _owner_missing() -> bool:
    """Cached once false: the owner account can never be removed."""
    app = current_app
    if app.config.get("HUB_HAS_OWNER"):
        return False
    missing = users.needs_owner(app.extensions["hub"].store)
    if not missing:
        app.config["HUB_HAS_OWNER"] = True
    return missing


def _unauthenticated(reason: str) -> Response:
    if wants_json():
        response = jsonify(error="sign in first", reason=reason)
        response.status_code = 401
        return response
    target = url_for("auth.setup") if reason == "setup" else url_for(
        "auth.login", next=request.full_path.rstrip("?") if request.method == "GET" else None)
    if request.headers.get("HX-Request"):
        response = Response(status=401)
        response.headers["HX-Redirect"] = target
        return response
    return redirect(target)


def guard() -> Response | None:
    """Runs before every request: resolve the signed-in person and check the role."""
    if is_public(request.endpoint):
        return None
    if _owner_missing():
        return _unauthenticated("setup")
    user = users.user_for_session(current_app.extensions["hub"].store, session.get(SESSION_KEY))
    if user is None or user.pending:
        session.pop(SESSION_KEY, None)
        return _unauthenticated("no session")
    g.user = user
    view = current_app.view_functions[request.endpoint]
    if not user.is_owner and not getattr(view, "staff_allowed", False):
        abort(403)
    return None


def security_headers(response: Response) -> Response:
    """A strict content policy: our own scripts and styles only, no framing."""
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    if response.mimetype == "text/html":
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
            "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        )
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        if g.get("user") is not None:
            response.headers.setdefault("Cache-Control", "no-store")
    return response


def init_app(app: Flask) -> None:
    app.before_request(guard)
    app.after_request(security_headers)

    @app.context_processor
    def _user() -> dict:
        return {"current_user": g.get("user")}

