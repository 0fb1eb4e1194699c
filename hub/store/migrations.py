"""Ordered, named schema steps for the SQLite store.

Each step runs in a transaction together with the record that it ran (sqlite-utils'
``Migrations``), at start-up and by ``hub db migrate``. Never edit a step that has shipped:
add a new one below it.
"""

from __future__ import annotations

import sqlite_utils
from sqlite_utils.migrations import Migrations

migrations = Migrations("hub")


def run_statements(db: sqlite_utils.Database, script: str) -> None:
    """Run statements separated by lines holding only ``--;``.

    ``sqlite3.executescript`` would commit the surrounding transaction first, so a step that
    failed half-way could not roll back; plain ``execute`` per statement keeps it atomic.
    """
    for statement in script.split("--;"):
        if statement.strip():
            db.execute(statement)


@migrations(name="0001_events_audit_connections")
def _events_audit_connections(db: sqlite_utils.Database) -> None:
    run_statements(
        db,
        """
        CREATE TABLE events (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            connection_id TEXT NOT NULL,
            adapter TEXT NOT NULL,
            topic TEXT NOT NULL,
            delivery_id TEXT NOT NULL,
            source TEXT NOT NULL,
            received_at TEXT NOT NULL,
            occurred_at TEXT,
            headers TEXT NOT NULL DEFAULT '{}',
            body BLOB NOT NULL,
            content_type TEXT NOT NULL DEFAULT 'application/json',
            correlation_id TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'new',
            attempts INTEGER NOT NULL DEFAULT 0,
            lease_owner TEXT,
            lease_until TEXT,
            processed_at TEXT,
            error TEXT,
            UNIQUE (connection_id, delivery_id)
        )
        --;
        CREATE INDEX events_queue ON events (status, id) WHERE status = 'new'
        --;
        CREATE INDEX events_received ON events (received_at)
        --;
        CREATE INDEX events_connection ON events (connection_id, id)
        --;

        CREATE TABLE audit (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            at TEXT NOT NULL,
            actor_type TEXT NOT NULL,
            actor_id TEXT,
            subject_type TEXT NOT NULL,
            subject_id TEXT,
            action TEXT NOT NULL,
            outcome TEXT NOT NULL,
            detail TEXT NOT NULL DEFAULT '',
            correlation_id TEXT,
            data TEXT
        )
        --;
        CREATE INDEX audit_at ON audit (at)
        --;
        CREATE INDEX audit_subject ON audit (subject_type, subject_id, id)
        --;
        CREATE INDEX audit_outcome ON audit (outcome, id)
        --;
        CREATE INDEX audit_correlation ON audit (correlation_id, id)
        --;
        CREATE INDEX audit_actor ON audit (actor_type, actor_id, id)
        --;
        CREATE TRIGGER audit_append_only BEFORE UPDATE ON audit
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
        --;

        CREATE TABLE connections (
            id TEXT PRIMARY KEY,
            adapter TEXT NOT NULL,
            name TEXT NOT NULL,
            settings TEXT NOT NULL DEFAULT '{}',
            secrets TEXT NOT NULL,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            enabled INTEGER NOT NULL DEFAULT 1,
            last_check_at TEXT,
            last_check_ok INTEGER,
            last_check_detail TEXT
        )
        --;

        CREATE TABLE leases (
            name TEXT PRIMARY KEY,
            owner TEXT NOT NULL,
            until TEXT NOT NULL
        )
        --;

        CREATE TABLE state (
            scope TEXT NOT NULL,
            key TEXT NOT NULL,
            value TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            PRIMARY KEY (scope, key)
        )
        --;
        """
    )


