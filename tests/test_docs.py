"""Documentation is checked by tests: a setting or command that is not documented fails here."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest

from hub.cli import main
from hub.settings import SETTINGS

ROOT = Path(__file__).resolve().parent.parent


def all_commands(group: click.Group, prefix: str = "hub") -> list[str]:
    names = []
    for name, command in group.commands.items():
        full = f"{prefix} {name}"
        if isinstance(command, click.Group):
            names += all_commands(command, full)
        else:
            names.append(full)
    return names


@pytest.mark.parametrize("env", [env for env, _ in SETTINGS.values()])
def test_every_setting_is_in_the_settings_reference(env):
    assert f"`{env}`" in (ROOT / "docs" / "settings.md").read_text()


@pytest.mark.parametrize("command", all_commands(main))
def test_every_command_is_in_the_cli_reference(command):
    assert f"`{command}" in (ROOT / "docs" / "cli.md").read_text()


@pytest.mark.parametrize("command", all_commands(main))
def test_every_command_has_help_text(command):
    group: click.Command = main
    for part in command.split()[1:]:
        group = group.commands[part]  # type: ignore[attr-defined]
    assert group.help and len(group.help.strip()) > 10


def test_readme_has_exactly_the_two_setup_commands_that_ci_runs():
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    test_command = re.search(r"^(python3 -m venv .*pytest.*)$", readme, re.M)
    assert test_command, "README must give the test command"
    assert test_command.group(1) in ci
    assert re.search(r"^python3 -m venv .*hub (serve|demo).*$", readme, re.M)


def test_readme_links_resolve():
    readme = (ROOT / "README.md").read_text()
    for target in re.findall(r"\]\(((?!https?:)[^)#]+)", readme):
        assert (ROOT / target).exists(), f"README links to missing {target}"
