"""What is known of each account-day: complete, so far, partly known or no data, and why."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from zoneinfo import ZoneInfo

from accounts.models import XAccount
from metrics.models import SyncRun
from metrics.selectors.catalogue import PRIVATE_WINDOW
from metrics.selectors.days import _sync_outcomes
from metrics.selectors.rows import Coverage, GapNote
from metrics.selectors.scope import Period, Scope, team_today

# --- Coverage: which account-days have data -------------------------------------------------

GAP_REASONS = {
    SyncRun.Outcome.NEEDS_REAUTH: "needs reconnecting",
    SyncRun.Outcome.DEFERRED: "deferred (rate limit or read budget)",
    SyncRun.Outcome.FAILED: "sync failed",
    SyncRun.Outcome.RUNNING: "sync still running",
}


@dataclass(frozen=True)
class CoverageMap:
    """For each account in scope, its days without data (`gaps`) or only partly known
    (`partial`), and why."""

    gaps: Mapping[int, Mapping[date, str]]
    usernames: Mapping[int, str]
    partial: Mapping[int, Mapping[date, str]] = field(default_factory=dict)
    today: date | None = None

    def missing(self, day: date) -> tuple[GapNote, ...]:
        return tuple(
            GapNote(self.usernames[account_id], days[day])
            for notes in (self.gaps, self.partial)
            for account_id, days in notes.items()
            if day in days
        )

    def coverage(self, day: date) -> Coverage:
        missing = sum(1 for days in self.gaps.values() if day in days)
        if missing and missing == len(self.usernames):
            return Coverage.NONE
        if missing or any(day in days for days in self.partial.values()):
            return Coverage.PARTIAL
        return Coverage.SO_FAR if day == self.today else Coverage.FULL

    def is_gap(self, account_id: int, day: date) -> bool:
        return day in self.gaps.get(account_id, {})

    def incomplete_days(self, period: Period) -> int:
        return sum(
            1 for day in period.days() if self.coverage(day) in (Coverage.NONE, Coverage.PARTIAL)
        )


def _coverage_map(
    scope: Scope, period: Period, syncs: Callable[[int, date], tuple[bool, Iterable[str]] | None]
) -> CoverageMap:
    """`syncs(account id, day)`: whether a sync saved readings that day, and its syncs'
    outcomes. Days after today are not gaps: they are still to come."""
    today = team_today(scope.team)
    gaps: dict[int, dict[date, str]] = {account.pk: {} for account in scope.accounts}
    partial: dict[int, dict[date, str]] = {account.pk: {} for account in scope.accounts}
    days = [day for day in period.days() if day <= today]
    for account in scope.accounts:
        read_on = max((d for d in days if (syncs(account.pk, d) or (False,))[0]), default=None)
        connected_on, last_on = _known_span(account, scope.tz, read_on)
        for day in days:
            if last_on is not None and connected_on < day < last_on:
                continue  # readings on both sides, after the connection day: known
            outcomes = (syncs(account.pk, day) or (False, ()))[1]
            kind, reason = account_day_state(
                account, day, outcomes, today=today, tz=scope.tz, read_on=read_on
            )
            if kind is not None:
                (gaps if kind == Coverage.NONE else partial)[account.pk][day] = reason
    return CoverageMap(gaps, scope.usernames, partial, today)


def account_day_state(
    account: XAccount,
    day: date,
    outcomes: Iterable[str],
    *,
    today: date,
    tz: ZoneInfo,
    read_on: date | None = None,
) -> tuple[Coverage | None, str]:
    """What is known of one account's day (DESIGN.md "Coverage"): (NONE or PARTIAL, why), or
    (None, "") for a day covered by a reading after its end, or today up to its latest reading.

    A reading splits the gain since the previous one over the days between, so a day without a
    sync of its own but with readings on both sides is known (estimated). Before the account was
    connected only its Posts created within 30 days of the connection are known (from birth);
    on the connection day, Posts older than 30 days count from their second reading.
    """
    connected_on, last_on = _known_span(account, tz, read_on)
    last = account.last_synced_at
    name = f"@{account.username}"
    if day < connected_on:
        since = connected_on - PRIVATE_WINDOW
        if day < since:
            return Coverage.NONE, f"before {name} was connected"
        return Coverage.PARTIAL, (
            f"before {name} was connected: only its Posts created since {since:%-d %b} count"
        )
    if last_on is None or day > last_on:
        disconnected_on = account.disconnected_at and account.disconnected_at.astimezone(tz).date()
        return Coverage.NONE, _gap_reason(account, day, outcomes, disconnected_on, today=today)
    if day == connected_on:
        first = account.connected_at.astimezone(tz)
        return Coverage.PARTIAL, (
            f"connected at {first:%H:%M}: its Posts older than 30 days count from their "
            "second reading"
        )
    if day == last_on and day < today:
        if last is not None and last.astimezone(tz).date() == day:
            return Coverage.PARTIAL, f"last reading at {last.astimezone(tz):%H:%M}"
        return Coverage.PARTIAL, "last readings that day, from a sync that did not finish"
    return None, ""


def _known_span(account: XAccount, tz: ZoneInfo, read_on: date | None) -> tuple[date, date | None]:
    """The account's connection day, and the day of its last reading (None: never read):
    its last successful sync's, or a later day on which a sync saved readings."""
    last = account.last_synced_at
    last_on = max(filter(None, (last and last.astimezone(tz).date(), read_on)), default=None)
    return account.connected_at.astimezone(tz).date(), last_on


def scope_coverage(*, scope: Scope, period: Period | None = None) -> CoverageMap:
    """Each account-day's coverage (`account_day_state`), from the syncs of the period (a sync
    that succeeded or saved at least one page read the account that day)."""
    period = period or scope.compared
    covered, outcomes = _sync_outcomes(scope, period)
    return _coverage_map(scope, period, lambda a, d: ((a, d) in covered, outcomes.get((a, d), ())))


def _gap_reason(account: XAccount, day: date, outcomes, disconnected_on, *, today: date) -> str:
    for outcome, reason in GAP_REASONS.items():
        if outcome in outcomes:
            return reason
    if disconnected_on and disconnected_on <= day:
        return "disconnected"
    if account.status == XAccount.Status.NEEDS_REAUTH:
        return "needs reconnecting"
    if day == today:
        return "not synced yet today"  # the day has just begun: nothing failed
    return "no successful sync"
