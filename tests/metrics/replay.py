"""Days of syncs against the sandbox on its own clock, and what the sandbox says happened.

The sandbox's counts are a function of a Post and the time, so setting its clock to each
midnight and reading every Post gives the truth of each day, to hold the stored history against
(tests/metrics/test_history_against_the_sandbox.py, bench/truth.py).
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from statistics import median

import xapi
from accounts.models import Team, XAccount
from metrics.models import Post, SyncRun
from metrics.selectors import Period, PeriodMode, Scope, daily_series_rows, post_rows
from tests.metrics.syncing import run_sync, sandbox_account, truth_client


@dataclass
class Replay:
    team: Team
    accounts: list[XAccount]
    start: datetime  # when the accounts were connected (sandbox clock)
    end: datetime  # the last sync
    syncs: int = 0


def replay(sandbox, team: Team, usernames, *, start: datetime, days: int, every: timedelta):
    """Connect `usernames` at `start` and sync each of them every `every` for `days` days,
    the sandbox's clock moving with the syncs (their tokens expire and refresh on it)."""
    sandbox.set_clock(start)
    accounts = []
    for username in usernames:
        account = sandbox_account(sandbox, team, username)
        XAccount.objects.filter(pk=account.pk).update(connected_at=start)
        account.refresh_from_db()
        accounts.append(account)
    run = Replay(team, accounts, start, start)
    at = start
    while at <= start + timedelta(days=days):
        sandbox.set_clock(at)
        for account in accounts:
            outcome = run_sync(account)
            assert outcome.outcome == SyncRun.Outcome.SUCCEEDED, outcome.error
            run.syncs += 1
        run.end = at
        at += every
    for account in accounts:
        account.refresh_from_db()
    return run


def impressions_at(sandbox, username: str, x_ids: list[int], at: datetime) -> dict[int, int]:
    """Each Post's public impressions at `at`, as X serves them then (0 before it existed)."""
    sandbox.set_clock(at)
    found = dict.fromkeys(x_ids, 0)
    with truth_client(sandbox, username) as client:
        for n in range(0, len(x_ids), 100):
            ids = [str(x) for x in x_ids[n : n + 100]]
            page = client.lookup_posts(ids=ids, metrics=xapi.MetricGroup.PUBLIC, with_media=False)
            for post in page.posts:
                if post.created_at <= at:
                    found[int(post.id)] = post.public_metrics.impression_count or 0
    return found


@dataclass
class DayError:
    day: date
    ours: int
    truth: int
    basis: str

    @property
    def error(self) -> float:
        return abs(self.ours - self.truth) / self.truth if self.truth else float(self.ours != 0)


@dataclass
class Comparison:
    """One account's stored history against the sandbox's truth."""

    account: XAccount
    days: list[DayError] = field(default_factory=list)
    posts_born: int = 0
    posts_exact: int = 0

    @property
    def estimated(self) -> list[DayError]:
        return [d for d in self.days if d.basis == "estimated"]

    def summary(self) -> tuple[float, float]:
        """The median and worst relative error of the estimated days."""
        errors = [d.error for d in self.estimated] or [0.0]
        return median(errors), max(errors)

    def worst_difference(self) -> int:
        """The largest difference in impressions of an estimated day (small accounts' days
        hold a few impressions, where a relative error says little)."""
        return max((abs(d.ours - d.truth) for d in self.estimated), default=0)

    def mean_truth(self) -> float:
        return sum(d.truth for d in self.days) / len(self.days) if self.days else 0.0


def compare(sandbox, run: Replay, account: XAccount) -> Comparison:
    """The account's complete days (after its connection day, before its last reading's day):
    daily public impressions against the sandbox's per-day gains; and every Post created since
    the connection: its lifetime impressions against what the sandbox served at the last sync."""
    tz = run.team.tzinfo
    first = run.start.astimezone(tz).date() + timedelta(days=1)
    last = run.end.astimezone(tz).date() - timedelta(days=1)
    result = Comparison(account)
    x_ids = list(Post.objects.filter(account=account).values_list("x_post_id", flat=True))
    midnights = {
        day: impressions_at(sandbox, account.username, x_ids, datetime.combine(day, time(), tz))
        for day in (first + timedelta(days=n) for n in range((last - first).days + 2))
    }
    ours: dict[date, int] = defaultdict(int)
    bases: dict[date, set[str]] = defaultdict(set)
    scope = Scope(run.team, (account,), Period(first, last))
    for row in daily_series_rows(scope=scope):
        if row.metric == "impression_count" and row.context == "public":
            ours[row.day] += row.gain or 0
            bases[row.day].add(row.basis)
    for day in sorted(ours):
        after = midnights[day + timedelta(days=1)]
        truth = sum(after[x] - midnights[day][x] for x in x_ids)
        basis = "estimated" if "estimated" in bases[day] else min(bases[day])
        result.days.append(DayError(day, ours[day], truth, basis))
    served = impressions_at(sandbox, account.username, x_ids, run.end)
    created = Scope(
        run.team, (account,), Period(run.start.astimezone(tz).date(), last + timedelta(days=1)),
        PeriodMode.CREATED,
    )  # fmt: skip
    for row in post_rows(scope=created):
        if row.created_at < run.start:
            continue
        result.posts_born += 1
        result.posts_exact += row.metrics["impression_count"].public == served[row.x_post_id]
    return result
