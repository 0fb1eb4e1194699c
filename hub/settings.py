"""Every setting in one typed object, read once from ``HUB_*`` environment variables.

Each field documents itself in ``SETTINGS`` (name, default, meaning); ``docs/settings.md`` is
checked against that table by ``tests/test_docs.py``, so a new setting cannot go undocumented.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Mapping


class SettingsError(ValueError):
    """A setting has a value the hub cannot use; the message names the variable."""


@dataclass(frozen=True)
class Settings:
    data_dir: Path = Path("data")
    database: Path | None = None
    secret_key: str | None = None
    public_url: str = "http://127.0.0.1:8000"
    host: str = "127.0.0.1"
    port: int = 8000
    web_workers: int = 2
    max_body_bytes: int = 1024 * 1024
    sqlite_synchronous: str = "FULL"
    busy_timeout_ms: int = 10_000
    audit_retention_days: int = 90
    event_retention_days: int = 90
    delivery_max_attempts: int = 25
    delivery_max_age_hours: float = 24.0
    lease_seconds: float = 60.0
    worker_poll_seconds: float = 0.5
    timezone: str = "UTC"
    phone_region: str = "US"
    quiet_hours: str = "21:00-09:00"
    log_level: str = "INFO"
    log_format: str = "json"
    clock_speed: float = 1.0
    clock_epoch: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def database_path(self) -> Path:
        return self.database or self.data_dir / "hub.db"

    @property
    def secret_key_path(self) -> Path:
        return self.data_dir / "secret.key"

    def with_overrides(self, **changes: Any) -> "Settings":
        return replace(self, **{k: v for k, v in changes.items() if v is not None})


# name -> (environment variable, meaning). Order is the order of docs/settings.md.
SETTINGS: dict[str, tuple[str, str]] = {
    "data_dir": ("HUB_DATA_DIR", "Folder for the SQLite file, the secret key file and logs."),
    "database": ("HUB_DATABASE", "Path of the SQLite file (default: DATA_DIR/hub.db)."),
    "secret_key": (
        "HUB_SECRET_KEY",
        "Master secret for sessions and for encrypting credentials. If unset, one is generated "
        "into DATA_DIR/secret.key (mode 0600), never into the database.",
    ),
    "public_url": (
        "HUB_PUBLIC_URL",
        "The address vendors use to reach the hub (scheme, host, port). Twilio and HubSpot sign "
        "the URL they call, so behind a proxy this must be the public one.",
    ),
    "host": ("HUB_HOST", "Interface `hub serve` listens on."),
    "port": ("HUB_PORT", "Port `hub serve` listens on."),
    "web_workers": ("HUB_WEB_WORKERS", "Number of web (gunicorn) processes."),
    "max_body_bytes": ("HUB_MAX_BODY_BYTES", "Largest webhook body accepted; larger gets 413."),
    "sqlite_synchronous": (
        "HUB_SQLITE_SYNCHRONOUS",
        "SQLite `synchronous` pragma: FULL survives power loss, NORMAL only process crashes.",
    ),
    "busy_timeout_ms": ("HUB_BUSY_TIMEOUT_MS", "How long a writer waits for the SQLite lock."),
    "audit_retention_days": ("HUB_AUDIT_RETENTION_DAYS", "Audit entries older than this are pruned."),
    "event_retention_days": (
        "HUB_EVENT_RETENTION_DAYS",
        "Processed events older than this are pruned (their audit entries stay until their own "
        "retention).",
    ),
    "delivery_max_attempts": (
        "HUB_DELIVERY_MAX_ATTEMPTS",
        "Attempts before an outbound call becomes a dead letter (with the backoff of 2 s "
        "doubling to 30 min, about 8 hours of a vendor being down).",
    ),
    "delivery_max_age_hours": (
        "HUB_DELIVERY_MAX_AGE_HOURS",
        "Age after which an undelivered outbound call becomes a dead letter.",
    ),
    "lease_seconds": (
        "HUB_LEASE_SECONDS",
        "How long a worker's claim on an event or delivery lasts before another may take it.",
    ),
    "worker_poll_seconds": ("HUB_WORKER_POLL_SECONDS", "How often an idle worker looks for work."),
    "timezone": ("HUB_TIMEZONE", "The shop's time zone (IANA name), used for quiet hours."),
    "phone_region": (
        "HUB_PHONE_REGION",
        "Region assumed for phone numbers written without a country code (ISO 3166 code).",
    ),
    "quiet_hours": (
        "HUB_QUIET_HOURS",
        "No marketing SMS between these local times (HH:MM-HH:MM); sends wait for the morning.",
    ),
    "log_level": ("HUB_LOG_LEVEL", "DEBUG, INFO, WARNING or ERROR."),
    "log_format": ("HUB_LOG_FORMAT", "`json` (one object per line) or `text`."),
    "clock_speed": (
        "HUB_CLOCK_SPEED",
        "Demo only: how many times faster than real time the hub's clock runs.",
    ),
    "clock_epoch": (
        "HUB_CLOCK_EPOCH",
        "Demo only: the real moment (ISO 8601) from which a sped-up clock counts.",
    ),
}

_TYPES = {f.name: f.type for f in fields(Settings)}


def _convert(name: str, raw: str) -> Any:
    kind = _TYPES[name]
    env = SETTINGS[name][0]
    try:
        if kind in ("int",):
            return int(raw)
        if kind in ("float",):
            return float(raw)
        if kind in ("Path", "Path | None"):
            return Path(raw)
    except ValueError:
        raise SettingsError(f"{env}={raw!r} is not a valid {kind}") from None
    return raw


def from_env(environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
    """Read settings from the environment; keyword overrides (e.g. CLI options) win."""
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for name, (env, _) in SETTINGS.items():
        if env in environ and environ[env] != "":
            values[name] = _convert(name, environ[env])
    settings = Settings(**values).with_overrides(**overrides)
    validate(settings)
    return settings


def validate(settings: Settings) -> None:
    if settings.sqlite_synchronous.upper() not in ("FULL", "NORMAL", "EXTRA"):
        raise SettingsError("HUB_SQLITE_SYNCHRONOUS must be FULL, NORMAL or EXTRA")
    if settings.max_body_bytes < 1024:
        raise SettingsError("HUB_MAX_BODY_BYTES must be at least 1024")
    if settings.log_format not in ("json", "text"):
        raise SettingsError("HUB_LOG_FORMAT must be json or text")
    if not settings.public_url.startswith(("http://", "https://")):
        raise SettingsError("HUB_PUBLIC_URL must start with http:// or https://")
    from zoneinfo import ZoneInfoNotFoundError

    from hub.quiet_hours import QuietHours, QuietHoursInvalid

    try:
        QuietHours.parse(settings.quiet_hours, settings.timezone)
    except ZoneInfoNotFoundError:
        raise SettingsError(f"HUB_TIMEZONE={settings.timezone!r} is not an IANA time zone "
                            "(e.g. America/New_York)") from None
    except QuietHoursInvalid as error:
        raise SettingsError(f"HUB_QUIET_HOURS: {error}") from None


def ensure_secret_key(settings: Settings) -> Settings:
    """Return settings with a secret key, creating ``DATA_DIR/secret.key`` on first start.

    The key lives in a file (mode 0600) beside the database, never inside it, so a copy of
    the database alone does not reveal the credentials it holds.
    """
    if settings.secret_key:
        return settings
    path = settings.secret_key_path
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        # Write aside, then link into place: the link is atomic, so a process starting at the
        # same moment reads either no file or the whole key, never a half-written one.
        tmp = path.with_name(f".secret.key.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(48) + "\n")
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    key = path.read_text().strip()
    if not key:
        raise SettingsError(f"{path} is empty: delete it to generate a new key")
    return replace(settings, secret_key=key)
