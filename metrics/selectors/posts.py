"""The Posts table: one row per Post in scope, ranked, and its videos counted once."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from django.core.cache import cache
from django.db import connection
from django.db.models import (
    BigIntegerField,
    Count,
    Exists,
    F,
    FilteredRelation,
    FloatField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    Window,
)
from django.db.models.functions import Cast, NullIf, RowNumber

from metrics.models import Context, Post, PostDaily, PostMedia, post_url
from metrics.selectors.cache import (
    LIVE_CACHE_SECONDS,
    _per_account,
    _scope_key,
    final_until,
)
from metrics.selectors.catalogue import (
    CONTEXTS,
    MEDIA_METRICS,
    POST_METRICS,
    VIDEO_TYPES,
    MetricInfo,
)
from metrics.selectors.rows import MetricValues, PostRow, _add
from metrics.selectors.scope import PeriodMode, Scope
from metrics.selectors.sums import (
    AFTER_30,
    UNSPLIT_CONTEXTS,
    ContextSums,
    _created_in,
    _daily_rows_in_scope,
    _parts,
    _value_chunks,
    after_30_gains,
    after_30_of_totals,
    after_30_value,
)

# --- Posts -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PostSort:
    """How the Posts table is ordered: one metric in one context, largest first."""

    metric: str = "impression_count"
    context: str = "total"  # total | organic | promoted | after_30

    EXTRA = ("engagement_rate", "created_at")

    @classmethod
    def parse(cls, value: str | None) -> PostSort:
        metric, _, context = (value or "").partition(".")
        context = context or "total"
        if metric in cls.EXTRA and context == "total":
            return cls(metric, context)
        info = POST_METRICS.get(metric)
        if info is None:
            return cls()
        allowed = {"total", *(c for c in info.contexts if c in ("organic", "promoted", "after_30"))}
        return cls(metric, context) if context in allowed else cls(metric)

    def __str__(self) -> str:
        return self.metric if self.context == "total" else f"{self.metric}.{self.context}"

    def column(self) -> str:
        """The column of the Posts' metric dicts this sort orders by."""
        if self.metric in self.EXTRA:
            return self.metric
        info = POST_METRICS[self.metric]
        context = info.total_context if self.context == "total" else self.context
        return f"{self.metric}_{context}"

    def contexts(self) -> tuple[str, ...]:
        """The contexts whose rows decide the order."""
        if self.metric == "created_at":
            return ()
        if self.metric == "engagement_rate":
            return (Context.NON_PUBLIC,)
        if self.context == "after_30":
            return (Context.PUBLIC, Context.ORGANIC, Context.PROMOTED)
        info = POST_METRICS[self.metric]
        return (info.total_context if self.context == "total" else self.context,)


def _reported(metrics: Mapping[str, MetricInfo]) -> list[tuple[str, str]]:
    """(metric, context) pairs X reports (after_30 excluded: it is derived)."""
    return [(m, c) for m, info in metrics.items() for c in info.contexts if c != "after_30"]


def _latest_joins(contexts: Iterable[str] = CONTEXTS) -> dict[str, FilteredRelation]:
    """A Post's or a medium's latest values, one join per context, as `latest_<context>`."""
    return {
        f"latest_{c}": FilteredRelation("latest", condition=Q(latest__context=c)) for c in contexts
    }


def _latest_values(metrics: Mapping[str, MetricInfo]) -> dict[str, F]:
    """`<metric>_<context>`: each reported value, read through `_latest_joins`."""
    return {f"{m}_{c}": F(f"latest_{c}__{m}") for m, c in _reported(metrics)}


MEDIA_LATEST = tuple(f"{m}_{c}" for m, c in _reported(MEDIA_METRICS))


def _with_latest_media_values(media: QuerySet) -> QuerySet:
    """Media with `media_id` and every reported latest value (MEDIA_LATEST)."""
    return media.annotate(**_latest_joins()).annotate(
        media_id=F("pk"), **_latest_values(MEDIA_METRICS)
    )


def _rate_expression():
    return Cast("engagements_non_public", FloatField()) / NullIf(
        Cast("impression_count_non_public", FloatField()), Value(0.0)
    )


POST_FIELDS = (
    "x_post_id", "account__username", "created_at", "text", "is_reply", "paid_partnership",
    "promoted", "deleted_at", "edited_into__x_post_id",
)  # fmt: skip


