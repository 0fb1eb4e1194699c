"""Memory and start-up benchmark: resident memory of every hub process idle and under the
ingest load, and seconds from ``hub serve`` to a ready ``/readyz``.

In one run, on loopback: ``hub serve`` as production runs it (gunicorn master, web worker
processes, one background worker) and, as the reference, a bare Flask app under the same
gunicorn settings. Each is started a few times (the first on an empty data directory, so
the hub creates its database), measured idle, then under ``bench.ingest``'s load of signed
webhooks. RSS counts a page shared by two processes twice (that is what the target
counts); PSS shares it out, which is what the processes take from the machine together.

    .venv/bin/python -m bench.memory            # full run, writes docs/performance.md
    .venv/bin/python -m bench.memory --quick    # a few seconds, for a smoke test
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from bench.imports import PROCESS_IMPORTS, baseline_rss, heaviest_imports, import_time
from bench.ingest import SECRET, make_factory
from bench.loadgen import run_load
from bench.procstats import descendants
from bench.report import machine, table, write_results
from bench.servers import bare_flask_command, free_port, hub_serve_command, wait_http

ROOT = Path(__file__).resolve().parent.parent
TARGETS = {"idle": 150.0, "load": 250.0, "ready": 2.0}
#: Modules measured one by one when idle memory misses its target.
SUSPECTS = ["flask", "flask_wtf", "werkzeug", "jinja2", "requests", "jsonschema",
            "sqlite_utils", "cryptography.fernet", "prometheus_client", "apscheduler",
            "tenacity", "click", "yaml", "phonenumbers", "gunicorn.app.base", "adapters",
            "hub.runtime", "hub.cli", "web"]


@dataclass(frozen=True)
class Proc:
    pid: int
    role: str
    rss_mb: float
    pss_mb: float


def _read(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError:
        return ""


def _kb(text: str, field: str) -> float:
    for line in text.splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


def processes(root: int) -> list[Proc]:
    """Every process of the tree with its role, RSS and PSS (MB)."""
    found = []
    for pid in descendants(root):
        status = _read(f"/proc/{pid}/status")
        if not status:
            continue
        command = _read(f"/proc/{pid}/cmdline").replace("\0", " ")
        role = ("background worker" if " worker" in command and "serve" not in command
                else "master" if pid == root else "web worker")
        found.append(Proc(pid, role, _kb(status, "VmRSS"),
                          _kb(_read(f"/proc/{pid}/smaps_rollup"), "Pss")))
    return found


def total(procs: list[Proc]) -> tuple[float, float]:
    return sum(p.rss_mb for p in procs), sum(p.pss_mb for p in procs)


class Started:
    """A system under test: started in its own process group, stopped with it."""

    def __init__(self, command: list[str], ready_url: str, env: dict[str, str]) -> None:
        began = time.monotonic()
        self.process = subprocess.Popen(command, cwd=ROOT, env={**os.environ, **env},
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                        start_new_session=True)
        try:
            wait_http(ready_url, timeout=60)
        except RuntimeError:
            self.stop()
            raise
        self.ready_seconds = time.monotonic() - began

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


def settle(pid: int, expected: int, seconds: float = 10.0) -> list[Proc]:
    """Wait until all ``expected`` processes run and memory stops moving; then sample."""
    deadline = time.monotonic() + seconds
    last = -1.0
    while time.monotonic() < deadline:
        procs = processes(pid)
        now = total(procs)[0]
        if len(procs) >= expected and abs(now - last) < 0.5:
            return procs
        last = now
        time.sleep(0.5)
    return processes(pid)


def under_load(pid: int, port: int, run: str, concurrency: int, count: int,
               seconds: float) -> dict:
    """bench.ingest's load while RSS and PSS are sampled; the peaks and the rate."""
    peak = {"rss": 0.0, "pss": 0.0}
    stop = threading.Event()

    def watch() -> None:
        while not stop.wait(0.2):
            rss, pss = total(processes(pid))
            peak["rss"], peak["pss"] = max(peak["rss"], rss), max(peak["pss"], pss)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    result = run_load(port, make_factory(run), concurrency=concurrency, total=count,
                      max_seconds=seconds)
    stop.set()
    watcher.join()
    after = total(processes(pid))
    return {"rate": round(result.rate, 1), "errors": result.errors,
            "peak_rss_mb": round(max(peak["rss"], after[0]), 1),
            "peak_pss_mb": round(max(peak["pss"], after[1]), 1),
            "after_rss_mb": round(after[0], 1)}


