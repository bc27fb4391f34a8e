"""CSV downloads of the rows on a page, with the page's filters (`?post=<id>` for one Post).

Streamed with constant memory. Every role may download; outsiders get 404 from `team_view`.
Membership is checked again when streaming starts, because a long download may start after the
person was removed; the download is written to the team's audit log at that moment.
"""

from collections.abc import Callable, Iterator

from django.http import Http404, HttpRequest, StreamingHttpResponse
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET

from accounts.access import team_view
from accounts.models import AuditEvent, Membership
from accounts.services import audit_record
from dashboard.filters import parse_filters
from metrics import selectors
from metrics.exports import (
    DAILY_COLUMNS,
    VIDEO_COLUMNS,
    csv_chunks,
    posts_csv,
    snapshot_csv_chunks,
)
from metrics.models import Post
from metrics.selectors import PostSort, Scope


def _scope_for(
    request: HttpRequest, membership: Membership
) -> tuple[Scope, dict, str, Post | None]:
    """The scope of the page the download comes from: its filters, or one Post's lifetime."""
    team = membership.team
    post_id = request.GET.get("post")
    if post_id:
        try:
            post = selectors.post_for_team(team=team, post_id=int(post_id))
        except (ValueError, Post.DoesNotExist):
            raise Http404("No such Post") from None
        scope = selectors.post_scope(team=team, post=post)
        return scope, {"post": str(post.x_post_id)}, f"post-{post.x_post_id}", post
    accounts = selectors.team_accounts(team=team)
    filters = parse_filters(request.GET, team=team, accounts=accounts)
    return filters.scope, filters.as_audit_data(), filters.file_stem(), None


def _csv_response(
    membership: Membership,
    *,
    kind: str,
    stem: str,
    filters: dict,
    chunks: Callable[[], Iterator[bytes]],
) -> StreamingHttpResponse:
    filename = f"quartile-{membership.team.slug}-{kind}-{stem}.csv"

    def stream() -> Iterator[bytes]:
        still_member = Membership.objects.filter(
            pk=membership.pk, team_id=membership.team_id, user_id=membership.user_id
        ).exists()
        if not still_member:
            return  # removed since the request began: not one byte
        audit_record(
            team=membership.team,
            actor=membership.user,
            verb=AuditEvent.Verb.EXPORT_DOWNLOADED,
            target=filename,
            data=filters,
        )
        yield from chunks()

    response = StreamingHttpResponse(stream(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@team_view()
@require_GET
def export_posts(request: HttpRequest, membership: Membership) -> StreamingHttpResponse:
    scope, filters, stem, post = _scope_for(request, membership)
    sort = PostSort.parse(request.GET.get("sort"))
    post_ids = None if post is None else [post.pk]
    return _csv_response(
        membership, kind="posts", stem=stem, filters=filters,
        chunks=lambda: posts_csv(scope, sort, post_ids),
    )  # fmt: skip


@team_view()
@require_GET
def export_daily(request: HttpRequest, membership: Membership) -> StreamingHttpResponse:
    scope, filters, stem, post = _scope_for(request, membership)
    post_id = None if post is None else post.pk
    return _csv_response(
        membership, kind="daily", stem=stem, filters=filters,
        chunks=lambda: csv_chunks(
            DAILY_COLUMNS, selectors.daily_series_rows(scope=scope, post_id=post_id)
        ),
    )  # fmt: skip


@team_view()
@require_GET
def export_videos(request: HttpRequest, membership: Membership) -> StreamingHttpResponse:
    scope, filters, stem, _ = _scope_for(request, membership)
    sort = request.GET.get("sort", "views")
    return _csv_response(
        membership, kind="videos", stem=stem, filters=filters,
        chunks=lambda: csv_chunks(VIDEO_COLUMNS, selectors.video_rows(scope=scope, sort=sort)),
    )  # fmt: skip


@team_view()
@require_GET
def export_snapshots(request: HttpRequest, membership: Membership) -> StreamingHttpResponse:
    scope, filters, stem, post = _scope_for(request, membership)
    post_id = None if post is None else post.pk
    return _csv_response(
        membership, kind="snapshots", stem=stem, filters=filters,
        chunks=lambda: snapshot_csv_chunks(
            selectors.snapshot_table(scope=scope, post_id=post_id)
        ),
    )  # fmt: skip
