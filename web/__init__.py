"""The web layer: ``create_app`` builds the Flask app; blueprints parse, call the hub, render.

Nothing happens at import time. Sessions are signed with a key derived from the hub's
master secret; cookies are HttpOnly, SameSite=Lax, and Secure whenever the public URL is
HTTPS; every form is CSRF-protected except the vendor webhooks, which are authenticated by
their signatures instead.
"""

from __future__ import annotations

import base64

from flask import Flask
from flask_wtf import CSRFProtect

from hub.crypto import derive_key
from hub.runtime import Runtime, open_runtime
from hub.settings import Settings, from_env

csrf = CSRFProtect()


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
        WTF_CSRF_TIME_LIMIT=None,
        MAX_FORM_MEMORY_SIZE=rt.settings.max_body_bytes,
    )
    app.extensions["hub"] = rt
    csrf.init_app(app)

    from web import health, webhooks

    csrf.exempt(webhooks.bp)
    app.register_blueprint(webhooks.bp)
    app.register_blueprint(health.bp)
    return app


def runtime_of(app: Flask) -> Runtime:
    return app.extensions["hub"]
