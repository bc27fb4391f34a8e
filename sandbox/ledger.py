"""Every request the sandbox answered, and the Post reads X would bill for them.

X bills pay-per-use Post reads per app, once per Post per UTC day: "the same resource fetched again
within the same UTC day is charged once" (docs/x-api.md §2.7). A Post counts as read when an answer
returns it in `data`: X bills the resources an answer returns as data, not the Posts it only
includes (`includes.tweets`, docs/x-api.md §9).
"""

from __future__ import annotations

import threading
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass
from datetime import date, datetime

from sandbox.clock import format_instant


@dataclass(frozen=True)
class LedgerEntry:
    seq: int
    time: str
    method: str
    path: str
    endpoint: str | None  # e.g. "GET /2/users/:id/tweets"; None for unknown paths
    owner: str | None  # username of the token's user
    app: str | None
    ids: list[str]  # ids the request asked for (Post ids, or the user id of a timeline)
    results: list[str]  # Post ids returned
    status: int | None  # None when the connection was reset without an answer
    billed_post_reads: int


class Ledger:
    def __init__(self) -> None:
        self._entries: list[LedgerEntry] = []
        self._billed: set[tuple[str, str, str]] = set()  # (app, UTC day, Post id)
        self._billed_per_day: Counter[tuple[str, str]] = Counter()
        self._lock = threading.Lock()

    def record(
        self,
        *,
        now: datetime,
        method: str,
        path: str,
        endpoint: str | None,
        owner: str | None,
        app: str | None,
        ids: list[str],
        results: list[str],
        status: int | None,
    ) -> LedgerEntry:
        day = now.date().isoformat()
        with self._lock:
            billed = 0
            if app is not None:
                for post_id in dict.fromkeys(results):
                    if (app, day, post_id) not in self._billed:
                        self._billed.add((app, day, post_id))
                        billed += 1
                self._billed_per_day[(app, day)] += billed
            entry = LedgerEntry(
                len(self._entries) + 1,
                format_instant(now),
                method,
                path,
                endpoint,
                owner,
                app,
                ids,
                results,
                status,
                billed,
            )
            self._entries.append(entry)
            return entry

    def billed_on(self, app: str, now: datetime) -> int:
        with self._lock:
            return self._billed_per_day[(app, now.date().isoformat())]

    def billed_days(self, app: str) -> dict[date, int]:
        """The app's billed Post reads per UTC day, for the days it read any."""
        with self._lock:
            return {
                date.fromisoformat(day): count
                for (name, day), count in self._billed_per_day.items()
                if name == app and count
            }

    def snapshot(self) -> dict:
        with self._lock:
            entries = list(self._entries)
            per_day = dict(self._billed_per_day)
        totals: dict[str, dict] = {}
        for entry in entries:
            key = entry.endpoint or f"{entry.method} {entry.path}"
            total = totals.setdefault(
                key, {"requests": 0, "statuses": {}, "posts_returned": 0, "billed_post_reads": 0}
            )
            total["requests"] += 1
            status = "reset" if entry.status is None else str(entry.status)
            total["statuses"][status] = total["statuses"].get(status, 0) + 1
            total["posts_returned"] += len(entry.results)
            total["billed_post_reads"] += entry.billed_post_reads
        billed: dict[str, dict[str, int]] = defaultdict(dict)
        for (app, day), count in sorted(per_day.items()):
            billed[app][day] = count
        return {
            "requests": [asdict(entry) for entry in entries],
            "totals": totals,
            "billed_post_reads": dict(billed),
        }

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._billed.clear()
            self._billed_per_day.clear()
