"""Writing one page of X's answer: Posts, media, snapshots, latest values and daily rollups.

One call is one transaction (the caller's), so a killed worker leaves whole pages only, and
every write is an upsert keyed so that writing the same page twice leaves the same rows.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo

from django.db import connection, models
from django.db.models import FilteredRelation, Q

import xapi
from accounts.models import XAccount
from metrics.models import (
    MEDIA_COUNTS,
    POST_COUNTS,
    Context,
    Media,
    MediaDaily,
    MediaMetrics,
    MediaSnapshot,
    Post,
    PostDaily,
    PostMedia,
    PostMetrics,
    PostSnapshot,
)
from metrics.planner import is_promoted
from metrics.upsert import upsert

Counts = dict[str, int | None]

GROUP_CONTEXTS = {
    xapi.MetricGroup.PUBLIC: Context.PUBLIC,
    xapi.MetricGroup.NON_PUBLIC: Context.NON_PUBLIC,
    xapi.MetricGroup.ORGANIC: Context.ORGANIC,
    xapi.MetricGroup.PROMOTED: Context.PROMOTED,
}
RECORD_ATTRIBUTE = {
    Context.PUBLIC: "public_metrics",
    Context.NON_PUBLIC: "non_public_metrics",
    Context.ORGANIC: "organic_metrics",
    Context.PROMOTED: "promoted_metrics",
}


@dataclass
class StoredPage:
    posts: int = 0
    billed_reads: int = 0
    promoted_ids: set[int] = field(default_factory=set)


def contexts_of(metrics: xapi.MetricGroup) -> list[Context]:
    return [context for group, context in GROUP_CONTEXTS.items() if group in metrics]


def _counts(record: object, names: tuple[str, ...]) -> Counts:
    """Every metric column, None where X's object has no such field or did not send it."""
    return {name: getattr(record, name, None) for name in names}


def store_page(
    *,
    account: XAccount,
    page: xapi.Page,
    metrics: xapi.MetricGroup,
    observed_at: datetime,
    team_tz: tzinfo,
    billing_day: date,
    asked_ids: Iterable[str] = (),
    all_new: bool = False,
) -> StoredPage:
    """Store what one answer says. `asked_ids` are the ids of a lookup: those X reports as not
    found are marked deleted (their history stays). `all_new` says that none of the page's
    Posts is stored yet (a first sync's timeline), which spares looking them up."""
    result = StoredPage()
    contexts = contexts_of(metrics)
    # Only the account's own original Posts: a retweet's metrics belong to someone else.
    records = {
        int(p.id): p
        for p in page.posts
        if not p.is_retweet and p.author_id in (None, account.x_user_id)
    }
    _mark_deleted(account, page, asked_ids, observed_at)
    if not records:
        return result

    existing = (
        {}
        if all_new
        else _with_latest(
            Post.objects.filter(account=account, x_post_id__in=records),
            key="x_post_id",
            fields=("id", "last_read_on", "promoted", "created_at"),
            names=POST_COUNTS,
            contexts=contexts,
        )
    )
    result.posts = len(records)
    result.billed_reads = sum(
        1 for x_id in records if x_id not in existing or existing[x_id].last_read_on != billing_day
    )
    private = any(c != Context.PUBLIC for c in contexts)
    posts = []
    for x_id, record in records.items():
        promoted = existing[x_id].promoted if x_id in existing else Post.Promoted.UNKNOWN
        if Context.NON_PUBLIC in contexts and Context.ORGANIC in contexts:
            verdict = _promoted(record)
            if verdict is not None:
                promoted = Post.Promoted.YES if verdict else Post.Promoted.NO
        if promoted == Post.Promoted.YES:
            result.promoted_ids.add(x_id)
        created_at = record.created_at or (
            existing[x_id].created_at if x_id in existing else observed_at
        )
        posts.append(
            {
                "account_id": account.pk,
                "x_post_id": x_id,
                "text": record.text,
                "created_at": created_at,
                "is_reply": record.is_reply,
                "promoted": promoted,
                "public_refreshed_at": observed_at if Context.PUBLIC in contexts else None,
                "private_refreshed_at": observed_at if private else None,
                "last_read_on": billing_day,
                "deleted_at": None,
                "first_seen_at": observed_at,
            }
        )
    update_fields = ["text", "is_reply", "promoted", "last_read_on", "deleted_at"]
    update_fields += ["public_refreshed_at"] if Context.PUBLIC in contexts else []
    update_fields += ["private_refreshed_at"] if private else []
    written = upsert(
        Post,
        posts,
        unique=["account", "x_post_id"],
        update=update_fields,
        returning=["x_post_id", "id"],
    )
    post_pk = dict(written)
    born_on = {row["x_post_id"]: _born_on(row["created_at"], team_tz) for row in posts}
    post_latest = {
        (post_pk[x_id], context): values
        for x_id, known in existing.items()
        for context, values in known.latest.items()
    }

    day = observed_at.astimezone(team_tz).date()
    post_rows = [
        (post_pk[x_id], born_on[x_id], context, counts)
        for x_id, record in records.items()
        for context in contexts
        if (counts := _record_counts(record, context, POST_COUNTS)) is not None
    ]
    _record_metrics(
        PostModels,
        post_rows,
        post_latest,
        names=POST_COUNTS,
        account=account,
        observed_at=observed_at,
        day=day,
    )
    new_posts = {x_id for x_id in records if x_id not in existing}
    _store_media(
        account, page, records, post_pk, new_posts, born_on, contexts, observed_at, day,
        all_new=all_new,
    )  # fmt: skip
    return result


