"""What importing costs a hub process: resident memory and time per top-level module.

Each measurement runs in a fresh interpreter, so nothing is imported already: memory is the
growth of ``VmRSS`` across one ``import`` (modules it pulls in count towards it, so the
figures overlap), time comes from ``python -X importtime`` of what a process really
imports, summed per top-level package.
"""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

#: What each kind of hub process imports before it serves (see hub/serving.py, hub/cli).
PROCESS_IMPORTS = {
    "web worker": "import hub.cli; from web import create_app",
    "background worker": "import hub.cli; import hub.worker, hub.processing, hub.delivery, "
                         "hub.triggers, hub.scheduler; import adapters",
}

_RSS = """
import sys
def rss():
    for line in open('/proc/self/status'):
        if line.startswith('VmRSS:'):
            return int(line.split()[1]) / 1024
before = rss()
import importlib
importlib.import_module(sys.argv[1])
print(round(rss() - before, 2), round(rss(), 2))
"""


def rss_of_import(module: str) -> tuple[float, float]:
    """(MB the import added, MB the interpreter holds after it) in a fresh interpreter."""
    answer = subprocess.run([sys.executable, "-c", _RSS, module], cwd=ROOT, text=True,
                            capture_output=True, timeout=60)
    if answer.returncode != 0:
        raise RuntimeError(f"import {module} failed: {answer.stderr[-500:]}")
    added, total = answer.stdout.split()
    return float(added), float(total)


def import_time(code: str) -> tuple[float, Counter[str]]:
    """(total seconds, self seconds per top-level package) of running ``code``."""
    answer = subprocess.run([sys.executable, "-X", "importtime", "-c", code], cwd=ROOT,
                            text=True, capture_output=True, timeout=120)
    per_package: Counter[str] = Counter()
    total = 0.0
    for line in answer.stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        self_us, _, name = (part.strip() for part in line[len("import time:"):].split("|"))
        seconds = int(self_us) / 1e6
        per_package[name.strip().split(".")[0]] += seconds
        total += seconds
    return total, per_package


def heaviest_imports(modules: list[str]) -> list[tuple[str, float]]:
    """Memory each module adds on its own, largest first."""
    return sorted(((m, rss_of_import(m)[0]) for m in modules), key=lambda x: -x[1])


def baseline_rss() -> float:
    """An interpreter that imported nothing of ours."""
    return rss_of_import("os")[1]