def _post_values(scope: Scope | None, post_ids: Sequence[int] | None) -> QuerySet:
    """One row per Post in scope: its fields and its metrics per context (POST_VALUES).

    Activity: the Posts with any daily row in the period, valued by their gains in it.
    Created (or no scope: one Post's page): their latest totals.
    """
    posts = Post.objects.all()
    activity = scope is not None and scope.mode == PeriodMode.ACTIVITY
    if scope is not None:
        posts = posts.filter(scope.post_q(), account_id__in=scope.account_ids)
        if not activity:
            posts = posts.filter(_created_in(scope, scope.period))
    if post_ids is not None:
        posts = posts.filter(pk__in=post_ids)
    if activity:
        in_period = Q(daily__day__gte=scope.period.start, daily__day__lte=scope.period.end)
        posts = posts.annotate(period=FilteredRelation("daily", condition=in_period)).filter(
            period__id__isnull=False
        )
        # bigint, not PostgreSQL's numeric sum: the rows are read without Django's converters.
        values = {
            f"{m}_{c}": Cast(
                Sum(f"period__{m}_gain", filter=Q(period__context=c)), BigIntegerField()
            )
            for m, c in _reported(POST_METRICS)
        }
        unsplit = {
            f"{m}_after_30": Cast(after_30_gains(f"{m}_gain", "period__"), BigIntegerField())
            for m, info in POST_METRICS.items()
            if "after_30" in info.contexts
        }
    else:
        posts = posts.annotate(**_latest_joins())
        values = _latest_values(POST_METRICS)
        unsplit = {
            f"{m}_after_30": after_30_of_totals(*(F(f"{m}_{c}") for c in UNSPLIT_CONTEXTS))
            for m, info in POST_METRICS.items()
            if "after_30" in info.contexts
        }
    carried = PostMedia.objects.filter(post_id=OuterRef("pk"))
    posts = posts.annotate(post_id=F("pk"), **values)
    return posts.annotate(**unsplit).annotate(
        engagement_rate=_rate_expression(), has_media=Exists(carried)
    )


POST_VALUES = (
    "post_id", *POST_FIELDS, *(f"{m}_{c}" for m, i in POST_METRICS.items() for c in i.contexts),
    "engagement_rate", "has_media",
)  # fmt: skip


def _ordered(values: QuerySet, sort: PostSort) -> QuerySet:
    if sort.column() == "created_at":
        return values.order_by(F("created_at").desc(), "-post_id")
    return values.order_by(F(sort.column()).desc(nulls_last=True), "-post_id")


# A Posts table row, flat: these columns in this order (the Posts CSV's order too).
POST_METRIC_COLUMNS = tuple(f"{m}_{c}" for m, info in POST_METRICS.items() for c in info.contexts)
VIDEO_METRIC_COLUMNS = tuple(f"{m}_{c}" for m, info in MEDIA_METRICS.items() for c in info.contexts)
POST_TABLE_COLUMNS = (
    "post_id", "x_post_id", "url", "account", "created_at", "text", "is_reply", "paid_partnership",
    "promoted",
    "deleted", "edited_into", "engagement_rate", *POST_METRIC_COLUMNS, "media_keys",
    *VIDEO_METRIC_COLUMNS,
    "video_counted_on",
)  # fmt: skip


def post_table(
    *,
    scope: Scope,
    sort: PostSort | None = None,
    post_ids: Sequence[int] | None = None,
    chunk_size: int = 2000,
) -> Iterator[list[tuple]]:
    """The Posts in scope, ordered by `sort`, as chunks of flat rows (POST_TABLE_COLUMNS).

    Activity: the Posts with any daily row in the period, valued by their gains in it.
    Created: the Posts created in the period, valued by their latest totals.
    Three queries per chunk; the rows are read with a server-side cursor (constant memory).
    """
    ordered = _ordered(_post_values(scope, post_ids), sort or PostSort())
    for chunk in _value_chunks(ordered.values_list(*POST_VALUES), POST_VALUES, chunk_size):
        yield _flat_rows(scope, chunk)


