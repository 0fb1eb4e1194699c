"""Customers: find a person by email, phone or name; see everything every channel knows.

The view a store associate needs at the counter: who they are (every identity), whether
they may be emailed or texted, what is in their cart and wishlist, what they bought, and
the timeline across channels. Open to staff; nothing here changes anything.
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from hub.customers import CustomerNotFound, find_customer, search_customers
from web.access import staff_allowed

bp = Blueprint("customers", __name__, url_prefix="/customers")

TIMELINE_PAGE = 50


def _rt():
    return current_app.extensions["hub"]


@bp.get("/")
@staff_allowed
def search() -> Response | str:
    """Search; an exact email or phone that names one person goes straight to their page."""
    rt = _rt()
    query = request.args.get("q", "").strip()[:200]
    if query and not request.headers.get("HX-Request"):
        try:
            exact = find_customer(rt.store, query, region=rt.settings.phone_region)
        except CustomerNotFound:
            exact = None
        if exact is not None:
            return redirect(url_for("customers.profile", profile_id=exact.id))
    results = search_customers(rt.store, query, limit=30)
    template = "customers/_results.html" if request.headers.get("HX-Request") else "customers/search.html"
    return render_template(template, query=query, results=results)


@bp.get("/<profile_id>")
@staff_allowed
def profile(profile_id: str) -> Response | str:
    rt = _rt()
    person = rt.store.get_profile(profile_id)
    if person is None:
        abort(404)
    if person.id != profile_id:
        # An absorbed profile's address keeps working: show the one it was merged into.
        return redirect(url_for("customers.profile", profile_id=person.id))
    before = request.args.get("before", type=int)
    timeline = rt.store.list_timeline(person.id, limit=TIMELINE_PAGE + 1, before_id=before)
    more = len(timeline) > TIMELINE_PAGE
    timeline = timeline[:TIMELINE_PAGE]
    return render_template("customers/profile.html", person=person, data=person.to_dict(),
                           timeline=timeline,
                           older=timeline[-1].id if more and timeline else None)
