"""Sums by context of daily rows and latest values, and the after-30 rule, once."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import date
from itertools import islice
from operator import itemgetter

from django.db import connection
from django.db.models import BigIntegerField, Exists, F, OuterRef, Q, QuerySet, Sum, Value
from django.db.models.expressions import CombinedExpression
from django.db.models.functions import Cast, Coalesce, TruncDate

from metrics.models import (
    MEDIA_COUNTS,
    POST_COUNTS,
    Context,
    MediaMetrics,
    PostDaily,
    PostMedia,
    PostMetrics,
)
from metrics.selectors.cache import _per_account
from metrics.selectors.catalogue import DAILY_CHART_METRICS, VIDEO_TYPES, MetricInfo
from metrics.selectors.rows import Parts, _add
from metrics.selectors.scope import Period, PeriodMode, Scope

# --- The after-30 rule ----------------------------------------------------------------------
#
# While X splits a Post or a video (its first 30 days) it keeps public = organic + promoted
# (docs/x-metrics.md); after that it reports public totals only. What an object gains after its
# day 30 is "after 30 days (split not reported)", never organic: public growth minus the split
# growth, on the days that end after its day 30 (`after_day_30`; before them the difference is
# zero but for rounding of estimated splits). An object first read after its day 30 never had a
# split: its whole count is "split not reported (first read after day 30)", not "after 30
# days". One rule, in the forms the reads need:

AFTER_30 = "after_30"
UNREPORTED = "unreported"
UNSPLIT_CONTEXTS = (Context.PUBLIC, Context.ORGANIC, Context.PROMOTED)  # the rule's order


def after_30_gains(gain: str, prefix: str = "") -> CombinedExpression:
    """Daily rows, in SQL: public - organic - promoted gains over the days after day 30."""
    zero = Value(0, output_field=BigIntegerField())

    def part(context: str) -> Coalesce:
        late = Q(**{f"{prefix}context": context, f"{prefix}after_day_30": True})
        return Coalesce(Sum(f"{prefix}{gain}", filter=late), zero)

    public, organic, promoted = map(part, UNSPLIT_CONTEXTS)
    return public - organic - promoted


def after_30_of_gains(late: Mapping[str, int | None]) -> int:
    """`after_30_gains` in Python, from each context's gains over the days after day 30."""
    public, organic, promoted = (late.get(c) or 0 for c in UNSPLIT_CONTEXTS)
    return public - organic - promoted


def after_30_of_totals(public, organic, promoted) -> CombinedExpression:
    """Latest totals, in SQL: public - organic - promoted; NULL when X never split the object
    (no organic total), and a promoted total X did not report counts as 0."""
    return public - organic - Coalesce(promoted, Value(0, output_field=BigIntegerField()))


def after_30_value(public: int | None, organic: int | None, promoted: int | None) -> int | None:
    """`after_30_of_totals` in Python."""
    if public is None or organic is None:
        return None
    return public - organic - (promoted or 0)


# --- Sums by context ------------------------------------------------------------------------

# Sums of one group of daily rows or latest values: context -> {metric: sum}. Besides X's
# contexts: AFTER_30 and UNREPORTED (above, part of the public sum), and "<context>:estimated",
# the estimated part of each daily gain (metrics.lifeline).
ContextSums = dict[str, dict[str, int | None]]
ESTIMATED = ":estimated"


def _estimated(sums: ContextSums) -> ContextSums:
    """The estimated parts of daily sums, keyed like the sums themselves."""
    return {c[: -len(ESTIMATED)]: v for c, v in sums.items() if c.endswith(ESTIMATED)}


