"""Rate-limit state: the last ``x-rate-limit-*`` headers per endpoint, for one user token.

X limits each user token per endpoint per 15 minutes and reports the window in every
response (docs/x-api.md §2.6). Keeping the last report lets a caller skip a request X would
refuse. The state round-trips through a plain JSON dict so any worker can continue it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime


@dataclass(frozen=True, slots=True)
class RateLimitWindow:
    limit: int
    remaining: int
    reset_at: datetime


# The 15-minute window, then the 24-hour ones some answers carry as well (docs/x-api.md §9:
# `x-user-limit-24hour-*` and `x-app-limit-24hour-*`, seen on real answers in 2026).
_WINDOW_HEADERS = tuple(
    tuple(f"{prefix}-{part}" for part in ("limit", "remaining", "reset"))
    for prefix in ("x-rate-limit", "x-user-limit-24hour", "x-app-limit-24hour")
)


def parse_rate_limit_headers(headers: Mapping[str, str]) -> RateLimitWindow | None:
    """The window that decides when to ask again: a spent one, the one that resets last when
    several are (a spent 24-hour window outlasts the 15-minute one); otherwise the first that
    parses, the 15-minute one when X sent it."""
    windows = [
        window
        for names in _WINDOW_HEADERS
        if (window := _window(*(headers.get(name) for name in names))) is not None
    ]
    spent = [window for window in windows if window.remaining <= 0]
    if spent:
        return max(spent, key=lambda window: window.reset_at)
    return windows[0] if windows else None


def _window(limit: object, remaining: object, reset: object) -> RateLimitWindow | None:
    """A window from header or JSON values; ``reset`` is Unix epoch seconds."""
    try:
        return RateLimitWindow(
            limit=int(limit),
            remaining=int(remaining),
            reset_at=datetime.fromtimestamp(int(reset), tz=UTC),
        )
    except (TypeError, ValueError, OverflowError, OSError):
        return None


@dataclass(slots=True)
class RateLimitState:
    """Last known window per endpoint key (the route template, e.g. ``GET /2/tweets``).

    One state belongs to one user token. It is a cache: entries that do not parse when
    loaded are dropped, and the next response teaches them again.
    """

    windows: dict[str, RateLimitWindow] = field(default_factory=dict)

    def window(self, endpoint: str) -> RateLimitWindow | None:
        return self.windows.get(endpoint)

    def record(self, endpoint: str, window: RateLimitWindow) -> None:
        self.windows[endpoint] = window

    def reset_at(self, endpoint: str) -> datetime | None:
        window = self.windows.get(endpoint)
        return window.reset_at if window else None

    def would_exceed(self, endpoint: str, now: datetime | None = None) -> bool:
        """True when X has said the window is spent and it has not reset yet."""
        window = self.windows.get(endpoint)
        if window is None:
            return False
        return window.remaining <= 0 and window.reset_at > (now or datetime.now(UTC))

    def to_json(self) -> dict[str, dict[str, int]]:
        return {
            str(endpoint): {
                "limit": window.limit,
                "remaining": window.remaining,
                "reset": int(window.reset_at.timestamp()),
            }
            for endpoint, window in self.windows.items()
        }

    @classmethod
    def from_json(cls, data: Mapping[str, object] | None) -> RateLimitState:
        windows = {}
        for endpoint, entry in (data or {}).items():
            if not isinstance(entry, Mapping):
                continue
            window = _window(entry.get("limit"), entry.get("remaining"), entry.get("reset"))
            if window is not None:
                windows[endpoint] = window
        return cls(windows)
