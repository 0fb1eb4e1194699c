"""The owner's start page: are my connections healthy, which recipes run, what happened lately,
and what needs me now (failed sends, failing connections, recipes with errors)."""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from flask import Blueprint, current_app, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from hub import connections as hub_connections
from web import chart
from web.access import current_user, staff_allowed

bp = Blueprint("dashboard", __name__)

NEEDS_ATTENTION_RUNS = 200


@dataclass(frozen=True)
class Attention:
    """One thing the owner should look at, with where to go about it."""

    text: str
    link: str
    tone: str = "bad"


def _rt():
    return current_app.extensions["hub"]


@bp.get("/")
@staff_allowed
def home() -> Response | str:
    """Owners get the dashboard; staff land on customer look-up, the part that is theirs."""
    if not current_user().is_owner:
        return redirect(url_for("customers.search"))
    rt = _rt()
    store = rt.store
    span = request.args.get("range", "day")
    span = span if span in ("day", "week") else "day"
    zone = ZoneInfo(rt.settings.timezone)
    rows = store.count_audit_by_hour(chart.since_for(span, zone))
    data = chart.buckets(rows, span=span, zone=zone)
    title = "Activity in the last 24 hours" if span == "day" else "Activity in the last 7 days"
    connections = [hub_connections.view(r, rt.vault) for r in store.list_connections()]
    instances = store.list_instances()
    return render_template(
        "dashboard.html", span=span, chart_svg=chart.render_svg(data, title=title),
        chart_data=data, series=chart.SERIES, chart_title=title,
        totals={key: sum(b.counts[key] for b in data) for key, _ in chart.SERIES},
        connections=connections, enabled=[i for i in instances if i.enabled],
        disabled_count=sum(1 for i in instances if not i.enabled),
        attention=needs_attention(store, connections, instances),
    )


def needs_attention(store, connections, instances) -> list[Attention]:
    items: list[Attention] = []
    failed_sends = store.list_deliveries(status=("dead", "unknown"), limit=500)
    if failed_sends:
        count = len(failed_sends)
        items.append(Attention(
            f"{count}{'+' if count >= 500 else ''} send{'s' if count != 1 else ''} did not go "
            "through and wait for a replay", url_for("activity.failed")))
    for view in connections:
        if view.last_check_ok is False:
            items.append(Attention(f"{view.title} · {view.name} failed its last test: "
                                   f"{view.last_check_detail or 'no answer'}",
                                   url_for("connections.detail", connection_id=view.id)))
        elif view.last_check_ok is None:
            items.append(Attention(f"{view.title} · {view.name} has not been tested yet",
                                   url_for("connections.detail", connection_id=view.id), "warn"))
    names = {i.id: i.name for i in instances}
    errors: dict[str, int] = {}
    for run in store.list_runs(status="failed", limit=NEEDS_ATTENTION_RUNS):
        errors[run.instance_id] = errors.get(run.instance_id, 0) + 1
    for instance_id, count in errors.items():
        items.append(Attention(
            f"Recipe “{names.get(instance_id, instance_id)}” failed {count} time"
            f"{'s' if count != 1 else ''} recently",
            url_for("activity.index", recipe=instance_id, outcome="problems")))
    stuck = store.count_events(status="failed")
    if stuck:
        items.append(Attention(f"{stuck} incoming event{'s' if stuck != 1 else ''} could not be "
                               "handled", url_for("activity.index", actor="system",
                                                  outcome="error")))
    return items
