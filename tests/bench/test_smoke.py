"""Each benchmark's --quick mode runs end to end (real processes, loopback only) and says what
it promises; --no-write leaves docs/performance.md alone."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs" / "performance.md"


def run_quick(name: str, timeout: float = 300) -> str:
    before = DOCS.read_bytes()
    answer = subprocess.run([sys.executable, "-m", f"bench.{name}", "--quick", "--no-write"],
                            cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    assert answer.returncode == 0, answer.stderr[-3000:]
    assert DOCS.read_bytes() == before, "--no-write must not touch the docs"
    return answer.stdout


def test_delivery_quick_delivers_everything_once_within_the_vendors_limits():
    out = run_quick("delivery")
    assert "| hub (2 × hub worker) |" in out and "| bare loop (requests) |" in out
    share = re.search(r"- 429s: \d+ of [\d,]+ requests = ([\d.]+) %", out)
    assert share is not None and float(share[1]) <= 1.0
    assert "Lost: 0 (target 0: met); duplicated: 0 (target 0: met)" in out
    assert "delivered 800" in out


def test_growth_quick_loads_every_page_on_two_store_sizes():
    out = run_quick("growth", timeout=600)
    assert "| one event and all it caused |" in out and "| customer page |" in out
    assert "every page's median is under 200 ms" in out
    assert "ingest, signed webhooks/s at c=16" in out


def test_memory_quick_measures_the_hub_and_the_bare_app():
    out = run_quick("memory")
    rows = [line for line in out.splitlines() if line.startswith(("| bare Flask", "| hub serve"))]
    assert len(rows) == 3
    assert "Ready after `hub serve`" in out and "| background worker |" in out
