"""Connections: add, edit, remove and test the shop's accounts; show the webhook address.

Forms are generated from each adapter's declared ``auth_fields``: a secret field is a
password input, and a stored secret is only ever shown as its last four characters. A
secret the hub generates on request is shown once, in the answer to the form that made it.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from flask import (Blueprint, abort, current_app, flash, redirect, render_template, request,
                   url_for)
from werkzeug.wrappers import Response

from adapters import REGISTRY
from adapters.base import Adapter
from adapters.http import Outcome
from hub import connections as hub_connections
from hub.connections import ConnectionInvalid, ConnectionView
from hub.redact import redact_text
from web.access import current_user

bp = Blueprint("connections", __name__, url_prefix="/connections")


@dataclass(frozen=True)
class CheckResult:
    """A connection test in plain words."""

    ok: bool
    headline: str
    detail: str


def _rt():
    return current_app.extensions["hub"]


def webhook_url(connection_id: str) -> str:
    return f"{_rt().settings.public_url.rstrip('/')}/hooks/{connection_id}"


def explain(outcome: Outcome) -> CheckResult:
    """Turn an adapter's ``Outcome`` into a sentence a shop owner can act on.

    The vendor's own words are redacted first: an error may echo the credential back.
    """
    said = redact_text(outcome.summary)
    if outcome.ok:
        return CheckResult(True, "It works: the service answered and accepted the credentials.",
                           said)
    if outcome.kind in ("retry", "unknown", "paced"):
        return CheckResult(False, "The service could not be reached just now. Check the address "
                                  "and try again in a minute.", said)
    return CheckResult(False, "The service refused: check the credentials you entered.", said)


def _adapter_or_404(name: str) -> type[Adapter]:
    adapter = REGISTRY.get(name)
    if adapter is None:
        abort(404)
    return adapter


def _view_or_404(connection_id: str) -> ConnectionView:
    record = _rt().store.get_connection(connection_id)
    if record is None:
        abort(404)
    return hub_connections.view(record, _rt().vault)


def _form_values(adapter: type[Adapter]) -> tuple[dict[str, str], dict[str, str]]:
    """The submitted auth fields, and any secrets the person asked the hub to generate."""
    values: dict[str, str] = {}
    generated: dict[str, str] = {}
    for field in adapter.auth_fields:
        value = request.form.get(field.name, "").strip()
        if field.secret and request.form.get(f"generate_{field.name}") and not value:
            value = secrets.token_urlsafe(32)
            generated[field.name] = value
        values[field.name] = value
    return values, generated


@bp.get("/")
def index() -> str:
    rt = _rt()
    views = [hub_connections.view(r, rt.vault) for r in rt.store.list_connections()]
    return render_template("connections/index.html", connections=views, adapters=REGISTRY,
                           webhook_url=webhook_url)


@bp.get("/new")
def choose() -> str:
    return render_template("connections/choose.html", adapters=REGISTRY.values())


@bp.route("/new/<adapter_name>", methods=["GET", "POST"])
def add(adapter_name: str) -> Response | str | tuple[str, int]:
    adapter = _adapter_or_404(adapter_name)
    rt = _rt()
    error = None
    values: dict[str, Any] = {"name": request.form.get("name", "main")}
    if request.method == "POST":
        submitted, generated = _form_values(adapter)
        values.update(submitted)
        try:
            record = hub_connections.add_connection(
                rt.store, rt.vault, adapter.name, request.form.get("name", ""),
                {k: v for k, v in submitted.items() if v != ""}, actor=current_user().email)
        except ConnectionInvalid as invalid:
            error = str(invalid)
        else:
            flash(f"{adapter.title} is connected.", "ok")
            return render_template("connections/saved.html", view=hub_connections.view(record, rt.vault),
                                   adapter=adapter, generated=generated,
                                   webhook_url=webhook_url(record.id))
    for field in adapter.auth_fields:
        if not field.secret:
            values.setdefault(field.name, field.default or "")
    return (render_template("connections/form.html", adapter=adapter, values=values, error=error,
                            view=None), 400 if error else 200)


@bp.get("/<connection_id>")
def detail(connection_id: str) -> str:
    view = _view_or_404(connection_id)
    recent = _rt().store.list_events(connection_id=view.id, limit=10)
    return render_template("connections/detail.html", view=view, adapter=REGISTRY.get(view.adapter),
                           webhook_url=webhook_url(view.id), check=None, recent=recent)


@bp.route("/<connection_id>/edit", methods=["GET", "POST"])
def edit(connection_id: str) -> Response | str | tuple[str, int]:
    view = _view_or_404(connection_id)
    adapter = _adapter_or_404(view.adapter)
    rt = _rt()
    error = None
    values: dict[str, Any] = dict(view.settings)
    if request.method == "POST":
        submitted, generated = _form_values(adapter)
        values.update({k: v for k, v in submitted.items() if k not in adapter.secret_fields()})
        try:
            record = hub_connections.update_connection(rt.store, rt.vault, connection_id, submitted,
                                                       actor=current_user().email)
        except ConnectionInvalid as invalid:
            error = str(invalid)
        else:
            if generated:
                return render_template("connections/saved.html",
                                       view=hub_connections.view(record, rt.vault), adapter=adapter,
                                       generated=generated, webhook_url=webhook_url(record.id))
            flash("Changes saved.", "ok")
            return redirect(url_for("connections.detail", connection_id=connection_id))
    return (render_template("connections/form.html", adapter=adapter, values=values, error=error,
                            view=view), 400 if error else 200)


@bp.post("/<connection_id>/remove")
def remove(connection_id: str) -> Response:
    view = _view_or_404(connection_id)
    hub_connections.remove_connection(_rt().store, connection_id, actor=current_user().email)
    flash(f"{view.title} connection “{view.name}” removed. Its past activity stays in the log.", "ok")
    return redirect(url_for("connections.index"))


@bp.post("/<connection_id>/test")
def test(connection_id: str) -> Response | str:
    """Run the adapter's harmless test call now; show what it said and keep it as last check."""
    _view_or_404(connection_id)
    rt = _rt()
    record = rt.store.get_connection(connection_id)
    outcome = hub_connections.check_connection(rt.store, rt.adapter_for(record), connection_id,
                                               actor=current_user().email)
    check = explain(outcome)
    view = _view_or_404(connection_id)
    if request.headers.get("HX-Request"):
        return render_template("connections/_health.html", view=view, check=check)
    flash(f"{check.headline} ({check.detail})", "ok" if check.ok else "error")
    return redirect(url_for("connections.detail", connection_id=connection_id))
