"""Raw readings, as X served them: the snapshots CSV."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import islice

from metrics.models import MEDIA_COUNTS, POST_COUNTS, MediaSnapshot, PostSnapshot
from metrics.selectors.rows import SnapshotRow
from metrics.selectors.scope import Scope

# --- Snapshots -------------------------------------------------------------------------------


def snapshot_table(
    *,
    scope: Scope,
    post_id: int | None = None,
    kinds: tuple[str, ...] = ("post", "media"),
    chunk_size: int = 5000,
) -> Iterator[list[tuple]]:
    """Every stored snapshot captured in the period, Posts first then media, by time, as
    chunks of flat rows, read with a server-side cursor. A row's columns, in the snapshots
    CSV's order: captured_at, account, object_type, object_id, context, *POST_COUNTS,
    *MEDIA_COUNTS (None where the object has no such count)."""
    start, end = scope.bounds()
    tz = scope.tz
    no_post, no_media = (None,) * len(POST_COUNTS), (None,) * len(MEDIA_COUNTS)
    if "post" in kinds:
        snapshots = PostSnapshot.objects.filter(
            scope.post_q("post__"),
            post__account_id__in=scope.account_ids,
            captured_at__gte=start,
            captured_at__lt=end,
        )
        if post_id is not None:
            snapshots = snapshots.filter(post_id=post_id)
        fields = ("captured_at", "post__account__username", "post__x_post_id", "context")
        rows = (
            snapshots.order_by("captured_at", "post_id", "context")
            .values_list(*fields, *POST_COUNTS)
            .iterator(chunk_size=chunk_size)
        )
        while chunk := list(islice(rows, chunk_size)):
            yield [
                (r[0].astimezone(tz), r[1], "post", str(r[2]), r[3], *r[4:], *no_media)
                for r in chunk
            ]
    if "media" in kinds:
        snapshots = MediaSnapshot.objects.filter(
            scope.carried_q("media_id"),
            media__account_id__in=scope.account_ids,
            captured_at__gte=start,
            captured_at__lt=end,
        )
        if post_id is not None:
            snapshots = snapshots.filter(media__postmedia__post_id=post_id)
        fields = ("captured_at", "media__account__username", "media__media_key", "context")
        rows = (
            snapshots.order_by("captured_at", "media_id", "context")
            .values_list(*fields, *MEDIA_COUNTS)
            .iterator(chunk_size=chunk_size)
        )
        while chunk := list(islice(rows, chunk_size)):
            yield [
                (r[0].astimezone(tz), r[1], "media", r[2], r[3], *no_post, *r[4:]) for r in chunk
            ]


def snapshot_rows(
    *, scope: Scope, post_id: int | None = None, kinds: tuple[str, ...] = ("post", "media")
) -> Iterator[SnapshotRow]:
    """`snapshot_table` as typed rows."""
    counts = (*POST_COUNTS, *MEDIA_COUNTS)
    for chunk in snapshot_table(scope=scope, post_id=post_id, kinds=kinds):
        for r in chunk:
            names = POST_COUNTS if r[2] == "post" else MEDIA_COUNTS
            values = dict(zip(counts, r[5:], strict=True))
            yield SnapshotRow(r[0], r[1], r[2], r[3], r[4], {n: values[n] for n in names})
