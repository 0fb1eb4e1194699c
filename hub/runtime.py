"""What a running hub process holds: settings, the store, the vault, live adapters.

Built once per process by ``open_runtime``; the web app, the CLI and the workers all take
one and pass it down, so nothing reads settings or opens the store on its own.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from adapters.base import Adapter
from hub import clock, connections
from hub.crypto import Vault
from hub.settings import Settings, ensure_secret_key
from hub.store import ConnectionRecord, Store, open_store


@dataclass
class Runtime:
    settings: Settings
    store: Store
    vault: Vault
    _adapters: dict[str, tuple[str, Adapter]] = field(default_factory=dict, repr=False)
    _records: dict[str, tuple[float, ConnectionRecord | None]] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    #: How long a looked-up connection is reused. Reading it for every webhook made readers
    #: contend for SQLite's WAL read marks under load; a change (new secret, disabled) takes
    #: effect within this many seconds.
    connection_cache_seconds: float = 1.0

    def connection(self, connection_id: str) -> ConnectionRecord | None:
        """The connection record, from a cache at most ``connection_cache_seconds`` old."""
        now = time.monotonic()
        cached = self._records.get(connection_id)
        if cached and now - cached[0] < self.connection_cache_seconds:
            return cached[1]
        record = self.store.get_connection(connection_id)
        with self._lock:
            if len(self._records) > 1000:
                self._records.clear()
            self._records[connection_id] = (now, record)
        return record

    def adapter_for(self, record: ConnectionRecord) -> Adapter:
        """The live adapter of a connection, rebuilt only when the connection changed.

        Kept per process so each connection reuses one HTTP session (keep-alive) and the
        credentials are decrypted once, not on every webhook.
        """
        with self._lock:
            cached = self._adapters.get(record.id)
            if cached and cached[0] == record.updated_at:
                return cached[1]
        from adapters import get_adapter_class

        adapter = get_adapter_class(record.adapter)(
            connections.config_of(record, self.vault),
            connection_id=record.id, public_url=self.settings.public_url,
        )
        with self._lock:
            self._adapters[record.id] = (record.updated_at, adapter)
        return adapter


def open_runtime(settings: Settings, *, migrate: bool = True) -> Runtime:
    settings = ensure_secret_key(settings)
    if settings.clock_speed != 1.0:
        epoch = clock.parse_iso(settings.clock_epoch) if settings.clock_epoch else None
        clock.configure(settings.clock_speed, epoch)
    store = open_store(settings, migrate=migrate)
    assert settings.secret_key
    return Runtime(settings=settings, store=store, vault=Vault(settings.secret_key))
