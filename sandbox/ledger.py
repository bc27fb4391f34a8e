"""Every request the sandbox answered, and what X would bill for it.

X bills pay-per-use reads per app, once per resource per UTC day: "the same resource fetched again
within the same UTC day is charged once" (docs/x-api.md §2.7). A Post counts as read when an answer
returns it in `data`: X bills the resources an answer returns as data, not the Posts it only
includes (`includes.tweets`, docs/x-api.md §9). The same holds for Users (`GET /2/users/me`).

X's prices (docs/x-api.md §2.7 and §9, https://docs.x.com/x-api/getting-started/pricing): a Post
read $0.005, a User read $0.010, Owned Reads $0.001 a Post, only on the timeline of the token's
own user when that user owns the developer app. The first read of a resource on a UTC day sets
its price; a second read that day is free, whatever the endpoint.
"""

from __future__ import annotations

import threading
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass
from datetime import date, datetime
from decimal import Decimal

from sandbox.clock import format_instant

POST_READ = Decimal("0.005")
USER_READ = Decimal("0.010")
OWNED_READ = Decimal("0.001")


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
    billed_user_reads: int
    dollars: str  # what X charges for the request, e.g. "0.015"


class Ledger:
    def __init__(self) -> None:
        self._entries: list[LedgerEntry] = []
        self._billed: set[tuple[str, str, str]] = set()  # (app, UTC day, Post id)
        self._billed_per_day: Counter[tuple[str, str]] = Counter()
        self._users_billed: set[tuple[str, str, str]] = set()  # (app, UTC day, user id)
        self._dollars_per_day: defaultdict[tuple[str, str], Decimal] = defaultdict(Decimal)
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
        users: list[str] = (),  # type: ignore[assignment]
        owned: bool = False,
    ) -> LedgerEntry:
        """`users`: the User ids the answer returned as data; `owned`: Owned Reads apply."""
        day = now.date().isoformat()
        with self._lock:
            billed = billed_users = 0
            if app is not None:
                for post_id in dict.fromkeys(results):
                    if (app, day, post_id) not in self._billed:
                        self._billed.add((app, day, post_id))
                        billed += 1
                for user_id in dict.fromkeys(users):
                    if (app, day, user_id) not in self._users_billed:
                        self._users_billed.add((app, day, user_id))
                        billed_users += 1
                self._billed_per_day[(app, day)] += billed
            dollars = billed * (OWNED_READ if owned else POST_READ) + billed_users * USER_READ
            if app is not None:
                self._dollars_per_day[(app, day)] += dollars
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
                billed_users,
                str(dollars),
            )
            self._entries.append(entry)
            return entry

    def billed_on(self, app: str, now: datetime) -> int:
        with self._lock:
            return self._billed_per_day[(app, now.date().isoformat())]

    def dollars(self, app: str) -> Decimal:
        """Everything X has charged the app since the ledger began."""
        with self._lock:
            return sum(
                (d for (name, _day), d in self._dollars_per_day.items() if name == app),
                Decimal(0),
            )

    def billed_in_month(self, app: str, now: datetime) -> int:
        """The app's billed Post reads in the calendar month of `now` (its billing cycle)."""
        month = now.date().isoformat()[:7]
        with self._lock:
            return sum(
                n for (name, day), n in self._billed_per_day.items()
                if name == app and day.startswith(month)
            )  # fmt: skip

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
            dollars_per_day = dict(self._dollars_per_day)
        totals: dict[str, dict] = {}
        for entry in entries:
            key = entry.endpoint or f"{entry.method} {entry.path}"
            total = totals.setdefault(
                key,
                {
                    "requests": 0,
                    "statuses": {},
                    "posts_returned": 0,
                    "billed_post_reads": 0,
                    "billed_user_reads": 0,
                    "dollars": "0",
                },
            )
            total["requests"] += 1
            status = "reset" if entry.status is None else str(entry.status)
            total["statuses"][status] = total["statuses"].get(status, 0) + 1
            total["posts_returned"] += len(entry.results)
            total["billed_post_reads"] += entry.billed_post_reads
            total["billed_user_reads"] += entry.billed_user_reads
            total["dollars"] = str(Decimal(total["dollars"]) + Decimal(entry.dollars))
        billed: dict[str, dict[str, int]] = defaultdict(dict)
        for (app, day), count in sorted(per_day.items()):
            billed[app][day] = count
        dollars: dict[str, dict[str, str]] = defaultdict(dict)
        for (app, day), amount in sorted(dollars_per_day.items()):
            dollars[app][day] = str(amount)
        return {
            "requests": [asdict(entry) for entry in entries],
            "totals": totals,
            "billed_post_reads": dict(billed),
            "dollars": dict(dollars),
        }

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._billed.clear()
            self._billed_per_day.clear()
            self._users_billed.clear()
            self._dollars_per_day.clear()
