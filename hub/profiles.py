"""One customer profile across channels: what every channel knows about a person.

Pure functions over a ``Profile`` value (no I/O): ``apply_event`` folds one canonical event
into a profile and says what it changed; ``merge`` joins two profiles an event showed to be
one person. ``hub/customers.py`` loads, calls these, and saves in the event's transaction.

Rules a successor will ask about (``docs/decisions/`` has the why):
- consent is per channel with source and time; an older statement never overwrites a newer
  one (vendors deliver out of order), and SMS consent comes back only from a START-type
  reply or a channel that collected it explicitly (``consent.changed`` events);
- money is kept as decimal strings, summed with ``Decimal``;
- the wishlist keeps the price when added and the current price (updated by price changes).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from hub.events import CanonicalEvent

CHANNELS = ("email", "sms")


@dataclass
class Profile:
    id: str
    created_at: str
    updated_at: str
    first_name: str | None = None
    last_name: str | None = None
    emails: list[str] = field(default_factory=list)
    phones: list[str] = field(default_factory=list)
    external_ids: dict[str, list[str]] = field(default_factory=dict)
    cart: dict[str, Any] | None = None
    wishlist: list[dict[str, Any]] = field(default_factory=list)
    purchases: list[dict[str, Any]] = field(default_factory=list)
    consent: dict[str, dict[str, Any]] = field(default_factory=dict)
    last_channel: str | None = None
    last_seen_at: str | None = None
    merged_from: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return " ".join(p for p in (self.first_name, self.last_name) if p) or ""

    @property
    def email(self) -> str | None:
        return self.emails[0] if self.emails else None

    @property
    def phone(self) -> str | None:
        return self.phones[0] if self.phones else None

    @property
    def lifetime_value(self) -> str:
        total = sum((_money(p.get("total")) for p in self.purchases
                     if p.get("status") not in ("cancelled", "refunded")), Decimal("0"))
        return f"{total:.2f}"

    def consent_state(self, channel: str) -> str:
        return (self.consent.get(channel) or {}).get("state", "unknown")

    def to_dict(self) -> dict[str, Any]:
        """The shape recipes see as ``profile`` (and the UI and CLI show)."""
        data = asdict(self)
        data.update(name=self.name, email=self.email, phone=self.phone,
                    lifetime_value=self.lifetime_value, order_count=len(self.purchases),
                    consent={c: {"state": self.consent_state(c), **(self.consent.get(c) or {})}
                             for c in CHANNELS},
                    last_order=self.purchases[-1] if self.purchases else None)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Profile":
        known = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in data.items() if k in known})


def missing_consent(profile: Profile | None, channel: str | None) -> str | None:
    """Why a message on ``channel`` may not go to ``profile`` (None: it may).

    The one rule for marketing consent, used when an action is queued, just before it is
    sent, and by "Try it": only a profile that said yes on that channel may be messaged.
    """
    if channel is None:
        return None
    state = profile.consent_state(channel) if profile else "unknown"
    if state == "subscribed":
        return None
    return f"no {'SMS' if channel == 'sms' else channel} consent (consent is {state})"


@dataclass(frozen=True)
class Change:
    """What applying an event did: a timeline line, and the facts recipes may care about."""

    summary: str
    consent_changed: dict[str, str] = field(default_factory=dict)  # channel -> new state
    changed: bool = True


def _money(value: Any) -> Decimal:
    try:
        return Decimal(str(value)) if value not in (None, "") else Decimal("0")
    except InvalidOperation:
        return Decimal("0")


def _add_unique(values: list[str], value: str | None) -> None:
    if value and value not in values:
        values.append(value)


def add_identities(profile: Profile, identities: list[tuple[str, str]]) -> None:
    for kind, value in identities:
        if kind == "email":
            _add_unique(profile.emails, value)
        elif kind == "phone":
            _add_unique(profile.phones, value)
        elif kind not in ("cart", "checkout"):
            _add_unique(profile.external_ids.setdefault(kind, []), value)


def _item_names(items: list[dict[str, Any]]) -> str:
    names = [f"{i.get('title')}" + (f" ({i['variant_title']})" if i.get("variant_title") else "")
             for i in items]
    return ", ".join(names) or "no items"


def apply_event(profile: Profile, event: CanonicalEvent) -> Change:
    """Fold ``event`` into ``profile`` (in place); return what changed."""
    handler = _HANDLERS.get(event.name, _seen_only)
    change = handler(profile, event)
    if event.channel and event.name not in ("product.price_changed", "message.status_updated"):
        if not profile.last_seen_at or event.occurred_at >= profile.last_seen_at:
            profile.last_channel = event.channel
            profile.last_seen_at = event.occurred_at
    if event.customer.first_name and not profile.first_name:
        profile.first_name = event.customer.first_name
    if event.customer.last_name and (not profile.last_name or len(event.customer.last_name) > len(profile.last_name)):
        profile.last_name = event.customer.last_name
    return change


def _seen_only(profile: Profile, event: CanonicalEvent) -> Change:
    return Change(event.name.replace(".", " ").replace("_", " "), changed=False)


def _customer(profile: Profile, event: CanonicalEvent) -> Change:
    data = event.data
    profile.first_name = data.get("first_name") or profile.first_name
    profile.last_name = data.get("last_name") or profile.last_name
    changed: dict[str, str] = {}
    for channel in CHANNELS:
        given = data.get(f"{channel}_consent")
        if given and given.get("state") in ("subscribed", "unsubscribed"):
            if _set_consent(profile, channel, given["state"], given.get("source") or event.source,
                            given.get("updated_at") or event.occurred_at):
                changed[channel] = given["state"]
    verb = "created" if event.name == "customer.created" else "updated"
    return Change(f"customer {verb} in {event.source or 'a channel'}", consent_changed=changed)


def _set_consent(profile: Profile, channel: str, state: str, source: str | None, at: str) -> bool:
    current = profile.consent.get(channel)
    if current and current.get("at") and current["at"] > at:
        return False  # an older statement arriving late
    if current and current.get("state") == state:
        current.update(source=source or current.get("source"), at=at)
        return False
    profile.consent[channel] = {"state": state, "source": source, "at": at}
    return True


def _consent(profile: Profile, event: CanonicalEvent) -> Change:
    channel, state = event.data["channel"], event.data["state"]
    changed = _set_consent(profile, channel, state, event.data.get("source") or event.source,
                           event.occurred_at)
    return Change(f"{channel.upper()} consent {state} ({event.data.get('source') or event.source})",
                  consent_changed={channel: state} if changed else {}, changed=changed)


def _cart(profile: Profile, event: CanonicalEvent) -> Change:
    data = event.data
    current = profile.cart or {}
    if current.get("updated_at") and current["updated_at"] > event.occurred_at:
        return Change("older cart update ignored", changed=False)
    profile.cart = {
        "cart_token": data.get("cart_token") or current.get("cart_token"),
        "checkout_token": data.get("checkout_token") or current.get("checkout_token"),
        "items": data.get("line_items", []),
        "value": data.get("value"),
        "currency": data.get("currency"),
        "recovery_url": data.get("recovery_url") or current.get("recovery_url"),
        "updated_at": event.occurred_at,
    }
    what = {"cart.updated": "cart updated", "checkout.started": "checkout started",
            "checkout.updated": "checkout updated"}[event.name]
    return Change(f"{what}: {_item_names(profile.cart['items'])} — {data.get('value')} {data.get('currency') or ''}".strip())


def _order(profile: Profile, event: CanonicalEvent) -> Change:
    data = event.data
    existing = next((p for p in profile.purchases if p["order_id"] == data["order_id"]), None)
    if event.name == "order.completed":
        if existing is None:
            profile.purchases.append({
                "order_id": data["order_id"], "order_name": data.get("order_name"),
                "items": data.get("line_items", []), "total": data.get("total"),
                "currency": data.get("currency"), "channel": data.get("channel") or event.channel,
                "location_id": data.get("location_id"), "at": event.occurred_at,
                "status": data.get("financial_status") or "placed",
            })
            profile.purchases.sort(key=lambda p: p.get("at") or "")
        cart = profile.cart or {}
        same_checkout = data.get("checkout_token") and data.get("checkout_token") == cart.get("checkout_token")
        same_cart = data.get("cart_token") and data.get("cart_token") == cart.get("cart_token")
        if same_checkout or same_cart or (cart and cart.get("updated_at", "") <= event.occurred_at):
            profile.cart = None
        where = "in store" if data.get("channel") == "in_store" else "online"
        return Change(f"bought {_item_names(data.get('line_items', []))} {where} — "
                      f"{data.get('total')} {data.get('currency') or ''}".strip())
    status = {"order.paid": "paid", "order.cancelled": "cancelled", "order.refunded": "refunded"}[event.name]
    if existing is not None:
        existing["status"] = status
    return Change(f"order {data.get('order_name') or data['order_id']} {status}")


def _wishlist(profile: Profile, event: CanonicalEvent) -> Change:
    item = event.data["item"]
    variant = str(item.get("variant_id") or item.get("product_id"))
    profile.wishlist = [w for w in profile.wishlist
                        if str(w.get("variant_id") or w.get("product_id")) != variant]
    if event.name == "wishlist.product_added":
        profile.wishlist.append({**item, "price_when_added": item.get("price"),
                                 "current_price": item.get("price"), "added_at": event.occurred_at})
        return Change(f"added {item.get('title')} to wishlist at {item.get('price')}")
    return Change(f"removed {item.get('title')} from wishlist")


def apply_price_change(profile: Profile, event: CanonicalEvent) -> Change:
    """Update the current price of wishlisted variants named by a ``product.price_changed``."""
    changed = []
    for variant in event.data.get("variants", []):
        for item in profile.wishlist:
            if str(item.get("variant_id")) == str(variant["variant_id"]):
                item["current_price"] = variant["new_price"]
                changed.append(f"{item.get('title')} {variant['old_price']} → {variant['new_price']}")
    return Change("price changed on wishlist: " + "; ".join(changed), changed=bool(changed))


def _sms(profile: Profile, event: CanonicalEvent) -> Change:
    body = (event.data.get("body") or "").strip()
    return Change(f"SMS received: “{body[:60]}”")


def _message_status(profile: Profile, event: CanonicalEvent) -> Change:
    return Change(f"message {event.data.get('status')}", changed=False)


_HANDLERS = {
    "customer.created": _customer, "customer.updated": _customer,
    "consent.changed": _consent,
    "cart.updated": _cart, "checkout.started": _cart, "checkout.updated": _cart,
    "order.completed": _order, "order.paid": _order, "order.cancelled": _order,
    "order.refunded": _order,
    "wishlist.product_added": _wishlist, "wishlist.product_removed": _wishlist,
    "product.price_changed": apply_price_change,
    "sms.received": _sms,
    "message.status_updated": _message_status,
}


def merge(survivor: Profile, absorbed: Profile) -> None:
    """Fold ``absorbed`` into ``survivor``: every identity and all history kept."""
    for email in absorbed.emails:
        _add_unique(survivor.emails, email)
    for phone in absorbed.phones:
        _add_unique(survivor.phones, phone)
    for vendor, ids in absorbed.external_ids.items():
        for vendor_id in ids:
            _add_unique(survivor.external_ids.setdefault(vendor, []), vendor_id)
    survivor.first_name = survivor.first_name or absorbed.first_name
    if absorbed.last_name and (not survivor.last_name or len(absorbed.last_name) > len(survivor.last_name)):
        survivor.last_name = absorbed.last_name
    if absorbed.cart and (not survivor.cart or absorbed.cart.get("updated_at", "") > survivor.cart.get("updated_at", "")):
        survivor.cart = absorbed.cart
    known_orders = {p["order_id"] for p in survivor.purchases}
    survivor.purchases += [p for p in absorbed.purchases if p["order_id"] not in known_orders]
    survivor.purchases.sort(key=lambda p: p.get("at") or "")
    known_items = {str(w.get("variant_id")) for w in survivor.wishlist}
    survivor.wishlist += [w for w in absorbed.wishlist if str(w.get("variant_id")) not in known_items]
    for channel, consent in absorbed.consent.items():
        mine = survivor.consent.get(channel)
        if not mine or (consent.get("at") or "") > (mine.get("at") or ""):
            survivor.consent[channel] = consent
    if absorbed.last_seen_at and (not survivor.last_seen_at or absorbed.last_seen_at > survivor.last_seen_at):
        survivor.last_seen_at, survivor.last_channel = absorbed.last_seen_at, absorbed.last_channel
    survivor.merged_from = sorted({*survivor.merged_from, absorbed.id, *absorbed.merged_from})
    survivor.created_at = min(survivor.created_at, absorbed.created_at)
