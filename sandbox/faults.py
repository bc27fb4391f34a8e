"""Failures injected into the next N matching requests to X's surface (never /_sandbox/)."""

from __future__ import annotations

import threading
from dataclasses import dataclass

FAULT_KINDS = (
    "503",  # Service Unavailable, X's problem body
    "500",  # Internal Server Error
    "hang",  # sleep `seconds`, then answer normally
    "malformed_json",  # 200 with the real body cut in half
    "reset",  # close the connection without an answer
    "429",  # v2 body {"title":"Too Many Requests",…}
    "429_v1",  # {"errors":[{"code":88,"message":"Rate limit exceeded"}]}
    "usage_cap",  # 429 UsageCapExceeded
    "credits_depleted",  # 402 CreditsDepleted
    "revoked",  # 401 as for a revoked token
    "client_forbidden",  # 403 client-not-enrolled: the app is outside a Project or lacks access
)


@dataclass
class Fault:
    kind: str
    remaining: int
    path: str | None = None  # a path prefix; None matches every request
    seconds: float = 0.0

    def matches(self, path: str) -> bool:
        return self.path is None or path.startswith(self.path)


class FaultInjector:
    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._lock = threading.Lock()

    def add(
        self, kind: str, count: int = 1, path: str | None = None, seconds: float | None = None
    ) -> Fault:
        if kind not in FAULT_KINDS:
            raise ValueError(f"kind must be one of {', '.join(FAULT_KINDS)}")
        if not isinstance(count, int) or count < 1:
            raise ValueError("count must be a positive integer")
        if path is not None and (not isinstance(path, str) or not path.startswith("/")):
            raise ValueError("path must be a path prefix starting with /")
        if kind == "hang" and (not isinstance(seconds, int | float) or seconds < 0):
            raise ValueError("hang needs seconds >= 0")
        fault = Fault(kind, count, path, float(seconds or 0))
        with self._lock:
            self._faults.append(fault)
        return fault

    def take(self, path: str) -> Fault | None:
        """The first pending fault for this path, counted as spent."""
        with self._lock:
            for fault in self._faults:
                if fault.matches(path):
                    fault.remaining -= 1
                    if fault.remaining == 0:
                        self._faults.remove(fault)
                    return fault
        return None

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()
