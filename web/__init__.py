"""The web layer: ``create_app`` builds the Flask app; blueprints parse, call the hub, render.

Nothing happens at import time. Sessions are signed with a key derived from the hub's
master secret; cookies are HttpOnly, SameSite=Lax, and Secure whenever the public URL is
HTTPS; every form is CSRF-protected except the vendor webhooks, which are authenticated by
their signatures instead. Every other page needs a signed-in person (``web/access.py``).
"""

from __future__ import annotations

import base64
import logging

from flask import Flask
from flask_wtf import CSRFProtect

from hub.crypto import derive_key
from hub.runtime import Runtime, open_runtime
from hub.settings import Settings, from_env
from hub.users import SESSION_MAX

csrf = CSRFProtect()
log = logging.getLogger("hub.web")


def create_app(runtime: Runtime | None = None, *, settings: Settings | None = None) -> Flask:
    rt = runtime or open_runtime(settings or from_env())
    app = Flask(__name__)
    assert rt.settings.secret_key
    app.config.update(
        SECRET_KEY=base64.urlsafe_b64encode(derive_key(rt.settings.secret_key, "sessions")).decode(),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=rt.settings.public_url.startswith("https://"),
        SESSION_COOKIE_NAME="hub_session",
        PERMANENT_SESSION_LIFETIME=SESSION_MAX,
        WTF_CSRF_TIME_LIMIT=None,
        MAX_FORM_MEMORY_SIZE=rt.settings.max_body_bytes,
    )
    app.extensions["hub"] = rt
    csrf.init_app(app)

    from web import (access, activity, auth, connections, customers, dashboard, display, errors,
                     health, recipes, webhooks)

    csrf.exempt(webhooks.bp)
    app.register_blueprint(webhooks.bp)
    app.register_blueprint(health.bp)
    for blueprint in (auth.bp, dashboard.bp, connections.bp, customers.bp, activity.bp,
                      recipes.bp):
        app.register_blueprint(blueprint)
    access.init_app(app)
    display.init_app(app)
    errors.init_app(app)
    _announce_setup(rt)
    return app


def runtime_of(app: Flask) -> Runtime:
    return app.extensions["hub"]


def _announce_setup(rt: Runtime) -> None:
    """On a fresh hub, say in the log where to create the owner account and with which code."""
    from hub.store import StoreUnavailable
    from hub.users import needs_owner, setup_code

    try:
        fresh = needs_owner(rt.store)
    except StoreUnavailable:
        return
    if fresh and rt.settings.secret_key:
        log.warning("no owner account yet: open %s/setup and enter the set-up code %s",
                    rt.settings.public_url.rstrip("/"), setup_code(rt.settings.secret_key))
