"""Recipe files: load, validate, and report every problem with file, path and plain words.

Validation has two layers. The JSON Schema (``hub/schemas/recipe.json``, shipped with the
project) checks the shape; then ``_semantic_problems`` checks what a schema cannot: that
events, adapters, actions and polls exist, that expressions parse, that parameters are valid
JSON Schema with valid defaults, that ``params.x`` references are declared, that durations
and schedules read correctly. An invalid recipe is never installed.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable

import jsonschema
import yaml

from hub.engine import expressions
from hub.engine.durations import DurationInvalid, parse_duration
from hub.events import EVENT_NAMES

SCHEMA_PATH = Path(__file__).resolve().parent.parent / "schemas" / "recipe.json"
_PARAM_REF = re.compile(r"\bparams\.([A-Za-z_][A-Za-z0-9_]*)")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a recipe file: where (file, path inside it) and what."""

    file: str
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.path or '(top)'}: {self.message}"


class RecipeInvalid(ValueError):
    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


@dataclass(frozen=True)
class Recipe:
    """A validated recipe definition (the file's data, plus what the UI needs from it)."""

    id: str
    title: str
    description: str
    data: dict[str, Any]
    source: str = ""
    needs: tuple[str, ...] = field(default=())

    @property
    def digest(self) -> str:
        return hashlib.sha256(json.dumps(self.data, sort_keys=True).encode()).hexdigest()[:16]

    @property
    def params(self) -> dict[str, dict[str, Any]]:
        return self.data.get("params") or {}

    @property
    def trigger(self) -> dict[str, Any]:
        return self.data["trigger"]

    def params_schema(self) -> dict[str, Any]:
        """The parameters as one JSON Schema object (what the UI renders a form from)."""
        return {
            "type": "object",
            "properties": self.params,
            "required": [name for name, spec in self.params.items() if "default" not in spec],
            "additionalProperties": False,
        }


@lru_cache(maxsize=1)
def recipe_schema() -> dict[str, Any]:
    return json.loads(SCHEMA_PATH.read_text())


