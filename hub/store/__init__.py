"""The store: everything the hub persists, behind the ``Store`` interface.

``open_store(settings)`` returns the configured backend; today that is the embedded SQLite
file. Code outside this package never writes SQL.
"""

from __future__ import annotations

from hub.settings import Settings
from hub.store.interface import Store, StoreUnavailable
from hub.store.records import (
    Attempt,
    AuditEntry,
    AuditQuery,
    ConnectionRecord,
    Delivery,
    DeliveryUpdate,
    Instance,
    NewDelivery,
    NewEvent,
    RecordOutcome,
    Run,
    StoredEvent,
    TimelineEntry,
    Wait,
)

__all__ = [
    "Attempt", "AuditEntry", "AuditQuery", "ConnectionRecord", "Delivery", "DeliveryUpdate",
    "Instance", "NewDelivery", "NewEvent", "RecordOutcome", "Run", "Store", "StoreUnavailable",
    "StoredEvent", "TimelineEntry", "Wait", "open_store",
]


def open_store(settings: Settings, *, migrate: bool = True) -> Store:
    """Open the configured store, applying pending schema steps unless told not to."""
    from hub.store.sqlite import SqliteStore

    store = SqliteStore(
        settings.database_path,
        synchronous=settings.sqlite_synchronous,
        busy_timeout_ms=settings.busy_timeout_ms,
    )
    if migrate:
        store.migrate()
    return store
