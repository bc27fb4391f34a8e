"""The Overview: KPIs against the previous period, the daily charts' rows, the funnel."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

from django.db.models import Q, QuerySet, Sum

from metrics.models import MEDIA_COUNTS, POST_COUNTS, PRIVATE_WINDOW, Context, MediaDaily, PostDaily
from metrics.selectors.catalogue import (
    DAILY_CHART_METRICS,
    FUNNEL_STEPS,
    MEDIA_METRICS,
    POST_METRICS,
    VIDEO_TYPES,
    MetricInfo,
)
from metrics.selectors.coverage import CoverageMap, _coverage_map
from metrics.selectors.days import scope_days
from metrics.selectors.rows import (
    Coverage,
    DailyTotalRow,
    FunnelStep,
    KpiRow,
    Parts,
    _funnel_steps,
    _ratio,
    _ratio_parts,
)
from metrics.selectors.scope import Period, PeriodMode, Scope, team_today
from metrics.selectors.sums import (
    UNREPORTED,
    ContextSums,
    _estimated,
    _media_total_sums,
    _merge,
    _parts,
    _post_total_sums,
)

# --- Overview: KPIs, daily charts, funnel ---------------------------------------------------


@dataclass(frozen=True)
class Overview:
    kpis: tuple[KpiRow, ...]
    daily: tuple[DailyTotalRow, ...]
    funnel: tuple[FunnelStep, ...]
    coverage: CoverageMap
    # Since when the scope's days are exact: (username, connected at) per account.
    connections: tuple[tuple[str, datetime], ...] = ()

    def series(self, metric: str) -> list[DailyTotalRow]:
        return [row for row in self.daily if row.metric == metric]

    @property
    def not_comparable(self) -> str:
        """Why the totals cannot be compared with the previous period ("" when they can)."""
        return self.kpis[0].incomparable.get("total", "")

    @property
    def split_not_comparable(self) -> str:
        return "" if self.not_comparable else self.kpis[0].incomparable.get("organic", "")


def overview(*, scope: Scope) -> Overview:
    """KPIs against the previous period, the daily charts' rows and the video funnel.

    Activity: gains per day over the accounts in scope (gap days marked). Created: the latest
    totals of the Posts created each day, so the bars add up to the KPIs (no gaps: a Post
    created on a day without a sync is still read later).
    """
    if scope.mode == PeriodMode.ACTIVITY:
        days = scope_days(scope=scope, period=scope.compared)
        by_day = {day: record.posts for day, record in days.items()}
        media_now = _merge(days[d].media for d in scope.period.days() if d in days)
        media_before = _merge(days[d].media for d in scope.period.previous.days() if d in days)

        def syncs(a, d):
            return days[d].syncs.get(a) if d in days else None

        coverage = _coverage_map(scope, scope.period, syncs)
        earlier = _coverage_map(scope, scope.period.previous, syncs)
        undated, media_undated = _undated_sums(scope)
        now = _merge([*(by_day.get(d, {}) for d in scope.period.days()), undated])
        media_now = _merge([media_now, media_undated])
        before = _merge(by_day.get(d, {}) for d in scope.period.previous.days())
        unknown = [n.reason for d in scope.period.previous.days() for n in earlier.missing(d)]
        exact = media_exact = None
        if scope.period.end >= team_today(scope.team):
            # The Posts born in the period earned their whole lives in it: their latest totals
            # are exact. The rest is older Posts' gains, split at the period's start.
            _, exact, _ = _post_total_sums(scope, by_day=False)
            media_exact, _ = _media_total_sums(scope, with_previous=False)
        compared = _Comparison(
            before, media_before, coverage.incomplete_days(scope.period), exact, media_exact,
            undated, media_undated,
            unlike=f"the previous period is only partly known ({unknown[0]})" if unknown else "",
        )  # fmt: skip
    else:
        by_day, now, before = _post_total_sums(scope)
        media_now, media_before = _media_total_sums(scope, with_previous=True)
        coverage = CoverageMap({a.pk: {} for a in scope.accounts}, scope.usernames)
        compared = _Comparison(
            before, media_before, 0, now, media_now,
            unlike_split=SPLIT_NOT_REPORTED if _unreported(now, before, media_now, media_before)
            else "",
        )  # fmt: skip
    daily = tuple(
        DailyTotalRow(day, metric, parts, coverage.coverage(day), coverage.missing(day), estimated)
        for metric in DAILY_CHART_METRICS
        for day, parts, estimated in _daily_parts(
            POST_METRICS[metric], scope.period, by_day, coverage
        )
    )
    funnel = _funnel_steps({k: _parts(MEDIA_METRICS[k], media_now) for k in FUNNEL_STEPS})
    kpis = _kpis(now, media_now, compared)
    connections = tuple(
        (a.username, a.connected_at.astimezone(scope.tz))
        for a in sorted(scope.accounts, key=lambda a: a.connected_at)
    )
    return Overview(kpis, daily, tuple(funnel), coverage, connections)


def _undated_sums(scope: Scope) -> tuple[ContextSums, ContextSums]:
    """Activity of Posts (and their videos) born in the period but first read after their day
    30: their days before that reading are unknown, but all of it was earned inside the period.
    It is their first reading day's value (its gain is unknown). Only an account connected more
    than 30 days after the period began can have such Posts: otherwise no query."""
    start, end = scope.bounds()
    late = [a.pk for a in scope.accounts if a.connected_at - PRIVATE_WINDOW > start]
    if not late:
        return {}, {}
    unknown_first_day = Q(
        account_id__in=late, day__gte=scope.period.start, day__lte=scope.period.end
    )
    posts = PostDaily.objects.filter(
        unknown_first_day, scope.post_q("post__"), impression_count_gain__isnull=True,
        impression_count__isnull=False, post__created_at__gte=start, post__created_at__lt=end,
    )  # fmt: skip
    media = MediaDaily.objects.filter(
        unknown_first_day, scope.carried_q("media_id"), view_count_gain__isnull=True,
        view_count__isnull=False, media__type__in=VIDEO_TYPES,
    ).exclude(media__posts__created_at__lt=start)  # fmt: skip

    def sums(rows: QuerySet, names: tuple[str, ...]) -> ContextSums:
        grouped = rows.values("context").annotate(**{n: Sum(n) for n in names}).order_by()
        out: ContextSums = {row["context"]: {n: row[n] for n in names} for row in grouped}
        if Context.PUBLIC in out:  # first read after day 30: never split
            out[UNREPORTED] = dict(out[Context.PUBLIC])
        return out

    return sums(posts, POST_COUNTS), sums(media, MEDIA_COUNTS)


def video_funnel(*, scope: Scope) -> list[FunnelStep]:
    """Plays reaching each quartile over the videos in scope, each media key once."""
    if scope.mode == PeriodMode.ACTIVITY:
        media = _merge(d.media for d in scope_days(scope=scope, period=scope.period).values())
    else:
        media, _ = _media_total_sums(scope, with_previous=False)
    return _funnel_steps({k: _parts(MEDIA_METRICS[k], media) for k in FUNNEL_STEPS})


def _daily_parts(
    info: MetricInfo,
    period: Period,
    by_day: Mapping[date, ContextSums],
    coverage: CoverageMap,
) -> Iterator[tuple[date, Parts | None, Parts | None]]:
    """Each day's parts and their estimated parts (None: no data at all, never a zero)."""
    for day in period.days():
        state = coverage.coverage(day)
        sums = by_day.get(day)
        if state == Coverage.NONE and not sums:
            yield day, None, None
        else:
            zero = state != Coverage.NONE
            sums = sums or {}
            yield day, _parts(info, sums, zero=zero), _parts(info, _estimated(sums), zero=zero)


