"""Who an event is about: the identities in a ``CustomerRef``, normalised so they match.

The same person arrives as ``maya.lopez@example.com`` and `` Maya.Lopez@Example.com``, as
``+14155550142``, ``(415) 555-0142`` and ``415-555-0142``, and under a different id in each
vendor. Identities are ``(kind, value)`` pairs: ``email``, ``phone`` (E.164), a vendor name
(``shopify``, ``hubspot``…) for that vendor's customer id, and ``cart`` / ``checkout`` tokens,
which tie an anonymous cart to the person who later checks out with it.
"""

from __future__ import annotations

import phonenumbers

from hub.events import CanonicalEvent

Identity = tuple[str, str]

#: Kinds that name a person; a profile with none of them is anonymous (a cart, so far).
PERSONAL_KINDS = ("email", "phone")


def normalise_email(value: str | None) -> str | None:
    if not value:
        return None
    email = value.strip().lower()
    return email if "@" in email and "." in email.rsplit("@", 1)[-1] else None


def normalise_phone(value: str | None, region: str = "US") -> str | None:
    """E.164 (``+14155550142``), or None if the text is not a possible phone number."""
    if not value or not value.strip():
        return None
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def identities_of(event: CanonicalEvent, region: str = "US") -> list[Identity]:
    """Every identity an event names, normalised, most personal first, without repeats."""
    customer = event.customer
    found: list[Identity] = []
    email = normalise_email(customer.email)
    if email:
        found.append(("email", email))
    phone = normalise_phone(customer.phone, region)
    if phone:
        found.append(("phone", phone))
    for vendor, vendor_id in sorted(customer.external_ids.items()):
        if vendor_id not in (None, ""):
            found.append((vendor, str(vendor_id)))
    for kind, field in (("cart", "cart_token"), ("checkout", "checkout_token")):
        token = event.data.get(field) if isinstance(event.data, dict) else None
        if token:
            found.append((kind, str(token)))
    seen: set[Identity] = set()
    return [i for i in found if not (i in seen or seen.add(i))]
