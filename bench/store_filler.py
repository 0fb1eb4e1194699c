"""A store that looks like a shop's after months of traffic, made in seconds.

First a real one: ``hub serve`` receives signed webhooks from the simulators for a few dozen
shoppers (sign-ups, abandoned checkouts, wishlists, orders online and at the till, a STOP
reply, a price drop), processes them and delivers to the simulated vendors. Every row of
every history table that produced is then the template: it is copied, story by story (all
rows sharing a correlation id), with fresh ids, keys and customers, spread back in time over
the retention period, into a new SQLite file — ``executemany`` in big transactions, ids
rising with time as the hub writes them. Only the copying is synthetic; each row is one the
hub really wrote.
"""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
import sys
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterator

if TYPE_CHECKING:
    from hub.simulators import SimulatorServer

OWNER_EMAIL = "owner@bench.example"
OWNER_PASSWORD = "bench-owner-password-42"
SHOPPERS = 40
#: ``products/update`` webhooks (stock changes) besides the shoppers' stories: in a real shop
#: most webhooks change nothing a recipe acts on, so events are not all followed by runs.
CATALOG_UPDATES = 1_200
SPAN_DAYS = 90  # the default retention of audit entries and events
#: History tables, parents first; the ids they point at are remapped on copy.
TABLES = ("events", "audit", "runs", "deliveries", "attempts", "timeline", "waits")
#: Columns holding a timestamp (sortable UTC text) that moves back with its copy.
PROFILE_PREFIX = "cus_"  # hub/customers.py new_profile_id
#: Which table an audit entry's ``subject_id`` points into, by its ``subject_type``.
SUBJECT_TABLES = {"event": "events", "run": "runs", "delivery": "deliveries"}
#: Copies older than this have no wait left pending (a reminder is due two hours after a
#: checkout): otherwise the worker would fire months of reminders while being measured.
SETTLED = timedelta(days=1)
TIME_COLUMNS = {"received_at", "occurred_at", "processed_at", "lease_until", "at", "created_at",
                "updated_at", "next_attempt_at", "due_at", "ended_at", "added_at"}


@dataclass(frozen=True)
class Template:
    data_dir: Path
    counts: dict[str, int]
    connection_ids: dict[str, str]


# -- 1. a real store ----------------------------------------------------------------------------
def build_template(work: Path, server: "SimulatorServer", *, shoppers: int = SHOPPERS,
                   catalog_updates: int = CATALOG_UPDATES) -> Template:
    """Run the hub for real against the simulators and keep its data directory.

    The connections point at ``server``: keep it running while the copies are served, so
    the sends their traffic causes reach a vendor, as they would in a shop.
    """
    from hub import users
    from hub.connections import add_connection
    from hub.demo.setup import connect, enable_recipes
    from hub.runtime import open_runtime
    from hub.settings import Settings

    from bench.ingest import SECRET
    from bench.servers import free_port, hub_serve_command, process

    data_dir = work / "template"
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    sims = server.sims
    settings = Settings(data_dir=data_dir, public_url=url, quiet_hours="00:00-00:00")
    rt = open_runtime(settings)
    ids = connect(rt, server.base_url, sims.config)
    enable_recipes(rt)
    users.create_owner(rt.store, OWNER_EMAIL, "Bench owner", OWNER_PASSWORD)
    ids["shopify-bench"] = add_connection(rt.store, rt.vault, "shopify", "bench",
                                          {"webhook_secret": SECRET}).id
    env = {"HUB_PUBLIC_URL": url, "HUB_QUIET_HOURS": "00:00-00:00",
           "HUB_LOG_LEVEL": "WARNING", "HUB_WORKER_POLL_SECONDS": "0.1"}
    with process(hub_serve_command(data_dir, port, 1, 4), f"{url}/readyz", env):
        _play(sims, url, ids, shoppers, catalog_updates)
        _wait_until_quiet(rt, 60)
    counts = {t: rt.store.conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
              for t in (*TABLES, "profiles", "identities")}
    rt.store.close()
    sims.shopify.unsubscribe_all()
    return Template(data_dir, counts, ids)


def _play(sims, url: str, ids: dict[str, str], shoppers: int, catalog_updates: int) -> None:
    """Shoppers' journeys through every shipped recipe, then stock-change webhooks."""
    from hub.demo.player import Player, Shopper
    from hub.simulators.shopify_data import CATALOG

    player = Player(sims, url, ids)
    sims.shopify.subscribe("*", player.hook("shopify"))
    people = [Shopper(f"Shopper{i}", f"Family{i}", f"+1415555{100 + i:04d}",
                      sms_consent=i % 3 != 0) for i in range(shoppers)]
    for person in people:
        player.sign_up(person)
    sims.dispatcher.wait_idle(30)
    for i, person in enumerate(people):
        player.abandon_checkout(person, [CATALOG[i % 3], CATALOG[(i + 1) % 3]])
        player.wishlist(person, CATALOG[2])
    sims.dispatcher.wait_idle(30)
    for person in people[::2]:
        player.buy_online(person)
    for person in people[1::4]:
        player.buy_in_store(person, [CATALOG[1]])
    player.reply(people[3], "STOP")
    player.price_drop()
    sims.dispatcher.wait_idle(30)
    for n in range(catalog_updates):  # stock changes: events no recipe acts on
        sims.shopify.emit("products/update", _product(n))
        if n % 100 == 99:
            sims.dispatcher.wait_idle(30)
    sims.dispatcher.wait_idle(30)


