"""Delivery benchmark: N orders through a recipe to the simulated Klaviyo and HubSpot, with
the vendors' documented rate limits in force.

In one run, on loopback: the hub (``hub worker`` processes over one SQLite store, as
production runs them) turns N stored ``order.completed`` events into a Klaviyo event and a
HubSpot contact upsert each; then a bare loop sends the very same requests with ``requests``
at the fastest rate the limits allow. Reported: time to deliver all, the theoretical minimum
(``bench/vendor_limits.py``), the ratio, 429s, lost and duplicated.

    .venv/bin/python -m bench.delivery            # N = 5,000; writes docs/performance.md
    .venv/bin/python -m bench.delivery --quick    # N = 400, a smoke test
"""

from __future__ import annotations

import argparse
import json
import math
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import yaml

from bench import profiling
from bench.paced_sender import Prepared, SendResult, send_all
from bench.procstats import sample
from bench.report import machine, table, write_results
from bench.vendor_limits import fixed_window_best, minimum_seconds

RECIPE = {
    "id": "bench-orders", "title": "Orders to Klaviyo and HubSpot (benchmark)",
    "description": "Every order becomes a Klaviyo event and an up-to-date HubSpot contact.",
    "trigger": {"event": "order.completed"},
    "steps": [
        {"id": "klaviyo", "action": "klaviyo.track_event", "with": {
            "metric": "Placed Order", "email": "{{ profile.email }}",
            "unique_id": "order-{{ event.data.order_id }}", "value": "{{ event.data.total }}",
            "value_currency": "{{ event.data.currency }}",
            "properties": {"OrderId": "{{ event.data.order_id }}",
                           "OrderName": "{{ event.data.order_name }}"}}},
        {"id": "crm", "action": "hubspot.upsert_contact", "with": {
            "email": "{{ profile.email }}", "first_name": "{{ profile.first_name }}",
            "last_order_name": "{{ event.data.order_name }}",
            "last_order_value": "{{ '%.2f' | format(event.data.total | float) }}",
            "order_count": "{{ profile.order_count }}"}},
    ],
}
PROFILE_SECONDS = 40  # the engine's busiest stretch, while events are still being processed
HUBSPOT_BATCH = 100  # adapters/hubspot.py BATCH_LIMIT: what the adapter puts in one request


@dataclass(frozen=True)
class HubRun:
    seconds: float
    processed_seconds: float | None
    first_request_seconds: float | None
    counts: dict[str, int]
    workers: int
    worker_cpu_seconds: float
    simulator_cpu_seconds: float
    profiles: tuple[Path, ...] = ()


def order_event(n: int):
    from hub import clock
    from hub.events import CanonicalEvent, CustomerRef

    customer = CustomerRef(email=f"buyer{n:06d}@bench.example", first_name="Buyer",
                           last_name=f"No. {n}", external_ids={"shopify": str(8_000_000 + n)})
    order_id = str(5_000_000 + n)
    return CanonicalEvent(
        name="order.completed", occurred_at=clock.now_iso(), customer=customer, key=order_id,
        channel="online", source="shopify",
        data={"order_id": order_id, "order_name": f"#{n}", "checkout_token": uuid.uuid4().hex,
              "cart_token": None, "total": 42.5 + n % 100, "currency": "USD",
              "channel": "online", "line_items": [{
                  "product_id": "8840001001", "variant_id": "44120001001",
                  "title": "Linen Wrap Dress", "variant_title": "Blue / M", "sku": "LWD-BLU-M",
                  "quantity": 1, "price": 42.5 + n % 100, "currency": "USD"}]},
    )