def post_table_sql(
    *,
    scope: Scope,
    sort: PostSort | None = None,
    post_ids: Sequence[int] | None = None,
    keyed: bool = False,
) -> tuple[str, tuple]:
    """PostgreSQL: one SELECT of `post_table`'s rows (POST_TABLE_COLUMNS, same order), so that
    the database can write them itself. The Posts' part is `post_table`'s own query; the videos'
    sums per Post are added here, as `_post_media` computes them. `keyed`: three columns first,
    the Post's account id, its id and its value in the order (`SORT_KEY_COLUMNS`), so that rows
    read account by account can be merged back into the one order."""
    sort = sort or PostSort()
    # Ordered once, below, by the same keys as `post_table`.
    values = _post_values(scope, post_ids).values_list(*POST_VALUES, "account_id")
    inner, params = values.query.sql_with_params()
    metrics = ", ".join(f'v."{c}"' for c in POST_METRIC_COLUMNS)
    if scope.mode == PeriodMode.ACTIVITY:
        source, suffix = "metrics_mediadaily", "_gain"
        in_period = "AND x.day BETWEEN %s AND %s"
        params = (*params, scope.period.start, scope.period.end)
    else:
        source, suffix, in_period = "metrics_mediametrics", "", ""
    videos = "', '".join(VIDEO_TYPES)
    # A video counts on its first carrier's row only (`_post_media`).
    here = f"md.type IN ('{videos}') AND f.post_id = pm.post_id"
    sums = {
        f"{m}_{c}": f"SUM(x.{m}{suffix}) FILTER (WHERE x.context = '{c}' AND {here})"
        for m, c in _reported(MEDIA_METRICS)
    }
    if scope.mode == PeriodMode.ACTIVITY:  # after_30_gains, in SQL
        sums |= {
            f"{m}_after_30": f"CASE WHEN bool_or({here}) THEN "
            + " - ".join(
                f"coalesce(SUM(x.{m}_gain) FILTER (WHERE x.context = '{c}' "
                f"AND x.after_day_30 AND {here}), 0)"
                for c in UNSPLIT_CONTEXTS
            )
            + " END"
            for m, c in _VIDEO_COLUMN_PARTS
            if c == "after_30"
        }
    video_columns = []
    for m, c in _VIDEO_COLUMN_PARTS:
        if c == "after_30" and scope.mode != PeriodMode.ACTIVITY:  # after_30_of_totals
            video_columns.append(
                f'm."{m}_public" - m."{m}_organic" - coalesce(m."{m}_promoted", 0)'
            )
        else:
            video_columns.append(f'm."{m}_{c}"')
    by_creation = sort.column() == "created_at"
    order = 'v."created_at" DESC' if by_creation else f'v."{sort.column()}" DESC NULLS LAST'
    sort_value = 'extract(epoch FROM v."created_at")' if by_creation else f'v."{sort.column()}"'
    key = f'v."account_id", v."post_id", {sort_value}, ' if keyed else ""
    # The videos' sums in one grouped pass over the media of the Posts that carry any, joined
    # by hash: no per-Post lookup, whatever the planner believes of the tables' sizes. `f` is
    # each medium's first carrier in the table (`_first_carriers`). The third column is
    # `models.post_url`, in SQL.
    sql = f"""
        WITH v AS ({inner}),
        f AS (
            SELECT DISTINCT ON (pm.media_id) pm.media_id, pm.post_id, v."x_post_id"
            FROM metrics_postmedia pm JOIN v ON v."post_id" = pm.post_id
            WHERE v."has_media"
            ORDER BY pm.media_id, v."created_at", v."post_id"
        )
        SELECT {key}v."post_id", v."x_post_id",
               'https://x.com/' || v."account__username" || '/status/' || v."x_post_id",
               v."account__username", v."created_at", v."text", v."is_reply",
               v."paid_partnership", v."promoted",
               v."deleted_at" IS NOT NULL, v."edited_into__x_post_id", v."engagement_rate",
               {metrics},
               coalesce(m.media_keys, ''), {", ".join(video_columns)},
               coalesce(c.counted_on, '')
        FROM v
        LEFT JOIN (
            SELECT pm.post_id,
                   string_agg(DISTINCT md.media_key, ' ' ORDER BY md.media_key) AS media_keys,
                   {", ".join(f'{sql} AS "{name}"' for name, sql in sums.items())}
            FROM metrics_postmedia pm
            JOIN metrics_media md ON md.id = pm.media_id
            LEFT JOIN f ON f.media_id = md.id
            LEFT JOIN {source} x ON x.media_id = md.id {in_period}
            WHERE pm.post_id IN (SELECT "post_id" FROM v WHERE "has_media")
            GROUP BY pm.post_id
        ) m ON m.post_id = v."post_id"
        LEFT JOIN (
            SELECT pm.post_id, string_agg(f."x_post_id"::text, ' ' ORDER BY md.media_key)
                   AS counted_on
            FROM metrics_postmedia pm
            JOIN metrics_media md ON md.id = pm.media_id AND md.type IN ('{videos}')
            JOIN f ON f.media_id = md.id
            WHERE pm.post_id IN (SELECT "post_id" FROM v WHERE "has_media")
            GROUP BY pm.post_id
        ) c ON c.post_id = v."post_id"
        ORDER BY {order}, v."post_id" DESC
    """  # noqa: S608 (identifiers come from this module's constants; values are parameters)
    return sql, tuple(params)


