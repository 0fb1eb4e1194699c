"""Installing recipes: an instance is a recipe plus the owner's parameter values.

Parameters are validated against the recipe's ``params`` schema (defaults filled in) before
anything is saved; the connections each needed adapter will use are fixed here too, so a
shop with two Klaviyo accounts says which one. The recipe definition is copied into the
instance (decision 0007): editing a file never silently changes a running automation.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Mapping

import jsonschema

from hub import audit, clock
from hub.connections import slug
from hub.engine.catalog import Catalog, load_catalog
from hub.engine.recipes import Recipe, adapters_used
from hub.store import Instance, Store


class ParamsInvalid(ValueError):
    """The owner's values do not fit the recipe; ``errors`` maps a field to a message."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


def coerce_params(recipe: Recipe, raw: Mapping[str, str]) -> dict[str, Any]:
    """Text values (a form, ``--set k=v``) → the types the parameter schemas declare."""
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for name, text in raw.items():
        spec = recipe.params.get(name)
        if spec is None:
            errors[name] = f"{recipe.id} has no setting {name!r} (it has: {', '.join(recipe.params) or 'none'})"
            continue
        kind = spec.get("type")
        text = text.strip() if isinstance(text, str) else text
        try:
            if not isinstance(text, str):
                values[name] = text
            elif kind == "integer":
                values[name] = int(text)
            elif kind == "number":
                values[name] = float(text) if "." in text or "e" in text.lower() else int(text)
            elif kind == "boolean":
                if text.lower() not in ("true", "false", "yes", "no", "on", "off", "1", "0"):
                    raise ValueError
                values[name] = text.lower() in ("true", "yes", "on", "1")
            elif kind == "array":
                values[name] = [part.strip() for part in text.split(",") if part.strip()]
            else:
                values[name] = text
        except ValueError:
            errors[name] = f"{text!r} is not a valid {kind}"
    if errors:
        raise ParamsInvalid(errors)
    return values


def resolve_params(recipe: Recipe, given: Mapping[str, Any]) -> dict[str, Any]:
    """Defaults filled in and the whole validated; ``ParamsInvalid`` names each bad field."""
    values = {name: spec["default"] for name, spec in recipe.params.items() if "default" in spec}
    values.update(given)
    errors: dict[str, str] = {}
    validator = jsonschema.Draft202012Validator(recipe.params_schema())
    for error in validator.iter_errors(values):
        field = str(error.absolute_path[0]) if error.absolute_path else "params"
        title = recipe.params.get(field, {}).get("title", field)
        if error.validator == "additionalProperties":
            errors.setdefault("params", error.message.replace(
                "Additional properties are not allowed", "unknown setting"))
        else:
            errors.setdefault(field, f"{title}: {error.message}")
    if errors:
        raise ParamsInvalid(errors)
    return values


def resolve_connections(store: Store, recipe: Recipe, chosen: Mapping[str, str]) -> dict[str, str]:
    """Which connection each adapter the recipe needs will use."""
    by_adapter: dict[str, list[str]] = {}
    for record in store.list_connections():
        by_adapter.setdefault(record.adapter, []).append(record.id)
    result: dict[str, str] = {}
    errors: dict[str, str] = {}
    for adapter in recipe.needs:
        options = by_adapter.get(adapter, [])
        if adapter in chosen:
            if chosen[adapter] not in options:
                errors[f"connection:{adapter}"] = f"no {adapter} connection {chosen[adapter]!r}"
            else:
                result[adapter] = chosen[adapter]
        elif len(options) == 1:
            result[adapter] = options[0]
        elif not options:
            errors[f"connection:{adapter}"] = f"connect {adapter} first: this recipe sends to it"
        else:
            errors[f"connection:{adapter}"] = (f"choose which {adapter} connection to use "
                                               f"({', '.join(options)})")
    if errors:
        raise ParamsInvalid(errors)
    return result


def enable(store: Store, recipe_id: str, params: Mapping[str, Any] | None = None, *,
           name: str | None = None, connections: Mapping[str, str] | None = None,
           catalog: Catalog | None = None, actor: str = "cli") -> Instance:
    """Install a recipe (a new instance) with validated parameters, enabled."""
    recipe = (catalog or load_catalog()).get(recipe_id)
    values = resolve_params(recipe, params or {})
    chosen = resolve_connections(store, recipe, connections or {})
    now = clock.now_iso()
    instance = Instance(
        id=_free_id(store, slug(name) if name else recipe.id), recipe_id=recipe.id,
        name=name or recipe.title, params=values, connections=chosen, recipe=recipe.data,
        recipe_digest=recipe.digest, enabled=True, created_at=now, updated_at=now,
    )
    with store.atomic():
        store.save_instance(instance)
        store.append_audit([audit.entry("user", "recipe", "enable", "ok", actor_id=actor,
                                        subject_id=instance.id,
                                        detail=f"enabled {recipe.title} as {instance.id}",
                                        data={"params": values, "connections": chosen})])
    return instance


def update(store: Store, instance_id: str, params: Mapping[str, Any] | None = None, *,
           enabled: bool | None = None, connections: Mapping[str, str] | None = None,
           catalog: Catalog | None = None, upgrade: bool = False, actor: str = "cli") -> Instance:
    """Change an instance's values or switch it on/off; ``upgrade`` takes the current file."""
    instance = get(store, instance_id)
    recipe = (catalog or load_catalog()).get(instance.recipe_id) if upgrade else Recipe(
        id=instance.recipe_id, title=instance.recipe["title"],
        description=instance.recipe["description"], data=instance.recipe,
        needs=tuple(adapters_used(instance.recipe)))
    values = resolve_params(recipe, {**instance.params, **(params or {})})
    chosen = resolve_connections(store, recipe, {**instance.connections, **(connections or {})})
    changed = replace(instance, params=values, connections=chosen, recipe=recipe.data,
                      recipe_digest=recipe.digest,
                      enabled=instance.enabled if enabled is None else enabled,
                      updated_at=clock.now_iso())
    what = "enable" if enabled else "disable" if enabled is False else "update"
    with store.atomic():
        store.save_instance(changed)
        store.append_audit([audit.entry("user", "recipe", what, "ok", actor_id=actor,
                                        subject_id=instance.id, detail=f"{what}d {instance.id}",
                                        data={"params": values})])
    return changed


def delete(store: Store, instance_id: str, *, actor: str = "cli") -> None:
    get(store, instance_id)
    with store.atomic():
        store.delete_instance(instance_id)
        store.append_audit([audit.entry("user", "recipe", "delete", "ok", actor_id=actor,
                                        subject_id=instance_id, detail=f"deleted {instance_id}; "
                                        "its pending waits are cancelled")])


def get(store: Store, instance_id: str) -> Instance:
    instance = store.get_instance(instance_id)
    if instance is None:
        known = ", ".join(i.id for i in store.list_instances()) or "none"
        raise KeyError(f"no installed recipe {instance_id!r} (installed: {known})")
    return instance


def _free_id(store: Store, base: str) -> str:
    candidate, n = base, 1
    while store.get_instance(candidate) is not None:
        n += 1
        candidate = f"{base}-{n}"
    return candidate