def prepare_hub(tmp: Path, sims_url: str, config, events: int):
    """A store connected to the simulators, the bench recipe enabled, ``events`` orders queued."""
    from hub import clock
    from hub.delivery import FACT_TOPIC
    from hub.demo.setup import connect
    from hub.engine import instances
    from hub.engine.catalog import load_catalog
    from hub.runtime import open_runtime
    from hub.settings import Settings
    from hub.store import NewEvent

    settings = Settings(data_dir=tmp / "data", secret_key="bench-delivery-secret",
                        quiet_hours="00:00-00:00")
    rt = open_runtime(settings)
    ids = connect(rt, sims_url, config)
    (tmp / "recipes").mkdir()
    (tmp / "recipes" / "bench-orders.yaml").write_text(yaml.safe_dump(RECIPE))
    instances.enable(rt.store, "bench-orders", catalog=load_catalog(tmp / "recipes"))
    with rt.store.atomic():
        for n in range(events):
            rt.store.record_event(NewEvent(
                connection_id=ids["shopify"], adapter="shopify", topic=FACT_TOPIC,
                delivery_id=f"bench-{n}", source="webhook",
                body=json.dumps(order_event(n).to_dict()).encode(),
                correlation_id=uuid.uuid4().hex, received_at=clock.now_iso()))
    rt.store.close()
    return settings


def start_workers(settings, count: int) -> list[subprocess.Popen]:
    env = {**os.environ, "HUB_DATA_DIR": str(settings.data_dir),
           "HUB_SECRET_KEY": settings.secret_key, "HUB_QUIET_HOURS": settings.quiet_hours,
           "HUB_LOG_LEVEL": "WARNING"}
    return [subprocess.Popen([sys.executable, "-m", "hub.cli", "worker"], env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                             start_new_session=True)
            for _ in range(count)]


def stop_workers(workers: list[subprocess.Popen]) -> None:
    for worker in workers:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGTERM)
    for worker in workers:
        try:
            worker.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait()


def run_hub(settings, sims, expected: int, workers: int, max_seconds: float,
            profile_dir: Path | None = None) -> HubRun:
    """Start the workers; wait until no delivery is pending (or the time limit)."""
    from hub.runtime import open_runtime

    rt = open_runtime(settings)
    started = time.monotonic()
    own_cpu = _cpu_seconds()
    processes = start_workers(settings, workers)
    sampling = profiling.start([p.pid for p in processes], PROFILE_SECONDS, profile_dir) \
        if profile_dir else []
    processed = first = None
    last_print = 0.0
    try:
        while time.monotonic() - started < max_seconds:
            time.sleep(0.25)
            elapsed = time.monotonic() - started
            if first is None and sims.requests():
                first = elapsed
            if processed is None and rt.store.count_events(status="new") == 0:
                processed = elapsed
            done = sum(rt.store.count_deliveries(status=s)
                       for s in ("delivered", "dead", "refused", "unknown", "cancelled"))
            if elapsed - last_print >= 5:
                last_print = elapsed
                print(f"  hub: {elapsed:5.1f}s  {done:,}/{expected:,} deliveries final",
                      file=sys.stderr)
            if processed is not None and done >= expected:
                break
        seconds = time.monotonic() - started
        worker_cpu = sum(sample(p.pid).cpu_seconds for p in processes)
        sims_cpu = _cpu_seconds() - own_cpu
    finally:
        profiles = profiling.finish(sampling)
        stop_workers(processes)
    counts = {s: rt.store.count_deliveries(status=s)
              for s in ("pending", "delivered", "dead", "refused", "unknown")}
    rt.store.close()
    return HubRun(seconds, processed, first, counts, workers, worker_cpu, sims_cpu,
                  tuple(profiles))


def _cpu_seconds() -> float:
    """CPU time of this process: the simulators serve from its threads."""
    times = os.times()
    return times.user + times.system


