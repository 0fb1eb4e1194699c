"""A tiny Klaviyo-shaped HTTP peer on loopback that counts effects by ``unique_id``.

For tests that run real worker processes: they cannot share ``responses`` mocks, so they
talk to a real socket. Klaviyo dedupes events on ``unique_id``; this peer records every
request and every distinct effect, so a test can tell "sent twice" from "done twice".
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class CountingVendor:
    def __init__(self) -> None:
        self.requests: Counter[str] = Counter()
        self.lock = threading.Lock()
        vendor = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                unique_id = body.get("data", {}).get("attributes", {}).get("unique_id", "?")
                with vendor.lock:
                    vendor.requests[unique_id] += 1
                self.send_response(202)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> "CountingVendor":
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    @property
    def effects(self) -> set[str]:
        with self.lock:
            return set(self.requests)
