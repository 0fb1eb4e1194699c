"""Recipes: the gallery of shipped recipes, enabling one with a form generated from its
``params`` schema, and the installed ones — edit, switch off/on, delete, try.

Owner only (the guard's default). Every change goes through ``hub.engine.instances``.
"""

from __future__ import annotations

from typing import Any

from flask import (Blueprint, abort, current_app, flash, redirect, render_template, request,
                   url_for)
from werkzeug.wrappers import Response

from adapters import REGISTRY
from hub.engine import instances
from hub.engine.catalog import load_catalog
from hub.engine.instances import ParamsInvalid
from hub.engine.recipes import Recipe
from hub.store import Instance
from web.access import current_user
from web.recipe_forms import param_fields, submitted_params

bp = Blueprint("recipes", __name__, url_prefix="/recipes")


def _rt():
    return current_app.extensions["hub"]


def _recipe_or_404(recipe_id: str) -> Recipe:
    try:
        return load_catalog().get(recipe_id)
    except KeyError:
        abort(404)


def _instance_or_404(instance_id: str) -> Instance:
    instance = _rt().store.get_instance(instance_id)
    if instance is None:
        abort(404)
    return instance


def _connection_options(needs: tuple[str, ...] | list[str]) -> dict[str, list[Any]]:
    """For each adapter a recipe needs, the connections it could use."""
    records = _rt().store.list_connections()
    return {adapter: [r for r in records if r.adapter == adapter] for adapter in needs}


def _adapter_titles() -> dict[str, str]:
    return {name: cls.title for name, cls in REGISTRY.items()}


def _instance_recipe(instance: Instance) -> Recipe:
    """The recipe as the instance runs it (its own snapshot, not the file today)."""
    from hub.engine.recipes import adapters_used

    return Recipe(id=instance.recipe_id, title=instance.recipe.get("title", instance.recipe_id),
                  description=instance.recipe.get("description", ""), data=instance.recipe,
                  needs=tuple(adapters_used(instance.recipe)))


@bp.get("/")
def gallery() -> str:
    rt = _rt()
    catalog = load_catalog()
    installed = rt.store.list_instances()
    connected = {r.adapter for r in rt.store.list_connections()}
    return render_template("recipes/gallery.html", recipes=catalog.recipes.values(),
                           installed=installed, connected=connected, titles=_adapter_titles(),
                           problems=catalog.problems)


@bp.route("/<recipe_id>/enable", methods=["GET", "POST"])
def enable(recipe_id: str) -> Response | str | tuple[str, int]:
    recipe = _recipe_or_404(recipe_id)
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    name = request.form.get("name", "").strip()
    chosen = _chosen_connections(recipe)
    if request.method == "POST":
        raw = submitted_params(recipe.params, request.form)
        values = dict(raw)
        try:
            params = instances.coerce_params(recipe, raw)
            instance = instances.enable(_rt().store, recipe.id, params, name=name or None,
                                        connections=chosen, actor=current_user().email)
        except ParamsInvalid as invalid:
            errors = invalid.errors
        else:
            flash(f"“{instance.name}” is on. It acts on events from now on.", "ok")
            return redirect(url_for("recipes.instance", instance_id=instance.id))
    return (render_template("recipes/form.html", recipe=recipe, instance=None, name=name,
                            fields=param_fields(recipe.params, values), errors=errors,
                            options=_connection_options(recipe.needs), chosen=chosen,
                            titles=_adapter_titles()),
            400 if errors else 200)


def _chosen_connections(recipe: Recipe) -> dict[str, str]:
    return {adapter: request.form[f"connection_{adapter}"] for adapter in recipe.needs
            if request.form.get(f"connection_{adapter}")}


@bp.get("/installed/<instance_id>")
def instance(instance_id: str) -> str:
    item = _instance_or_404(instance_id)
    recipe = _instance_recipe(item)
    runs = _rt().store.list_runs(instance_id=item.id, limit=20)
    return render_template("recipes/instance.html", instance=item, recipe=recipe, runs=runs,
                           fields=param_fields(recipe.params, item.params),
                           titles=_adapter_titles(), preview=None)


@bp.post("/installed/<instance_id>/try")
def try_it(instance_id: str) -> str | tuple[str, int]:
    """Dry run against a recent (or sample) event: what would be sent, sending nothing."""
    from hub.engine.preview import NothingToTry, recent_matches, try_instance

    item = _instance_or_404(instance_id)
    recipe = _instance_recipe(item)
    rt = _rt()
    event_id = request.form.get("event_id", type=int)
    preview, problem = None, None
    try:
        preview = try_instance(rt, item, event_id=event_id)
    except NothingToTry as error:
        problem = str(error)
    recent = [stored for stored, _ in recent_matches(rt, item, limit=10)]
    return render_template("recipes/instance.html", instance=item, recipe=recipe,
                           runs=rt.store.list_runs(instance_id=item.id, limit=20),
                           fields=param_fields(recipe.params, item.params),
                           titles=_adapter_titles(), preview=preview, problem=problem,
                           recent=recent, chosen_event=event_id), 200 if preview else 404


@bp.route("/installed/<instance_id>/edit", methods=["GET", "POST"])
def edit(instance_id: str) -> Response | str | tuple[str, int]:
    item = _instance_or_404(instance_id)
    recipe = _instance_recipe(item)
    errors: dict[str, str] = {}
    values: dict[str, Any] = dict(item.params)
    chosen = {**item.connections, **_chosen_connections(recipe)}
    if request.method == "POST":
        raw = submitted_params(recipe.params, request.form)
        values.update(raw)
        try:
            params = instances.coerce_params(recipe, raw)
            instances.update(_rt().store, item.id, params, connections=chosen,
                             actor=current_user().email)
        except ParamsInvalid as invalid:
            errors = invalid.errors
        else:
            flash("Changes saved. They apply to events from now on.", "ok")
            return redirect(url_for("recipes.instance", instance_id=item.id))
    return (render_template("recipes/form.html", recipe=recipe, instance=item, name=item.name,
                            fields=param_fields(recipe.params, values), errors=errors,
                            options=_connection_options(recipe.needs), chosen=chosen,
                            titles=_adapter_titles()),
            400 if errors else 200)


@bp.post("/installed/<instance_id>/switch")
def switch(instance_id: str) -> Response:
    item = _instance_or_404(instance_id)
    turn_on = request.form.get("enabled") == "on"
    try:
        instances.update(_rt().store, item.id, enabled=turn_on, actor=current_user().email)
    except ParamsInvalid as invalid:
        flash("Cannot switch it on: " + "; ".join(invalid.errors.values()), "error")
    else:
        flash(f"“{item.name}” is {'on' if turn_on else 'off'}.", "ok")
    return redirect(url_for("recipes.instance", instance_id=item.id))


@bp.post("/installed/<instance_id>/delete")
def delete(instance_id: str) -> Response:
    item = _instance_or_404(instance_id)
    instances.delete(_rt().store, item.id, actor=current_user().email)
    flash(f"“{item.name}” is deleted; reminders it was waiting to send are cancelled.", "ok")
    return redirect(url_for("recipes.gallery"))