def parse_text(text: str, filename: str) -> dict[str, Any]:
    """YAML (or JSON, which is YAML) → dict, or ``RecipeInvalid`` saying where it broke."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1} column {mark.column + 1}" if mark else ""
        reason = getattr(error, "problem", None) or str(error)
        raise RecipeInvalid([Problem(filename, where, f"not valid YAML: {reason}")]) from None
    if not isinstance(data, dict):
        raise RecipeInvalid([Problem(filename, "", "a recipe file must be a mapping of keys "
                                                    "(id, title, description, trigger, steps)")])
    return data


def validate(data: dict[str, Any], filename: str = "<recipe>") -> Recipe:
    """Return the ``Recipe`` or raise ``RecipeInvalid`` listing every problem found."""
    problems = _schema_problems(data, filename)
    if not problems:
        problems = _semantic_problems(data, filename)
    if problems:
        raise RecipeInvalid(problems)
    return Recipe(id=data["id"], title=data["title"], description=data["description"].strip(),
                  data=data, source=filename, needs=tuple(adapters_used(data)))


def load_file(path: Path) -> Recipe:
    recipe = validate(parse_text(path.read_text(encoding="utf-8"), path.name), path.name)
    if path.stem != recipe.id:
        raise RecipeInvalid([Problem(path.name, "id", f"the id {recipe.id!r} must match the "
                                                      f"file name ({path.stem!r})")])
    return recipe


def _schema_problems(data: dict[str, Any], filename: str) -> list[Problem]:
    validator = jsonschema.Draft202012Validator(recipe_schema())
    problems = []
    for error in sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path)):
        path = "/".join(str(p) for p in error.absolute_path)
        problems.append(Problem(filename, path, _plain_message(error)))
    return problems


def _plain_message(error: jsonschema.ValidationError) -> str:
    if error.validator == "additionalProperties":
        return error.message.replace("Additional properties are not allowed", "unknown key")
    if error.validator == "required":
        return error.message.replace("is a required property", "is missing")
    if error.validator == "pattern" and error.absolute_path and error.absolute_path[-1] == "action":
        return f"{error.instance!r} must name adapter.action, e.g. klaviyo.track_event"
    return error.message


def _walk_steps(steps: list[dict[str, Any]], path: str) -> Iterable[tuple[str, dict[str, Any]]]:
    for index, step in enumerate(steps):
        here = f"{path}/{index}"
        yield here, step
        for branch in ("then", "else"):
            if isinstance(step.get(branch), list):
                yield from _walk_steps(step[branch], f"{here}/{branch}")


def adapters_used(data: dict[str, Any]) -> list[str]:
    names: list[str] = []
    for _, step in _walk_steps(data.get("steps") or [], "steps"):
        if "action" in step:
            adapter = step["action"].split(".", 1)[0]
            if adapter not in names:
                names.append(adapter)
    poll = (data.get("trigger") or {}).get("poll")
    if poll and poll.split(".", 1)[0] not in names:
        names.append(poll.split(".", 1)[0])
    return names


def _semantic_problems(data: dict[str, Any], filename: str) -> list[Problem]:
    from adapters import REGISTRY

    problems: list[Problem] = []

    def add(path: str, message: str) -> None:
        problems.append(Problem(filename, path, message))

    known_events = ", ".join(sorted(EVENT_NAMES))
    trigger = data["trigger"]
    kinds = [k for k in ("event", "events", "poll", "schedule") if k in trigger]
    if len(kinds) != 1:
        add("trigger", "a trigger needs exactly one of: event, events, poll, schedule")
    for index, name in enumerate(trigger.get("events") or [trigger.get("event")]):
        if name is not None and name not in EVENT_NAMES:
            add("trigger/event" if "event" in trigger else f"trigger/events/{index}",
                f"unknown event {name!r} (known: {known_events})")
    if "poll" in trigger:
        adapter_name, _, poll_name = trigger["poll"].partition(".")
        adapter = REGISTRY.get(adapter_name)
        if adapter is None:
            add("trigger/poll", f"unknown adapter {adapter_name!r} (known: {', '.join(sorted(REGISTRY))})")
        elif poll_name not in {p.name for p in adapter.polls}:
            add("trigger/poll", f"{adapter_name} has no poll {poll_name!r}")
    if "schedule" in trigger:
        try:
            schedule_trigger(trigger["schedule"])
        except ValueError as error:
            add("trigger/schedule", str(error))
    if trigger.get("for_each") == "wishlister" and trigger.get("event") != "product.price_changed":
        add("trigger/for_each", "for_each: wishlister only works with event product.price_changed")

    params = data.get("params") or {}
    for name, spec in params.items():
        try:
            jsonschema.Draft202012Validator.check_schema(spec)
        except jsonschema.SchemaError as error:
            add(f"params/{name}", f"not a valid parameter schema: {error.message}")
            continue
        if "default" in spec:
            errors = list(jsonschema.Draft202012Validator(spec).iter_errors(spec["default"]))
            if errors:
                add(f"params/{name}/default", f"the default does not fit: {errors[0].message}")

    for path, message in expressions.check({k: v for k, v in data.items() if k in ("when", "steps")}):
        add(path, message)
    text = json.dumps({k: data.get(k) for k in ("when", "steps")})
    for name in sorted(set(_PARAM_REF.findall(text))):
        if name not in params:
            add("params", f"params.{name} is used but not declared under params")

    needs = data.get("needs")
    seen_ids: set[str] = set()
    for path, step in _walk_steps(data["steps"], "steps"):
        if "id" in step:
            if step["id"] in seen_ids:
                add(f"{path}/id", f"step id {step['id']!r} is used twice")
            seen_ids.add(step["id"])
        kinds = [k for k in ("action", "wait", "if") if k in step]
        if len(kinds) != 1:
            add(path, "a step needs exactly one of: action, wait, if")
            continue
        if "action" in step:
            _check_action(step, path, REGISTRY, needs, add)
        elif "wait" in step:
            _check_wait(step["wait"], path, add)
    return problems


def _check_action(step: dict[str, Any], path: str, registry: dict, needs: list[str] | None,
                  add) -> None:
    adapter_name, _, action_name = step["action"].partition(".")
    adapter = registry.get(adapter_name)
    if adapter is None:
        add(f"{path}/action", f"unknown adapter {adapter_name!r} (known: {', '.join(sorted(registry))})")
        return
    try:
        action = adapter.action(action_name)
    except KeyError:
        known = ", ".join(a.name for a in adapter.actions) or "none"
        add(f"{path}/action", f"{adapter_name} has no action {action_name!r} (it has: {known})")
        return
    if needs is not None and adapter_name not in needs:
        add(f"{path}/action", f"uses {adapter_name} but needs: does not list it")
    schema = action.input_schema
    given = step["with"]
    for name in schema.get("required", []):
        if name not in given:
            add(f"{path}/with", f"{step['action']} needs the input {name!r}")
    if schema.get("additionalProperties") is False:
        for name in given:
            if name not in (schema.get("properties") or {}):
                add(f"{path}/with/{name}", f"{step['action']} takes no input {name!r}")
    constant = {k: v for k, v in given.items() if not _has_template(v)}
    for name, value in constant.items():
        sub = (schema.get("properties") or {}).get(name)
        if sub is None:
            continue
        errors = list(jsonschema.Draft202012Validator(sub).iter_errors(value))
        if errors:
            add(f"{path}/with/{name}", errors[0].message)


def _has_template(value: Any) -> bool:
    if isinstance(value, dict):
        return any(_has_template(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_template(v) for v in value)
    return expressions.is_template(value)


def _check_wait(wait: dict[str, Any], path: str, add) -> None:
    if ("for" in wait) == ("until" in wait):
        add(f"{path}/wait", "a wait needs exactly one of: for (a duration), until (a time)")
    if "for" in wait and not expressions.is_template(wait["for"]):
        try:
            parse_duration(wait["for"])
        except DurationInvalid as error:
            add(f"{path}/wait/for", str(error))
    cancel = wait.get("cancel_on")
    if cancel and cancel["event"] not in EVENT_NAMES:
        add(f"{path}/wait/cancel_on/event", f"unknown event {cancel['event']!r}")


def next_tick(spec: str, after: datetime) -> datetime | None:
    """The first time the schedule ``spec`` fires strictly after ``after``."""
    if spec.startswith("every "):
        return after + parse_duration(spec[6:])
    return schedule_trigger(spec).get_next_fire_time(None, after + timedelta(seconds=1))


def schedule_trigger(spec: str):
    """``every 1 hour`` or a crontab line (``0 9 * * *``) → an APScheduler trigger."""
    from apscheduler.triggers.cron import CronTrigger
    from apscheduler.triggers.interval import IntervalTrigger

    if spec.startswith("every "):
        try:
            return IntervalTrigger(seconds=parse_duration(spec[6:]).total_seconds(), timezone="UTC")
        except DurationInvalid as error:
            raise ValueError(f"schedule {spec!r}: {error}") from None
    try:
        return CronTrigger.from_crontab(spec, timezone="UTC")
    except ValueError as error:
        raise ValueError(f"schedule {spec!r} is neither 'every <duration>' nor a crontab "
                         f"line like '0 9 * * *': {error}") from None
