"""Activity: everything the hub did, filterable and paged; one page per inbound event showing
each step and each send; Replay for sends that failed.

Staff may read all of it; only the owner may replay (checked here on the server, not just by
hiding the button).
"""

from __future__ import annotations

from flask import (Blueprint, abort, current_app, flash, redirect, render_template, request,
                   url_for)
from werkzeug.wrappers import Response

from web.access import current_user, safe_next, staff_allowed
from web.activity_feed import (OUTCOME_GROUPS, PERIODS, ActivityFilter, get_entry, read_page,
                               read_story)

bp = Blueprint("activity", __name__, url_prefix="/activity")

#: Outcomes offered in the filter, in the order people look for them.
FILTER_OUTCOMES = ("accepted", "delivered", "rejected", "dead", "failed", "error", "retrying",
                   "duplicate", "ok", "skipped", "cancelled", "waiting")
FAILED_STATUSES = ("dead", "unknown", "refused")


def _rt():
    return current_app.extensions["hub"]


def _filter() -> ActivityFilter:
    args = request.args
    period = args.get("period", "week")
    return ActivityFilter(
        outcome=args.get("outcome", "")[:40], actor=args.get("actor", "")[:40],
        recipe=args.get("recipe", "")[:100], customer=args.get("customer", "").strip()[:200],
        period=period if period in PERIODS else "week",
    )


@bp.get("/")
@staff_allowed
def index() -> str:
    rt = _rt()
    flt = _filter()
    page = read_page(rt.store, flt, before=request.args.get("before", type=int),
                     after=request.args.get("after", type=int), region=rt.settings.phone_region)
    args = {k: v for k, v in request.args.items() if k not in ("before", "after") and v}
    return render_template("activity/index.html", page=page, flt=flt, args=args,
                           periods=PERIODS, outcomes=FILTER_OUTCOMES, groups=OUTCOME_GROUPS,
                           instances=rt.store.list_instances())


@bp.get("/run/<correlation_id>")
@staff_allowed
def run(correlation_id: str) -> str:
    """One inbound event and all it caused: the event, the runs, their steps and sends."""
    story = read_story(_rt().store, correlation_id[:64])
    if story is None:
        abort(404)
    return render_template("activity/run.html", story=story, failed=FAILED_STATUSES)


@bp.get("/entry/<int:entry_id>")
@staff_allowed
def entry(entry_id: int) -> Response | str:
    found = get_entry(_rt().store, entry_id)
    if found is None:
        abort(404)
    if found.correlation_id and read_story(_rt().store, found.correlation_id):
        return redirect(url_for("activity.run", correlation_id=found.correlation_id))
    return render_template("activity/entry.html", entry=found)


@bp.get("/failed")
@staff_allowed
def failed() -> str:
    """Sends that did not go through (dead letters): the list to replay from."""
    rt = _rt()
    rows = rt.store.list_deliveries(status=FAILED_STATUSES, limit=200)
    return render_template("activity/failed.html", deliveries=rows)


@bp.post("/deliveries/<int:delivery_id>/replay")
def replay(delivery_id: int) -> Response:
    """Send a failed delivery again (owner only: the guard refuses staff)."""
    from hub.delivery import replay as replay_delivery

    rt = _rt()
    row = rt.store.get_delivery(delivery_id)
    if row is None:
        abort(404)
    if replay_delivery(rt, delivery_id, actor=current_user().email):
        flash("Queued to be sent again. It goes out within a few seconds.", "ok")
    else:
        flash(f"Not sent again: it is {row.status}, and only failed sends can be replayed.", "error")
    back = safe_next(request.form.get("next"))
    if back:
        return redirect(back)
    if row.correlation_id:
        return redirect(url_for("activity.run", correlation_id=row.correlation_id))
    return redirect(url_for("activity.failed"))
