"""One masking function for logs, audit entries, error messages and the UI.

Secrets are found two ways: by the *name* they travel under (a header or field called
``authorization``, ``token``, ``secret``…) and by *value* (every credential the process has
decrypted is registered here, so it is scrubbed even from a vendor's error text or a URL).
"""

from __future__ import annotations

import re
import threading
from functools import lru_cache
from typing import Any, Mapping

MASK = "••••"

_SECRET_NAME = re.compile(
    r"(authori[sz]ation|token|secret|password|passwd|api[_-]?key|signature|hmac|cookie|"
    r"private[_-]?key|session|credential|x-shopify-access-token)",
    re.IGNORECASE,
)
# E.164-ish and common national formats; keeps the last two digits for support look-ups.
_PHONE = re.compile(r"(?<![\w/])(?:\+|\()?\d[\d\s().-]{7,}\d(?![\w/])")

# A calendar date (and hour) looks like a phone number to _PHONE; log lines start with one.
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}(?:[ T]\d{2})?$")

_known: set[str] = set()
_lock = threading.Lock()
_AUTH_SCHEME = re.compile(
    r"(?i)\b(bearer|basic|klaviyo-api-key)\s+[A-Za-z0-9._~+/=-]+")


def register_secret(value: str | None) -> None:
    """Remember a secret value so that ``redact_text`` scrubs it wherever it appears."""
    if value and len(value) >= 6:
        with _lock:
            if value not in _known:
                _known.add(value)
                _known_pattern.cache_clear()


@lru_cache(maxsize=1)
def _known_pattern() -> re.Pattern[str] | None:
    """Every registered secret in one pattern, longest first (rebuilt when one is added)."""
    with _lock:
        known = sorted(_known, key=len, reverse=True)
    return re.compile("|".join(re.escape(v) for v in known)) if known else None


def last4(value: str | None) -> str:
    """What the UI may show of a stored secret: a mask and its last four characters."""
    if not value:
        return ""
    return f"{MASK}{value[-4:]}" if len(value) > 8 else MASK


def mask_phone(text: str) -> str:
    def _mask(match: re.Match[str]) -> str:
        digits = re.sub(r"\D", "", match.group(0))
        if len(digits) < 8 or _DATE.match(match.group(0)):
            return match.group(0)
        return f"{MASK}{digits[-2:]}"

    return _PHONE.sub(_mask, text)


def redact_text(text: str, *, phones: bool = True) -> str:
    """Scrub every registered secret (and, by default, phone numbers) from free text."""
    if not text:
        return text
    pattern = _known_pattern()
    if pattern is not None:
        text = pattern.sub(MASK, text)
    text = _AUTH_SCHEME.sub(rf"\1 {MASK}", text)
    return mask_phone(text) if phones else text


@lru_cache(maxsize=4096)
def is_secret_name(name: str) -> bool:
    return bool(_SECRET_NAME.search(name))


def redact_mapping(data: Any, *, phones: bool = False) -> Any:
    """A copy of ``data`` with secret-named keys masked and secret values scrubbed."""
    if isinstance(data, Mapping):
        return {
            key: (MASK if is_secret_name(str(key)) and value else redact_mapping(value, phones=phones))
            for key, value in data.items()
        }
    if isinstance(data, (list, tuple)):
        return [redact_mapping(item, phones=phones) for item in data]
    if isinstance(data, str):
        return redact_text(data, phones=phones)
    return data


def redact_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """Headers safe to store or show: secret-named ones masked."""
    return {k: (MASK if is_secret_name(k) else redact_text(v, phones=False)) for k, v in headers.items()}