@migrations(name="0002_profiles")
def _profiles(db: sqlite_utils.Database) -> None:
    run_statements(
        db,
        """
        CREATE TABLE profiles (
            id TEXT PRIMARY KEY,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            merged_into TEXT,
            anonymous INTEGER NOT NULL DEFAULT 1,
            search TEXT NOT NULL DEFAULT '',
            data TEXT NOT NULL
        )
        --;
        CREATE INDEX profiles_recent ON profiles (updated_at) WHERE merged_into IS NULL
        --;
        CREATE TABLE identities (
            kind TEXT NOT NULL,
            value TEXT NOT NULL,
            profile_id TEXT NOT NULL,
            added_at TEXT NOT NULL,
            PRIMARY KEY (kind, value)
        )
        --;
        CREATE INDEX identities_profile ON identities (profile_id)
        --;
        CREATE TABLE wishlist_index (
            variant_id TEXT NOT NULL,
            profile_id TEXT NOT NULL,
            PRIMARY KEY (variant_id, profile_id)
        )
        --;
        CREATE INDEX wishlist_index_profile ON wishlist_index (profile_id)
        --;
        CREATE TABLE timeline (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            profile_id TEXT NOT NULL,
            at TEXT NOT NULL,
            event_name TEXT NOT NULL,
            channel TEXT,
            summary TEXT NOT NULL,
            event_id INTEGER,
            correlation_id TEXT
        )
        --;
        CREATE INDEX timeline_profile ON timeline (profile_id, at, id)
        --;
        """
    )


@migrations(name="0003_engine")
def _engine(db: sqlite_utils.Database) -> None:
    """Recipe instances, runs, stored waits, the delivery outbox and its attempts, pacing."""
    run_statements(
        db,
        """
        CREATE TABLE instances (
            id TEXT PRIMARY KEY,
            recipe_id TEXT NOT NULL,
            name TEXT NOT NULL,
            params TEXT NOT NULL DEFAULT '{}',
            connections TEXT NOT NULL DEFAULT '{}',
            recipe TEXT NOT NULL,
            recipe_digest TEXT NOT NULL,
            enabled INTEGER NOT NULL DEFAULT 1,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        )
        --;
        CREATE TABLE runs (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            instance_id TEXT NOT NULL,
            recipe_id TEXT NOT NULL,
            trigger_key TEXT NOT NULL,
            event_id INTEGER,
            profile_id TEXT,
            status TEXT NOT NULL,
            steps TEXT NOT NULL DEFAULT '[]',
            context TEXT NOT NULL DEFAULT '{}',
            error TEXT,
            correlation_id TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            UNIQUE (instance_id, trigger_key)
        )
        --;
        CREATE INDEX runs_event ON runs (event_id)
        --;
        CREATE INDEX runs_recent ON runs (status, id)
        --;
        CREATE INDEX runs_instance ON runs (instance_id, id)
        --;
        CREATE TABLE waits (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            run_id INTEGER NOT NULL UNIQUE,
            instance_id TEXT NOT NULL,
            resume_at INTEGER NOT NULL,
            due_at TEXT NOT NULL,
            cancel_event TEXT,
            cancel_key TEXT,
            profile_id TEXT,
            status TEXT NOT NULL DEFAULT 'pending',
            lease_owner TEXT,
            lease_until TEXT,
            created_at TEXT NOT NULL,
            ended_at TEXT,
            ended_by TEXT
        )
        --;
        CREATE INDEX waits_due ON waits (due_at) WHERE status = 'pending'
        --;
        CREATE INDEX waits_cancel_key ON waits (cancel_event, cancel_key) WHERE status = 'pending'
        --;
        CREATE INDEX waits_cancel_profile ON waits (cancel_event, profile_id)
            WHERE status = 'pending'
        --;
        CREATE TABLE deliveries (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            idempotency_key TEXT NOT NULL UNIQUE,
            run_id INTEGER,
            instance_id TEXT,
            step_id TEXT,
            connection_id TEXT NOT NULL,
            adapter TEXT NOT NULL,
            action TEXT NOT NULL,
            inputs TEXT NOT NULL,
            profile_id TEXT,
            order_key TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'pending',
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt_at TEXT NOT NULL,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            last_summary TEXT,
            last_status_code INTEGER,
            external_id TEXT,
            vendor_status TEXT,
            result TEXT,
            correlation_id TEXT,
            lease_owner TEXT,
            lease_until TEXT
        )
        --;
        CREATE INDEX deliveries_due ON deliveries (next_attempt_at, id) WHERE status = 'pending'
        --;
        CREATE INDEX deliveries_order ON deliveries (order_key, id) WHERE status = 'pending'
        --;
        CREATE INDEX deliveries_status ON deliveries (status, id)
        --;
        CREATE INDEX deliveries_run ON deliveries (run_id)
        --;
        CREATE INDEX deliveries_external ON deliveries (external_id) WHERE external_id IS NOT NULL
        --;
        CREATE TABLE attempts (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            delivery_id INTEGER NOT NULL,
            at TEXT NOT NULL,
            kind TEXT NOT NULL,
            status_code INTEGER,
            summary TEXT NOT NULL,
            duration_ms INTEGER,
            request TEXT,
            response TEXT
        )
        --;
        CREATE INDEX attempts_delivery ON attempts (delivery_id, id)
        --;
        CREATE TABLE pacing (
            key TEXT PRIMARY KEY,
            tat REAL NOT NULL
        )
        --;
        CREATE TABLE seen_keys (
            event_name TEXT NOT NULL,
            key TEXT NOT NULL,
            at TEXT NOT NULL,
            PRIMARY KEY (event_name, key)
        )
        --;
        """
    )


