"""Connected vendor accounts: validate the fields an adapter declares, encrypt the secret ones.

Secret values are encrypted before they reach the store, registered with ``hub.redact`` as
soon as they are read back, and shown to people only as their last four characters.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Mapping

from adapters import get_adapter_class
from adapters.base import Adapter
from adapters.http import Outcome
from hub import audit, clock
from hub.crypto import Vault
from hub.redact import last4, redact_text, register_secret
from hub.store import ConnectionRecord, Store


class ConnectionInvalid(ValueError):
    """The values given for a connection do not fit its adapter; the message says which."""


@dataclass(frozen=True)
class ConnectionView:
    """A connection as people may see it: settings in full, secrets as their last 4 chars."""

    id: str
    adapter: str
    title: str
    name: str
    settings: dict[str, Any]
    secrets_hint: dict[str, str]
    webhook_path: str
    enabled: bool
    created_at: str
    last_check_at: str | None
    last_check_ok: bool | None
    last_check_detail: str | None


def slug(text: str) -> str:
    value = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    if not value:
        raise ConnectionInvalid("the name must contain letters or digits")
    return value


def connection_id_for(adapter: str, name: str) -> str:
    """``twilio`` + ``main`` → ``twilio-main``: readable in URLs and logs, stable over time."""
    return f"{adapter}-{slug(name)}"


def validate_values(adapter_cls: type[Adapter], values: Mapping[str, str], *,
                    partial: bool = False) -> dict[str, str]:
    """Check values against the adapter's declared fields; fill defaults; reject unknown keys."""
    known = {f.name: f for f in adapter_cls.auth_fields}
    unknown = sorted(set(values) - set(known))
    if unknown:
        raise ConnectionInvalid(
            f"{adapter_cls.name} has no setting {', '.join(unknown)} "
            f"(it takes: {', '.join(known)})"
        )
    result: dict[str, str] = {}
    for name, field in known.items():
        value = values.get(name)
        if value in (None, ""):
            if field.default is not None and not partial:
                result[name] = field.default
            elif field.required and not partial:
                raise ConnectionInvalid(f"{field.title} ({name}) is required")
            continue
        if field.pattern and not re.fullmatch(field.pattern, str(value)):
            shown = "the value given" if field.secret else repr(value)
            raise ConnectionInvalid(f"{field.title} ({name}): {shown} is not in the expected form")
        result[name] = str(value)
    return result


def split_secrets(adapter_cls: type[Adapter], values: Mapping[str, str]) -> tuple[dict, dict]:
    secret_names = set(adapter_cls.secret_fields())
    plain = {k: v for k, v in values.items() if k not in secret_names}
    secret = {k: v for k, v in values.items() if k in secret_names}
    return plain, secret


def add_connection(store: Store, vault: Vault, adapter: str, name: str,
                   values: Mapping[str, str], *, actor: str = "cli") -> ConnectionRecord:
    adapter_cls = _adapter_class(adapter)
    cleaned = validate_values(adapter_cls, values)
    plain, secret = split_secrets(adapter_cls, cleaned)
    now = clock.now_iso()
    record = ConnectionRecord(
        id=connection_id_for(adapter, name), adapter=adapter, name=name, settings=plain,
        secrets=vault.encrypt(secret), created_at=now, updated_at=now,
    )
    try:
        store.add_connection(record)
    except KeyError:
        raise ConnectionInvalid(
            f"a connection named {record.id!r} already exists; choose another name"
        ) from None
    audit.record(store, "user", "connection", "add", "ok", actor_id=actor, subject_id=record.id,
                 detail=f"{adapter_cls.title} connection {name!r} added")
    return record


def update_connection(store: Store, vault: Vault, connection_id: str, values: Mapping[str, str],
                      *, actor: str = "cli") -> ConnectionRecord:
    """Change some fields; a secret left empty keeps its stored value."""
    record = get_record(store, connection_id)
    adapter_cls = _adapter_class(record.adapter)
    changes = validate_values(adapter_cls, {k: v for k, v in values.items() if v != ""}, partial=True)
    merged = {**record.settings, **vault.decrypt(record.secrets), **changes}
    validate_values(adapter_cls, merged)
    plain, secret = split_secrets(adapter_cls, merged)
    store.update_connection(connection_id, settings=plain, secrets=vault.encrypt(secret))
    audit.record(store, "user", "connection", "update", "ok", actor_id=actor,
                 subject_id=connection_id, detail=f"changed {', '.join(sorted(changes)) or 'nothing'}")
    return get_record(store, connection_id)


def remove_connection(store: Store, connection_id: str, *, actor: str = "cli") -> None:
    if not store.remove_connection(connection_id):
        raise ConnectionInvalid(f"no connection {connection_id!r}")
    audit.record(store, "user", "connection", "remove", "ok", actor_id=actor,
                 subject_id=connection_id)


def get_record(store: Store, connection_id: str) -> ConnectionRecord:
    record = store.get_connection(connection_id)
    if record is None:
        raise ConnectionInvalid(f"no connection {connection_id!r}")
    return record


def config_of(record: ConnectionRecord, vault: Vault) -> dict[str, Any]:
    """The full configuration (secrets decrypted and registered for redaction)."""
    secret = vault.decrypt(record.secrets)
    for value in secret.values():
        register_secret(str(value))
    return {**record.settings, **secret}


def view(record: ConnectionRecord, vault: Vault) -> ConnectionView:
    adapter_cls = _adapter_class(record.adapter)
    secret = vault.decrypt(record.secrets)
    return ConnectionView(
        id=record.id, adapter=record.adapter, title=adapter_cls.title, name=record.name,
        settings=record.settings, secrets_hint={k: last4(str(v)) for k, v in secret.items()},
        webhook_path=f"/hooks/{record.id}", enabled=record.enabled, created_at=record.created_at,
        last_check_at=record.last_check_at, last_check_ok=record.last_check_ok,
        last_check_detail=record.last_check_detail,
    )


def _adapter_class(name: str) -> type[Adapter]:
    try:
        return get_adapter_class(name)
    except KeyError as error:
        raise ConnectionInvalid(str(error.args[0])) from None


def check_connection(store: Store, adapter: Adapter, connection_id: str, *,
                     actor: str = "cli") -> Outcome:
    """Make the adapter's harmless test call and keep the result as the connection's last check.

    The summary is redacted before it is stored or shown: a vendor may echo a credential back.
    """
    outcome = adapter.test_connection()
    detail = redact_text(outcome.summary)[:500]
    store.update_connection(connection_id, last_check_at=clock.now_iso(),
                            last_check_ok=outcome.ok, last_check_detail=detail)
    audit.record(store, "user", "connection", "test", "ok" if outcome.ok else "failed",
                 actor_id=actor, subject_id=connection_id, detail=detail)
    return outcome
