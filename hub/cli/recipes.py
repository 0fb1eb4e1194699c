"""``hub recipes``: what can be automated, what is switched on, and checking recipe files."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from hub.cli.state import CliState, parse_assignments, pass_state
from hub.engine import instances
from hub.engine.catalog import load_catalog
from hub.engine.recipes import RecipeInvalid, load_file


@click.group()
def recipes() -> None:
    """Recipes: list the shipped ones, validate files, enable and disable them."""


@recipes.command("list")
@pass_state
def list_(state: CliState) -> None:
    """The recipes you can enable, and the ones enabled (instances) with their settings."""
    catalog = load_catalog()
    rt = state.runtime()
    installed = rt.store.list_instances()
    for recipe in catalog.recipes.values():
        needs = ", ".join(recipe.needs) or "nothing"
        click.echo(f"{recipe.id:<26} {recipe.title}  (needs: {needs})")
        for instance in (i for i in installed if i.recipe_id == recipe.id):
            on = "enabled " if instance.enabled else "disabled"
            click.echo(f"    {on} {instance.id}  {json.dumps(instance.params, sort_keys=True)}")
    for problem in catalog.problems:
        click.echo(f"invalid: {problem}", err=True)


@recipes.command("validate")
@click.argument("paths", nargs=-1, required=True,
                type=click.Path(exists=True, dir_okay=False, path_type=Path))
def validate(paths: tuple[Path, ...]) -> None:
    """Check recipe files; print every problem (file: path: message) and exit 1 if any."""
    failed = False
    for path in paths:
        try:
            recipe = load_file(path)
        except RecipeInvalid as error:
            failed = True
            for problem in error.problems:
                click.echo(str(problem), err=True)
        else:
            click.echo(f"{path.name}: ok ({recipe.id}, needs {', '.join(recipe.needs) or 'nothing'})")
    sys.exit(1 if failed else 0)


@recipes.command("enable")
@click.argument("recipe_or_instance")
@click.option("--set", "assignments", multiple=True, metavar="KEY=VALUE",
              help="A setting of the recipe (see `hub recipes show ID`).")
@click.option("--name", default=None, help="Install another copy under this name.")
@click.option("--connection", "connections", multiple=True, metavar="ADAPTER=CONNECTION_ID",
              help="Which connection to use when you have several of one service.")
@pass_state
def enable(state: CliState, recipe_or_instance: str, assignments: tuple[str, ...],
           name: str | None, connections: tuple[str, ...]) -> None:
    """Enable a recipe with settings (or switch an installed copy back on)."""
    rt = state.runtime()
    catalog = load_catalog()
    raw = parse_assignments(assignments)
    chosen = parse_assignments(connections)
    try:
        existing = rt.store.get_instance(recipe_or_instance)
        if existing is not None and name is None:
            params = instances.coerce_params(catalog.get(existing.recipe_id), raw)
            instance = instances.update(rt.store, existing.id, params, enabled=True,
                                        connections=chosen, catalog=catalog)
        else:
            recipe = catalog.get(recipe_or_instance)
            params = instances.coerce_params(recipe, raw)
            instance = instances.enable(rt.store, recipe.id, params, name=name,
                                        connections=chosen, catalog=catalog)
    except KeyError as error:
        raise click.ClickException(str(error.args[0])) from None
    except instances.ParamsInvalid as error:
        raise click.ClickException("\n".join(f"{k}: {v}" for k, v in error.errors.items())) from None
    click.echo(f"enabled {instance.id}: {json.dumps(instance.params, sort_keys=True)}")


@recipes.command("disable")
@click.argument("instance_id")
@pass_state
def disable(state: CliState, instance_id: str) -> None:
    """Switch an installed recipe off (pending waits are cancelled when they come due)."""
    rt = state.runtime()
    try:
        instances.update(rt.store, instance_id, enabled=False)
    except KeyError as error:
        raise click.ClickException(str(error.args[0])) from None
    click.echo(f"disabled {instance_id}")


@recipes.command("show")
@click.argument("recipe_id")
def show(recipe_id: str) -> None:
    """A recipe's description and settings."""
    try:
        recipe = load_catalog().get(recipe_id)
    except KeyError as error:
        raise click.ClickException(str(error.args[0])) from None
    click.echo(f"{recipe.title}\n\n{recipe.description}\n\nneeds: {', '.join(recipe.needs)}")
    for name, spec in recipe.params.items():
        default = f" (default {spec['default']})" if "default" in spec else ""
        click.echo(f"  --set {name}=…  {spec['title']}{default}")


@recipes.command("runs")
@click.option("--limit", type=click.IntRange(1, 10_000), default=20, show_default=True)
@click.option("--status", default=None, help="waiting, completed, skipped, failed, cancelled")
@pass_state
def runs(state: CliState, limit: int, status: str | None) -> None:
    """Recent recipe runs, newest first."""
    for run in state.runtime().store.list_runs(status=status, limit=limit):
        click.echo(f"{run.id:>6}  {run.created_at[:19]}  {run.instance_id:<26} {run.status:<10} "
                   f"{run.error or ''}")


COMMANDS = [recipes]
