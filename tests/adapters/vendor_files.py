"""Reading the fixtures' ``.headers.txt`` sidecars: the vendor's answer headers, for replies."""

from __future__ import annotations

from tests.support.fixtures import fixture_bytes


def reply_headers(name: str) -> dict[str, str]:
    """Header lines of a sidecar (status line, comments and ``# request:`` notes skipped)."""
    headers: dict[str, str] = {}
    for line in fixture_bytes(name).decode().splitlines():
        if not line.strip() or line.startswith(("#", "HTTP/")):
            continue
        key, _, value = line.partition(": ")
        headers[key] = value
    return headers


def request_url(name: str) -> str:
    """The ``# request: GET <url>`` a sidecar documents."""
    for line in fixture_bytes(name).decode().splitlines():
        if line.startswith("# request:"):
            return line.split()[3]
    raise LookupError(f"{name} documents no request")
