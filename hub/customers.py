"""Keeping one profile per person: resolve who an event is about, merge, apply, record.

``update_profiles`` runs inside the transaction that processes the event (the engine's),
so the profile, its timeline and the recipe runs the event causes commit together. The read
side (``find_customer``, ``customer_page``) serves the CLI, the UI and the CRM note.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

from hub import audit
from hub.events import CanonicalEvent
from hub.identity import Identity, identities_of, normalise_email, normalise_phone
from hub.profiles import Change, Profile, add_identities, apply_event, apply_price_change, merge
from hub.store import Store, TimelineEntry


@dataclass(frozen=True)
class ProfileUpdate:
    """What an event did to profiles: the one it is about (if any), and any merges."""

    profile: Profile | None = None
    change: Change | None = None
    merged: tuple[str, ...] = ()
    #: For ``product.price_changed``: every profile with a changed variant on its wishlist.
    wishlisters: tuple[Profile, ...] = field(default_factory=tuple)


def new_profile_id() -> str:
    return "cus_" + secrets.token_hex(6)


def update_profiles(store: Store, event: CanonicalEvent, *, region: str = "US",
                    event_id: int | None = None, correlation_id: str | None = None) -> ProfileUpdate:
    """Fold ``event`` into the profile(s) it concerns; call inside the event's transaction."""
    if event.name == "product.price_changed":
        return _price_changed(store, event, event_id, correlation_id)
    identities = identities_of(event, region)
    if not identities:
        return ProfileUpdate()
    profile, merged = _resolve(store, identities, event, correlation_id)
    add_identities(profile, identities)
    change = apply_event(profile, event)
    store.save_profile(profile, identities)
    store.append_timeline([_timeline(profile.id, event, change, event_id, correlation_id)])
    return ProfileUpdate(profile=profile, change=change, merged=tuple(merged))


def _resolve(store: Store, identities: list[Identity], event: CanonicalEvent,
             correlation_id: str | None) -> tuple[Profile, list[str]]:
    ids = store.find_profile_ids(identities)
    profiles = [p for p in (store.get_profile(i) for i in ids) if p is not None]
    if not profiles:
        return Profile(id=new_profile_id(), created_at=event.occurred_at,
                       updated_at=event.occurred_at), []
    # The survivor is the oldest profile that names a person; an anonymous cart never absorbs one.
    profiles.sort(key=lambda p: (not (p.emails or p.phones or p.external_ids), p.created_at, p.id))
    survivor, absorbed = profiles[0], profiles[1:]
    for other in absorbed:
        merge(survivor, other)
        store.mark_merged(other.id, survivor.id)
        shared = ", ".join(f"{kind}" for kind, _ in identities)
        store.append_audit([audit.entry(
            "system", "customer", "merge", "ok", subject_id=survivor.id,
            detail=f"merged {other.id} into {survivor.id}: one {event.name} named both ({shared})",
            correlation_id=correlation_id, data={"absorbed": other.id, "survivor": survivor.id},
        )])
    return survivor, [p.id for p in absorbed]


def _price_changed(store: Store, event: CanonicalEvent, event_id: int | None,
                   correlation_id: str | None) -> ProfileUpdate:
    variants = [str(v["variant_id"]) for v in event.data.get("variants", [])]
    touched = []
    for profile_id in store.profile_ids_with_variants(variants):
        profile = store.get_profile(profile_id)
        if profile is None:
            continue
        change = apply_price_change(profile, event)
        store.save_profile(profile)
        store.append_timeline([_timeline(profile.id, event, change, event_id, correlation_id)])
        touched.append(profile)
    return ProfileUpdate(wishlisters=tuple(touched))


def _timeline(profile_id: str, event: CanonicalEvent, change: Change, event_id: int | None,
              correlation_id: str | None) -> TimelineEntry:
    return TimelineEntry(profile_id=profile_id, at=event.occurred_at, event_name=event.name,
                         channel=event.channel, summary=change.summary, event_id=event_id,
                         correlation_id=correlation_id)


# -- reading ---------------------------------------------------------------------------------
class CustomerNotFound(LookupError):
    """No profile matches what was asked for."""


def find_customer(store: Store, query: str, *, region: str = "US") -> Profile:
    """A profile by email, phone (any format) or profile id."""
    text = query.strip()
    if text.startswith("cus_"):
        profile = store.get_profile(text)
    else:
        identity: Identity | None = None
        if normalise_email(text):
            identity = ("email", normalise_email(text) or "")
        elif normalise_phone(text, region):
            identity = ("phone", normalise_phone(text, region) or "")
        ids = store.find_profile_ids([identity]) if identity else []
        profile = store.get_profile(ids[0]) if ids else None
    if profile is None:
        raise CustomerNotFound(f"no customer matches {query!r}")
    return profile


def search_customers(store: Store, text: str, *, limit: int = 20) -> list[Profile]:
    """Look-up by part of a name, email or phone (a full phone in any format works too)."""
    phone = normalise_phone(text) if any(c.isdigit() for c in text) else None
    return store.search_profiles(phone or text, limit=limit)
