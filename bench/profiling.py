"""Where a process spends its time: py-spy samples it, and the samples are summed per function.

``py-spy`` (a sampling profiler, installed with the bench tools) attaches to a running process
by pid without changing it. The summary is what a benchmark prints and writes to the docs
when it misses its target: the share of samples in which a function was on the stack
(inclusive) and at the top of it (self), our own code first.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Hotspot:
    function: str
    inclusive: float
    own: float


def py_spy() -> str | None:
    """The py-spy executable beside this Python, or on PATH; None if it is not installed."""
    beside = Path(sys.executable).parent / "py-spy"
    return str(beside) if beside.exists() else shutil.which("py-spy")


def start(pids: list[int], seconds: float, out_dir: Path, *, rate: int = 100,
          subprocesses: bool = False) -> list[tuple[subprocess.Popen, Path]]:
    """Begin sampling each pid for ``seconds`` (collapsed stacks, one file per pid)."""
    tool = py_spy()
    if tool is None:
        return []
    out_dir.mkdir(parents=True, exist_ok=True)
    started = []
    for pid in pids:
        path = out_dir / f"{pid}.txt"
        command = [tool, "record", "--pid", str(pid), "--duration", str(max(1, int(seconds))),
                   "--rate", str(rate), "--format", "raw", "--output", str(path), "--nonblocking"]
        if subprocesses:
            command.append("--subprocesses")
        started.append((subprocess.Popen(command, stdout=subprocess.DEVNULL,
                                         stderr=subprocess.DEVNULL), path))
    return started


def finish(started: list[tuple[subprocess.Popen, Path]], timeout: float = 30) -> list[Path]:
    """Stop sampling now (py-spy writes what it has on SIGINT); the files that were written."""
    paths = []
    for process, path in started:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)
        if path.exists():
            paths.append(path)
    return paths


def hotspots(paths: list[Path], *, top: int = 12, prefixes: tuple[str, ...] = (
        "hub/", "adapters/", "web/")) -> tuple[int, list[Hotspot]]:
    """Sum collapsed stacks; return the sample count and the top functions of our code."""
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    total = 0
    for path in paths:
        for line in path.read_text().splitlines():
            stack, _, count_text = line.rpartition(" ")
            if not stack or not count_text.isdigit():
                continue
            count = int(count_text)
            frames = [_short(f) for f in stack.split(";")]
            total += count
            for frame in set(frames):
                inclusive[frame] += count
            own[frames[-1]] += count
    ours = [f for f, _ in inclusive.most_common() if any(p in f for p in prefixes)]
    rows = [Hotspot(f, 100 * inclusive[f] / max(1, total), 100 * own[f] / max(1, total))
            for f in ours[:top]]
    return total, rows


def top_own(paths: list[Path], *, top: int = 8) -> list[Hotspot]:
    """The functions (anyone's: SQLite, json, jinja2) at the top of the stack most often."""
    inclusive_total, _ = hotspots(paths, top=0)
    own: Counter[str] = Counter()
    for path in paths:
        for line in path.read_text().splitlines():
            stack, _, count_text = line.rpartition(" ")
            if stack and count_text.isdigit():
                own[_short(stack.split(";")[-1])] += int(count_text)
    return [Hotspot(f, 0.0, 100 * n / max(1, inclusive_total)) for f, n in own.most_common(top)]


def _short(frame: str) -> str:
    """``deliver_due (hub/delivery.py:57)`` → ``deliver_due (hub/delivery.py)``: per function."""
    name, _, where = frame.partition(" (")
    where = where.rstrip(")")
    path = where.rsplit(":", 1)[0]
    for marker in ("/site-packages/", "/lib/python3"):
        if marker in path:
            path = path.split(marker, 1)[1]
            break
    else:
        for root in ("/hub/", "/adapters/", "/web/", "/bench/"):
            if root in path:
                path = root[1:] + path.split(root, 1)[1]
                break
    return f"{name} ({path})"


def summary(paths: list[Path], *, top: int = 12) -> str:
    """A Markdown table of our hottest functions and of the hottest frames of anyone's code."""
    from bench.report import table

    if not paths:
        return "(no profile: py-spy is not installed or could not attach)"
    total, ours = hotspots(paths, top=top)
    rows = [[h.function, f"{h.inclusive:.0f} %", f"{h.own:.0f} %"] for h in ours]
    own = [[h.function, "", f"{h.own:.0f} %"] for h in top_own(paths)]
    return (f"py-spy, {total:,} samples of busy threads:\n\n"
            + table(["function (ours)", "on stack", "self"], rows) + "\n\n"
            + table(["hottest frames (anyone's)", "", "self"], own))