def _parts(info: MetricInfo, sums: ContextSums, *, zero: bool = False) -> Parts:
    """Total, organic, promoted, after-30 and unreported parts of one metric.

    `zero`: the group is known to have had no change (a synced day without rows), so a metric
    X reports is 0 there rather than unreported.
    """

    def s(context: str) -> int | None:
        return sums.get(context, {}).get(info.key)

    default = 0 if zero else None
    organic = promoted = after_30 = unreported = None
    if info.split:
        organic = _add(s(Context.ORGANIC), default)
        promoted = _add(s(Context.PROMOTED), default)
        if info.public:
            after_30 = _add(s(AFTER_30), default)
            unreported = s(UNREPORTED)
    return Parts(_add(s(info.total_context), default), organic, promoted, after_30, unreported)


def _merge(groups: Iterable[ContextSums]) -> ContextSums:
    """Sum groups metric by metric; None (not reported) stays None only if it is all there is."""
    merged: ContextSums = {}
    for sums in groups:
        for context, values in sums.items():
            target = merged.setdefault(context, {})
            for metric, value in values.items():
                current = target.get(metric)
                if current is None:
                    target[metric] = value
                elif value is not None:
                    target[metric] = current + value
    return merged


def _value_chunks(
    rows: QuerySet, names: Sequence[str], chunk_size: int, *, server_side: bool = True
) -> Iterator[list]:
    """The tuples of a `values_list` query, in chunks, from a server-side cursor (or, for a
    result small enough to hold, a plain one: PostgreSQL plans a cursor's query without
    parallel workers, and a grouped sum over many rows wants them).

    On PostgreSQL the rows come straight from psycopg, whose loaders already give Python values,
    without Django's per-row converters: a large export spends its time writing, not converting.
    """
    if connection.vendor != "postgresql":
        iterator = rows.iterator(chunk_size=chunk_size)
        while chunk := list(islice(iterator, chunk_size)):
            yield chunk
        return
    sql, params = rows.query.sql_with_params()
    with connection.chunked_cursor() if server_side else connection.cursor() as cursor:
        cursor.execute(sql, params)
        columns = [column.name for column in cursor.description]
        pick = itemgetter(*(columns.index(name) for name in names))
        while chunk := cursor.fetchmany(chunk_size):
            yield list(map(pick, chunk))


def _daily_grouped(rows: QuerySet, keys: tuple[str, ...], names: tuple[str, ...]):
    """Daily gains by `keys` and context, with their estimated parts and the after-30 part of
    the public gains: {key tuple: ContextSums}."""
    out: dict[tuple, ContextSums] = defaultdict(dict)
    late_days = Q(after_day_30=True)
    sums = {
        **{f"sum_{n}": Sum(f"{n}_gain") for n in names},
        **{f"est_{n}": Sum(f"{n}_estimated") for n in names},
        **{f"late_{n}": Sum(f"{n}_gain", filter=late_days) for n in names},
        **{f"late_est_{n}": Sum(f"{n}_estimated", filter=late_days) for n in names},
    }
    # bigint, not PostgreSQL's numeric sums, read without Django's converters: thousands of
    # groups of 40 sums each are mostly conversion otherwise.
    grouped = (
        rows.values(*keys, "context")
        .annotate(**{name: Cast(total, BigIntegerField()) for name, total in sums.items()})
        .order_by()
    )
    columns = (*keys, "context", *sums)
    flat = grouped.values_list(*columns)
    k, n = len(keys), len(names)
    gain, estimated, late_gain, late_estimated = (
        slice(k + 1 + part * n, k + 1 + (part + 1) * n) for part in range(4)
    )
    # Read by position: thousands of rows of 40 sums each, where dicts per row would cost more
    # than the query.
    late: dict[tuple, dict[str, tuple]] = defaultdict(dict)  # key -> context -> late sums
    # Days x accounts groups at most: a result to hold, from a query that may go parallel.
    chunks = _value_chunks(flat, columns, 5000, server_side=False)
    for values in (v for chunk in chunks for v in chunk):
        key, context = tuple(values[:k]), values[k]
        sums = out[key]
        sums[context] = dict(zip(names, values[gain], strict=True))
        sums[context + ESTIMATED] = dict(zip(names, values[estimated], strict=True))
        late[key][context] = (values[late_gain], values[late_estimated])
    # The after-30 part is linear (public less organic less promoted, over the late days), so
    # it is the same whether accounts are summed first (final days) or after (live days): a
    # group with late organic gains and no public one that day counts them too.
    for key, by_context in late.items():
        public = out[key].get(Context.PUBLIC, {})
        split = [by_context[c][0] for c in UNSPLIT_CONTEXTS[1:] if c in by_context]
        known = [
            i for i, name in enumerate(names)
            if public.get(name) is not None or any(gains[i] is not None for gains in split)
        ]  # fmt: skip
        for part, suffix in enumerate(("", ESTIMATED)):
            out[key][AFTER_30 + suffix] = {
                names[i]: after_30_of_gains({c: sums[part][i] for c, sums in by_context.items()})
                for i in known
            }
    return out