def _promoted(record: xapi.Post) -> bool | None:
    non_public, organic = record.non_public_metrics, record.organic_metrics
    if non_public is None or organic is None:
        return None
    return is_promoted(
        non_public_impressions=non_public.impression_count,
        organic_impressions=organic.impression_count,
    )


def _record_counts(record: object, context: Context, names: tuple[str, ...]) -> Counts | None:
    group = getattr(record, RECORD_ATTRIBUTE[context], None)
    return None if group is None else _counts(group, names)


def _born_on(created_at: datetime | None, team_tz: tzinfo) -> date | None:
    return created_at.astimezone(team_tz).date() if created_at else None


def _mark_deleted(
    account: XAccount, page: xapi.Page, asked_ids: Iterable[str], observed_at: datetime
) -> None:
    asked = set(asked_ids)
    gone = {
        int(error.resource_id)
        for error in page.errors
        if error.is_not_found and error.resource_id in asked
    }
    if gone:
        Post.objects.filter(account=account, x_post_id__in=gone, deleted_at=None).update(
            deleted_at=observed_at
        )


def _store_media(
    account, page, records, post_pk, new_posts, born_on, contexts, observed_at, day, *, all_new
):
    carriers: dict[str, list[int]] = {}
    for x_id, record in records.items():
        for key in record.media_keys:
            carriers.setdefault(key, []).append(x_id)
    media_records = {key: m for key, m in page.media.items() if key in carriers}
    if not media_records:
        return

    def insert(keys):
        return upsert(
            Media,
            [
                {
                    "account_id": account.pk,
                    "media_key": key,
                    "type": media_records[key].type or "",
                    "duration_ms": media_records[key].duration_ms,
                    "preview_image_url": media_records[key].preview_image_url or "",
                }
                for key in keys
            ],
            unique=["account", "media_key"],
            # A row that exists is touched, so that RETURNING gives its id too.
            update=["type"],
            returning=["media_key", "id"],
            returning_inserted=connection.vendor == "postgresql",
        )

    def stored(keys):
        return _with_latest(
            Media.objects.filter(account=account, media_key__in=keys),
            key="media_key",
            fields=("id",),
            names=MEDIA_COUNTS,
            contexts=contexts,
        )

    if all_new and connection.vendor == "postgresql":
        # A first sync's page: its videos are mostly new, so write first and look up only
        # those that were already stored (a video carried by Posts on several pages).
        written = insert(media_records)
        media_pk = {key: pk for key, pk, _ in written}
        new_media = [key for key, _, inserted in written if inserted]
        known = (
            stored([key for key, _, inserted in written if not inserted])
            if len(new_media) < len(written)
            else {}
        )
    else:
        known = stored(media_records)
        media_pk = {key: entry.id for key, entry in known.items()}
        new_media = [key for key in media_records if key not in known]
        if new_media:
            media_pk |= {key: pk for key, pk, *_ in insert(new_media)}
    # Links change only when a Post or a video is new.
    links = [
        {"post_id": post_pk[x_id], "media_id": media_pk[key]}
        for key in media_records
        for x_id in carriers[key]
        if x_id in new_posts or key in new_media
    ]
    upsert(PostMedia, links, unique=["post", "media"], update=[])
    rows = [
        (
            media_pk[key],
            # A video is as old as the first Post that carries it.
            min(filter(None, (born_on[x_id] for x_id in carriers[key])), default=None),
            context,
            counts,
        )
        for key, record in media_records.items()
        for context in contexts
        if (counts := _record_counts(record, context, MEDIA_COUNTS)) is not None
    ]
    latest = {
        (entry.id, context): values
        for entry in known.values()
        for context, values in entry.latest.items()
    }
    _record_metrics(
        MediaModels,
        rows,
        latest,
        names=MEDIA_COUNTS,
        account=account,
        observed_at=observed_at,
        day=day,
    )


