"""What is known of each account-day: complete, so far, partly known or no data, and why."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from accounts.models import XAccount
from metrics.models import PRIVATE_WINDOW, SyncRun
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
        read_on = next((d for d in reversed(days) if (syncs(account.pk, d) or (False,))[0]), None)
        span = AccountSpan.of(account, scope.tz, read_on)
        for day in days:
            if span.between_readings(day):
                continue  # known: most days of a long period, decided without their syncs
            kind, reason = account_day_state(
                span, day, lambda a=account.pk, d=day: (syncs(a, d) or (False, ()))[1], today=today
            )
            if kind is not None:
                (gaps if kind == Coverage.NONE else partial)[account.pk][day] = reason
    return CoverageMap(gaps, scope.usernames, partial, today)


@dataclass(frozen=True)
class AccountSpan:
    """What decides an account's days: when it was connected, last read, disconnected."""

    connected_at: datetime  # team time, as every instant here
    last_synced_at: datetime | None
    last_on: date | None  # its last reading's day: the last success's, or a later saved page's
    disconnected_on: date | None
    needs_reauth: bool

    @property
    def connected_on(self) -> date:
        return self.connected_at.date()

    def between_readings(self, day: date) -> bool:
        """A day after the connection day with readings on both sides: known (estimated)."""
        return self.last_on is not None and self.connected_on < day < self.last_on

    @classmethod
    def of(cls, account: XAccount, tz: ZoneInfo, read_on: date | None = None) -> AccountSpan:
        last = account.last_synced_at and account.last_synced_at.astimezone(tz)
        gone = account.disconnected_at and account.disconnected_at.astimezone(tz).date()
        return cls(
            connected_at=account.connected_at.astimezone(tz),
            last_synced_at=last,
            last_on=max(filter(None, (last and last.date(), read_on)), default=None),
            disconnected_on=gone,
            needs_reauth=account.status == XAccount.Status.NEEDS_REAUTH,
        )


def account_day_state(
    span: AccountSpan, day: date, outcomes: Callable[[], Iterable[str]], *, today: date
) -> tuple[Coverage | None, str]:
    """What is known of one account's day (docs/DESIGN.md "Coverage"): (NONE or PARTIAL, why), or
    (None, "") for a day covered by a reading after its end, or today up to its latest reading.
    `outcomes()`: how the day's syncs ended (asked only for a day after the last reading).

    A reading splits the gain since the previous one over the days between, so a day without a
    sync of its own but with readings on both sides is known (estimated). Before the account was
    connected only its Posts created within 30 days of the connection are known (from birth);
    on the connection day, Posts older than 30 days count from their second reading.
    """
    connected_on, last_on = span.connected_on, span.last_on
    if span.between_readings(day):
        return None, ""
    if day < connected_on:
        since = connected_on - PRIVATE_WINDOW
        if day < since:
            return Coverage.NONE, "before it was connected"
        # No account name in a reason: a day of 50 accounts connected together reads as one
        # reason and the accounts, not 50 sentences.
        return Coverage.PARTIAL, (
            f"before it was connected: only its Posts created since {since:%-d %b} count"
        )
    if last_on is None or day > last_on:
        return Coverage.NONE, _gap_reason(span, day, outcomes(), today=today)
    if day == connected_on:
        return Coverage.PARTIAL, (
            f"connected at {span.connected_at:%H:%M}: its Posts older than 30 days count from "
            "their second reading"
        )
    if day == last_on and day < today:
        last = span.last_synced_at
        if last is not None and last.date() == day:
            return Coverage.PARTIAL, f"last reading at {last:%H:%M}"
        return Coverage.PARTIAL, "last readings that day, from a sync that did not finish"
    return None, ""


def scope_coverage(*, scope: Scope, period: Period | None = None) -> CoverageMap:
    """Each account-day's coverage (`account_day_state`), from the syncs of the period (a sync
    that succeeded or saved at least one page read the account that day)."""
    period = period or scope.compared
    covered, outcomes = _sync_outcomes(scope, period)
    return _coverage_map(scope, period, lambda a, d: ((a, d) in covered, outcomes.get((a, d), ())))


def _gap_reason(span: AccountSpan, day: date, outcomes, *, today: date) -> str:
    for outcome, reason in GAP_REASONS.items():
        if outcome in outcomes:
            return reason
    if span.disconnected_on and span.disconnected_on <= day:
        return "disconnected"
    if span.needs_reauth:
        return "needs reconnecting"
    if day == today:
        return "not synced yet today"  # the day has just begun: nothing failed
    return "no successful sync"
