"""The metric pages: Overview, one Post, Videos. Thin: filters in, selector rows, figures out."""

from dataclasses import dataclass, field

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from accounts.access import team_view
from accounts.models import Membership
from dashboard import charts
from dashboard.filters import RANGE_CHOICES, Filters, parse_filters
from metrics import selectors
from metrics.models import Post
from metrics.selectors import DAILY_CHART_METRICS, POST_METRICS, PeriodMode, PostKind, PostSort

TOP_POSTS = selectors.TOP_POSTS
TOP_VIDEOS = 25
# The Posts table's columns: (metric, contexts shown); each header sorts by its column.
POST_TABLE = (
    ("impression_count", ("total", "organic", "promoted")),
    ("engagements", ("total",)),
    ("url_link_clicks", ("organic", "promoted")),
    ("user_profile_clicks", ("organic", "promoted")),
)
CREATED_NOTE = "Lifetime totals, by the day each Post was created."
CHART_NOTES = {
    "impression_count": "Grey bars: growth of Posts past their first 30 days, which X no longer "
    "splits into organic and promoted.",
    "url_link_clicks": "X reports link clicks only for a Post's first 30 days.",
    "user_profile_clicks": "X reports profile clicks only for a Post's first 30 days.",
}


@dataclass(frozen=True)
class Chart:
    """One chart card: its figure and, for the "show as table" view, the rows it was built from."""

    key: str
    title: str
    help: str
    figure: dict
    rows: list = field(default_factory=list)
    note: str = ""

    @property
    def script_id(self) -> str:
        return f"figure-{self.key}"


EXPORTS = {
    "posts": ("team_export_posts", "Posts (one row per Post)"),
    "daily": ("team_export_daily", "Daily series"),
    "videos": ("team_export_videos", "Videos"),
    "snapshots": ("team_export_snapshots", "Raw snapshot history"),
}


def _base_context(
    request: HttpRequest,
    membership: Membership,
    filters: Filters | None,
    *,
    exports: tuple[str, ...] = ("posts", "daily", "videos", "snapshots"),
    export_query: str | None = None,
    **extra,
) -> dict:
    return {
        "team": membership.team,
        "filters": filters,
        "query": request.GET.urlencode(),
        "preset_choices": RANGE_CHOICES,
        "post_kinds": [(kind.value, kind.label) for kind in PostKind],
        "export_links": [EXPORTS[kind] for kind in exports],
        "export_query": request.GET.urlencode() if export_query is None else export_query,
        **extra,
    }


def _filtered_context(request: HttpRequest, membership: Membership, **extra) -> dict | None:
    """The context of a page filtered by account and period, with how fresh its data is;
    None while the team has no X account (the page then asks for one)."""
    accounts = selectors.team_accounts(team=membership.team)
    if not accounts:
        return None
    filters = parse_filters(request.GET, team=membership.team, accounts=accounts)
    freshness = selectors.scope_freshness(scope=filters.scope)
    return _base_context(
        request,
        membership,
        filters,
        accounts=accounts,
        freshness=freshness,
        updated_at=freshness.updated_at,
        **extra,
    )


@team_view()
@require_GET
def overview(request: HttpRequest, membership: Membership) -> HttpResponse:
    context = _filtered_context(request, membership)
    if context is None:
        return render(request, "dashboard/overview.html", _base_context(request, membership, None))
    scope = context["filters"].scope
    if all(a.last_synced_at is None for a in context["accounts"]):
        # Nothing synced yet: the first sync's progress, not empty charts.
        context["first_sync"] = True
        return render(request, "dashboard/overview.html", context)

    data = selectors.overview(scope=scope)
    sort = PostSort.parse(request.GET.get("sort"))
    top, post_total = selectors.top_posts(scope=scope, sort=sort, limit=TOP_POSTS)
    created = scope.mode == PeriodMode.CREATED
    chart_list = [
        Chart(
            key=metric,
            title=f"{POST_METRICS[metric].label} of the Posts created each day"
            if created
            else f"{POST_METRICS[metric].label} per day",
            help=POST_METRICS[metric].help,
            figure=charts.daily_chart(series, metric=metric),
            rows=series,
            note=(CREATED_NOTE + " " if created else "") + CHART_NOTES.get(metric, ""),
        )
        for metric, series in ((m, data.series(m)) for m in DAILY_CHART_METRICS)
    ]
    context.update(
        overview=data,
        charts=chart_list,
        funnel=Chart(
            key="funnel",
            title="Video quartile funnel",
            help="How many plays reached each quarter of the team's videos, and the share of "
            "starts that got there. A video carried by several Posts counts once.",
            figure=charts.funnel_chart(data.funnel),
            rows=list(data.funnel),
        ),
        has_videos=data.funnel[0].counts.total is not None
        or data.funnel[0].counts.organic is not None,
        top_posts=top,
        post_total=post_total,
        sort=sort,
        post_table=[(POST_METRICS[m], contexts) for m, contexts in POST_TABLE],
    )
    return render(request, "dashboard/overview.html", context)


