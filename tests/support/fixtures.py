"""The vendors' payloads in ``tests/fixtures`` (a copy of ``shared/fixtures``), read as bytes.

Bodies are byte-exact: signatures cover the file as stored, so never re-serialise one.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"

SECRETS = {
    "shopify": "shpss_test_5f0c1d2e3a4b",
    "wishlist": "wl_test_9a8b7c6d",
    "swym": "wl_swym_test_3e7a9c1d",
    "twilio": "tw_test_0123456789abcdef0123456789abcdef",
    "hubspot": "hs_test_client_secret_42",
    "shopify_access_token": "shpat_test_0123456789abcdef",
    "klaviyo": "pk_test_0a1b2c3d4e5f",
}


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def fixture_json(name: str) -> Any:
    return json.loads(fixture_bytes(name))


@dataclass(frozen=True)
class SignedRequest:
    """A fixture body with the headers its vendor sent (signature included)."""

    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    url: str | None = None


@lru_cache(maxsize=None)
def _vectors() -> dict[str, dict[str, Any]]:
    data = json.loads((FIXTURES / "signatures.json").read_text())
    return {v["file"]: v for v in data["vectors"]}


def signed(name: str) -> SignedRequest:
    """The fixture ``name`` with the exact headers of ``signatures.json``."""
    vector = _vectors()[name]
    headers = dict(vector.get("headers", {}))
    headers[vector["header"]] = vector.get("signature") or vector["value"]
    for extra in ("timestamp_header",):
        if extra in vector:
            headers[vector[extra]] = vector["timestamp"]
    content_type = "application/x-www-form-urlencoded" if name.endswith(".txt") else "application/json"
    headers.setdefault("Content-Type", content_type)
    return SignedRequest(body=fixture_bytes(name), headers=headers, url=vector.get("url"))


def shopify_files() -> list[str]:
    return sorted(f for f, v in _vectors().items() if v["vendor"] == "shopify")