def _lifetime_grouped(rows: QuerySet, keys: tuple[str, ...], names: tuple[str, ...], owner: str):
    """Latest totals by `keys` and context, with the after-30 and unreported parts of the
    public totals (`after_30_of_totals`, summed): {key tuple: ContextSums}. `owner` is the
    rows' foreign key to their Post or video."""
    split = rows.model.objects.filter(**{owner: OuterRef(owner)}, context=Context.ORGANIC)
    sums_of = {f"sum_{n}": Cast(Sum(n), BigIntegerField()) for n in names}
    columns = (*keys, "context", "split", *sums_of)
    grouped = (
        rows.annotate(split=Exists(split))
        .values(*keys, "context", "split")
        .annotate(**sums_of)
        .order_by()
        .values_list(*columns)
    )
    out: dict[tuple, ContextSums] = defaultdict(dict)
    split_public: dict[tuple, dict[str, int | None]] = {}
    k = len(keys)
    chunks = _value_chunks(grouped, columns, 5000, server_side=False)
    for row in (r for chunk in chunks for r in chunk):
        key, context, is_split = tuple(row[:k]), row[k], row[k + 1]
        values = dict(zip(names, row[k + 2 :], strict=True))
        sums = out[key]
        if context in sums:  # the same context of split and unsplit Posts
            sums[context] = _merge([{context: sums[context]}, {context: values}])[context]
        else:
            sums[context] = values
        if context == Context.PUBLIC:
            if is_split:
                split_public[key] = values
            else:
                sums[UNREPORTED] = values
    for key, public in split_public.items():
        sums = out[key]
        organic, promoted = sums.get(Context.ORGANIC, {}), sums.get(Context.PROMOTED, {})
        sums[AFTER_30] = {
            n: after_30_value(public[n], organic.get(n), promoted.get(n)) for n in names
        }
    return out


def _daily_rows_in_scope(scope: Scope, *, post_ids: Sequence[int] | None = None) -> QuerySet:
    """The PostDaily rows a scope counts (any day): its accounts' Posts, or those created in
    the period when the period means "Posts created in the period"."""
    rows = PostDaily.objects.filter(scope.post_q("post__"), account_id__in=scope.account_ids)
    if scope.mode == PeriodMode.CREATED:
        start, end = scope.bounds()
        rows = rows.filter(post__created_at__gte=start, post__created_at__lt=end)
    if post_ids is not None:
        rows = rows.filter(post_id__in=post_ids)
    return rows


def _created_in(scope: Scope, period: Period, prefix: str = "") -> Q:
    """The Posts created in the period; not those deleted on X, whose content is forgotten."""
    start, end = scope.bounds(period)
    return Q(**{
        f"{prefix}account_id__in": scope.account_ids,
        f"{prefix}created_at__gte": start,
        f"{prefix}created_at__lt": end,
        f"{prefix}deleted_at": None,
    }) & scope.post_q(prefix)  # fmt: skip