@team_view()
@require_GET
def post_detail(request: HttpRequest, membership: Membership, post_id: int) -> HttpResponse:
    try:
        post = selectors.post_for_team(team=membership.team, post_id=post_id)
    except Post.DoesNotExist:
        raise Http404("No such Post") from None
    detail = selectors.post_detail(team=membership.team, post=post)
    froze_on = detail.private_metrics_until.date()
    growth = [
        Chart(
            key=f"growth-{metric}",
            title=f"{POST_METRICS[metric].label} since posting",
            help=POST_METRICS[metric].help,
            figure=charts.growth_chart(points, metric=metric, froze_on=froze_on),
            rows=points,
        )
        for metric, points in ((m, detail.growth_of(m)) for m in DAILY_CHART_METRICS)
    ]
    funnels = [
        Chart(
            key=f"funnel-{video.media_id}",
            title=f"Funnel of video {video.media_key}",
            help="Plays that reached each quarter of this video, across every Post that "
            "carries it.",
            figure=charts.funnel_chart(steps),
            rows=steps,
        )
        for video, steps in ((v, v.funnel()) for v in detail.media)
    ]
    context = _base_context(
        request,
        membership,
        None,
        exports=("posts", "daily", "snapshots"),
        export_query=f"post={post.pk}",
        updated_at=detail.observed_at,
        detail=detail,
        row=detail.row,
        growth=growth,
        funnels=funnels,
        metric_rows=[(POST_METRICS[m], detail.row.metrics[m]) for m in POST_METRICS],
        contexts=("public", "non_public", "organic", "promoted", "after_30"),
    )
    return render(request, "dashboard/post_detail.html", context)


@team_view()
@require_GET
def videos(request: HttpRequest, membership: Membership) -> HttpResponse:
    context = _filtered_context(request, membership, exports=("videos", "snapshots"))
    if context is None:
        return render(request, "dashboard/videos.html", _base_context(request, membership, None))
    scope = context["filters"].scope
    sort = request.GET.get("sort", "views")
    sort = sort if sort in selectors.VIDEO_SORTS else "views"
    rows, video_total = selectors.top_videos(scope=scope, sort=sort, limit=TOP_VIDEOS)
    context.update(videos=rows, video_total=video_total, sort=sort, sorts=selectors.VIDEO_SORTS)
    funnel = selectors.video_funnel(scope=scope) if rows else []
    # Only charts with something known to draw: videos first read after their day 30 have
    # rows in the period but no known plays or views there.
    if any(step.counts.total for step in funnel):
        context["funnel"] = Chart(
            key="funnel",
            title="Quartile funnel of all videos",
            help="Plays that reached each quarter, over every video in scope, each video once.",
            figure=charts.funnel_chart(funnel),
            rows=funnel,
        )
    shown = [row for row in rows if row.metrics["view_count"].total][:15]
    if shown:
        context["views_chart"] = Chart(
            key="views",
            title="Views of the top videos",
            help="Views of each video, across every Post that carries it.",
            figure=charts.video_views_chart(shown),
            rows=shown,
        )
    return render(request, "dashboard/videos.html", context)
