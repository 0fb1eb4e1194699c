"""Steps, flattened: a recipe's step tree as a list of instructions with jumps.

A paused run must resume exactly where it stopped, across restarts and in another process;
an instruction index is a position that survives being written to a database row, which a
Python call stack does not. ``if`` becomes a conditional jump over its ``then`` branch.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Instruction:
    op: str  # action | wait | branch | jump
    step_id: str
    spec: dict[str, Any]
    target: int = -1  # branch: where to go when false; jump: where to go


def compile_steps(steps: list[dict[str, Any]]) -> list[Instruction]:
    program: list[Instruction] = []
    _emit(steps, "", program)
    return program


def _emit(steps: list[dict[str, Any]], prefix: str, program: list[Instruction]) -> None:
    for index, step in enumerate(steps, start=1):
        step_id = step.get("id") or f"{prefix}step-{index}"
        if "action" in step:
            program.append(Instruction("action", step_id, step))
        elif "wait" in step:
            program.append(Instruction("wait", step_id, step))
        else:
            branch_at = len(program)
            program.append(Instruction("branch", step_id, step))
            _emit(step["then"], f"{step_id}.then.", program)
            if step.get("else"):
                jump_at = len(program)
                program.append(Instruction("jump", step_id, {}))
                program[branch_at] = Instruction("branch", step_id, step, target=len(program))
                _emit(step["else"], f"{step_id}.else.", program)
                program[jump_at] = Instruction("jump", step_id, {}, target=len(program))
            else:
                program[branch_at] = Instruction("branch", step_id, step, target=len(program))