def posts_in(*, scope: Scope) -> int:
    """How many Posts the scope's accounts have: at least as many as any table of the scope."""
    return Post.objects.filter(scope.post_q(), account_id__in=scope.account_ids).count()


def post_rows(
    *,
    scope: Scope,
    sort: PostSort | None = None,
    post_ids: Sequence[int] | None = None,
    chunk_size: int = 2000,
) -> Iterator[PostRow]:
    """`post_table` as typed rows."""
    for chunk in post_table(scope=scope, sort=sort, post_ids=post_ids, chunk_size=chunk_size):
        yield from map(post_row, chunk)


def post_row(flat: tuple) -> PostRow:
    named = dict(zip(POST_TABLE_COLUMNS, flat, strict=True))

    def values(metrics: Mapping[str, MetricInfo]) -> dict[str, MetricValues]:
        return {
            m: MetricValues(m, **{c: named[f"{m}_{c}"] for c in info.contexts})
            for m, info in metrics.items()
        }

    return PostRow(
        post_id=named["post_id"],
        x_post_id=named["x_post_id"],
        url=named["url"],
        account=named["account"],
        created_at=named["created_at"],
        text=named["text"],
        is_reply=named["is_reply"],
        paid_partnership=named["paid_partnership"],
        promoted=named["promoted"],
        deleted=named["deleted"],
        edited_into=named["edited_into"],
        metrics=values(POST_METRICS),
        video=values(MEDIA_METRICS),
        media_keys=tuple(named["media_keys"].split()),
        video_counted_on=tuple(int(x_id) for x_id in named["video_counted_on"].split()),
    )


def top_posts(*, scope: Scope, sort: PostSort, limit: int) -> tuple[list[PostRow], int]:
    """The first `limit` Posts in scope by `sort`, and how many Posts the scope has.

    A Post belongs to one account, so the first Posts of the scope are among the first Posts
    of each account: each account's ranking is cached under its sync state, and a page reads
    again only the accounts that synced since. Then every metric of the `limit` first Posts.
    """
    # The rows shown, under every account's sync state: a page seen again before any of its
    # accounts syncs reads them whole (one query, for deletions), and any sync moves the key.
    key = _scope_key(scope, "top-post-rows", sort, limit)
    found = cache.get(key)
    if found is not None:
        # What X deleted is forgotten at once, before the sync that learnt it ends.
        shown, total = found
        alive = set(
            Post.objects.filter(pk__in=[r.post_id for r in shown], deleted_at=None)
            .order_by()
            .values_list("pk", flat=True)
        )
        return [row for row in shown if row.post_id in alive], total
    rankings = _account_rankings(scope, sort, limit)
    entries = sorted(
        (entry for ranking, _ in rankings.values() for entry in ranking), key=_rank_order
    )
    ids = [post_id for post_id, _ in entries[:limit]]
    shown: list[PostRow] = []
    if ids:
        values = _post_values(scope, ids).values_list(*POST_VALUES)
        by_id = {row.post_id: row for row in map(post_row, _flat_rows(scope, list(values)))}
        # A Post forgotten since its ranking was cached (deleted on X) is left out, not an error.
        shown = [by_id[i] for i in ids if i in by_id]
    found = (shown, sum(count for _, count in rankings.values()) if ids else 0)
    cache.set(key, found, timeout=LIVE_CACHE_SECONDS)
    return found


# The Overview's Top Posts and its preset periods: what `warm_reads` prepares.
TOP_POSTS = 20
PRESET_DAYS = (7, 28, 90)


