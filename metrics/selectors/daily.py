"""The daily series per account and context: the daily CSV."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from django.db.models import BigIntegerField, Q, Sum
from django.db.models.functions import Coalesce

from metrics.models import POST_COUNTS, Context
from metrics.selectors.catalogue import CONTEXTS, POST_METRICS
from metrics.selectors.coverage import scope_coverage
from metrics.selectors.rows import DailySeriesRow
from metrics.selectors.scope import Scope
from metrics.selectors.sums import _daily_rows_in_scope, after_30_of_gains

# --- Daily series, per account (the CSV) -----------------------------------------------------

AFTER_30_CONTEXT = "after_30_days"


def daily_series_rows(*, scope: Scope, post_id: int | None = None) -> Iterator[DailySeriesRow]:
    """Gain and end-of-day value of every reported metric, per day, account and context.

    The end-of-day value of an account is the sum of its Posts' latest values at the end of the
    day. Each daily row adds its gain, or its whole value when the gain is unknown (the first
    time a Post is seen), so the running sum from the first row equals that sum. Gap days carry
    no numbers, only the reason. Summed over accounts, the gains are the daily charts' rows
    ("Posts created in the period": the gains, day by day, of those Posts only).
    """
    rows = _daily_rows_in_scope(scope, post_ids=None if post_id is None else [post_id])
    coverage = scope_coverage(scope=scope, period=scope.period)
    deltas = {m: Sum(Coalesce(f"{m}_gain", m, output_field=BigIntegerField())) for m in POST_COUNTS}
    end_of_day: dict[tuple[int, str, str], int] = {}
    baseline = (
        rows.filter(day__lt=scope.period.start)
        .values("account_id", "context")
        .annotate(**{f"sum_{m}": delta for m, delta in deltas.items()})
        .order_by()
    )
    for row in baseline:
        for m in POST_COUNTS:
            if row[f"sum_{m}"] is not None:
                end_of_day[row["account_id"], row["context"], m] = row[f"sum_{m}"]

    grouped = (
        rows.filter(day__gte=scope.period.start, day__lte=scope.period.end)
        .values("day", "account_id", "context")
        .annotate(
            **{f"sum_{m}_gain": Sum(f"{m}_gain") for m in POST_COUNTS},
            **{f"sum_{m}_est": Sum(f"{m}_estimated") for m in POST_COUNTS},
            **{f"sum_{m}_late": Sum(f"{m}_gain", filter=Q(after_day_30=True)) for m in POST_COUNTS},
            **{
                f"sum_{m}_late_est": Sum(f"{m}_estimated", filter=Q(after_day_30=True))
                for m in POST_COUNTS
            },
            **{f"sum_{m}_delta": delta for m, delta in deltas.items()},
        )
        .order_by("day", "account_id")
    )
    by_account = defaultdict(list)  # one day's groups at a time: memory is one day
    iterator = grouped.iterator(chunk_size=2000)
    pending = next(iterator, None)
    accounts = sorted(scope.accounts, key=lambda a: a.username)
    for day in scope.period.days():
        by_account.clear()
        while pending is not None and pending["day"] == day:
            by_account[pending["account_id"]].append(pending)
            pending = next(iterator, None)
        for account in accounts:
            yield from _account_day_rows(
                day, account, by_account.get(account.pk, []), end_of_day, coverage
            )


def _account_day_rows(day, account, groups, end_of_day, coverage) -> Iterator[DailySeriesRow]:
    gap = coverage.is_gap(account.pk, day) and not groups
    note = f"no data: {coverage.gaps[account.pk][day]}" if gap else ""
    gains: dict[tuple[str, str], int | None] = {}
    estimated: dict[tuple[str, str], int | None] = {}
    late: dict[str, dict[str, dict[str, int | None]]] = {"gain": {}, "estimated": {}}
    for group in groups:
        for m in POST_COUNTS:
            gains[group["context"], m] = group[f"sum_{m}_gain"]
            estimated[group["context"], m] = group[f"sum_{m}_est"]
            late["gain"].setdefault(m, {})[group["context"]] = group[f"sum_{m}_late"]
            late["estimated"].setdefault(m, {})[group["context"]] = group[f"sum_{m}_late_est"]
            if group[f"sum_{m}_delta"] is not None:
                key = (account.pk, group["context"], m)
                end_of_day[key] = end_of_day.get(key, 0) + group[f"sum_{m}_delta"]
    for m, info in POST_METRICS.items():
        for context in CONTEXTS:
            value = end_of_day.get((account.pk, context, m))
            if value is None and gains.get((context, m)) is None:
                continue  # never reported for this account
            if gap:
                yield DailySeriesRow(day, account.username, m, context, None, None, note)
            else:
                gain = gains.get((context, m), 0)  # no row on a synced day: no change
                yield DailySeriesRow(
                    day, account.username, m, context, gain, value,
                    estimated=estimated.get((context, m)) or 0,
                )  # fmt: skip
        if info.public and info.split and (account.pk, Context.PUBLIC, m) in end_of_day:
            after_30 = after_30_estimated = None
            if not gap:
                after_30 = after_30_of_gains(late["gain"].get(m, {}))
                after_30_estimated = after_30_of_gains(late["estimated"].get(m, {}))
            yield DailySeriesRow(
                day, account.username, m, AFTER_30_CONTEXT, after_30, None, note,
                estimated=after_30_estimated,
            )  # fmt: skip
