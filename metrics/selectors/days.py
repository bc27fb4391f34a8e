"""Account-days: what each account gained each day (its daily sums), and how it synced."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from django.core.cache import cache
from django.db.models import BigIntegerField, Case, F, Q, Value, When
from django.db.models.functions import TruncDate

from accounts.models import XAccount
from metrics.models import (
    MEDIA_COUNTS,
    POST_COUNTS,
    AccountDaily,
    AccountMediaDaily,
    AccountSyncDay,
    MediaDaily,
    PostDaily,
    SyncRun,
)
from metrics.selectors.cache import (
    CACHE_VERSION,
    FINAL_CACHE_SECONDS,
    LIVE_CACHE_SECONDS,
    Histories,
    _cache_key,
    _read_key,
    final_until,
)
from metrics.selectors.scope import Period, Scope, team_today
from metrics.selectors.sums import ContextSums, _daily_grouped, _merge


@dataclass(frozen=True)
class ScopeDay:
    """One day of a scope: its Posts' and videos' gains by context, summed over its accounts,
    and for each account whether a sync covered the day and how its syncs ended."""

    posts: ContextSums
    media: ContextSums
    syncs: Mapping[int, tuple[bool, tuple[str, ...]]]  # account id -> (covered, outcomes)


def scope_days(*, scope: Scope, period: Period) -> dict[date, ScopeDay]:
    """Every day of the period up to today, from the cache or in three queries.

    Final days are cached for the scope's set of accounts (one entry per day, good until a
    reading of one of them revises that day); the others (today, and yesterday during the
    first hour) per account under its sync state.
    """
    today = team_today(scope.team)
    days = [day for day in period.days() if day <= today]
    if not days or not scope.accounts:
        return {}
    final = final_until(scope.team)
    if not scope.all_posts:
        # Some of the Posts: read each time. Which Posts count can change on any final day
        # without a revision of it (X marks a Post paid afterwards), so nothing is kept.
        fresh = _read_days(scope, scope.accounts, Period(days[0], days[-1]), merged_until=today)
        return {day: by_account[MERGED] for day, by_account in fresh.items()}
    final_days = [day for day in days if day <= final]
    live_days = [day for day in days if day > final]
    accounts = ",".join(str(pk) for pk in sorted(scope.account_ids))
    digest = hashlib.sha1(accounts.encode(), usedforsecurity=False).hexdigest()[:16]
    histories = Histories.of(scope.account_ids)
    final_keys = {
        day: f"quartile:scope-day:{CACHE_VERSION}:{digest}:{_read_key(scope, day.isoformat())}"
        for day in final_days
    }
    live_keys = {
        (account.pk, day): _cache_key(scope, "account-day", account, day.isoformat(), final=False)
        for account in scope.accounts
        for day in live_days
    }
    cached = cache.get_many([*final_keys.values(), *live_keys.values()])
    result = {
        day: ScopeDay(*record)
        for day, key in final_keys.items()
        if key in cached
        for stamped, *record in [cached[key]]
        if histories.still_true(scope.account_ids, stamped, day)
    }
    live = {pair: ScopeDay(*cached[key]) for pair, key in live_keys.items() if key in cached}
    missing = [day for day in final_days if day not in result]
    stale = [a for a in scope.accounts if any((a.pk, d) not in live for d in live_days)]
    if missing or stale:
        # One read: every account from the first missing final day on, or the stale accounts
        # over the live days only.
        span = Period(min(missing), days[-1]) if missing else Period(live_days[0], days[-1])
        fresh = _read_days(scope, scope.accounts if missing else stale, span, merged_until=final)
        final_fresh = {day: by_account[MERGED] for day, by_account in fresh.items() if day <= final}
        live_fresh = {
            (account_id, day): record
            for day, by_account in fresh.items()
            if day > final
            for account_id, record in by_account.items()
        }
        cache.set_many(
            {
                final_keys[d]: (histories.stamp, r.posts, r.media, r.syncs)
                for d, r in final_fresh.items()
            },
            timeout=FINAL_CACHE_SECONDS,
        )
        cache.set_many(
            {live_keys[pair]: (r.posts, r.media, r.syncs) for pair, r in live_fresh.items()},
            timeout=LIVE_CACHE_SECONDS,
        )
        result.update(final_fresh)
        live.update(live_fresh)
    by_day: dict[date, dict[int, ScopeDay]] = defaultdict(dict)
    for (account_id, day), record in live.items():
        by_day[day][account_id] = record
    result.update({day: _merge_accounts(by_account) for day, by_account in by_day.items()})
    return result


def _merge_accounts(by_account: Mapping[int, ScopeDay]) -> ScopeDay:
    records = list(by_account.values())
    syncs = {}
    for record in records:
        syncs.update(record.syncs)
    return ScopeDay(
        posts=dict(_merge(r.posts for r in records)),
        media=dict(_merge(r.media for r in records)),
        syncs=syncs,
    )


# `_read_days`' key of a day's record summed over all its accounts.
MERGED = 0


def _read_days(
    scope: Scope, accounts: Sequence[XAccount], period: Period, *, merged_until: date
) -> dict[date, dict[int, ScopeDay]]:
    """Per day and account: gains by context and sync outcomes (three queries). Days up to
    `merged_until` come summed over the accounts, under `MERGED`: the database adds them up
    as `_merge` would (a sum is NULL only when all its terms are)."""
    ids = [a.pk for a in accounts]
    in_period = {"account_id__in": ids, "day__gte": period.start, "day__lte": period.end}
    key = ("day", "owner")
    owner = Case(
        When(day__lte=merged_until, then=Value(MERGED)),
        default=F("account_id"),
        output_field=BigIntegerField(),
    )

    def grouped(rows, names):
        return _daily_grouped(rows.filter(**in_period).annotate(owner=owner), key, names)

    if scope.all_posts:
        # The accounts' daily sums, days x accounts rows, summed as the Posts' rows would be.
        posts = grouped(AccountDaily.objects.all(), POST_COUNTS)
        media = grouped(AccountMediaDaily.objects.all(), MEDIA_COUNTS)
    else:  # some of the Posts: their own rows (no daily sums are kept per kind of Post)
        posts = grouped(PostDaily.objects.filter(scope.post_q("post__")), POST_COUNTS)
        media = grouped(MediaDaily.objects.filter(scope.carried_q("media_id")), MEDIA_COUNTS)
    covered, outcomes = _sync_outcomes(scope, period, ids)

    def syncs(account_id: int, day: date) -> tuple[bool, tuple[str, ...]]:
        return (account_id, day) in covered, tuple(sorted(outcomes.get((account_id, day), ())))

    out: dict[date, dict[int, ScopeDay]] = {}
    for day in period.days():
        owners = [MERGED] if day <= merged_until else ids
        out[day] = {
            owner: ScopeDay(
                posts=dict(posts.get((day, owner), {})),
                media=dict(media.get((day, owner), {})),
                syncs={a: syncs(a, day) for a in (ids if owner == MERGED else (owner,))},
            )
            for owner in owners
        }
    return out


def _sync_outcomes(scope: Scope, period: Period, account_ids: Sequence[int] | None = None):
    """Which account-days a sync covered (it succeeded or saved a page), and the outcomes of
    every sync started that day (team time). Final days come from `AccountSyncDay`, the
    others from the runs themselves."""
    ids = list(scope.account_ids if account_ids is None else account_ids)
    covered: set[tuple[int, date]] = set()
    outcomes: dict[tuple[int, date], set[str]] = defaultdict(set)
    final = final_until(scope.team)
    if period.start <= final:
        final_days = Period(period.start, min(final, period.end))
        _final_sync_days(scope, final_days, ids, covered, outcomes)
    if period.end > final:
        live = Period(max(period.start, final + timedelta(days=1)), period.end)
        _read_sync_runs(scope, live, ids, covered, outcomes)
    return covered, outcomes


def _final_sync_days(scope: Scope, period: Period, ids: Sequence[int], covered, outcomes) -> None:
    """`_sync_outcomes` of final days: the days kept, and the others read from the runs once
    and kept (every account-day of the period gets a row, a day without syncs too)."""
    tz = scope.team.time_zone
    kept = AccountSyncDay.objects.filter(
        account_id__in=ids, time_zone=tz, day__gte=period.start, day__lte=period.end
    ).values_list("account_id", "day", "covered", "outcomes")
    have = set()
    for account_id, day, was_covered, kept_outcomes in kept:
        have.add((account_id, day))
        if was_covered:
            covered.add((account_id, day))
        if kept_outcomes:
            outcomes[account_id, day].update(kept_outcomes.split(","))
    missing = [(a, day) for a in ids for day in period.days() if (a, day) not in have]
    if not missing:
        return
    span = Period(min(day for _, day in missing), max(day for _, day in missing))
    read_covered: set[tuple[int, date]] = set()
    read_outcomes: dict[tuple[int, date], set[str]] = defaultdict(set)
    _read_sync_runs(scope, span, sorted({a for a, _ in missing}), read_covered, read_outcomes)
    AccountSyncDay.objects.bulk_create(
        [
            AccountSyncDay(
                account_id=a, time_zone=tz, day=day, covered=(a, day) in read_covered,
                outcomes=",".join(sorted(read_outcomes.get((a, day), ()))),
            )
            for a, day in missing
        ],
        ignore_conflicts=True,  # another page wrote the same days meanwhile: the same rows
    )  # fmt: skip
    for pair in missing:
        if pair in read_covered:
            covered.add(pair)
        if pair in read_outcomes:
            outcomes[pair].update(read_outcomes[pair])


def _read_sync_runs(scope: Scope, period: Period, ids: Sequence[int], covered, outcomes) -> None:
    """`_sync_outcomes` from the runs that started in the period, into `covered`/`outcomes`."""
    start, end = scope.bounds(period)
    succeeded = Q(outcome=SyncRun.Outcome.SUCCEEDED) | Q(pages_done__gt=0)
    runs = (
        SyncRun.objects.filter(account_id__in=ids, started_at__gte=start, started_at__lt=end)
        .annotate(
            day=TruncDate("started_at", tzinfo=scope.tz),
            ok=Case(When(succeeded, then=Value(True)), default=Value(False)),
        )
        .values_list("account_id", "day", "outcome", "ok")
        .distinct()
        .order_by()
    )
    for account_id, day, outcome, ok in runs:
        if ok:
            covered.add((account_id, day))
        outcomes[account_id, day].add(outcome)
