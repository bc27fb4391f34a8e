"""Each video once, with the Posts that carry it."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from itertools import islice

from django.db.models import F, FloatField, Q, QuerySet, Sum, Value
from django.db.models.functions import Cast, NullIf

from metrics.models import Media, MediaDaily, PostMedia, post_url
from metrics.selectors.cache import _per_account
from metrics.selectors.catalogue import MEDIA_METRICS, VIDEO_TYPES
from metrics.selectors.posts import (
    MEDIA_LATEST,
    _first_per_account,
    _rank_order,
    _reported,
    _video_values,
    _with_latest_media_values,
)
from metrics.selectors.rows import PostRef, VideoRow
from metrics.selectors.scope import PeriodMode, Scope
from metrics.selectors.sums import (
    AFTER_30,
    UNSPLIT_CONTEXTS,
    ContextSums,
    _media_carried_by_posts_created_in,
    after_30_gains,
    after_30_of_totals,
)

# --- Videos ----------------------------------------------------------------------------------

VIDEO_SORTS = {
    "views": "Views",
    "starts": "Starts",
    "completion": "Completion rate",
}


def _video_base(scope: Scope) -> QuerySet:
    if scope.mode == PeriodMode.ACTIVITY:
        rows = MediaDaily.objects.filter(
            scope.carried_q("media_id"),
            account_id__in=scope.account_ids,
            day__gte=scope.period.start,
            day__lte=scope.period.end,
            media__type__in=VIDEO_TYPES,
        )
        sums = {
            f"{m}_{c}": Sum(f"{m}_gain", filter=Q(context=c)) for m, c in _reported(MEDIA_METRICS)
        }
        late = {f"{m}_after_30": after_30_gains(f"{m}_gain") for m in VIDEO_AFTER_30}
        return rows.values("account_id", "media_id").annotate(**sums, **late)
    videos = Media.objects.filter(
        pk__in=_media_carried_by_posts_created_in(scope, scope.period), type__in=VIDEO_TYPES
    )
    return _with_latest_video_values(videos).values("account_id", "media_id", *VIDEO_LATEST)


VIDEO_AFTER_30 = tuple(m for m, info in MEDIA_METRICS.items() if "after_30" in info.contexts)
VIDEO_LATEST = (*MEDIA_LATEST, *(f"{m}_after_30" for m in VIDEO_AFTER_30))


def _with_latest_video_values(media: QuerySet) -> QuerySet:
    """Videos with their latest values (MEDIA_LATEST) and their after-30 parts."""
    return _with_latest_media_values(media).annotate(
        **{
            f"{m}_after_30": after_30_of_totals(*(F(f"{m}_{c}") for c in UNSPLIT_CONTEXTS))
            for m in VIDEO_AFTER_30
        }
    )


VIDEO_SORT_COLUMNS = {
    "views": "view_count_public",
    "starts": "playback_0_count_non_public",
    "completion": "sort_completion",
}


def _video_ordering(sort: str) -> list:
    column = VIDEO_SORT_COLUMNS.get(sort, VIDEO_SORT_COLUMNS["views"])
    return [F(column).desc(nulls_last=True), F("media_id").desc()]


def _sortable_videos(scope: Scope) -> QuerySet:
    return _video_base(scope).annotate(
        sort_completion=Cast("playback_100_count_non_public", FloatField())
        / NullIf("playback_0_count_non_public", Value(0))
    )


def video_rows(*, scope: Scope, sort: str = "views", chunk_size: int = 2000) -> Iterator[VideoRow]:
    """Each video in scope once (by media key), with the Posts that carry it, in chunks."""
    ordered = _sortable_videos(scope).order_by(*_video_ordering(sort))
    iterator = ordered.iterator(chunk_size=chunk_size)
    while chunk := list(islice(iterator, chunk_size)):
        yield from _video_rows_for(scope, chunk)


def top_videos(*, scope: Scope, sort: str, limit: int) -> tuple[list[VideoRow], int]:
    """The first `limit` videos in scope by `sort`, and how many videos the scope has: each
    account's first videos are cached under its sync state, then merged."""
    column = VIDEO_SORT_COLUMNS.get(sort, VIDEO_SORT_COLUMNS["views"])

    def compute(part: Scope) -> dict:
        return _first_per_account(_sortable_videos(part), _video_ordering(sort), limit)

    parts = (scope.mode, scope.period.start, scope.period.end, sort, limit)
    per_account = _per_account(scope, "top-videos", parts, compute, empty=([], 0))
    first = sorted(
        (row for rows, _ in per_account.values() for row in rows),
        key=lambda row: _rank_order((row["media_id"], row[column])),
    )[:limit]
    return list(_video_rows_for(scope, first)), sum(n for _, n in per_account.values())


def _video_rows_for(scope: Scope, chunk: list[dict]) -> Iterator[VideoRow]:
    if not chunk:
        return
    ids = [values["media_id"] for values in chunk]
    media = {
        m[0]: m
        for m in Media.objects.filter(pk__in=ids).values_list(
            "pk", "media_key", "account__username", "type", "duration_ms", "preview_image_url"
        )
    }
    posts: dict[int, list[PostRef]] = defaultdict(list)
    for media_id, post_id, x_post_id, username, text in (
        PostMedia.objects.filter(media_id__in=ids)
        .order_by("media_id", "post__created_at")
        .values_list(
            "media_id", "post_id", "post__x_post_id", "post__account__username", "post__text"
        )
    ):
        url = post_url(username, x_post_id)
        posts[media_id].append(PostRef(post_id, x_post_id, url, text))
    for values in chunk:
        pk, key, username, kind, duration_ms, preview = media[values["media_id"]]
        sums: ContextSums = defaultdict(dict)
        for m, c in _reported(MEDIA_METRICS):
            sums[c][m] = values[f"{m}_{c}"]
        for m in VIDEO_AFTER_30:
            sums[AFTER_30][m] = values[f"{m}_after_30"]
        yield VideoRow(
            media_id=pk,
            media_key=key,
            account=username,
            type=kind,
            duration_ms=duration_ms,
            preview_image_url=preview,
            metrics=_video_values(sums),
            posts=tuple(posts.get(pk, ())),
        )