def _rank_order(entry: tuple[int, object]) -> tuple:
    """Largest first, unreported last, newest Post first among equals."""
    post_id, rank = entry
    if isinstance(rank, datetime):
        rank = rank.timestamp()
    return (rank is None, -(rank or 0), -post_id)


def _account_rankings(scope: Scope, sort: PostSort, limit: int) -> dict[int, tuple[list, int]]:
    """Per account: its first `limit` (post id, rank) pairs and its number of Posts in scope."""
    activity = scope.mode == PeriodMode.ACTIVITY

    def compute(part: Scope) -> dict[int, tuple[list, int]]:
        if activity and _by_end_points(sort):
            return _first_per_account_sql(*_rank_activity_by_end_points(part, sort), limit)
        ranked = (_rank_activity if activity else _rank_created)(part, sort)
        order = [F("rank").desc(nulls_last=True), F("post_id").desc()]
        return _first_per_account(ranked, order, limit, ("post_id", "rank"))

    parts = (scope.mode, scope.period.start, scope.period.end, sort, limit)
    # Final rankings of some of the Posts are not kept: which count may change (`scope_days`).
    final = activity and scope.all_posts and scope.period.end <= final_until(scope.team)
    return _per_account(scope, "top-posts", parts, compute, empty=([], 0), final=final, kept=True)


def _first_per_account(
    rows: QuerySet, order: list, limit: int, fields: tuple | None = None
) -> dict[int, tuple[list, int]]:
    """{account id: (its first `limit` rows by `order`, its row count)}: each row is the tuple
    of `fields` (a single value for one field), or the whole row as a dict."""
    window = {"partition_by": [F("account_id")]}
    ranked = rows.annotate(
        position=Window(RowNumber(), order_by=order, **window),
        in_account=Window(Count("*"), **window),
    ).filter(position__lte=limit)
    out: dict[int, tuple[list, int]] = {}
    if fields is None:
        for row in ranked:
            first, _ = out.get(row["account_id"], ([], 0))
            first.append(row)
            out[row["account_id"]] = (first, row["in_account"])
        return out
    for account_id, in_account, *values in ranked.values_list("account_id", "in_account", *fields):
        first, _ = out.get(account_id, ([], 0))
        first.append(values[0] if len(values) == 1 else tuple(values))
        out[account_id] = (first, in_account)
    return out


def _by_end_points(sort: PostSort) -> bool:
    """Whether `sort` ranks by one count's gain in one context (`_rank_activity_by_end_points`)."""
    return sort.metric not in PostSort.EXTRA and sort.context != AFTER_30


def _rank_activity_by_end_points(scope: Scope, sort: PostSort) -> tuple[str, list]:
    """SQL of (account, Post, rank) for every Post with a daily row in the period, ranked by its
    gain there, read at the period's two ends instead of summed over all its days.

    A daily row holds the count at the day's end and the day's gain, which is that value less
    the previous row's (or unknown, on the first reading of a Post first read after its day 30).
    So the gains of a Post's rows from `start` to `end` add up to its value on its last row up
    to `end` less, on its first row from `start`, the value minus the gain (unknown: 0). A few
    index probes per Post, however many days it has. The last row's value is the latest value
    when the period reaches the latest reading, unless X's latest lacks a count it left out
    (the daily row carried the last value): then the row is read after all. One difference
    from the sum: a Post whose only row in the period is a first reading of unknown gain ranks
    as 0 there, not unknown; either way it ranks last, and its row shows the sum.
    """
    metric = POST_METRICS[sort.metric].key
    context = sort.contexts()[0]
    start, end = scope.period.start, scope.period.end
    accounts = list(scope.account_ids)
    paid = [] if scope.paid is None else [scope.paid]
    kind = "AND p.paid_partnership = %s" if paid else ""
    row = "d.post_id = m.post_id AND d.context = m.context"
    first = f"FROM metrics_postdaily d WHERE {row} AND d.day BETWEEN %s AND %s"
    first += " ORDER BY d.day LIMIT 1"
    sql = f"""
        SELECT account_id, post_id, last - base AS rank FROM (
            SELECT p.account_id, m.post_id,
                (SELECT d.day {first}) AS first_day,
                (SELECT d."{metric}" - coalesce(d."{metric}_gain", 0) {first}) AS base,
                CASE WHEN m.day <= %s AND m."{metric}" IS NOT NULL THEN m."{metric}"
                     ELSE (SELECT d."{metric}" FROM metrics_postdaily d
                           WHERE {row} AND d.day <= %s ORDER BY d.day DESC LIMIT 1)
                END AS last
            FROM metrics_postmetrics m
            JOIN metrics_post p ON p.id = m.post_id
            WHERE m.context = %s AND m.day >= %s
              AND p.account_id IN ({", ".join(["%s"] * len(accounts))}) {kind}
        ) ends
        WHERE first_day IS NOT NULL
    """  # noqa: S608 (the column is a catalogue key; values are parameters)
    return sql, [start, end, start, end, end, end, context, start, *accounts, *paid]


