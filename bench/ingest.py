"""Ingest benchmark: signed Shopify webhooks acknowledged per second, latency, CPU and memory.

Runs, in one go and on loopback, the hub exactly as ``hub serve`` runs it (gunicorn web
processes + one background worker) and a bare Flask app under the same gunicorn settings that
only parses the same JSON. Only the ratio between the two means something on a noisy machine.

    .venv/bin/python -m bench.ingest            # full run, writes docs/performance.md
    .venv/bin/python -m bench.ingest --quick    # a few seconds, for a smoke test
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
from pathlib import Path

from bench.loadgen import LoadResult, run_load
from bench.procstats import sample
from bench.report import machine, table, write_results
from bench.servers import bare_flask_command, free_port, hub_serve_command, process

SECRET = "shpss_bench_secret_0123456789"
FIXTURE = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "shopify" / "checkouts_update.json"


def make_factory(run: str):
    import base64
    import hashlib
    import hmac

    body = FIXTURE.read_bytes()
    signature = base64.b64encode(hmac.new(SECRET.encode(), body, hashlib.sha256).digest()).decode()
    base = {"Content-Type": "application/json", "X-Shopify-Topic": "checkouts/update",
            "X-Shopify-Hmac-Sha256": signature, "X-Shopify-Shop-Domain": "bench.myshopify.com",
            "X-Shopify-API-Version": "2025-10"}

    def factory(n: int):
        # Shopify signs the body only, so one signed body serves every delivery; the event id
        # makes each one new to the hub (no duplicate short-cut).
        return "/hooks/shopify-bench", {**base, "X-Shopify-Event-Id": f"{run}-{n}",
                                        "X-Shopify-Webhook-Id": f"{run}-w{n}"}, body

    return factory


def measure(pid: int, port: int, run: str, concurrency: int, total: int, seconds: float) -> dict:
    factory = make_factory(run)
    run_load(port, factory, concurrency=concurrency, total=min(400, total), max_seconds=5,
             offset=10_000_000)  # warm-up: connections, caches, SQLite pages
    peak = {"rss": 0.0}
    stop = threading.Event()

    def watch() -> None:
        while not stop.wait(0.2):
            peak["rss"] = max(peak["rss"], sample(pid).rss_mb)

    watcher = threading.Thread(target=watch, daemon=True)
    before = sample(pid)
    watcher.start()
    result: LoadResult = run_load(port, factory, concurrency=concurrency, total=total,
                                  max_seconds=seconds)
    stop.set()
    watcher.join()
    after = sample(pid)
    return {
        "concurrency": concurrency, "acked": result.ok, "errors": result.errors,
        "seconds": round(result.seconds, 2), "rate": round(result.rate, 1),
        "p50_ms": round(result.percentile(50), 2), "p95_ms": round(result.percentile(95), 2),
        "p99_ms": round(result.percentile(99), 2),
        "cpu_ms_per_request": round(1000 * (after.cpu_seconds - before.cpu_seconds) / max(1, result.sent), 3),
        "rss_idle_mb": round(before.rss_mb, 1), "rss_peak_mb": round(max(peak["rss"], after.rss_mb), 1),
        "processes": after.processes,
    }


WEB_ONLY = "hub serve, worker elsewhere"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--total", type=int, default=12_000, help="requests per measurement")
    parser.add_argument("--seconds", type=float, default=20, help="time limit per measurement")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[16, 64])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--quick", action="store_true", help="small numbers: a smoke test")
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args(argv)
    if args.quick:
        args.total, args.seconds = 600, 5

    rows: dict[tuple[str, int], dict] = {}
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp) / "data"
        from hub.connections import add_connection
        from hub.runtime import open_runtime
        from hub.settings import Settings

        rt = open_runtime(Settings(data_dir=data_dir))
        add_connection(rt.store, rt.vault, "shopify", "bench", {"webhook_secret": SECRET})
        rt.store.close()
        env = {"HUB_LOG_LEVEL": "WARNING"}
        for concurrency in args.concurrency:
            port = free_port()
            with process(bare_flask_command(port, args.workers, args.threads),
                         f"http://127.0.0.1:{port}/ready", env) as bare:
                rows[("bare Flask", concurrency)] = measure(bare.pid, port, f"bare{concurrency}",
                                                            concurrency, args.total, args.seconds)
            port = free_port()
            with process(hub_serve_command(data_dir, port, args.workers, args.threads),
                         f"http://127.0.0.1:{port}/readyz", env) as hub:
                rows[("hub serve", concurrency)] = measure(hub.pid, port, f"hub{concurrency}",
                                                           concurrency, args.total, args.seconds)
            # The same web tier with the background worker on another machine (`hub serve
            # --background-workers 0` + `hub worker` elsewhere): what ingest alone costs.
            port = free_port()
            with process(hub_serve_command(data_dir, port, args.workers, args.threads,
                                           background=0),
                         f"http://127.0.0.1:{port}/readyz", env) as hub:
                rows[(WEB_ONLY, concurrency)] = measure(hub.pid, port, f"web{concurrency}",
                                                        concurrency, args.total, args.seconds)
    return report(rows, args)


def report(rows: dict[tuple[str, int], dict], args: argparse.Namespace) -> int:
    headers = ["system", "c", "acked/s", "p50 ms", "p95 ms", "p99 ms", "errors",
               "CPU ms/req", "RSS idle MB", "RSS peak MB", "ratio"]
    lines = []
    for (system, c), r in rows.items():
        ratio = r["rate"] / rows[("bare Flask", c)]["rate"] if rows[("bare Flask", c)]["rate"] else 0
        lines.append([system, c, r["rate"], r["p50_ms"], r["p95_ms"], r["p99_ms"], r["errors"],
                      r["cpu_ms_per_request"], r["rss_idle_mb"], r["rss_peak_mb"],
                      f"{ratio:.2f}×" if system.startswith("hub") else "1.00×"])
    text = table(headers, lines)
    print(text)
    meta = machine()
    verdicts = []
    for c in args.concurrency:
        hub, bare = rows[("hub serve", c)], rows[("bare Flask", c)]
        ratio = hub["rate"] / bare["rate"] if bare["rate"] else 0
        verdicts.append(f"- c={c}: hub at {ratio:.2f}× the bare app (target ≥ 0.80×), "
                        f"p99 {hub['p99_ms']} ms" + (" (target < 100 ms)" if c == 64 else ""))
        if (WEB_ONLY, c) in rows:
            web = rows[(WEB_ONLY, c)]
            verdicts.append(f"- c={c}, worker elsewhere: {web['rate'] / bare['rate']:.2f}× the bare "
                            f"app, p99 {web['p99_ms']} ms")
    markdown = "\n".join([
        "## Ingest", "",
        f"`python -m bench.ingest` — {meta['at']}, commit {meta['commit']}, {meta['cpu']} "
        f"({meta['cores']} cores), Python {meta['python']}. Each system: gunicorn, "
        f"{args.workers} processes × {args.threads} threads; the hub also runs its background "
        f"worker. {args.total:,} signed `checkouts/update` webhooks per row (or "
        f"{args.seconds:.0f} s), each with a new `X-Shopify-Event-Id`; the load generator "
        f"shares the machine's cores.", "", text, "", *verdicts,
    ])
    if not args.no_write:
        write_results("ingest", {"machine": meta, "rows": [
            {"system": s, **r} for (s, _), r in rows.items()]}, markdown)
    return 0


if __name__ == "__main__":
    sys.exit(main())
