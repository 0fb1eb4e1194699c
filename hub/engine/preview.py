""""Try it": run an installed recipe against a recent or sample event, sending nothing.

Nothing is written: the adapter maps a stored payload with a memory that forgets its writes,
the profile is read (or, for a sample, built in memory), and the runner's plan is returned —
each action with the exact inputs it would send and the rules that would stop it (consent,
quiet hours, once-per limits), each wait with when it would end. Waits are played through,
as if the time had passed, so the owner sees everything the recipe would eventually do.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from hub import clock
from hub.engine import runner
from hub.events import CanonicalEvent
from hub.identity import identities_of
from hub.delivery import FACT_TOPIC
from hub.processing import canonical_events_with, context_for, wishlisted
from hub.profiles import (Profile, add_identities, apply_event, apply_price_change,
                          missing_consent)
from hub.runtime import Runtime
from hub.store import Instance, StoredEvent

SAMPLES = Path(__file__).resolve().parent / "samples"
#: How far back "recent" looks, in stored events.
RECENT_SCAN = 300


@dataclass
class PlannedStep:
    step_id: str
    kind: str  # action | wait | if | skipped | failed
    summary: str
    inputs: dict[str, Any] | None = None
    warning: str | None = None


@dataclass
class Preview:
    source: str  # what it ran against, in words
    event: dict[str, Any]
    customer: str
    status: str  # would-run | skipped | failed
    steps: list[PlannedStep] = field(default_factory=list)
    error: str | None = None


class NothingToTry(LookupError):
    """No recent event matches the trigger and there is no sample of it."""


class _ForgetfulMemory:
    """Adapter memory for a dry run: reads the real one, keeps writes to itself."""

    def __init__(self, rt: Runtime, connection_id: str) -> None:
        self._store, self._scope, self._written = rt.store, f"memory:{connection_id}", {}

    def get(self, key: str) -> Any | None:
        return self._written.get(key, self._store.get_state(self._scope, key))

    def put(self, key: str, value: Any) -> None:
        self._written[key] = value


def trigger_names(recipe: dict[str, Any]) -> list[str]:
    trigger = recipe["trigger"]
    if "poll" in trigger:
        from adapters import REGISTRY

        adapter, _, poll = trigger["poll"].partition(".")
        return [n for p in REGISTRY[adapter].polls if p.name == poll for n in p.emits]
    return trigger.get("events") or ([trigger["event"]] if "event" in trigger else [])


def recent_matches(rt: Runtime, instance: Instance, *, limit: int = 10) -> list[tuple[StoredEvent, CanonicalEvent]]:
    """Recent stored events (newest first) whose canonical events start this recipe."""
    found = []
    for stored in rt.store.list_events(limit=RECENT_SCAN):
        if stored.topic == FACT_TOPIC:
            continue
        try:
            events = canonical_events_with(rt, stored, _ForgetfulMemory(rt, stored.connection_id))
        except Exception:  # a payload the adapter cannot read is not something to try
            continue
        for event in events:
            if runner.trigger_matches(instance.recipe, event.name, source=stored.source,
                                      adapter=stored.adapter):
                found.append((stored, event))
                break
        if len(found) >= limit:
            break
    return found


def sample_event(instance: Instance) -> CanonicalEvent | None:
    for name in trigger_names(instance.recipe):
        path = SAMPLES / f"{name}.json"
        if path.exists():
            data = json.loads(path.read_text())
            data["occurred_at"] = clock.now_iso()
            return CanonicalEvent.from_dict(data)
    return None


def try_instance(rt: Runtime, instance: Instance, *, event_id: int | None = None) -> Preview:
    """The plan for one event: the given stored one, else the newest match, else a sample."""
    stored, event = None, None
    if event_id is not None:
        for candidate, match in recent_matches(rt, instance, limit=RECENT_SCAN):
            if candidate.id == event_id:
                stored, event = candidate, match
                break
        if event is None:
            raise NothingToTry(f"event {event_id} does not start this recipe")
    else:
        recent = recent_matches(rt, instance, limit=1)
        if recent:
            stored, event = recent[0]
        else:
            event = sample_event(instance)
    if event is None:
        raise NothingToTry("no event that starts this recipe has arrived yet, and there is no "
                           "sample of one")
    if stored is not None:
        source = f"the {event.name} received {stored.received_at[:16].replace('T', ' ')} UTC " \
                 f"(event {stored.id} from {stored.connection_id})"
    else:
        source = f"a sample {event.name} (nothing matching has arrived yet)"
    return _plan(rt, instance, event, stored, source)


def _profile_for(rt: Runtime, event: CanonicalEvent) -> Profile | None:
    identities = identities_of(event, rt.settings.phone_region)
    ids = rt.store.find_profile_ids(identities) if identities else []
    profile = rt.store.get_profile(ids[0]) if ids else None
    if profile is None and identities:
        profile = Profile(id="cus_preview", created_at=event.occurred_at,
                          updated_at=event.occurred_at)
        add_identities(profile, identities)
    if profile is not None:
        apply_event(profile, event)  # a copy in memory: what the profile would become
    return profile


def _plan(rt: Runtime, instance: Instance, event: CanonicalEvent, stored: StoredEvent | None,
          source: str) -> Preview:
    if instance.recipe["trigger"].get("for_each") == "wishlister":
        profile, item = _first_wishlister(rt, event)
    else:
        profile, item = _profile_for(rt, event), None
    trigger = {"event_id": stored.id, "delivery_id": stored.delivery_id,
               "connection": stored.connection_id, "source": stored.source} if stored else {}
    event_dict = event.to_dict()
    context = context_for(rt, instance, event_dict, profile, item, trigger)
    who = (profile.name or profile.email or profile.phone or "an anonymous shopper") if profile \
        else "no one in particular"
    preview = Preview(source=source, event=event_dict, customer=who, status="would-run")
    now: datetime = clock.now()
    result = runner.run(instance.recipe, context, now=now)
    for _ in range(20):  # play waits through, as if their time had come
        _describe(rt, result, preview, profile)
        if result.status == "skipped":
            preview.status = "skipped"
            preview.steps.append(PlannedStep("when", "skipped", "Would do nothing: the recipe's "
                                             "condition is not met for this event."))
        if result.status == "failed":
            preview.status, preview.error = "failed", result.error
        if result.wait is None:
            break
        now = result.wait.due_at
        result = runner.run(instance.recipe, context, start=result.wait.resume_at, now=now,
                            previous=result.steps)
    return preview


def _describe(rt: Runtime, result: runner.RunResult, preview: Preview,
              profile: Profile | None) -> None:
    from adapters import get_adapter_class

    known = {s.step_id for s in preview.steps}
    for action in result.actions:
        if action.step_id in known:
            continue
        declaration = get_adapter_class(action.adapter).action(action.action)
        refusal = missing_consent(profile, declaration.consent)
        warning = f"would be refused: {refusal}" if refusal else None
        if action.once_per:
            note = f"at most once per {action.once_per}"
            warning = f"{warning}; {note}" if warning else note
        preview.steps.append(PlannedStep(action.step_id, "action",
                                         f"Would send {declaration.title} ({action.adapter})",
                                         inputs=action.inputs, warning=warning))
    if result.wait is not None and result.wait.step_id not in known:
        wait = result.wait
        cancel = f", unless {wait.cancel_event} arrives first" if wait.cancel_event else ""
        preview.steps.append(PlannedStep(
            wait.step_id, "wait", f"Would wait until {clock.iso(wait.due_at)[:16].replace('T', ' ')} UTC{cancel}"))
    if result.status == "failed" and result.error:
        preview.steps.append(PlannedStep("error", "failed", result.error))


def _first_wishlister(rt: Runtime, event: CanonicalEvent) -> tuple[Profile | None, Any]:
    variants = [str(v["variant_id"]) for v in event.data.get("variants", [])]
    for profile_id in rt.store.profile_ids_with_variants(variants):
        profile = rt.store.get_profile(profile_id)
        if profile is None:
            continue
        apply_price_change(profile, event)
        return profile, wishlisted(profile, event)
    return None, None