def _only(sums: ContextSums, metrics: set[str]) -> ContextSums:
    return {c: {m: v for m, v in values.items() if m in metrics} for c, values in sums.items()}


def _post_total_sums(
    scope: Scope, *, by_day: bool = True
) -> tuple[dict[date, ContextSums], ContextSums, ContextSums]:
    """Latest totals of the Posts created in the period, by the team day they were created on
    (the charts' metrics only; {} when not `by_day`), and in all of the period and of the
    previous one (cached per account: one query for the accounts that synced since)."""
    charted = set(DAILY_CHART_METRICS)

    def compute(part: Scope) -> dict[int, tuple]:
        rows = PostMetrics.objects.filter(_created_in(part, part.compared, "post__")).annotate(
            owner=F("post__account_id"), created_on=TruncDate("post__created_at", tzinfo=part.tz)
        )
        by_account: dict[int, dict[date, ContextSums]] = defaultdict(dict)
        for (account_id, day), sums in _lifetime_grouped(
            rows, ("owner", "created_on"), POST_COUNTS, "post_id"
        ).items():
            by_account[account_id][day] = sums
        return {
            account_id: (
                {day: _only(sums, charted) for day, sums in days.items() if day in part.period},
                dict(_merge(sums for day, sums in days.items() if day in part.period)),
                dict(_merge(sums for day, sums in days.items() if day in part.period.previous)),
            )
            for account_id, days in by_account.items()
        }

    period = (scope.compared.start, scope.period.end)
    per_account = _per_account(
        scope, "created-sums", period, compute, empty=({}, {}, {}), kept=True
    )
    days: dict[date, list[ContextSums]] = defaultdict(list)
    for each_day, _, _ in per_account.values() if by_day else ():
        for day, sums in each_day.items():
            days[day].append(sums)
    return (
        {day: _merge(sums) for day, sums in days.items()},
        _merge(now for _, now, _ in per_account.values()),
        _merge(before for _, _, before in per_account.values()),
    )


def _media_carried_by_posts_created_in(scope: Scope, period: Period) -> QuerySet:
    return PostMedia.objects.filter(_created_in(scope, period, "post__")).values("media_id")


def _media_total_sums(scope: Scope, *, with_previous: bool) -> tuple[ContextSums, ContextSums]:
    """Latest totals of the videos carried by Posts created in the period (and in the previous
    one), each media key once per period (cached per account)."""

    def compute(part: Scope) -> dict[int, tuple[ContextSums, ContextSums]]:
        carried_now = _media_carried_by_posts_created_in(part, part.period)
        carried_before = _media_carried_by_posts_created_in(part, part.period.previous)
        rows = MediaMetrics.objects.filter(media__type__in=VIDEO_TYPES).annotate(
            owner=F("media__account_id"),
            in_now=Exists(carried_now.filter(media_id=OuterRef("media_id"))),
            in_before=Exists(carried_before.filter(media_id=OuterRef("media_id")))
            if with_previous
            else Value(False),
        )
        rows = rows.filter(Q(in_now=True) | Q(in_before=True))
        grouped = _lifetime_grouped(
            rows, ("owner", "in_now", "in_before"), MEDIA_COUNTS, "media_id"
        )
        out: dict[int, tuple[ContextSums, ContextSums]] = {}
        for account in part.accounts:
            mine = {k[1:]: v for k, v in grouped.items() if k[0] == account.pk}
            out[account.pk] = (
                dict(_merge(v for (now, _), v in mine.items() if now)),
                dict(_merge(v for (_, before), v in mine.items() if before)),
            )
        return out

    parts = (scope.period.start, scope.period.end, with_previous)
    per_account = _per_account(scope, "created-media", parts, compute, empty=({}, {}), kept=True)
    return (
        _merge(now for now, _ in per_account.values()),
        _merge(before for _, before in per_account.values()),
    )
