"""A person at the hub's web UI, timed: signs in like a browser (form + CSRF token + session
cookie) and loads pages one after another, as one user would."""

from __future__ import annotations

import re
import statistics
import time
from dataclasses import dataclass

import requests

_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass(frozen=True)
class PageTiming:
    path: str
    status: int
    bytes: int
    timings_ms: list[float]

    @property
    def p50(self) -> float:
        return statistics.median(self.timings_ms)

    @property
    def worst(self) -> float:
        return max(self.timings_ms)


class SignedInClient:
    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")
        self.session = requests.Session()

    def sign_in(self, email: str, password: str) -> None:
        page = self.session.get(f"{self.base_url}/login", timeout=30)
        token = _TOKEN.search(page.text)
        if token is None:
            raise RuntimeError(f"no sign-in form at /login (HTTP {page.status_code})")
        answer = self.session.post(f"{self.base_url}/login", timeout=30, allow_redirects=False,
                                   data={"email": email, "password": password,
                                         "csrf_token": token[1]})
        if answer.status_code != 302:
            raise RuntimeError(f"sign-in refused (HTTP {answer.status_code})")

    def time_page(self, path: str, *, repeat: int = 12, warm_up: int = 2,
                  headers: dict[str, str] | None = None) -> PageTiming:
        """Load ``path`` ``warm_up`` times untimed, then ``repeat`` times timed."""
        timings, status, size = [], 0, 0
        for n in range(warm_up + repeat):
            started = time.perf_counter()
            answer = self.session.get(self.base_url + path, timeout=60, allow_redirects=False,
                                      headers=headers)
            elapsed = (time.perf_counter() - started) * 1000
            status, size = answer.status_code, len(answer.content)
            if status != 200:
                raise RuntimeError(f"GET {path}: HTTP {status}")
            if n >= warm_up:
                timings.append(elapsed)
        return PageTiming(path, status, size, timings)
