"""Each vendor's webhook signature, computed the way the vendor computes it.

Facts from ``docs/vendor-apis.md``; the vectors in ``tests/fixtures/signatures.json`` check
every function here. Kept apart from the adapters on purpose: the simulator plays the vendor,
so it must not borrow the hub's verification code to sign.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Mapping


def shopify_hmac(secret: str, body: bytes) -> str:
    """``X-Shopify-Hmac-Sha256``: base64 HMAC-SHA256 of the raw body, key = client secret."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def twilio_signature(auth_token: str, url: str, params: Mapping[str, str]) -> str:
    """``X-Twilio-Signature``: base64 HMAC-SHA1 of the URL + every POST field sorted by name,
    each as name + value with no separator (blank values included)."""
    message = url + "".join(f"{name}{params[name]}" for name in sorted(params))
    return base64.b64encode(
        hmac.new(auth_token.encode(), message.encode(), hashlib.sha1).digest()).decode()


def hubspot_v3_signature(client_secret: str, method: str, url: str, body: bytes,
                         timestamp_ms: str) -> str:
    """``X-HubSpot-Signature-v3``: base64 HMAC-SHA256 of method + URI + body + timestamp."""
    message = method.encode() + url.encode() + body + timestamp_ms.encode()
    return base64.b64encode(
        hmac.new(client_secret.encode(), message, hashlib.sha256).digest()).decode()


def wishlist_signature(secret: str, body: bytes) -> str:
    """``X-Wishlist-Signature`` (the hub's own contract): ``sha256=`` + hex HMAC-SHA256."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