def measure(system: str, workers: int, args, work: Path) -> dict:
    """Start ``system`` ``args.starts`` times (ready times); idle and load on the last start."""
    data_dir = work / "data"
    if system == "hub serve":
        from hub.connections import add_connection
        from hub.runtime import open_runtime
        from hub.settings import Settings

    readies: list[float] = []
    for start in range(args.starts):
        port = free_port()
        if system == "hub serve":
            command = hub_serve_command(data_dir, port, workers, args.threads)
            url, expected = f"http://127.0.0.1:{port}/readyz", workers + 2
        else:
            command = bare_flask_command(port, workers, args.threads)
            url, expected = f"http://127.0.0.1:{port}/ready", workers + 1
        started = Started(command, url, {"HUB_LOG_LEVEL": "WARNING"})
        readies.append(started.ready_seconds)
        if start == 0 and system == "hub serve":
            rt = open_runtime(Settings(data_dir=data_dir))
            add_connection(rt.store, rt.vault, "shopify", "bench", {"webhook_secret": SECRET})
            rt.store.close()
        if start < args.starts - 1:
            started.stop()
            continue
        try:
            idle = settle(started.process.pid, expected)
            load = under_load(started.process.pid, port, f"mem-{system[:3]}", args.concurrency,
                              args.total, args.seconds)
            rest = settle(started.process.pid, expected, 5)
        finally:
            started.stop()
    rss, pss = total(idle)
    return {"system": system, "workers": workers, "ready_first_s": round(readies[0], 2),
            "ready_restart_s": round(statistics.median(readies[1:] or readies), 2),
            "ready_all_s": [round(r, 2) for r in readies],
            "idle_rss_mb": round(rss, 1), "idle_pss_mb": round(pss, 1),
            "idle_processes": [vars(p) for p in idle], "load": load,
            "after_load_rss_mb": round(total(rest)[0], 1)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers", type=int, default=2, help="web processes (hub default)")
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--starts", type=int, default=4, help="starts per system")
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--total", type=int, default=12_000, help="webhooks in the load")
    parser.add_argument("--seconds", type=float, default=20, help="time limit of the load")
    parser.add_argument("--quick", action="store_true", help="a smoke test")
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args(argv)
    if args.quick:
        args.starts, args.total, args.seconds = 2, 1_000, 5
    rows = []
    # The hub's default shape against the bare app, then the hub with one web process: what
    # a small shop that needs less than a thousand webhooks a second can run.
    for system, workers in (("bare Flask", args.workers), ("hub serve", args.workers),
                            ("hub serve", 1)):
        with tempfile.TemporaryDirectory() as tmp:
            rows.append(measure(system, workers, args, Path(tmp)))
    return report(rows, args)


def import_costs() -> str:
    """Markdown: per-process import time by package, and memory per heavy module."""
    lines = []
    for process, code in PROCESS_IMPORTS.items():
        seconds, per = import_time(code)
        top = ", ".join(f"{name} {1000 * s:.0f}" for name, s in per.most_common(8))
        lines.append(f"- {process}: imports take {seconds:.2f} s (ms by package: {top}).")
    heavy = heaviest_imports(SUSPECTS)
    lines.append(f"- Memory one `import` adds to a fresh interpreter ({baseline_rss():.0f} MB "
                 f"before; each figure includes what that module pulls in, so they overlap): "
                 + ", ".join(f"`{m}` {mb:.1f}" for m, mb in heavy) + " MB.")
    return "\n".join(lines)


def report(rows: list[dict], args) -> int:
    bare, hub, small = rows
    headers = ["system", "web processes", "processes", "ready, first start s", "ready, restart s",
               "idle RSS MB", "idle PSS MB", "peak RSS under load MB", "peak PSS MB",
               "webhooks/s under load"]
    lines = [[r["system"], r["workers"], len(r["idle_processes"]), r["ready_first_s"],
              r["ready_restart_s"],
              r["idle_rss_mb"], r["idle_pss_mb"], r["load"]["peak_rss_mb"],
              r["load"]["peak_pss_mb"], r["load"]["rate"]] for r in rows]
    text = table(headers, lines)
    per_process = table(["hub process (idle)", "RSS MB", "PSS MB"],
                        [[p["role"], p["rss_mb"], p["pss_mb"]] for p in hub["idle_processes"]])
    print(text + "\n\n" + per_process)

    def verdict(name: str, value: float, target: float, unit: str) -> str:
        met = value <= target
        shown = f"{value:.{2 if unit == 's' else 0}f}"
        return (f"{name}: {shown} {unit} (target ≤ {target:g} {unit}: "
                + ("met" if met else f"missed by {value / target - 1:.0%}") + ")")

    ready = max(hub["ready_first_s"], hub["ready_restart_s"])
    verdicts = [
        "- " + verdict("Idle, all hub processes, RSS", hub["idle_rss_mb"], TARGETS["idle"], "MB")
        + f"; the bare app {bare['idle_rss_mb']:.0f} MB.",
        "- " + verdict("Under the ingest load, peak RSS", hub["load"]["peak_rss_mb"],
                       TARGETS["load"], "MB")
        + f"; the bare app {bare['load']['peak_rss_mb']:.0f} MB.",
        "- " + verdict("Ready after `hub serve`", ready, TARGETS["ready"], "s")
        + f" (first start {hub['ready_first_s']:.2f} s, restarts {hub['ready_restart_s']:.2f} s); "
          f"the bare app {bare['ready_restart_s']:.2f} s.",
        f"- With one web process (`hub serve --workers 1`): {small['idle_rss_mb']:.0f} MB idle, "
        f"{small['load']['peak_rss_mb']:.0f} MB under the load, "
        f"{small['load']['rate']:,.0f} webhooks/s.",
    ]
    print("\n".join(verdicts))
    missed = hub["idle_rss_mb"] > TARGETS["idle"] or ready > TARGETS["ready"]
    costs = import_costs() if missed else ""
    if costs:
        print("\nImport costs:\n" + costs)
    meta = machine()
    markdown = "\n".join([
        "## Memory and start-up", "",
        f"`python -m bench.memory` — {meta['at']}, commit {meta['commit']}, {meta['cpu']} "
        f"({meta['cores']} cores), Python {meta['python']}. Each system: gunicorn, "
        f"{args.workers} web processes × {args.threads} threads (the hub's defaults) and, for "
        f"the hub, its background worker. Ready = from starting the command to the first 200 "
        f"from `/readyz` (`/ready` for the bare app); the first start creates the database, "
        f"the others ({args.starts - 1}) reopen it. Idle = after start-up, once memory stops "
        f"moving; load = `bench.ingest`'s signed webhooks, {args.total:,} (or "
        f"{args.seconds:.0f} s) at concurrency {args.concurrency}. RSS counts pages shared "
        f"between processes once per process; PSS divides them.", "", text, "",
        per_process, "", *verdicts,
        *(["", "Where start-up time and memory go (fresh interpreters, `python -X importtime`):",
           "", costs] if costs else []),
    ])
    if not args.no_write:
        write_results("memory", {"machine": meta, "rows": rows}, markdown)
    return 0


if __name__ == "__main__":
    sys.exit(main())