def _product(n: int) -> dict[str, Any]:
    """A ``products/update`` as Shopify sends it on a stock change (the price unchanged)."""
    from hub.simulators.shopify_data import shop_time

    product_id, variant_id = 8_840_002_000 + n % 60, 44_120_002_000 + n % 60
    now = shop_time()
    return {"id": product_id, "title": f"Linen Shirt No. {n % 60}", "handle": f"shirt-{n % 60}",
            "vendor": "Northwind", "product_type": "Shirts", "status": "active",
            "updated_at": now, "admin_graphql_api_id": f"gid://shopify/Product/{product_id}",
            "variants": [{"id": variant_id, "product_id": product_id, "title": "M",
                          "sku": f"LS-{n % 60}-M", "price": "58.00", "compare_at_price": None,
                          "inventory_quantity": 40 - n % 30, "updated_at": now}]}


def _wait_until_quiet(rt, seconds: float) -> None:
    """Until every event is processed and no delivery is due (waits stay pending)."""
    from hub import clock

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        due = rt.store.conn.execute(
            "SELECT count(*) FROM deliveries WHERE status = 'pending' AND next_attempt_at <= ?",
            (clock.now_iso(),)).fetchone()[0]
        if rt.store.count_events(status="new") == 0 and due == 0:
            return
        time.sleep(0.3)


