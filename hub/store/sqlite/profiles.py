"""Customer profiles, their identities, the wishlist index and the timeline."""

from __future__ import annotations

import json
import sqlite3
from typing import Iterable

from hub import clock
from hub.identity import PERSONAL_KINDS, Identity
from hub.profiles import Profile
from hub.store.records import TimelineEntry
from hub.store.sqlite.base import SqliteBase, dumps


def _timeline(row: sqlite3.Row) -> TimelineEntry:
    return TimelineEntry(id=row["id"], profile_id=row["profile_id"], at=row["at"],
                         event_name=row["event_name"], channel=row["channel"],
                         summary=row["summary"], event_id=row["event_id"],
                         correlation_id=row["correlation_id"])


class ProfilesMixin(SqliteBase):
    def _resolve(self, profile_id: str) -> str:
        """Follow merges: an absorbed profile's id keeps resolving to its survivor."""
        seen = set()
        while profile_id not in seen:
            seen.add(profile_id)
            rows = self._query("SELECT merged_into FROM profiles WHERE id = ?", (profile_id,))
            if not rows or rows[0][0] is None:
                return profile_id
            profile_id = rows[0][0]
        return profile_id

    def find_profile_ids(self, identities: Iterable[Identity]) -> list[str]:
        ids: list[str] = []
        for kind, value in identities:
            rows = self._query("SELECT profile_id FROM identities WHERE kind = ? AND value = ?",
                               (kind, value))
            if rows:
                resolved = self._resolve(rows[0][0])
                if resolved not in ids:
                    ids.append(resolved)
        return ids

    def get_profile(self, profile_id: str) -> Profile | None:
        rows = self._query("SELECT data FROM profiles WHERE id = ?", (self._resolve(profile_id),))
        return Profile.from_dict(json.loads(rows[0][0])) if rows else None

    def save_profile(self, profile: Profile, identities: Iterable[Identity] = ()) -> None:
        from dataclasses import asdict

        now = clock.now_iso()
        kinds = {k for k, _ in identities} | ({"email"} if profile.emails else set()) | (
            {"phone"} if profile.phones else set())
        anonymous = not (kinds & set(PERSONAL_KINDS) or profile.external_ids)
        search = " ".join([profile.name, *profile.emails, *profile.phones]).lower()
        with self.atomic():
            self.conn.execute(
                "INSERT INTO profiles (id, created_at, updated_at, anonymous, search, data)"
                " VALUES (?,?,?,?,?,?) ON CONFLICT (id) DO UPDATE SET updated_at = excluded.updated_at,"
                " anonymous = excluded.anonymous, search = excluded.search, data = excluded.data",
                (profile.id, profile.created_at, now, int(anonymous), search, dumps(asdict(profile))),
            )
            self.conn.executemany(
                "INSERT INTO identities (kind, value, profile_id, added_at) VALUES (?,?,?,?)"
                " ON CONFLICT (kind, value) DO UPDATE SET profile_id = excluded.profile_id",
                [(kind, value, profile.id, now) for kind, value in identities],
            )
            self.conn.execute("DELETE FROM wishlist_index WHERE profile_id = ?", (profile.id,))
            self.conn.executemany(
                "INSERT OR IGNORE INTO wishlist_index (variant_id, profile_id) VALUES (?, ?)",
                [(str(w.get("variant_id")), profile.id) for w in profile.wishlist if w.get("variant_id")],
            )

    def mark_merged(self, absorbed_id: str, survivor_id: str) -> None:
        with self.atomic():
            self.conn.execute("UPDATE profiles SET merged_into = ?, updated_at = ? WHERE id = ?",
                              (survivor_id, clock.now_iso(), absorbed_id))
            self.conn.execute("UPDATE identities SET profile_id = ? WHERE profile_id = ?",
                              (survivor_id, absorbed_id))
            self.conn.execute("UPDATE timeline SET profile_id = ? WHERE profile_id = ?",
                              (survivor_id, absorbed_id))
            self.conn.execute("DELETE FROM wishlist_index WHERE profile_id = ?", (absorbed_id,))

    def profile_ids_with_variants(self, variant_ids: Iterable[str]) -> list[str]:
        variants = [str(v) for v in variant_ids]
        if not variants:
            return []
        marks = ",".join("?" for _ in variants)
        rows = self._query(
            f"SELECT DISTINCT profile_id FROM wishlist_index WHERE variant_id IN ({marks})"
            " ORDER BY profile_id", variants)
        return [r[0] for r in rows]

    def append_timeline(self, entries: Iterable[TimelineEntry]) -> None:
        with self.atomic():
            self.conn.executemany(
                "INSERT INTO timeline (profile_id, at, event_name, channel, summary, event_id,"
                " correlation_id) VALUES (?,?,?,?,?,?,?)",
                [(e.profile_id, e.at, e.event_name, e.channel, e.summary, e.event_id,
                  e.correlation_id) for e in entries],
            )

    def list_timeline(self, profile_id: str, *, limit: int = 100,
                      before_id: int | None = None) -> list[TimelineEntry]:
        params: list = [self._resolve(profile_id)]
        where = "profile_id = ?"
        if before_id is not None:
            where += " AND id < ?"
            params.append(before_id)
        rows = self._query(f"SELECT * FROM timeline WHERE {where} ORDER BY at DESC, id DESC LIMIT ?",
                           (*params, limit))
        return [_timeline(r) for r in rows]

    def search_profiles(self, text: str, *, limit: int = 20) -> list[Profile]:
        """Profiles whose name, email or phone contains ``text`` (people only, no merged ones)."""
        needle = text.strip().lower()
        if not needle:
            rows = self._query(
                "SELECT data FROM profiles WHERE merged_into IS NULL AND anonymous = 0"
                " ORDER BY updated_at DESC LIMIT ?", (limit,))
        else:
            pattern = "%" + needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            rows = self._query(
                "SELECT data FROM profiles WHERE merged_into IS NULL AND anonymous = 0"
                " AND search LIKE ? ESCAPE '\\' ORDER BY updated_at DESC LIMIT ?", (pattern, limit))
        return [Profile.from_dict(json.loads(r[0])) for r in rows]