def _first_per_account_sql(sql: str, params: list, limit: int) -> dict[int, tuple[list, int]]:
    """`_first_per_account` of raw (account_id, post_id, rank) rows."""
    ranked = f"""
        SELECT account_id, in_account, post_id, rank FROM (
            SELECT r.*, row_number() OVER w AS position,
                   count(*) OVER (PARTITION BY account_id) AS in_account
            FROM ({sql}) r
            WINDOW w AS (PARTITION BY account_id ORDER BY rank DESC NULLS LAST, post_id DESC)
        ) ranked
        WHERE position <= %s
    """  # noqa: S608 (composed of this module's SQL)
    out: dict[int, tuple[list, int]] = {}
    with connection.cursor() as cursor:
        cursor.execute(ranked, [*params, limit])
        for account_id, in_account, post_id, rank in cursor.fetchall():
            first, _ = out.get(account_id, ([], 0))
            first.append((post_id, rank))
            out[account_id] = (first, in_account)
    return out


def _rank_activity(scope: Scope, sort: PostSort) -> QuerySet:
    """(account, Post, rank) for every Post with activity in the period."""
    rows = _daily_rows_in_scope(scope).filter(
        day__gte=scope.period.start, day__lte=scope.period.end
    )
    if sort.metric == "created_at":
        return rows.values("account_id", "post_id").annotate(rank=Max("post__created_at"))
    rows = rows.filter(context__in=sort.contexts())
    if sort.metric == "engagement_rate":
        rank = Cast(Sum("engagements_gain"), FloatField()) / NullIf(
            Sum("impression_count_gain"), Value(0)
        )
    elif sort.context == "after_30":
        rank = after_30_gains(f"{sort.metric}_gain")
    else:
        rank = Sum(f"{sort.metric}_gain")
    return rows.values("account_id", "post_id").annotate(rank=rank)


def _rank_created(scope: Scope, sort: PostSort) -> QuerySet:
    """(account, Post, rank) for every Post created in the period."""
    posts = Post.objects.filter(_created_in(scope, scope.period)).annotate(post_id=F("pk"))
    if sort.metric == "created_at":
        return posts.annotate(rank=F("created_at")).values("account_id", "post_id", "rank")
    posts = posts.annotate(**_latest_joins(sort.contexts()))
    if sort.metric == "engagement_rate":
        rank = Cast("latest_non_public__engagements", FloatField()) / NullIf(
            "latest_non_public__impression_count", Value(0)
        )
    elif sort.context == "after_30":
        rank = after_30_of_totals(*(F(f"latest_{c}__{sort.metric}") for c in UNSPLIT_CONTEXTS))
    else:
        rank = F(f"latest_{sort.contexts()[0]}__{sort.metric}")
    return posts.annotate(rank=rank).values("account_id", "post_id", "rank")


def _flat_rows(scope: Scope, chunk: list[tuple]) -> list[tuple]:
    """Flat rows (POST_TABLE_COLUMNS) from POST_VALUES rows: one more query per chunk, for the
    videos of the Posts that carry media."""
    if not chunk:
        return []
    media_keys, video, counted_on = _post_media(
        scope, [values[0] for values in chunk if values[-1]]
    )
    no_video = (None,) * len(VIDEO_METRIC_COLUMNS)
    tz = scope.tz
    rows = []
    for values in chunk:
        pk, x_post_id, username, created_at, text, is_reply, paid, promoted = values[:8]
        deleted_at, edited_into = values[8:10]
        rows.append(
            (
                pk, x_post_id, post_url(username, x_post_id), username,
                created_at.astimezone(tz), text, is_reply, paid, promoted, deleted_at is not None,
                edited_into, values[-2], *values[10:-2], media_keys.get(pk, ""),
                *video.get(pk, no_video), counted_on.get(pk, ""),
            )
        )  # fmt: skip
    return rows