@dataclass
class _Known:
    """A stored Post or video, some of its fields, and its latest values per context."""

    id: int
    fields: dict
    latest: dict[str, "LatestReading"]

    def __getattr__(self, name: str):
        try:
            return self.fields[name]
        except KeyError:
            raise AttributeError(name) from None


@dataclass(frozen=True)
class LatestReading:
    day: date
    baseline: dict | None
    counts: Counts


def _with_latest(queryset, *, key: str, fields, names, contexts) -> dict[object, _Known]:
    """The stored objects of `queryset` by `key`, with their latest values in `contexts`: one
    query (a LEFT JOIN on the latest values of just those contexts)."""
    latest = FilteredRelation("latest", condition=Q(latest__context__in=contexts))
    columns = ("latest_in__context", "latest_in__day", "latest_in__baseline")
    rows = queryset.annotate(latest_in=latest).values(
        key, *fields, *columns, *(f"latest_in__{n}" for n in names)
    )
    found: dict[object, _Known] = {}
    for row in rows:
        entry = found.get(row[key])
        if entry is None:
            entry = found[row[key]] = _Known(
                id=row["id"], fields={f: row[f] for f in fields}, latest={}
            )
        if row["latest_in__context"] is not None:
            entry.latest[row["latest_in__context"]] = LatestReading(
                day=row["latest_in__day"],
                baseline=row["latest_in__baseline"],
                counts={n: row[f"latest_in__{n}"] for n in names},
            )
    return found


@dataclass(frozen=True)
class _Models:
    owner: str  # the foreign key to the Post or the Media
    latest: type[models.Model]
    snapshot: type[models.Model]
    daily: type[models.Model]


PostModels = _Models("post", PostMetrics, PostSnapshot, PostDaily)
MediaModels = _Models("media", MediaMetrics, MediaSnapshot, MediaDaily)


def _record_metrics(
    kind: _Models,
    rows: list[tuple[int, date | None, Context, Counts]],
    latest: Mapping[tuple[int, str], LatestReading],
    *,
    names: tuple[str, ...],
    account: XAccount,
    observed_at: datetime,
    day: date,
) -> None:
    """Append snapshots where a value changed, and move the latest values and today's rollup.

    Today's gain is the value now minus the value at the end of the previous observed day
    (the baseline), zero before the object existed, and unknown (NULL) when neither is known.
    """
    if not rows:
        return
    owner_id = f"{kind.owner}_id"
    # Deduplicate keys: PostgreSQL refuses to upsert one row twice in a statement.
    by_key = {(owner, context): (born_on, counts) for owner, born_on, context, counts in rows}
    captured_at = observed_at.replace(second=0, microsecond=0)
    snapshots, new_latest, dailies = [], [], []
    for (owner, context), (born_on, counts) in by_key.items():
        previous = latest.get((owner, context))
        if previous is not None and all(previous.counts[n] == counts[n] for n in names):
            continue  # nothing changed: no snapshot, no rollup change
        baseline = gain_baseline(previous, born_on, day, names)
        key = {owner_id: owner, "context": context}
        snapshots.append({**key, "captured_at": captured_at, **counts})
        new_latest.append(
            {**key, "observed_at": observed_at, "day": day, "baseline": baseline, **counts}
        )
        gains = day_gains(counts, baseline, names)
        dailies.append({**key, "account_id": account.pk, "day": day, **counts, **gains})
    if not snapshots:
        return
    fields = list(names)
    key_fields = [owner_id, "context"]
    upsert(kind.snapshot, snapshots, unique=[*key_fields, "captured_at"], update=fields)
    upsert(
        kind.latest,
        new_latest,
        unique=key_fields,
        update=[*fields, "observed_at", "day", "baseline"],
    )
    upsert(
        kind.daily,
        dailies,
        unique=[*key_fields, "day"],
        update=[*fields, *(f"{n}_gain" for n in names)],
    )


def gain_baseline(
    previous: LatestReading | None, born_on: date | None, day: date, names: tuple[str, ...]
) -> Mapping[str, int | None] | None:
    """What today's gain is measured from: the end values of the previous observed day; on
    the day the object was born, zeros; first seen later than that, unknown (None)."""
    if previous is None:
        return dict.fromkeys(names, 0) if born_on == day else None
    if previous.day == day:
        return previous.baseline
    return dict(previous.counts)


def day_gains(
    counts: Counts, baseline: Mapping[str, int | None] | None, names: tuple[str, ...]
) -> dict[str, int | None]:
    """`<name>_gain` for each count: the value minus the baseline's, None if either is unknown."""
    return {
        f"{n}_gain": None
        if counts[n] is None or baseline is None or baseline.get(n) is None
        else counts[n] - baseline[n]
        for n in names
    }
