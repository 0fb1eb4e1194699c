"""``hub adapters``: what each adapter offers, and a skeleton for a new one."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from adapters.base import Adapter


@click.group()
def adapters() -> None:
    """The services the hub can talk to, and how to add one."""


def describe(cls: type[Adapter]) -> dict[str, Any]:
    """An adapter's declarations as plain data (for ``--format json`` and the table)."""
    return {
        "name": cls.name, "title": cls.title, "description": cls.description,
        "settings": [{"name": f.name, "title": f.title, "secret": f.secret, "required": f.required,
                      "default": f.default} for f in cls.auth_fields],
        "topics": [{"name": t.name, "emits": list(t.emits)} for t in cls.topics],
        "polls": [{"name": p.name, "emits": list(p.emits), "every_seconds": p.every_seconds}
                  for p in cls.polls],
        "actions": [{"name": a.name, "title": a.title, "idempotent": a.idempotent,
                     "batch_size": a.batch_size, "consent": a.consent,
                     "inputs": sorted(a.input_schema.get("properties", {})),
                     "required": list(a.input_schema.get("required", []))} for a in cls.actions],
    }


def _action_line(action: dict[str, Any]) -> str:
    flags = [] if action["idempotent"] else ["not idempotent"]
    if action["batch_size"] > 1:
        flags.append(f"batches of {action['batch_size']}")
    if action["consent"]:
        flags.append(f"needs {action['consent']} consent")
    inputs = ", ".join(f"{i}*" if i in action["required"] else i for i in action["inputs"])
    return f"{action['name']}({inputs})" + (f"  [{'; '.join(flags)}]" if flags else "")


def _print_adapter(info: dict[str, Any]) -> None:
    click.echo(f"{info['name']:<10} {info['title']}")
    settings = ", ".join(s["name"] + (" (secret)" if s["secret"] else "")
                         + ("" if s["required"] else "?") for s in info["settings"])
    click.echo(f"  settings: {settings}")
    if info["topics"]:
        click.echo("  webhooks:")
        for topic in info["topics"]:
            emits = ("any canonical event (mapped)" if topic["name"] == "*"
                     else ", ".join(topic["emits"]))
            click.echo(f"    {topic['name']:<24} → {emits}")
    if info["polls"]:
        click.echo("  polls:")
        for poll in info["polls"]:
            emits = ", ".join(poll["emits"])
            click.echo(f"    {poll['name']:<24} → {emits} (every {poll['every_seconds']} s)")
    if info["actions"]:
        click.echo("  actions:")
        for action in info["actions"]:
            click.echo(f"    {_action_line(action)}")


@adapters.command("list")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
def list_(fmt: str) -> None:
    """Each adapter with its settings, webhook topics, polls and actions (* = required input)."""
    from adapters import REGISTRY

    infos = [describe(cls) for _, cls in sorted(REGISTRY.items())]
    if fmt == "json":
        click.echo(json.dumps(infos, indent=2))
        return
    for index, info in enumerate(infos):
        if index:
            click.echo()
        _print_adapter(info)


@adapters.command("new")
@click.argument("name")
@click.option("--title", help="What shop owners see, e.g. 'Acme CRM'.  [default: from NAME]")
@click.option("--root", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="The project checkout to write into.  [default: this installation's]")
@click.option("--no-register", is_flag=True, help="Only print the registry lines to add.")
def new(name: str, title: str | None, root: Path | None, no_register: bool) -> None:
    """Write adapters/NAME.py and tests/adapters/test_NAME.py: a skeleton that passes the kit."""
    import adapters as package
    from adapters.skeleton import SkeletonError, new_adapter

    root = root or Path(package.__file__).resolve().parent.parent
    try:
        scaffold = new_adapter(name, root, title=title, register=not no_register)
    except (SkeletonError, OSError) as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"wrote {scaffold.adapter_path}")
    click.echo(f"wrote {scaffold.test_path}")
    if scaffold.registered:
        click.echo(f"registered {scaffold.class_name} in {root / 'adapters' / '__init__.py'}")
    else:
        click.echo("add to adapters/__init__.py (import, and an entry in REGISTRY's tuple):")
        for line in scaffold.registry_lines:
            click.echo(f"  {line.strip()}")
    test = scaffold.test_path.relative_to(root)
    click.echo(f"next: pytest {test} -q  (then docs/writing-adapters.md)")


COMMANDS = [adapters]