def _video_values(sums: ContextSums) -> dict[str, MetricValues]:
    out = {}
    for m, info in MEDIA_METRICS.items():
        by_context = {c: sums.get(c, {}).get(m) for c in CONTEXTS}
        out[m] = MetricValues(m, **by_context, after_30=_parts(info, sums).after_30)
    return out


_VIDEO_COLUMN_PARTS = tuple((m, c) for m, info in MEDIA_METRICS.items() for c in info.contexts)


def _in_table(scope: Scope) -> Q:
    """The Posts of `post_table` (for `Post` rows): the scope's Posts with a daily row in the
    period (activity) or created in it."""
    if scope.mode == PeriodMode.ACTIVITY:
        in_period = PostDaily.objects.filter(
            post_id=OuterRef("pk"), day__gte=scope.period.start, day__lte=scope.period.end
        )
        return Q(account_id__in=scope.account_ids) & scope.post_q() & Q(Exists(in_period))
    return _created_in(scope, scope.period)


def _first_carrier(scope: Scope, field: str) -> Subquery:
    """`field` of the medium's first carrier in the table (the earliest created), for rows
    that have a `media_id`."""
    carriers = PostMedia.objects.filter(
        media_id=OuterRef("media_id"), post__in=Post.objects.filter(_in_table(scope))
    ).order_by("post__created_at", "post_id")
    return Subquery(carriers.values(field)[:1])


def _post_media(
    scope: Scope, post_ids: Sequence[int]
) -> tuple[dict[int, str], dict[int, tuple], dict[int, str]]:
    """Per Post: its media keys (space-separated); the metrics of the videos it is the first
    carrier of in the table, summed when several, as a tuple in VIDEO_METRIC_COLUMNS order;
    and, per video it carries, the X id of the Post that counts it (`PostRow.video_counted_on`).
    """
    if not post_ids:
        return {}, {}, {}
    activity = scope.mode == PeriodMode.ACTIVITY
    if activity:
        relation = FilteredRelation(
            "media__daily",
            condition=Q(
                media__daily__day__gte=scope.period.start, media__daily__day__lte=scope.period.end
            ),
        )
        suffix = "_gain"
    else:
        relation, suffix = FilteredRelation("media__latest"), ""
    sums = {
        f"{m}_{c}": Sum(f"metrics__{m}{suffix}", filter=Q(metrics__context=c))
        for m, c in _reported(MEDIA_METRICS)
    }
    if activity:
        sums |= {
            f"{m}_after_30": after_30_gains(f"{m}_gain", "metrics__")
            for m, c in _VIDEO_COLUMN_PARTS
            if c == "after_30"
        }
    rows = (
        PostMedia.objects.filter(post_id__in=post_ids)
        .annotate(
            metrics=relation,
            first_post=_first_carrier(scope, "post_id"),
            first_x_id=_first_carrier(scope, "post__x_post_id"),
        )
        .values("post_id", "media__media_key", "media__type", "first_post", "first_x_id")
        .annotate(**sums)
        .order_by("post_id", "media__media_key")
    )
    keys: dict[int, list[str]] = defaultdict(list)
    counted_on: dict[int, list[str]] = defaultdict(list)
    by_post: dict[int, dict[str, int | None]] = defaultdict(dict)
    for row in rows:
        post_id = row["post_id"]
        keys[post_id].append(row["media__media_key"])
        if row["media__type"] not in VIDEO_TYPES or row["first_post"] is None:
            continue
        counted_on[post_id].append(str(row["first_x_id"]))
        summed = by_post[post_id]
        if row["first_post"] != post_id:
            continue  # counted on its first carrier's row
        for column in sums:
            summed[column] = _add(summed.get(column), row[column])
    video = {
        post_id: tuple(
            after_30_value(s.get(f"{m}_public"), s.get(f"{m}_organic"), s.get(f"{m}_promoted"))
            if c == "after_30" and not activity
            else s.get(f"{m}_{c}")
            for m, c in _VIDEO_COLUMN_PARTS
        )
        for post_id, s in by_post.items()
    }
    return (
        {post_id: " ".join(k) for post_id, k in keys.items()},
        video,
        {post_id: " ".join(ids) for post_id, ids in counted_on.items()},
    )
