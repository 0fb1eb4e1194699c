"""Reading a vendor's list endpoints page by page, and how a poll says a page failed.

Polls return one ``PollPage`` per call; the hub commits each page's items together with the
cursor after them (``hub/polling.py``), so a poll that fails half-way resumes from the last
committed page. A page that cannot be read raises ``PollFailed`` carrying the classified
``Outcome`` (retry with the vendor's wait, or failed with the vendor's words).
"""

from __future__ import annotations

from typing import Any

import requests

from adapters.http import Outcome


class PollFailed(Exception):
    """A poll page could not be read; ``outcome`` says whether and when to try again."""

    def __init__(self, outcome: Outcome) -> None:
        super().__init__(outcome.summary)
        self.outcome = outcome


def next_link(response: requests.Response) -> str | None:
    """The ``rel="next"`` URL of an RFC 8288 ``Link`` header (Shopify's cursor pagination).

    The URL is used exactly as given: Shopify forbids repeating filters next to ``page_info``.
    No header, or only ``rel="previous"``, means this is the last page.
    """
    link = response.links.get("next")
    return link.get("url") if link else None


def json_list(response: requests.Response, key: str) -> list[Any]:
    """``body[key]`` of a list endpoint's JSON answer, or ``PollFailed`` if it is not there."""
    try:
        body = response.json()
    except ValueError:
        body = None
    items = body.get(key) if isinstance(body, dict) else None
    if not isinstance(items, list):
        raise PollFailed(Outcome("retry", f"unexpected answer: no {key!r} list in the body",
                                 status_code=response.status_code))
    return items
