"""One Post's page: its totals, growth since posting and videos."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import date, timedelta

from django.db.models import F, QuerySet
from django.utils import timezone

from accounts.models import Team
from metrics.models import Context, Media, Post, PostDaily
from metrics.selectors.catalogue import CONTEXTS, DAILY_CHART_METRICS, POST_METRICS, VIDEO_TYPES
from metrics.selectors.coverage import scope_coverage
from metrics.selectors.posts import POST_VALUES, _flat_rows, _post_values, post_row
from metrics.selectors.rows import GrowthPoint, PostDetail
from metrics.selectors.scope import Period, PeriodMode, Scope, team_today
from metrics.selectors.sums import after_30_value
from metrics.selectors.videos import VIDEO_LATEST, _video_rows_for, _with_latest_video_values

# --- One Post --------------------------------------------------------------------------------


def post_for_team(*, team: Team, post_id: int) -> Post:
    """The team's Post, or Post.DoesNotExist (another team's Post does not exist for it)."""
    return Post.objects.select_related("account").get(pk=post_id, account__team=team)


def post_scope(*, team: Team, post: Post) -> Scope:
    """One Post's lifetime, from the team day it was created on to today: what its page shows
    and its downloads hold."""
    today = team_today(team)
    created_on = post.created_at.astimezone(team.tzinfo).date()
    return Scope(team, (post.account,), Period(min(created_on, today), today), PeriodMode.CREATED)


def post_detail(*, team: Team, post: Post) -> PostDetail:
    """Everything the Post page shows: its totals in every context, its growth since posting,
    its videos' funnels, and whether its private metrics froze at day 30 (six queries)."""
    tz = team.tzinfo
    scope = post_scope(team=team, post=post)
    observed = {f"observed_{c}": F(f"latest_{c}__observed_at") for c in CONTEXTS}
    (values,) = (
        _post_values(None, [post.pk]).annotate(**observed).values_list(*POST_VALUES, *observed)
    )
    values, seen = values[: -len(observed)], [v for v in values[-len(observed) :] if v]
    (row,) = map(post_row, _flat_rows(scope, [values]))
    videos = Media.objects.filter(postmedia__post=post, type__in=VIDEO_TYPES)
    media = tuple(_video_rows_for(scope, list(_video_lifetime_values(videos))))
    return PostDetail(
        row=row,
        media=media,
        growth=tuple(_growth(post, scope)),
        private_metrics_until=post.private_metrics_until.astimezone(tz),
        frozen=timezone.now() >= post.private_metrics_until,
        observed_at=max(seen) if seen else None,
        split_reported=row.metrics["impression_count"].organic is not None,
    )


def _video_lifetime_values(media: QuerySet) -> QuerySet:
    return _with_latest_video_values(media).values("media_id", *VIDEO_LATEST).order_by("media_id")


def _growth(post: Post, scope: Scope) -> Iterator[GrowthPoint]:
    """Cumulative values per day since posting. Organic and promoted stop where X stopped
    reporting them (day 30); the public growth after that is `after_30`, the lifetime rule on
    the cumulative values (`after_30_value`), so the curve ends at the Post's own after-30
    total. A day with nothing known is a gap (None); a day resting on a split is estimated."""
    froze_on = post.private_metrics_until.astimezone(scope.tz).date()
    rows: dict[date, dict[str, dict]] = defaultdict(dict)
    names = DAILY_CHART_METRICS
    for values in PostDaily.objects.filter(post=post).values(
        "day", "context", *names, *(f"{m}_estimated" for m in names)
    ):
        rows[values["day"]][values["context"]] = values
    # From posting: a Post read within 30 days of it has rows from its birth day. One first
    # read later starts the day before that reading (what came before it is not known).
    start = max(scope.period.start, min(rows, default=scope.period.start) - timedelta(days=1))
    period = Period(min(start, scope.period.end), scope.period.end)
    coverage = scope_coverage(scope=scope, period=period)
    last: dict[tuple[str, str], int] = {}
    for day in period.days():
        estimated = set()
        for context, values in rows.get(day, {}).items():
            for m in names:
                if values[m] is not None:
                    last[context, m] = values[m]
                if values[f"{m}_estimated"]:
                    estimated.add(m)
        gap = coverage.is_gap(post.account_id, day) and day not in rows
        for m in names:
            info = POST_METRICS[m]
            total = last.get((info.total_context, m))
            if gap or (total is None and day not in rows):
                yield GrowthPoint(day, m, None, None, None, None, gap=True)
                continue
            organic = last.get((Context.ORGANIC, m))
            promoted = last.get((Context.PROMOTED, m))
            after_30 = None
            if info.public and day >= froze_on:
                after_30 = after_30_value(total, organic, promoted)
            if day > froze_on:
                organic = promoted = None  # frozen: X no longer reports them
                total = total if info.public else None
            yield GrowthPoint(day, m, organic, promoted, after_30, total, estimated=m in estimated)
