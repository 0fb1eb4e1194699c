"""Run a recipe's instructions against one trigger. No I/O: the caller stores what it returns.

``run`` evaluates the condition, then instructions from ``start`` until the end or the first
wait: actions become ``PlannedAction`` values (the caller turns them into outbox rows), a
wait becomes a ``PlannedWait`` (a row that resumes the run later). Any expression error ends
the run as failed with a message naming the recipe, the step and the expression.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Mapping

from hub import clock
from hub.engine import expressions
from hub.engine.durations import DurationInvalid, parse_duration
from hub.engine.program import Instruction, compile_steps


@dataclass(frozen=True)
class PlannedAction:
    step_id: str
    adapter: str
    action: str
    inputs: dict[str, Any]
    once_per: str | None = None


@dataclass(frozen=True)
class PlannedWait:
    step_id: str
    resume_at: int
    due_at: datetime
    cancel_event: str | None = None
    cancel_same: str | None = None  # "key" | "profile"


@dataclass
class RunResult:
    status: str  # completed | waiting | skipped | failed
    actions: list[PlannedAction] = field(default_factory=list)
    wait: PlannedWait | None = None
    steps: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None


def trigger_matches(recipe: Mapping[str, Any], event_name: str, *, source: str | None = None,
                    adapter: str | None = None) -> bool:
    """Does an event (its canonical name, how it arrived, from which adapter) start this recipe?"""
    trigger = recipe["trigger"]
    if "poll" in trigger:
        from adapters import REGISTRY

        adapter_name, _, poll_name = trigger["poll"].partition(".")
        polls = {p.name: p for p in REGISTRY[adapter_name].polls} if adapter_name in REGISTRY else {}
        return (source == "poll" and adapter == adapter_name and poll_name in polls
                and event_name in polls[poll_name].emits)
    names = trigger.get("events") or [trigger.get("event")]
    return event_name in names


def run(recipe: Mapping[str, Any], context: dict[str, Any], *, start: int = 0,
        now: datetime | None = None, previous: list[dict[str, Any]] | None = None) -> RunResult:
    """Execute from instruction ``start``; ``previous`` holds results of earlier steps."""
    now = now or clock.now()
    recipe_id = recipe.get("id", "?")
    steps = list(previous or [])
    context = {**context, "steps": {s["step"]: s for s in steps}}
    if start == 0 and recipe.get("when"):
        try:
            if not expressions.truthy(recipe["when"], context):
                return RunResult("skipped", steps=steps, error=None)
        except expressions.ExpressionError as error:
            return RunResult("failed", steps=steps,
                             error=f"recipe {recipe_id}, condition (when): {error}")
    program = compile_steps(recipe["steps"])
    result = RunResult("completed", steps=steps)
    position = start
    while position < len(program):
        instruction = program[position]
        try:
            position = _execute(instruction, position, context, now, result)
        except (expressions.ExpressionError, DurationInvalid, ValueError) as error:
            result.status = "failed"
            result.error = f"recipe {recipe_id}, step {instruction.step_id}: {error}"
            result.steps.append({"step": instruction.step_id, "kind": instruction.op,
                                 "status": "failed", "error": str(error)})
            result.actions.clear()
            return result
        if result.wait is not None:
            result.status = "waiting"
            return result
    return result


def _execute(instruction: Instruction, position: int, context: dict[str, Any], now: datetime,
             result: RunResult) -> int:
    spec = instruction.spec
    if instruction.op == "jump":
        return instruction.target
    if instruction.op == "branch":
        taken = expressions.truthy(spec["if"], context)
        result.steps.append({"step": instruction.step_id, "kind": "if",
                             "status": "then" if taken else "else"})
        return position + 1 if taken else instruction.target
    if instruction.op == "action":
        adapter, _, action = spec["action"].partition(".")
        inputs = expressions.evaluate(spec["with"], context)
        once_per = expressions.evaluate(spec["once_per"], context) if spec.get("once_per") else None
        planned = PlannedAction(instruction.step_id, adapter, action, inputs,
                                str(once_per) if once_per is not None else None)
        result.actions.append(planned)
        record = {"step": instruction.step_id, "kind": "action", "action": spec["action"],
                  "status": "queued", "inputs": inputs}
        result.steps.append(record)
        context["steps"][instruction.step_id] = record
        return position + 1
    # wait
    wait = spec["wait"]
    if "for" in wait:
        due = now + parse_duration(str(expressions.evaluate(wait["for"], context)))
    else:
        until = expressions.evaluate(wait["until"], context)
        due = until if isinstance(until, datetime) else clock.parse_iso(str(until))
    cancel = wait.get("cancel_on") or {}
    result.wait = PlannedWait(instruction.step_id, position + 1, due,
                              cancel.get("event"), cancel.get("same", "key") if cancel else None)
    result.steps.append({"step": instruction.step_id, "kind": "wait", "status": "waiting",
                         "until": clock.iso(due)})
    return position + 1