@dataclass(frozen=True)
class _Comparison:
    """What the KPIs are compared with, and what of it is exact."""

    before: ContextSums
    media_before: ContextSums
    incomplete: int
    exact: ContextSums | None = None  # the current sums known exactly (None: not known)
    media_exact: ContextSums | None = None
    undated: ContextSums = field(default_factory=dict)  # `_undated_sums`
    media_undated: ContextSums = field(default_factory=dict)
    unlike: str = ""  # why no part can be compared
    unlike_split: str = ""  # why the split parts cannot be

    def reasons(self, info: MetricInfo) -> dict[str, str]:
        if self.unlike:
            return dict.fromkeys(("total", "organic", "promoted", "after_30"), self.unlike)
        if self.unlike_split and info.split:
            return dict.fromkeys(("organic", "promoted", "after_30"), self.unlike_split)
        return {}


SPLIT_NOT_REPORTED = "X never reported the organic/promoted split of Posts first read after day 30"


def _unreported(*sums: ContextSums) -> bool:
    return any(v for s in sums for v in s.get(UNREPORTED, {}).values())


def _count_kpi(key: str, now: ContextSums, compared: _Comparison) -> KpiRow:
    info = POST_METRICS[key]
    exact = None if compared.exact is None else _parts(info, compared.exact).total
    return KpiRow(
        key, info.label, info.help, False, _parts(info, now), _parts(info, compared.before),
        compared.incomplete, exact, _parts(info, compared.undated).total, compared.reasons(info),
        info.split,
    )  # fmt: skip


def _engagement_rate(sums: ContextSums) -> Parts:
    """Engagements ÷ impressions, both non-public: over the days X reports engagements."""
    non_public = sums.get(Context.NON_PUBLIC, {})
    return Parts(total=_ratio(non_public.get("engagements"), non_public.get("impression_count")))


def _completion(sums: ContextSums) -> Parts:
    starts = _parts(MEDIA_METRICS["playback_0_count"], sums)
    done = _parts(MEDIA_METRICS["playback_100_count"], sums)
    return _ratio_parts(done, starts)


def _kpis(now: ContextSums, media_now: ContextSums, compared: _Comparison) -> tuple[KpiRow, ...]:
    views = MEDIA_METRICS["view_count"]
    before, media_before, incomplete = compared.before, compared.media_before, compared.incomplete
    rate_reasons = {"total": compared.unlike} if compared.unlike else {}
    return (
        _count_kpi("impression_count", now, compared),
        _count_kpi("engagements", now, compared),
        KpiRow(
            "engagement_rate",
            "Engagement rate",
            "Engagements ÷ impressions, over Posts in their first 30 days (the only ones X "
            "reports engagements for). X does not split engagements into organic and promoted.",
            True,
            _engagement_rate(now),
            _engagement_rate(before),
            incomplete,
            incomparable=rate_reasons,
            split=False,
        ),
        _count_kpi("url_link_clicks", now, compared),
        _count_kpi("user_profile_clicks", now, compared),
        KpiRow(
            "view_count",
            views.label,
            "Views of the team's videos; a video carried by several Posts counts once.",
            False,
            _parts(views, media_now),
            _parts(views, media_before),
            incomplete,
            None if compared.media_exact is None else _parts(views, compared.media_exact).total,
            _parts(views, compared.media_undated).total,
            compared.reasons(views),
        ),
        KpiRow(
            "completion_rate",
            "Video completion rate",
            "Plays watched to the end ÷ plays started.",
            True,
            _completion(media_now),
            _completion(media_before),
            incomplete,
            incomparable=compared.reasons(MEDIA_METRICS["playback_100_count"]),
        ),
    )