def vendor_figures(sims, events: int) -> dict:
    """What the vendors saw: requests, 429s, what is missing and what arrived twice."""
    klaviyo = [r for r in sims.requests("klaviyo") if r.path.endswith("/api/events/")]
    hubspot = [r for r in sims.requests("hubspot") if r.path.endswith("/batch/upsert")]
    everything = sims.requests()
    upserts: Counter[str] = Counter()
    for request in hubspot:
        if request.status in (200, 207):
            upserts.update(i["id"].lower() for i in request.json()["inputs"])
    expected_ids = {f"order-{5_000_000 + n}" for n in range(events)}
    expected_emails = {f"buyer{n:06d}@bench.example" for n in range(events)}
    stored_ids = {e.unique_id for e in sims.klaviyo.events}
    return {
        "requests": len(everything),
        "klaviyo_requests": len(klaviyo), "hubspot_requests": len(hubspot),
        "throttled": sum(1 for r in everything if r.status == 429),
        "klaviyo_429": sum(1 for r in klaviyo if r.status == 429),
        "hubspot_429": sum(1 for r in hubspot if r.status == 429),
        "other_errors": sum(1 for r in everything if r.status is None or r.status >= 400
                            and r.status != 429),
        "lost_klaviyo": len(expected_ids - stored_ids),
        "lost_hubspot": len(expected_emails - set(sims.hubspot.contacts)),
        "duplicated_klaviyo": len(sims.klaviyo.duplicates),
        "duplicated_hubspot": sum(c - 1 for c in upserts.values() if c > 1),
        "hubspot_inputs_per_request": round(sum(upserts.values()) / max(1, sum(
            1 for r in hubspot if r.status in (200, 207))), 1),
    }


def same_requests(sims, base_url: str) -> tuple[list[Prepared], list[Prepared]]:
    """The requests the hub's deliveries amounted to, one per event/contact, HubSpot in full
    batches: what the bare loop sends."""
    events: dict[str, bytes] = {}
    for r in sims.requests("klaviyo"):
        if r.path.endswith("/api/events/") and r.status == 202:
            events.setdefault(r.json()["data"]["attributes"]["unique_id"], r.body.encode())
    inputs: dict[str, dict] = {}
    for r in sims.requests("hubspot"):
        if r.path.endswith("/batch/upsert") and r.status in (200, 207):
            for item in r.json()["inputs"]:
                inputs.setdefault(item["id"], item)
    items = list(inputs.values())
    klaviyo = [Prepared("POST", f"{base_url}/klaviyo/api/events/", body)
               for body in events.values()]
    hubspot = [Prepared("POST", f"{base_url}/hubspot/crm/v3/objects/contacts/batch/upsert",
                        json.dumps({"inputs": items[i:i + HUBSPOT_BATCH]}).encode())
               for i in range(0, len(items), HUBSPOT_BATCH)]
    return klaviyo, hubspot


