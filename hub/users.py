"""People who sign in to the web UI: the owner and the staff the owner invites.

Passwords are hashed with scrypt (werkzeug), never stored or logged in clear. Sign-in
sessions are rows in the store, not just signed cookies, so signing out (or removing a
person) ends the session on every device at once. Failed sign-ins are counted per
account and address in the store, so the slow-down holds across every web process.

Two roles: ``owner`` may do everything; ``staff`` (a store associate) may look up customers
and read the activity log, nothing else — the web layer enforces it on the server.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from werkzeug.security import check_password_hash, generate_password_hash

from hub import audit, clock
from hub.crypto import derive_key

if TYPE_CHECKING:
    from hub.store import Store

ROLES = ("owner", "staff")
MIN_PASSWORD_LENGTH = 10
#: A session unused this long ends; one is never kept longer than ``SESSION_MAX``.
SESSION_IDLE = timedelta(hours=12)
SESSION_MAX = timedelta(days=14)
#: ``last_seen_at`` is written at most this often, so reading pages does not mean writing.
SESSION_TOUCH_EVERY = timedelta(minutes=5)
INVITE_VALID = timedelta(days=7)
#: Failed sign-ins allowed (per account and address) before each next try must wait.
FREE_FAILURES = 3
MAX_WAIT = timedelta(minutes=15)
#: Failures older than this are forgotten.
FAILURE_MEMORY = timedelta(hours=24)

# A fixed hash to check a password against when the email is unknown, so that an unknown
# email takes as long to refuse as a wrong password (no account discovery by timing).
_DUMMY_HASH = generate_password_hash("not-a-real-password-" + secrets.token_hex(8))


class UserInvalid(ValueError):
    """What was entered for an account cannot be used; the message says why, in plain words."""


class SignInRefused(Exception):
    """Sign-in refused; ``wait_seconds`` > 0 means "too many tries, wait this long"."""

    def __init__(self, message: str, wait_seconds: float = 0.0) -> None:
        super().__init__(message)
        self.wait_seconds = wait_seconds


@dataclass(frozen=True)
class User:
    """An account. ``password_hash`` is None until an invited person chooses a password."""

    id: int | None
    email: str
    name: str
    role: str
    created_at: str
    updated_at: str
    password_hash: str | None = None
    invite_hash: str | None = None
    invite_expires_at: str | None = None
    invited_by: int | None = None
    last_login_at: str | None = None

    @property
    def is_owner(self) -> bool:
        return self.role == "owner"

    @property
    def pending(self) -> bool:
        """Invited but has not chosen a password yet."""
        return self.password_hash is None

    def __repr__(self) -> str:
        # Hashes and invite digests stay out of logs and tracebacks.
        return f"User(id={self.id!r}, email={self.email!r}, role={self.role!r})"


@dataclass(frozen=True)
class UserSession:
    """A signed-in browser. The cookie holds a random token; the store holds its SHA-256."""

    token_hash: str
    user_id: int
    created_at: str
    last_seen_at: str
    expires_at: str


# -- values ------------------------------------------------------------------------------------
def normalise_email(text: str) -> str:
    email = text.strip().lower()
    local, _, domain = email.partition("@")
    if not local or "." not in domain or " " in email or len(email) > 254:
        raise UserInvalid("enter an email address like name@example.com")
    return email


def check_password_rules(password: str, *, email: str = "") -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserInvalid(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > 1024:
        raise UserInvalid("the password is too long (at most 1024 characters)")
    if email and password.strip().lower() == email.lower():
        raise UserInvalid("the password must not be your email address")


def hash_password(password: str) -> str:
    return generate_password_hash(password, method="scrypt")


def digest(token: str) -> str:
    """What the store keeps of a session or invite token: a leaked row cannot be replayed."""
    return hashlib.sha256(token.encode()).hexdigest()


def setup_code(secret_key: str) -> str:
    """The one-time code that proves whoever creates the owner account runs this hub.

    Derived from the master secret (never stored): it is in the log of ``hub serve`` and
    printed by ``hub users setup-code``, so a stranger who reaches a fresh hub's address
    first cannot claim it.
    """
    raw = derive_key(secret_key, "owner-setup")
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud, typed by hand
    chars = "".join(alphabet[b % len(alphabet)] for b in raw[:8])
    return f"{chars[:4]}-{chars[4:]}"


def setup_code_matches(secret_key: str, given: str) -> bool:
    cleaned = given.strip().upper().replace(" ", "")
    if len(cleaned) == 8:
        cleaned = f"{cleaned[:4]}-{cleaned[4:]}"
    return hmac.compare_digest(cleaned.encode(), setup_code(secret_key).encode())


# -- accounts ----------------------------------------------------------------------------------
def needs_owner(store: Store) -> bool:
    """True until the first (owner) account exists: the UI then offers only set-up."""
    return store.count_users() == 0


def create_owner(store: Store, email: str, name: str, password: str) -> User:
    """Create the first account. Refused once any account exists (two tabs, two processes)."""
    email = normalise_email(email)
    check_password_rules(password, email=email)
    now = clock.now_iso()
    user = User(id=None, email=email, name=name.strip()[:100], role="owner", created_at=now,
                updated_at=now, password_hash=hash_password(password))
    user_id = store.create_first_user(user)
    if user_id is None:
        raise UserInvalid("the owner account already exists: sign in instead")
    audit.record(store, "user", "user", "create-owner", "ok", actor_id=email,
                 subject_id=str(user_id), detail=f"owner account {email} created")
    return store.get_user(user_id)


def invite(store: Store, inviter: User, email: str, name: str, role: str = "staff") -> tuple[User, str]:
    """Create an account without a password; return it and the invite token for the link.

    The hub sends no email itself: the owner passes the link on (it works once, for a week).
    """
    if not inviter.is_owner:
        raise UserInvalid("only the owner can invite people")
    if role not in ROLES:
        raise UserInvalid(f"the role must be one of {', '.join(ROLES)}")
    email = normalise_email(email)
    token = secrets.token_urlsafe(24)
    now = clock.now()
    user = User(id=None, email=email, name=name.strip()[:100], role=role,
                created_at=clock.iso(now), updated_at=clock.iso(now), invite_hash=digest(token),
                invite_expires_at=clock.iso(now + INVITE_VALID), invited_by=inviter.id)
    try:
        user_id = store.create_user(user)
    except KeyError:
        raise UserInvalid(f"{email} already has an account") from None
    audit.record(store, "user", "user", "invite", "ok", actor_id=inviter.email,
                 subject_id=str(user_id), detail=f"invited {email} as {role}")
    return store.get_user(user_id), token


def reissue_invite(store: Store, user_id: int, *, actor: str) -> tuple[User, str]:
    """A fresh one-time link for an account: a new invite, or a forgotten password."""
    user = _require(store, user_id)
    token = secrets.token_urlsafe(24)
    store.update_user(user.id, invite_hash=digest(token),
                      invite_expires_at=clock.iso(clock.now() + INVITE_VALID))
    audit.record(store, "user", "user", "reissue-link", "ok", actor_id=actor,
                 subject_id=str(user.id), detail=f"new sign-in link for {user.email}")
    return _require(store, user_id), token


def user_for_invite(store: Store, token: str) -> User:
    user = store.get_user_by_invite(digest(token)) if token else None
    if user is None or not user.invite_expires_at or user.invite_expires_at < clock.now_iso():
        raise UserInvalid("this link is not valid any more: ask the owner for a new one")
    return user


def accept_invite(store: Store, token: str, password: str) -> User:
    """Set the password of an invited (or reset) account; the link then stops working."""
    user = user_for_invite(store, token)
    check_password_rules(password, email=user.email)
    store.update_user(user.id, password_hash=hash_password(password), invite_hash=None,
                      invite_expires_at=None)
    store.delete_user_sessions(user.id)
    audit.record(store, "user", "user", "set-password", "ok", actor_id=user.email,
                 subject_id=str(user.id), detail="password chosen from a one-time link")
    return _require(store, user.id)


def change_password(store: Store, user: User, current: str, new: str) -> None:
    if not user.password_hash or not check_password_hash(user.password_hash, current):
        raise UserInvalid("the current password is not right")
    check_password_rules(new, email=user.email)
    store.update_user(user.id, password_hash=hash_password(new))
    audit.record(store, "user", "user", "change-password", "ok", actor_id=user.email,
                 subject_id=str(user.id))


def remove_user(store: Store, actor: User, user_id: int) -> User:
    """Remove an account and end its sessions; the owner account cannot be removed."""
    user = _require(store, user_id)
    if user.is_owner:
        raise UserInvalid("the owner account cannot be removed")
    store.delete_user(user.id)
    audit.record(store, "user", "user", "remove", "ok", actor_id=actor.email,
                 subject_id=str(user.id), detail=f"removed {user.email}")
    return user


def _require(store: Store, user_id: int | None) -> User:
    user = store.get_user(user_id) if user_id is not None else None
    if user is None:
        raise UserInvalid("no such account")
    return user


# -- signing in --------------------------------------------------------------------------------
def throttle_key(email: str, address: str) -> str:
    return digest(f"{email.strip().lower()}|{address}")


def wait_after(failures: int) -> timedelta:
    """How long to wait after ``failures`` failed tries: nothing for the first few, then
    doubling from one second up to ``MAX_WAIT`` — a typo costs nothing, guessing costs days."""
    if failures < FREE_FAILURES:
        return timedelta(0)
    return min(timedelta(seconds=2 ** (failures - FREE_FAILURES)), MAX_WAIT)


def seconds_to_wait(store: Store, key: str) -> float:
    failures = store.get_login_failures(key, since=clock.iso(clock.now() - FAILURE_MEMORY))
    if failures is None:
        return 0.0
    count, last_at = failures
    until = clock.parse_iso(last_at) + wait_after(count)
    return max(0.0, (until - clock.now()).total_seconds())


def authenticate(store: Store, email: str, password: str, address: str) -> User:
    """The account for these credentials, or ``SignInRefused`` saying why (in general terms).

    While a wait is running the password is not even checked, so a guesser gains nothing
    by trying faster.
    """
    key = throttle_key(email, address)
    wait = seconds_to_wait(store, key)
    if wait > 0:
        raise SignInRefused(f"too many failed sign-ins: try again in {_plain_seconds(wait)}", wait)
    try:
        normalised = normalise_email(email)
    except UserInvalid:
        normalised = ""
    user = store.get_user_by_email(normalised) if normalised else None
    hashed = user.password_hash if user and user.password_hash else _DUMMY_HASH
    if not (check_password_hash(hashed, password) and user is not None and user.password_hash):
        count = store.record_login_failure(key, clock.now_iso(),
                                           forget_before=clock.iso(clock.now() - FAILURE_MEMORY))
        audit.record(store, "user", "user", "sign-in", "rejected", actor_id=normalised or None,
                     subject_id=str(user.id) if user else None,
                     detail=f"wrong email or password (failure {count} from this address)")
        wait = wait_after(count).total_seconds()
        if wait > 0:
            raise SignInRefused("wrong email or password; too many failed sign-ins: try again "
                                f"in {_plain_seconds(wait)}", wait)
        raise SignInRefused("wrong email or password")
    store.clear_login_failures(key)
    return user


def _plain_seconds(seconds: float) -> str:
    whole = max(1, round(seconds))
    if whole < 90:
        return f"{whole} second{'s' if whole != 1 else ''}"
    minutes = round(whole / 60)
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


def start_session(store: Store, user: User) -> str:
    """Record a new signed-in session; return the token for the cookie (shown nowhere else)."""
    token = secrets.token_urlsafe(32)
    now = clock.now()
    store.add_user_session(UserSession(
        token_hash=digest(token), user_id=user.id, created_at=clock.iso(now),
        last_seen_at=clock.iso(now), expires_at=clock.iso(now + SESSION_MAX),
    ))
    store.update_user(user.id, last_login_at=clock.iso(now))
    audit.record(store, "user", "user", "sign-in", "ok", actor_id=user.email,
                 subject_id=str(user.id))
    return token


def user_for_session(store: Store, token: str | None) -> User | None:
    """The signed-in account for a cookie token, or None if unknown, idle or expired."""
    if not token:
        return None
    token_hash = digest(token)
    found = store.get_user_session(token_hash)
    if found is None:
        return None
    now = clock.now()
    last_seen = clock.parse_iso(found.last_seen_at)
    if clock.iso(now) >= found.expires_at or now - last_seen >= SESSION_IDLE:
        store.delete_user_session(token_hash)
        return None
    if now - last_seen >= SESSION_TOUCH_EVERY:
        store.touch_user_session(token_hash, clock.iso(now))
    return store.get_user(found.user_id)


def end_session(store: Store, token: str | None, user: User | None = None) -> None:
    if token:
        store.delete_user_session(digest(token))
    if user is not None:
        audit.record(store, "user", "user", "sign-out", "ok", actor_id=user.email,
                     subject_id=str(user.id))
