"""Growth benchmark: how the web pages and ingest cope as the store fills up.

For each size, a store holding that many events — and the audit entries, runs, sends and
customers the hub's real traffic makes with them (``bench/store_filler.py``) — is served by
``hub serve`` as in production; a signed-in owner loads every page of the UI that reads the
history, one request at a time, and then signed webhooks are sent at concurrency 16. The
reference is the same measurement on the smallest store: what growth costs.

    .venv/bin/python -m bench.growth            # 10k, 100k, 1M events; writes the docs
    .venv/bin/python -m bench.growth --quick    # 2k and 10k, a smoke test
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from bench import profiling
from bench.ingest import measure
from bench.report import machine, table, write_results
from bench.servers import free_port, hub_serve_command, process
from bench.store_filler import OWNER_EMAIL, OWNER_PASSWORD, build_template, fill
from bench.web_client import PageTiming, SignedInClient

TARGET_MS = 200.0


@dataclass(frozen=True)
class Targets:
    """Real ids in the filled store, so each page shows something."""

    correlation_id: str
    profile_id: str
    email: str
    instance_id: str
    middle_audit_id: int


def pick_targets(data_dir: Path) -> Targets:
    db = sqlite3.connect(f"file:{data_dir / 'hub.db'}?mode=ro", uri=True)
    try:
        correlation = db.execute(
            "SELECT r.correlation_id FROM runs r JOIN deliveries d ON d.run_id = r.id"
            " ORDER BY r.id DESC LIMIT 1").fetchone()[0]
        profile_id, email = db.execute(
            "SELECT p.id, i.value FROM profiles p JOIN identities i ON i.profile_id = p.id"
            " WHERE p.merged_into IS NULL AND p.anonymous = 0 AND i.kind = 'email'"
            " ORDER BY p.updated_at DESC LIMIT 1").fetchone()
        instance = db.execute("SELECT instance_id FROM runs GROUP BY instance_id"
                              " ORDER BY count(*) DESC LIMIT 1").fetchone()[0]
        middle = db.execute("SELECT max(id) / 2 FROM audit").fetchone()[0]
    finally:
        db.close()
    return Targets(correlation, profile_id, email, instance, middle)


def pages(t: Targets) -> list[tuple[str, str, dict[str, str] | None]]:
    """(what a person is doing, path, extra headers)."""
    return [
        ("dashboard, last 24 h", "/", None),
        ("dashboard, last 7 days", "/?range=week", None),
        ("activity, last 7 days", "/activity/", None),
        ("activity, everything", "/activity/?period=all", None),
        ("activity, problems only", "/activity/?outcome=problems&period=all", None),
        ("activity, one recipe", f"/activity/?recipe={t.instance_id}&period=all", None),
        ("activity, half-way back", f"/activity/?period=all&before={t.middle_audit_id}", None),
        ("activity, one customer", f"/activity/?customer={quote(t.email)}&period=all", None),
        ("one event and all it caused", f"/activity/run/{t.correlation_id}", None),
        ("failed sends", "/activity/failed", None),
        ("customer search", "/customers/?q=family1", None),
        ("customer search as you type", "/customers/?q=shopper2", {"HX-Request": "true"}),
        ("customer page", f"/customers/{t.profile_id}", None),
        ("connection page (recent events)", "/connections/shopify-demo", None),
        ("metrics", "/metrics", None),
    ]


def measure_size(template, work: Path, events: int, args) -> dict:
    data_dir = work / f"store-{events}"
    started = time.monotonic()
    counts = fill(template, data_dir, events,
                  progress=lambda text: print(f"  filling: {text}", file=sys.stderr))
    fill_seconds = time.monotonic() - started
    size_mb = sum(f.stat().st_size for f in data_dir.glob("hub.db*")) / 2**20
    targets = pick_targets(data_dir)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {"HUB_PUBLIC_URL": url, "HUB_LOG_LEVEL": "WARNING"}
    timings: list[tuple[str, PageTiming]] = []
    hot = ""
    with process(hub_serve_command(data_dir, port, args.workers, args.threads),
                 f"{url}/readyz", env) as hub:
        client = SignedInClient(url)
        client.sign_in(OWNER_EMAIL, OWNER_PASSWORD)
        for label, path, headers in pages(targets):
            timings.append((label, client.time_page(path, repeat=args.repeat, headers=headers)))
        slow = [(label, t) for label, t in timings if t.p50 > TARGET_MS]
        if slow and args.profile:
            hot = profile_pages(hub.pid, client, [t.path for _, t in slow], work / "profile")
        ingest = measure(hub.pid, port, f"growth{events}", 16, args.ingest_total,
                         args.ingest_seconds)
    shutil.rmtree(data_dir, ignore_errors=True)
    return {"events": events, "counts": counts, "db_mb": round(size_mb, 1),
            "fill_seconds": round(fill_seconds, 1),
            "pages": [{"page": label, "path": t.path, "p50_ms": round(t.p50, 1),
                       "max_ms": round(t.worst, 1), "bytes": t.bytes} for label, t in timings],
            "ingest": ingest, "profile": hot}


def profile_pages(pid: int, client: SignedInClient, paths: list[str], out: Path) -> str:
    """py-spy on the web processes while the slow pages are loaded again and again."""
    from bench.procstats import descendants

    sampling = profiling.start(descendants(pid)[1:], 15, out)
    deadline = time.monotonic() + 12
    while time.monotonic() < deadline:
        for path in paths:
            client.session.get(client.base_url + path, timeout=60)
    return profiling.summary(profiling.finish(sampling))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000],
                        help="events in the store, one measurement each")
    parser.add_argument("--repeat", type=int, default=12, help="timed loads per page")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--ingest-total", type=int, default=4_000)
    parser.add_argument("--ingest-seconds", type=float, default=10)
    parser.add_argument("--profile", action=argparse.BooleanOptionalAction, default=True,
                        help="py-spy the web processes when a page misses the target")
    parser.add_argument("--work-dir", type=Path, default=None,
                        help="where the stores are built (the 1M store takes a few GB)")
    parser.add_argument("--quick", action="store_true", help="2k and 10k events: a smoke test")
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args(argv)
    if args.quick:
        args.sizes, args.repeat, args.ingest_total, args.ingest_seconds = [2_000, 10_000], 3, \
            600, 4
    results = []
    from hub.simulators import Simulators, SimulatorServer

    with tempfile.TemporaryDirectory(dir=args.work_dir) as tmp, \
            SimulatorServer(Simulators(seed=7)) as vendors:
        work = Path(tmp)
        print("recording real traffic for the template …", file=sys.stderr)
        template = build_template(work, vendors)
        for events in sorted(args.sizes):
            print(f"{events:,} events …", file=sys.stderr)
            results.append(measure_size(template, work, events, args))
    return report(results, template.counts, args)


def report(results: list[dict], template_counts: dict[str, int], args) -> int:
    sizes = [f"{r['counts']['events']:,} ev / {r['counts']['audit']:,} audit" for r in results]
    headers = ["page (p50 ms; worst in brackets)", *sizes]
    rows = []
    for index, page in enumerate(results[0]["pages"]):
        rows.append([page["page"], *(f"{r['pages'][index]['p50_ms']:.0f} "
                                     f"({r['pages'][index]['max_ms']:.0f})" for r in results)])
    rows.append(["ingest, signed webhooks/s at c=16",
                 *(f"{r['ingest']['rate']:,.0f}" for r in results)])
    rows.append(["ingest p99 ms", *(f"{r['ingest']['p99_ms']:.0f}" for r in results)])
    rows.append(["store file MB", *(f"{r['db_mb']:,.0f}" for r in results)])
    text = table(headers, rows)
    print(text)
    largest = results[-1]
    slow = [p for p in largest["pages"] if p["p50_ms"] > TARGET_MS]
    worst = max(largest["pages"], key=lambda p: p["p50_ms"])
    verdict = (f"- At {largest['counts']['events']:,} events / {largest['counts']['audit']:,} "
               f"audit entries every page's median is under {TARGET_MS:.0f} ms (target met); "
               f"the slowest is “{worst['page']}” at {worst['p50_ms']:.0f} ms."
               if not slow else
               f"- At {largest['counts']['events']:,} events, {len(slow)} page(s) miss "
               f"{TARGET_MS:.0f} ms: " + "; ".join(
                   f"“{p['page']}” {p['p50_ms']:.0f} ms "
                   f"({p['p50_ms'] / TARGET_MS - 1:.0%} over)"
                   for p in slow) + ".")
    first, last = results[0]["ingest"]["rate"], largest["ingest"]["rate"]
    verdicts = [verdict, f"- Ingest at the largest store: {last:,.0f} webhooks/s, "
                         f"{last / first:.2f}× the rate at the smallest."]
    print("\n".join(verdicts))
    for r in results:
        if r["profile"]:
            print(f"\nProfile of the slow pages at {r['events']:,} events:\n{r['profile']}")
    meta = machine()
    ratio = ", ".join(f"{template_counts[t]:,} {t}" for t in ("events", "audit", "runs",
                                                              "deliveries", "profiles"))
    markdown = "\n".join([
        "## Growth: pages and ingest as the store fills", "",
        f"`python -m bench.growth` — {meta['at']}, commit {meta['commit']}, {meta['cpu']} "
        f"({meta['cores']} cores), Python {meta['python']}. Each store is made by copying the "
        f"rows `hub serve` really wrote for recorded traffic ({ratio}: shoppers' journeys "
        f"through every shipped recipe plus stock-change webhooks no recipe acts on), spread "
        f"over the {90}-day retention, ids rising with time. `hub serve` ({args.workers} × "
        f"{args.threads} threads + worker) serves it; a signed-in owner loads each page "
        f"{args.repeat} times in a row (after 2 untimed loads); then {args.ingest_total:,} "
        f"signed webhooks at concurrency 16. Target: every page under {TARGET_MS:.0f} ms "
        f"at 1M.", "", text, "", *verdicts,
        *[f"\nWhere the time went at {r['events']:,} events:\n\n{r['profile']}"
          for r in results if r["profile"]],
    ])
    if not args.no_write:
        write_results("growth", {"machine": meta, "template": template_counts,
                                 "results": results}, markdown)
    return 0


if __name__ == "__main__":
    sys.exit(main())