def run_bare(klaviyo: list[Prepared], hubspot: list[Prepared], config, limits,
             max_seconds: float) -> dict[str, SendResult]:
    """Both vendors at once, each at its own fastest allowed rate."""
    import threading

    from adapters.klaviyo import REVISION, JSON_API

    results: dict[str, SendResult] = {}
    jobs = {
        "klaviyo": (klaviyo, {"Authorization": f"Klaviyo-API-Key {config.klaviyo.private_key}",
                              "revision": REVISION, "Accept": JSON_API,
                              "Content-Type": JSON_API}, limits["klaviyo"]),
        "hubspot": (hubspot, {"Authorization": f"Bearer {config.hubspot.access_token}",
                              "Content-Type": "application/json"}, limits["hubspot"]),
    }

    def run(name: str) -> None:
        items, headers, vendor_limits = jobs[name]
        results[name] = send_all(items, headers, vendor_limits, max_seconds=max_seconds)

    threads = [threading.Thread(target=run, args=(name,)) for name in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def vendor_limits(config) -> dict[str, list[tuple[int, float]]]:
    """The documented limits, as the simulators enforce them (hub/simulators/config.py)."""
    tier = config.klaviyo.tiers["events"]
    return {"klaviyo": [(tier.burst, 1.0), (tier.steady, 60.0)],
            "hubspot": [(config.hubspot.ten_second_limit, 10.0),
                        (config.hubspot.daily_limit, 86_400.0)]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=5_000)
    parser.add_argument("--workers", type=int, default=2, help="hub worker processes")
    parser.add_argument("--max-seconds", type=float, default=600, help="time limit per system")
    parser.add_argument("--quick", action="store_true", help="N = 400: a smoke test")
    parser.add_argument("--profile", action=argparse.BooleanOptionalAction, default=True,
                        help="sample the workers with py-spy (default: on)")
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args(argv)
    if args.quick:
        args.events, args.max_seconds = 400, 120

    from hub.simulators import Simulators, SimulatorServer
    from hub.simulators.requestlog import RequestLog

    limits = vendor_limits(Simulators().config)
    minimum = {"klaviyo": minimum_seconds(args.events, limits["klaviyo"]),
               "hubspot": minimum_seconds(math.ceil(args.events / HUBSPOT_BATCH),
                                          limits["hubspot"])}
    with tempfile.TemporaryDirectory() as tmp:
        sims = Simulators()
        sims.log = RequestLog(max_entries=50 * args.events + 10_000)
        with SimulatorServer(sims) as server:
            print(f"preparing {args.events:,} orders …", file=sys.stderr)
            settings = prepare_hub(Path(tmp), server.base_url, sims.config, args.events)
            hub = run_hub(settings, sims, 2 * args.events, args.workers, args.max_seconds,
                          Path(tmp) / "profile" if args.profile else None)
            hub_vendor = vendor_figures(sims, args.events)
            hot = profiling.summary(list(hub.profiles)) if args.profile else ""
            klaviyo, hubspot = same_requests(sims, "")
        bare_sims = Simulators()
        bare_sims.log = RequestLog(max_entries=50 * args.events + 10_000)
        with SimulatorServer(bare_sims) as server:
            print("bare loop …", file=sys.stderr)
            klaviyo = [Prepared(p.method, server.base_url + p.url, p.body) for p in klaviyo]
            hubspot = [Prepared(p.method, server.base_url + p.url, p.body) for p in hubspot]
            bare = run_bare(klaviyo, hubspot, bare_sims.config, limits, args.max_seconds)
            bare_vendor = vendor_figures(bare_sims, args.events)
        sims.close()
        bare_sims.close()
    return report(args, hub, hub_vendor, bare, bare_vendor, minimum, limits, hot)


def report(args, hub: HubRun, hub_vendor: dict, bare: dict[str, SendResult],
           bare_vendor: dict, minimum: dict[str, float], limits, hot: str) -> int:
    floor = max(minimum.values())
    bare_seconds = max(r.seconds for r in bare.values())
    lost_hub = hub_vendor["lost_klaviyo"] + hub_vendor["lost_hubspot"]
    dup_hub = hub_vendor["duplicated_klaviyo"] + hub_vendor["duplicated_hubspot"]
    rows = []
    for name, seconds, vendor in (("bare loop (requests)", bare_seconds, bare_vendor),
                                  (f"hub ({hub.workers} × hub worker)", hub.seconds, hub_vendor)):
        share = 100 * vendor["throttled"] / max(1, vendor["requests"])
        rows.append([name, round(seconds, 1), f"{seconds / floor:.2f}×" if floor else "–",
                     vendor["klaviyo_requests"], vendor["hubspot_requests"],
                     vendor["hubspot_inputs_per_request"], f"{vendor['throttled']} "
                     f"({share:.2f} %)",
                     vendor["lost_klaviyo"] + vendor["lost_hubspot"],
                     vendor["duplicated_klaviyo"] + vendor["duplicated_hubspot"]])
    headers = ["system", "seconds", "× minimum", "Klaviyo requests", "HubSpot requests",
               "contacts / HubSpot request", "429s", "lost", "duplicated"]
    text = table(headers, rows)
    print(text)
    share = 100 * hub_vendor["throttled"] / max(1, hub_vendor["requests"])
    ratio = hub.seconds / floor if floor else float("inf")
    best = fixed_window_best(args.events, limits["klaviyo"])
    verdicts = [
        f"- Time: {hub.seconds:.1f} s = {ratio:.2f}× the minimum of {floor:.1f} s "
        f"(target ≤ 1.20×: {'met' if ratio <= 1.2 else f'missed by {ratio / 1.2 - 1:.0%}'}); "
        f"the bare loop took {bare_seconds:.1f} s ({bare_seconds / floor:.2f}×).",
        f"- 429s: {hub_vendor['throttled']} of {hub_vendor['requests']:,} requests = "
        f"{share:.2f} % (target ≤ 1 %: {'met' if share <= 1 else 'missed'}).",
        f"- Lost: {lost_hub} (target 0: {'met' if lost_hub == 0 else 'missed'}); duplicated: "
        f"{dup_hub} (target 0: {'met' if dup_hub == 0 else 'missed'}). Hub outbox at the end: "
        + ", ".join(f"{k} {v:,}" for k, v in hub.counts.items()) + ".",
        f"- Engine: all {args.events:,} events processed after "
        f"{hub.processed_seconds or float('nan'):.1f} s; first vendor request after "
        f"{hub.first_request_seconds or float('nan'):.1f} s. CPU over the run: the "
        f"{hub.workers} workers {hub.worker_cpu_seconds:.0f} s, the simulators (in the "
        f"benchmark's process, on the same {os.cpu_count()} cores) "
        f"{hub.simulator_cpu_seconds:.0f} s.",
    ]
    print("\n".join(verdicts))
    if hot:
        print("\nWhere the workers' time went (first %d s):\n%s" % (PROFILE_SECONDS, hot))
    meta = machine()
    kl = limits["klaviyo"]
    markdown = "\n".join([
        "## Delivery under vendor rate limits", "",
        f"`python -m bench.delivery` — {meta['at']}, commit {meta['commit']}, {meta['cpu']} "
        f"({meta['cores']} cores), Python {meta['python']}. {args.events:,} `order.completed` "
        f"events, each → `klaviyo.track_event` + `hubspot.upsert_contact` "
        f"({2 * args.events:,} deliveries), through the simulators (loopback) with the "
        f"documented limits: Klaviyo events {kl[0][0]}/s burst and {kl[1][0]:,}/min steady, "
        f"HubSpot {limits['hubspot'][0][0]} requests per 10 s, ≤ {HUBSPOT_BATCH} contacts per "
        f"batch. Timed from starting {hub.workers} `hub worker` processes (events already "
        f"stored) until no delivery is pending; the bare loop sends the same requests with "
        f"`requests` at the fastest allowed rate (`bench/paced_sender.py`).", "",
        f"**Theoretical minimum**: {floor:.1f} s. Klaviyo: {args.events:,} requests (the "
        f"events endpoint takes one event per request); no 60 s interval may hold more than "
        f"{kl[1][0]:,}, so the first {kl[1][0]:,} go in {kl[1][0] / kl[0][0]:.0f} s at "
        f"{kl[0][0]}/s and request {kl[1][0] + 1:,} waits until 60 s after the first; the "
        f"last leaves at {minimum['klaviyo']:.1f} s. HubSpot: "
        f"{math.ceil(args.events / HUBSPOT_BATCH)} batch requests fit in one 10 s window "
        f"({minimum['hubspot']:.1f} s). Klaviyo's windows are fixed, not sliding: a client "
        f"that knew where the vendor's minute starts could straddle its boundary and finish "
        f"in {best:.1f} s; neither the hub nor the bare loop assumes that.", "",
        text, "", *verdicts,
        *(["", f"Where the two workers' CPU time went in the first {PROFILE_SECONDS} s "
           f"(engine and delivery together):", "", hot] if hot and ratio > 1.2 else []),
    ])
    if not args.no_write:
        write_results("delivery", {
            "machine": meta, "events": args.events, "minimum_seconds": minimum,
            "fixed_window_best_seconds": best,
            "hub": {"seconds": round(hub.seconds, 2), "ratio": round(ratio, 3),
                    "processed_seconds": hub.processed_seconds,
                    "first_request_seconds": hub.first_request_seconds,
                    "outbox": hub.counts, "workers": hub.workers,
                    "worker_cpu_seconds": round(hub.worker_cpu_seconds, 1),
                    "simulator_cpu_seconds": round(hub.simulator_cpu_seconds, 1), **hub_vendor},
            "bare": {"seconds": round(bare_seconds, 2), **bare_vendor,
                     "sent": {k: vars(v) for k, v in bare.items()}},
        }, markdown)
    return 0


if __name__ == "__main__":
    sys.exit(main())
