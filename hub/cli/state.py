"""What every command shares: the settings and, opened on first use, the runtime."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click

from hub.runtime import Runtime, open_runtime
from hub.settings import Settings, SettingsError, from_env


@dataclass
class CliState:
    data_dir: Path | None = None
    _runtime: Runtime | None = field(default=None, repr=False)

    def settings(self, **overrides: Any) -> Settings:
        try:
            return from_env(data_dir=self.data_dir, **overrides)
        except SettingsError as error:
            raise click.UsageError(str(error)) from None

    def runtime(self, **overrides: Any) -> Runtime:
        if self._runtime is None:
            self._runtime = open_runtime(self.settings(**overrides))
        return self._runtime


pass_state = click.make_pass_decorator(CliState)


def parse_assignments(values: tuple[str, ...]) -> dict[str, str]:
    """``("key=value", …)`` → dict, with a usage error naming a malformed item."""
    result: dict[str, str] = {}
    for item in values:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(f"{item!r} is not KEY=VALUE", param_hint="--set")
        result[key.strip()] = value
    return result
