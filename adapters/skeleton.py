"""``hub adapters new``: write a working adapter skeleton, its contract tests, and register it.

The skeleton passes the contract kit as written (a made-up vendor with a signed webhook, one
action and a connection test), so an author starts from green and replaces the made-up facts
with the vendor's, one failing test at a time. See docs/writing-adapters.md.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

TEMPLATES = Path(__file__).parent / "templates"
NAME = re.compile(r"^[a-z][a-z0-9_]{1,30}$")
_IMPORT = re.compile(r"^from adapters\.(\w+) import \w+\n", re.M)
_TUPLE_END = re.compile(r"^(    for adapter in \(\n(?:        \w+,\n)+)(    \))", re.M)


class SkeletonError(ValueError):
    """The skeleton cannot be written (bad name, files already there)."""


@dataclass(frozen=True)
class Scaffold:
    """What ``new_adapter`` wrote, and whether it could add the registry lines itself."""

    adapter_path: Path
    test_path: Path
    class_name: str
    registered: bool
    registry_lines: tuple[str, str]


def class_name_for(name: str) -> str:
    """``acme_crm`` → ``AcmeCrmAdapter``."""
    return "".join(part.capitalize() for part in name.split("_")) + "Adapter"


def render(template: str, name: str, title: str) -> str:
    header = "-".join(part.capitalize() for part in name.split("_"))
    return (template.replace("{{Class}}", class_name_for(name)).replace("{{Header}}", header)
            .replace("{{title}}", title).replace("{{host}}", name.replace("_", "-"))
            .replace("{{name}}", name))


def new_adapter(name: str, root: Path, *, title: str | None = None,
                register: bool = True) -> Scaffold:
    """Write ``adapters/<name>.py`` and ``tests/adapters/test_<name>.py`` under ``root``."""
    if not NAME.match(name):
        raise SkeletonError(
            f"{name!r}: use 2-31 lower-case letters, digits or _, starting with a letter")
    title = title or name.replace("_", " ").title()
    adapter_path = root / "adapters" / f"{name}.py"
    test_path = root / "tests" / "adapters" / f"test_{name}.py"
    for path in (adapter_path, test_path):
        if path.exists():
            raise SkeletonError(f"{path} already exists")
    registry = root / "adapters" / "__init__.py"
    class_name = class_name_for(name)
    lines = (f"from adapters.{name} import {class_name}", f"        {class_name},")
    if re.search(rf"\b{class_name}\b", registry.read_text()):
        raise SkeletonError(f"{class_name} is already in {registry}")
    adapter_path.write_text(render((TEMPLATES / "adapter.py.tmpl").read_text(), name, title))
    test_path.parent.mkdir(parents=True, exist_ok=True)
    test_path.write_text(render((TEMPLATES / "test_adapter.py.tmpl").read_text(), name, title))
    registered = register and _add_to_registry(registry, *lines)
    return Scaffold(adapter_path, test_path, class_name, registered, lines)


def _add_to_registry(registry: Path, import_line: str, entry_line: str) -> bool:
    """Insert the import among the adapter imports (in order) and the class at the end of the tuple.

    Returns False (and changes nothing) when the file no longer has the expected shape; the
    caller then prints the two lines for the author to add by hand.
    """
    text = registry.read_text()
    imports = [m for m in _IMPORT.finditer(text) if m.group(1) != "base"]
    if not imports or not _TUPLE_END.search(text):
        return False
    module = import_line.split()[1].split(".")[1]
    later = [m for m in imports if m.group(1) > module]
    at = later[0].start() if later else imports[-1].end()
    text = text[:at] + import_line + "\n" + text[at:]
    text = _TUPLE_END.sub(lambda m: m.group(1) + entry_line + "\n" + m.group(2), text, count=1)
    registry.write_text(text)
    return True
