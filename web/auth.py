"""Signing in and out, the first-start owner set-up, invitations, and the people page."""

from __future__ import annotations

from flask import (Blueprint, abort, current_app, flash, redirect, render_template, request,
                   session, url_for)
from werkzeug.wrappers import Response

from hub import users
from hub.users import SignInRefused, UserInvalid
from web.access import SESSION_KEY, current_user, safe_next, staff_allowed

bp = Blueprint("auth", __name__)


def _rt():
    return current_app.extensions["hub"]


def _sign_in(user: users.User) -> None:
    """A fresh session for every sign-in: an id planted before it is worth nothing after."""
    session.clear()
    session.permanent = True
    session[SESSION_KEY] = users.start_session(_rt().store, user)


def _landing(user: users.User) -> str:
    return url_for("dashboard.home") if user.is_owner else url_for("customers.search")


@bp.route("/setup", methods=["GET", "POST"])
def setup() -> Response | str:
    """First start: create the owner account (needs the set-up code from the hub's log)."""
    rt = _rt()
    if not users.needs_owner(rt.store):
        return redirect(url_for("auth.login"))
    values = {"email": request.form.get("email", ""), "name": request.form.get("name", "")}
    error = None
    if request.method == "POST":
        form = request.form
        try:
            if not users.setup_code_matches(rt.settings.secret_key, form.get("setup_code", "")):
                raise UserInvalid("the set-up code is not right: it is in the hub's log, "
                                  "or run `hub users setup-code`")
            if form.get("password", "") != form.get("password_again", ""):
                raise UserInvalid("the two passwords are not the same")
            owner = users.create_owner(rt.store, form.get("email", ""), form.get("name", ""),
                                       form.get("password", ""))
        except UserInvalid as invalid:
            error = str(invalid)
        else:
            _sign_in(owner)
            flash("Welcome! Your owner account is ready. Start by connecting your shop.", "ok")
            return redirect(url_for("dashboard.home"))
    return render_template("auth/setup.html", values=values, error=error), 400 if error else 200


@bp.route("/login", methods=["GET", "POST"])
def login() -> Response | str | tuple[str, int]:
    rt = _rt()
    if users.needs_owner(rt.store):
        return redirect(url_for("auth.setup"))
    next_url = safe_next(request.values.get("next"))
    email = request.form.get("email", "")
    if request.method == "POST":
        try:
            user = users.authenticate(rt.store, email, request.form.get("password", ""),
                                      request.remote_addr or "unknown")
        except SignInRefused as refused:
            status = 429 if refused.wait_seconds else 401
            response = render_template("auth/login.html", email=email, next=next_url,
                                       error=str(refused).capitalize())
            headers = {"Retry-After": str(int(refused.wait_seconds) + 1)} if refused.wait_seconds else {}
            return response, status, headers  # type: ignore[return-value]
        _sign_in(user)
        return redirect(next_url or _landing(user))
    return render_template("auth/login.html", email=email, next=next_url, error=None)


@bp.post("/logout")
@staff_allowed
def logout() -> Response:
    users.end_session(_rt().store, session.get(SESSION_KEY), current_user())
    session.clear()
    flash("You are signed out.", "ok")
    return redirect(url_for("auth.login"))


@bp.route("/invite/<token>", methods=["GET", "POST"])
def invite(token: str) -> Response | str | tuple[str, int]:
    """An invited person (or one who forgot the password) chooses a password."""
    store = _rt().store
    try:
        person = users.user_for_invite(store, token)
    except UserInvalid as invalid:
        return render_template("auth/invite.html", person=None, error=str(invalid)), 404
    error = None
    if request.method == "POST":
        try:
            if request.form.get("password", "") != request.form.get("password_again", ""):
                raise UserInvalid("the two passwords are not the same")
            person = users.accept_invite(store, token, request.form.get("password", ""))
        except UserInvalid as invalid:
            error = str(invalid)
        else:
            _sign_in(person)
            flash("Your password is set and you are signed in.", "ok")
            return redirect(_landing(person))
    return render_template("auth/invite.html", person=person, error=error), 400 if error else 200


@bp.route("/account", methods=["GET", "POST"])
@staff_allowed
def account() -> Response | str | tuple[str, int]:
    """Your own account: change the password (every role)."""
    error = None
    if request.method == "POST":
        form = request.form
        try:
            if form.get("new_password", "") != form.get("new_password_again", ""):
                raise UserInvalid("the two new passwords are not the same")
            users.change_password(_rt().store, current_user(), form.get("current_password", ""),
                                  form.get("new_password", ""))
        except UserInvalid as invalid:
            error = str(invalid)
        else:
            flash("Your password is changed.", "ok")
            return redirect(url_for("auth.account"))
    return render_template("auth/account.html", error=error), 400 if error else 200


@bp.get("/people")
def people() -> str:
    """The owner's list of accounts, with invitations still open."""
    return render_template("auth/people.html", people=_rt().store.list_users(), link=None,
                           error=None, values={})


@bp.post("/people/invite")
def invite_person() -> str | tuple[str, int]:
    store = _rt().store
    form = request.form
    try:
        person, token = users.invite(store, current_user(), form.get("email", ""),
                                     form.get("name", ""), "staff")
    except UserInvalid as invalid:
        return render_template("auth/people.html", people=store.list_users(), link=None,
                               error=str(invalid), values=form), 400
    return render_template("auth/people.html", people=store.list_users(), error=None,
                           link={"person": person, "url": _invite_url(token)}, values={})


@bp.post("/people/<int:user_id>/link")
def new_link(user_id: int) -> str:
    """A fresh one-time link: for an invitation that expired, or a forgotten password."""
    store = _rt().store
    try:
        person, token = users.reissue_invite(store, user_id, actor=current_user().email)
    except UserInvalid:
        abort(404)
    return render_template("auth/people.html", people=store.list_users(), error=None,
                           link={"person": person, "url": _invite_url(token)}, values={})


@bp.post("/people/<int:user_id>/remove")
def remove_person(user_id: int) -> Response:
    try:
        removed = users.remove_user(_rt().store, current_user(), user_id)
    except UserInvalid as invalid:
        flash(str(invalid).capitalize() + ".", "error")
    else:
        flash(f"{removed.email} can no longer sign in.", "ok")
    return redirect(url_for("auth.people"))


def _invite_url(token: str) -> str:
    return url_for("auth.invite", token=token, _external=True)
