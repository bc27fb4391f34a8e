"""The sandbox's notion of "now": real time, or an instant set through the control API.

A set instant stays put until it is set again, so tests see exactly the metrics of that moment.
Data, token and code lifetimes, rate-limit windows and billing days all follow this clock. The
OAuth 1.0a timestamp check does not (see sandbox.oauth1): clients sign with the machine's clock.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)


def parse_instant(text: str) -> datetime:
    """An ISO 8601 instant; a value without an offset is taken as UTC."""
    value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def format_instant(value: datetime) -> str:
    """X's timestamp format: UTC with milliseconds, e.g. 2021-01-06T18:40:40.000Z."""
    return (
        value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"
    )


class Clock:
    def __init__(self) -> None:
        self._fixed: datetime | None = None
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._fixed or utcnow()

    @property
    def is_real_time(self) -> bool:
        with self._lock:
            return self._fixed is None

    def set(self, instant: datetime | None) -> None:
        with self._lock:
            self._fixed = None if instant is None else instant.astimezone(UTC)
