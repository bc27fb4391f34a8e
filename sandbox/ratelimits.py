"""Per-token, per-endpoint rate limits with X's numbers and headers.

Sources (docs/x-api.md §2.6): the pay-per-use table is docs.x.com x-api/fundamentals/rate-limits
(rewritten 2026-01-16); "basic" and "free" are the legacy tiers of the same page at commit
7c59f7be. User tokens count in the per-user column (TIERS); the app's own Bearer token serves
the app-only usage endpoint alone, in the per-app column (APP_TIERS).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime

FIFTEEN_MINUTES = 15 * 60
DAY = 24 * 60 * 60


@dataclass(frozen=True)
class Limit:
    requests: int
    window_seconds: int = FIFTEEN_MINUTES


TIERS: dict[str, dict[str, Limit]] = {
    "pay_per_use": {
        "GET /2/tweets": Limit(5000),
        "GET /2/tweets/:id": Limit(900),
        "GET /2/users/:id/tweets": Limit(900),
        "GET /2/users/me": Limit(75),
    },
    "basic": {
        "GET /2/tweets": Limit(15),
        "GET /2/tweets/:id": Limit(15),
        "GET /2/users/:id/tweets": Limit(5),
        "GET /2/users/me": Limit(250, DAY),
    },
    "free": {
        "GET /2/tweets": Limit(1),
        "GET /2/tweets/:id": Limit(1),
        "GET /2/users/:id/tweets": Limit(1),
        "GET /2/users/me": Limit(25, DAY),
    },
}


# Per app, for the app-only endpoint (docs/x-api.md §2.6).
APP_TIERS: dict[str, dict[str, Limit]] = {
    "pay_per_use": {"GET /2/usage/tweets": Limit(50)},
    "basic": {"GET /2/usage/tweets": Limit(50)},
    "free": {"GET /2/usage/tweets": Limit(1)},
}


@dataclass(frozen=True)
class RateState:
    limit: int
    remaining: int
    reset: int  # Unix epoch seconds, as X sends it
    exceeded: bool

    def headers(self) -> list[tuple[str, str]]:
        return [
            ("x-rate-limit-limit", str(self.limit)),
            ("x-rate-limit-remaining", str(self.remaining)),
            ("x-rate-limit-reset", str(self.reset)),
        ]


class RateLimiter:
    """Fixed windows that open at a token's first request to an endpoint, as X's do."""

    def __init__(self, tier: str) -> None:
        self._tier = tier
        self._windows: dict[tuple[str, str], tuple[int, int]] = {}  # -> (window start, used)
        self._lock = threading.Lock()

    @property
    def tier(self) -> str:
        return self._tier

    def set_tier(self, tier: str) -> None:
        if tier not in TIERS:
            raise ValueError(f"tier must be one of {', '.join(TIERS)}")
        with self._lock:
            self._tier = tier
            self._windows.clear()

    def limit_for(self, endpoint: str) -> Limit | None:
        return TIERS[self._tier].get(endpoint) or APP_TIERS[self._tier].get(endpoint)

    def hit(self, token_key: str, endpoint: str, now: datetime) -> RateState | None:
        """Count one request; None for endpoints X does not rate-limit per user."""
        limit = self.limit_for(endpoint)
        if limit is None:
            return None
        moment = int(now.timestamp())
        with self._lock:
            start, used = self._windows.get((token_key, endpoint), (moment, 0))
            if not start <= moment < start + limit.window_seconds:
                start, used = moment, 0
            exceeded = used >= limit.requests
            if not exceeded:
                used += 1
            self._windows[(token_key, endpoint)] = (start, used)
        return RateState(
            limit.requests, limit.requests - used, start + limit.window_seconds, exceeded
        )

    def untouched(self, endpoint: str, now: datetime) -> RateState:
        """Headers of a window with quota left, as X's usage-capped 429s carry them (xdk #25):
        a client that reads only these would think it may go on."""
        limit = self.limit_for(endpoint) or Limit(1)
        moment = int(now.timestamp())
        return RateState(limit.requests, limit.requests - 1, moment + limit.window_seconds, False)

    def exhausted(self, endpoint: str, now: datetime) -> RateState:
        """Headers for an injected 429: nothing left until a window from now ends."""
        limit = self.limit_for(endpoint) or Limit(0)
        return RateState(limit.requests, 0, int(now.timestamp()) + limit.window_seconds, True)