@migrations(name="0005_users")
def _users(db: sqlite_utils.Database) -> None:
    """Web UI accounts, their signed-in sessions, and failed sign-in counters."""
    run_statements(
        db,
        """
        CREATE TABLE users (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            email TEXT NOT NULL UNIQUE,
            name TEXT NOT NULL DEFAULT '',
            role TEXT NOT NULL CHECK (role IN ('owner', 'staff')),
            password_hash TEXT,
            invite_hash TEXT UNIQUE,
            invite_expires_at TEXT,
            invited_by INTEGER,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            last_login_at TEXT
        )
        --;
        CREATE TABLE user_sessions (
            token_hash TEXT PRIMARY KEY,
            user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
            created_at TEXT NOT NULL,
            last_seen_at TEXT NOT NULL,
            expires_at TEXT NOT NULL
        )
        --;
        CREATE INDEX user_sessions_user ON user_sessions (user_id)
        --;
        CREATE TABLE login_failures (
            key TEXT PRIMARY KEY,
            failures INTEGER NOT NULL,
            last_failed_at TEXT NOT NULL
        )
        --;
        """
    )


@migrations(name="0006_pacing_log")
def _pacing_log(db: sqlite_utils.Database) -> None:
    """Pacing by sliding-window log instead of a token bucket (``take_pacing_slot``): the
    last ``count`` send times per limit, so no window of a vendor's length holds more."""
    run_statements(
        db,
        """
        CREATE TABLE pacing_log (
            key TEXT NOT NULL,
            seq INTEGER NOT NULL,
            at REAL NOT NULL,
            PRIMARY KEY (key, seq)
        ) WITHOUT ROWID
        --;
        DROP TABLE pacing
        --;
        """
    )


@migrations(name="0007_growth_indexes")
def _growth_indexes(db: sqlite_utils.Database) -> None:
    """Indexes bench.growth showed missing with a million events (docs/performance.md):
    the dashboard counted failed events by reading every event (0.4 s), one event's page
    found its runs by reading every run (0.1 s), and the activity chart looked up each
    entry of the week in the table; its index now holds the columns the chart counts."""
    run_statements(
        db,
        """
        CREATE INDEX events_failed ON events (id) WHERE status = 'failed'
        --;
        CREATE INDEX runs_correlation ON runs (correlation_id)
        --;
        DROP INDEX audit_at
        --;
        CREATE INDEX audit_at ON audit (at, actor_type, outcome)
        --;
        """
    )
