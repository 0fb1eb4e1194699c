"""Structured logs to stderr, redacted on the way out.

Every record passes through ``redact_text`` whatever logger produced it (ours, gunicorn's,
a library's), so a token in an exception message never reaches the log.
"""

from __future__ import annotations

import json
import logging
import sys
from typing import Any

from hub import clock
from hub.redact import redact_text

_RESERVED = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime"}


class RedactingJsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        item: dict[str, Any] = {
            "at": clock.now_iso(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": redact_text(record.getMessage()),
        }
        for key, value in record.__dict__.items():
            if key not in _RESERVED and not key.startswith("_"):
                item[key] = redact_text(str(value)) if isinstance(value, str) else value
        if record.exc_info:
            item["error"] = redact_text(self.formatException(record.exc_info))
        return json.dumps(item, default=str)


class RedactingTextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return redact_text(super().format(record))


def configure(level: str = "INFO", fmt: str = "json") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        RedactingJsonFormatter() if fmt == "json"
        else RedactingTextFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("urllib3", "apscheduler.executors", "apscheduler.scheduler"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