# -- 2. copies of it ----------------------------------------------------------------------------
def fill(template: Template, target: Path, events: int,
         progress: Callable[[str], None] | None = None) -> dict[str, int]:
    """A data directory whose store holds about ``events`` events and what they caused."""
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(template.data_dir, target, ignore=shutil.ignore_patterns("metrics", "*.log"))
    db = sqlite3.connect(target / "hub.db", isolation_level=None)
    db.row_factory = sqlite3.Row
    rows = {t: [dict(r) for r in db.execute(f"SELECT * FROM {t} ORDER BY id")] for t in TABLES}
    people = _people(db)
    for table in TABLES:
        db.execute(f"DELETE FROM {table}")
    per_copy = max(1, len(rows["events"]))
    copies = max(1, -(-events // per_copy))
    spans = {t: (max((r["id"] for r in rows[t]), default=0)) for t in TABLES}
    started = time.monotonic()
    db.execute("PRAGMA synchronous = OFF")
    db.execute("PRAGMA cache_size = -262144")
    db.execute("BEGIN")
    for copy in range(copies):
        # Oldest copy first, the last one ending now: ids rise with time, as in a real store.
        shift = timedelta(days=SPAN_DAYS) * (copies - 1 - copy) / copies
        for table in TABLES:
            db.executemany(_insert_sql(table, rows[table]),
                           [_copied(table, r, copy, spans, shift, people) for r in rows[table]])
        for statement, values in _copied_people(people, copy, shift):
            db.executemany(statement, values)
        if copy % 500 == 499:
            db.execute("COMMIT")
            db.execute("BEGIN")
            if progress:
                progress(f"{(copy + 1) * per_copy:,} events "
                         f"({time.monotonic() - started:.0f} s)")
    db.execute("COMMIT")  # no ANALYZE: the hub never runs it, so plans must be good without
    counts = {t: db.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
              for t in (*TABLES, "profiles", "identities")}
    db.close()
    return counts


def _insert_sql(table: str, rows: list[dict[str, Any]]) -> str:
    columns = list(rows[0]) if rows else ["id"]
    return (f"INSERT INTO {table} ({', '.join(columns)}) "
            f"VALUES ({', '.join('?' for _ in columns)})")


def _copied(table: str, row: dict[str, Any], copy: int, spans: dict[str, int],
            shift: timedelta, people: "People") -> tuple:
    """One template row as copy number ``copy``: new ids, unique keys, customer and times."""
    out = dict(row)
    out["id"] = row["id"] + copy * spans[table]
    for column, parent in (("event_id", "events"), ("run_id", "runs"),
                           ("delivery_id", "deliveries")):
        if column in out and isinstance(out[column], int) and parent != table:
            out[column] = out[column] + copy * spans[parent]
    if table == "events":
        out["delivery_id"] = f"{row['delivery_id']}~{copy}"
    elif table == "runs":
        out["trigger_key"] = f"{row['trigger_key']}~{copy}"
    elif table == "deliveries":
        out["idempotency_key"] = f"{row['idempotency_key']}~{copy}"
        out["order_key"] = f"{row['order_key']}~{copy}"
    if out.get("correlation_id"):
        out["correlation_id"] = f"{row['correlation_id'][:24]}{copy:08x}"
    if isinstance(out.get("profile_id"), str) and out["profile_id"] in people.ids:
        out["profile_id"] = people.renamed(out["profile_id"], copy)
    if table == "audit" and out.get("subject_id"):
        parent = SUBJECT_TABLES.get(out["subject_type"])
        if parent and out["subject_id"].isdigit():
            out["subject_id"] = str(int(out["subject_id"]) + copy * spans[parent])
        elif out["subject_id"] in people.ids:
            out["subject_id"] = people.renamed(out["subject_id"], copy)
    for column in ("data", "context", "inputs", "detail", "summary"):
        if isinstance(out.get(column), str):
            out[column] = people.rewrite(out[column], copy)
    if table == "audit" and isinstance(out.get("data"), str) and '"run_id"' in out["data"]:
        data = json.loads(out["data"])
        if isinstance(data.get("run_id"), int):
            data["run_id"] += copy * spans["runs"]
        out["data"] = json.dumps(data, separators=(",", ":"), sort_keys=True)
    for column in TIME_COLUMNS & out.keys():
        if out[column]:
            out[column] = _shifted(out[column], shift)
    if shift > SETTLED:  # what was still waiting in the template has long since happened
        if table == "waits" and out["status"] == "pending":
            out.update(status="fired", ended_at=out["due_at"], ended_by="due")
        elif table == "runs" and out["status"] == "waiting":
            out["status"] = "completed"
    return tuple(out.values())


def _shifted(stamp: str, shift: timedelta) -> str:
    from hub import clock

    if not shift:
        return stamp
    try:
        return clock.iso(clock.parse_iso(stamp) - shift)
    except ValueError:
        return stamp


class People:
    """The template's customers, and how copy ``n`` renames them (a new person per copy)."""

    def __init__(self, profiles: list[dict[str, Any]], identities: list[dict[str, Any]],
                 emails: list[str]) -> None:
        self.profiles = profiles
        self.identities = identities
        self.ids = {p["id"] for p in profiles}
        names = sorted({*self.ids, *emails}, key=len, reverse=True)
        self._pattern = re.compile("|".join(re.escape(n) for n in names)) if names else None

    @staticmethod
    def renamed(profile_id: str, copy: int) -> str:
        return f"{profile_id}x{copy}"

    @staticmethod
    def email(email: str, copy: int) -> str:
        local, _, domain = email.partition("@")
        return f"{local}.{copy}@{domain}"

    def rewrite(self, text: str, copy: int) -> str:
        """Every email and profile id of the template in ``text``, as copy ``copy`` has them."""
        if self._pattern is None or ("@" not in text and PROFILE_PREFIX not in text):
            return text
        return self._pattern.sub(
            lambda m: self.email(m[0], copy) if "@" in m[0] else self.renamed(m[0], copy), text)


def _people(db: sqlite3.Connection) -> People:
    profiles = [dict(r) for r in db.execute("SELECT * FROM profiles")]
    identities = [dict(r) for r in db.execute("SELECT * FROM identities")]
    emails = [i["value"] for i in identities if i["kind"] == "email"]
    db.execute("DELETE FROM profiles")
    db.execute("DELETE FROM identities")
    db.execute("DELETE FROM wishlist_index")
    return People(profiles, identities, emails)


def _copied_people(people: People, copy: int, shift: timedelta
                   ) -> Iterator[tuple[str, list[tuple]]]:
    profiles = []
    for p in people.profiles:
        profiles.append((people.renamed(p["id"], copy), _shifted(p["created_at"], shift),
                         _shifted(p["updated_at"], shift),
                         people.renamed(p["merged_into"], copy) if p["merged_into"] else None,
                         p["anonymous"], people.rewrite(p["search"], copy),
                         people.rewrite(p["data"], copy)))
    yield ("INSERT INTO profiles (id, created_at, updated_at, merged_into, anonymous, search,"
           " data) VALUES (?,?,?,?,?,?,?)", profiles)
    identities = []
    for i in people.identities:
        value = people.email(i["value"], copy) if i["kind"] == "email" else f"{i['value']}x{copy}"
        identities.append((i["kind"], value, people.renamed(i["profile_id"], copy),
                           _shifted(i["added_at"], shift)))
    yield "INSERT INTO identities (kind, value, profile_id, added_at) VALUES (?,?,?,?)", identities


if __name__ == "__main__":  # a look at the template: python -m bench.store_filler DIR
    from hub.simulators import Simulators
    from hub.simulators import SimulatorServer as Server

    with Server(Simulators(seed=7)) as running:
        print(build_template(Path(sys.argv[1]), running))
