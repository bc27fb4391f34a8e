"""Writing one page of X's answer: Posts, media, snapshots, latest values and daily rollups.

One call is one transaction (the caller's), so a killed worker leaves whole pages only, and
every write is an upsert keyed so that writing the same page twice leaves the same rows.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo

from django.db import connection, models
from django.db.models import FilteredRelation, Min, Q

import xapi
from accounts.models import XAccount
from metrics.lifeline import (
    DEFAULT_CURVE,
    AgeCurve,
    DayValues,
    LatestReading,
    advance,
    day_change,
    day_start,
    held_before,
)
from metrics.models import (
    MEDIA_COUNTS,
    POST_COUNTS,
    PRIVATE_WINDOW,
    SUM_KEY,
    AccountDaily,
    AccountMediaDaily,
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
    gain_columns,
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
    # Earlier versions of Posts the page shows edited: frozen on X, read no more.
    replaced_ids: set[int] = field(default_factory=set)
    # Latest versions an earlier version names that are not stored yet: to be read by id.
    unread_versions: set[int] = field(default_factory=set)
    # The first day before the page's own whose rollups it changed (a gain split back over
    # earlier days), or None.
    revised_from: date | None = None


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
    curve: AgeCurve = DEFAULT_CURVE,
) -> StoredPage:
    """Store what one answer says. `asked_ids` are the ids of a lookup: those X reports as not
    found are marked deleted (their history stays). `all_new` says that none of the page's
    Posts is stored yet (a first sync's timeline), which spares looking them up. `curve` is the
    account's age curve: it splits a gain between two readings over the days between them."""
    result = StoredPage()
    contexts = contexts_of(metrics)
    # Only the account's own original Posts: a retweet's metrics belong to someone else.
    records = {
        int(p.id): p
        for p in page.posts
        if not p.is_retweet and p.author_id in (None, account.x_user_id)
    }
    result.revised_from = _mark_deleted(account, page, asked_ids, observed_at)
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
                "paid_partnership": record.paid_partnership is True,
                "promoted": promoted,
                "public_refreshed_at": observed_at if Context.PUBLIC in contexts else None,
                "private_refreshed_at": observed_at if private else None,
                "last_read_on": billing_day,
                "deleted_at": None,
                "first_seen_at": observed_at,
            }
        )
    update_fields = ["text", "is_reply", "paid_partnership", "promoted", "last_read_on"]
    update_fields += ["deleted_at"]
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
    result.replaced_ids, result.unread_versions = _follow_edits(account, records, post_pk)
    # When a Post is born; None when X did not say (the row's created_at is then a stand-in).
    born = {
        x_id: record.created_at or (existing[x_id].created_at if x_id in existing else None)
        for x_id, record in records.items()
    }
    post_latest = {
        (post_pk[x_id], context): values
        for x_id, known in existing.items()
        for context, values in known.latest.items()
    }

    post_rows = [
        (post_pk[x_id], born[x_id], context, counts)
        for x_id, record in records.items()
        for context in contexts
        if (counts := _record_counts(record, context, POST_COUNTS)) is not None
    ]
    new_posts = {x_id for x_id in records if x_id not in existing}
    written_at = {
        "account": account,
        "observed_at": observed_at,
        "team_tz": team_tz,
        "curve": curve,
    }
    today = observed_at.astimezone(team_tz).date()
    earliest = [
        _record_metrics(PostModels, post_rows, post_latest, names=POST_COUNTS, **written_at),
        _store_media(
            page, records, post_pk, new_posts, born, contexts, all_new=all_new, **written_at
        ),
    ]
    revised = [day for day in (*earliest, result.revised_from) if day is not None and day < today]
    result.revised_from = min(revised, default=None)
    return result


def _follow_edits(
    account: XAccount, records: Mapping[int, xapi.Post], post_pk
) -> tuple[set[int], set[int]]:
    """X's Developer Policy: stored content follows edits. An edit is a new Post naming the
    ones it replaces: those take its text and point to it (and are read no more: X froze
    their counts). An earlier version read by its own id comes back with its original text:
    it keeps the latest's instead, when that is stored, or names the latest to read. Returns
    the replaced versions' ids and the latest versions not stored yet."""
    replaced: set[int] = set()
    unread: set[int] = set()
    for x_id, record in records.items():
        history = [int(i) for i in record.edit_history if i.isdigit()]
        if len(history) < 2:
            continue
        replaced.update(int(i) for i in record.earlier_versions if i.isdigit())
        if x_id == history[-1]:
            Post.objects.filter(account=account, x_post_id__in=history[:-1]).update(
                text=record.text, edited_into_id=post_pk[x_id]
            )
            continue
        latest = Post.objects.filter(account=account, x_post_id=history[-1]).first()
        if latest is not None:
            Post.objects.filter(pk=post_pk[x_id]).update(text=latest.text, edited_into=latest)
            replaced.add(x_id)
        else:
            unread.add(history[-1])
    return replaced, unread


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


def _mark_deleted(
    account: XAccount, page: xapi.Page, asked_ids: Iterable[str], observed_at: datetime
) -> date | None:
    """Forget the asked Posts X no longer finds; the first day whose Post rows went with them."""
    asked = set(asked_ids)
    gone = {
        int(error.resource_id)
        for error in page.errors
        if error.is_not_found and error.resource_id in asked
    }
    if not gone:
        return None
    return forget_deleted_posts(account=account, x_post_ids=gone, deleted_at=observed_at)


def forget_deleted_posts(
    *, account: XAccount, x_post_ids: Iterable[int], deleted_at: datetime
) -> date | None:
    """X's Developer Policy: content a user deleted on X is deleted here within 24 hours. Its
    text, its history (snapshots, latest values, daily rows) and the media only it carried go
    now, in the transaction that learns it; what stays is a mark that it existed and was
    deleted, so it is not read again. The account's daily sums keep its gains: team totals
    and charts of past days do not change because a Post was deleted later. Returns the first
    day whose Post rows went (rankings cached for those days no longer hold)."""
    named = Post.objects.filter(account=account, x_post_id__in=list(x_post_ids))
    # Deleting any version of an edited Post deletes the whole chain on X (edit-posts page).
    posts = Post.objects.filter(account=account).filter(
        Q(pk__in=named) | Q(edited_into__in=named) | Q(earlier_versions__in=named)
    )
    ids = list(posts.values_list("pk", flat=True).distinct())
    if not ids:
        return None
    posts = Post.objects.filter(pk__in=ids)
    first_day = PostDaily.objects.filter(post_id__in=ids).aggregate(first=Min("day"))["first"]
    only_theirs = Media.objects.filter(account=account, posts__in=ids).exclude(
        posts__in=Post.objects.filter(account=account).exclude(pk__in=ids)
    )
    only_theirs.delete()  # with their snapshots, latest values and daily rows
    for model in (PostSnapshot, PostMetrics, PostDaily, PostMedia):
        model.objects.filter(post_id__in=ids).delete()
    posts.filter(deleted_at=None).update(deleted_at=deleted_at)
    posts.update(text="")
    return first_day


def _store_media(
    page, records, post_pk, new_posts, born, contexts, *, all_new, account, **written_at
) -> date | None:
    carriers: dict[str, list[int]] = {}
    for x_id, record in records.items():
        for key in record.media_keys:
            carriers.setdefault(key, []).append(x_id)
    media_records = {key: m for key, m in page.media.items() if key in carriers}
    if not media_records:
        return None

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
    # A video is as old as the first Post that carries it: among this page's carriers, and for a
    # video stored before, among every Post that carries it (one query, stored videos only).
    video_born = {
        key: min(filter(None, (born[x_id] for x_id in carriers[key])), default=None)
        for key in media_records
    }
    stored_keys = {media_pk[key]: key for key in media_records if key not in new_media}
    if stored_keys:
        earliest = (
            PostMedia.objects.filter(media_id__in=stored_keys)
            .values("media_id")
            .annotate(born=Min("post__created_at"))
            .values_list("media_id", "born")
        )
        for media_id, first in earliest:
            key = stored_keys[media_id]
            video_born[key] = min(filter(None, (video_born[key], first)), default=None)
    rows = [
        (media_pk[key], video_born[key], context, counts)
        for key, record in media_records.items()
        for context in contexts
        if (counts := _record_counts(record, context, MEDIA_COUNTS)) is not None
    ]
    latest = {
        (entry.id, context): values
        for entry in known.values()
        for context, values in entry.latest.items()
    }
    return _record_metrics(
        MediaModels, rows, latest, names=MEDIA_COUNTS, account=account, **written_at
    )


@dataclass
class _Known:
    """A stored Post or video, some of its fields, and its latest values per context."""

    id: int
    fields: dict
    latest: dict[str, LatestReading]

    def __getattr__(self, name: str):
        try:
            return self.fields[name]
        except KeyError:
            raise AttributeError(name) from None


def latest_reading(observed_at, day, baseline, counts) -> LatestReading:
    """A stored latest-values row as `lifeline` reads it. Rows written before the model of a
    count's life hold the previous day's end values as a plain dict: that was the day's start,
    and nothing of the day was estimated."""
    if baseline is not None and "start" not in baseline:
        baseline = {"start": baseline, "estimated": dict.fromkeys(baseline, 0)}
    baseline = baseline or {}
    return LatestReading(
        observed_at=observed_at,
        day=day,
        counts=counts,
        start=baseline.get("start"),
        estimated=baseline.get("estimated"),
    )


def _with_latest(queryset, *, key: str, fields, names, contexts) -> dict[object, _Known]:
    """The stored objects of `queryset` by `key`, with their latest values in `contexts`: one
    query (a LEFT JOIN on the latest values of just those contexts)."""
    latest = FilteredRelation("latest", condition=Q(latest__context__in=contexts))
    columns = (
        "latest_in__context", "latest_in__observed_at", "latest_in__day", "latest_in__baseline",
    )  # fmt: skip
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
            entry.latest[row["latest_in__context"]] = latest_reading(
                row["latest_in__observed_at"],
                row["latest_in__day"],
                row["latest_in__baseline"],
                {n: row[f"latest_in__{n}"] for n in names},
            )
    return found


@dataclass(frozen=True)
class _Models:
    owner: str  # the foreign key to the Post or the Media
    latest: type[models.Model]
    snapshot: type[models.Model]
    daily: type[models.Model]
    rollup: type[models.Model]  # the account's sums of `daily`


PostModels = _Models("post", PostMetrics, PostSnapshot, PostDaily, AccountDaily)
MediaModels = _Models("media", MediaMetrics, MediaSnapshot, MediaDaily, AccountMediaDaily)


@dataclass(frozen=True)
class Reading:
    """What one reading of one object in one context writes: its snapshot, its latest values
    and the daily rows it changes (the same rule for the sync and the test history)."""

    snapshot: dict
    latest: dict
    dailies: list[dict]
    # How each daily row's gains and estimated parts moved: what the account's sums move by.
    changes: list[dict]


def reading_rows(
    *,
    owner: dict,
    context: str,
    counts: Counts,
    previous: LatestReading | None,
    born: datetime | None,
    observed_at: datetime,
    team_tz: tzinfo,
    curve: AgeCurve,
    names: tuple[str, ...],
) -> Reading:
    """The rows a new reading writes, by `lifeline.advance`: the gain from the previous known
    point (the previous reading, or birth) is exact and split over its days by `curve`."""
    latest, days = advance(
        previous, counts, observed_at=observed_at, born=born, tz=team_tz, curve=curve, names=names
    )
    key = {**owner, "context": context}
    split_until = born and born + PRIVATE_WINDOW

    def late(day: date) -> bool:
        return bool(split_until and _day_end(day, team_tz) > split_until)

    # A day between the two ends whose share rounds to nothing is no row: a known day without
    # a row gained nothing (an old Post's week between readings, say).
    kept = [day for n, day in enumerate(days) if n in (0, len(days) - 1) or any(day.gains.values())]

    def day_row(day: DayValues) -> dict:
        return {
            "day": day.day,
            "after_day_30": late(day.day),
            **{f"{n}_gain": day.gains[n] for n in names},
            **{f"{n}_estimated": day.estimated[n] for n in names},
        }

    before = held_before(previous, names)
    return Reading(
        snapshot={**key, "captured_at": observed_at.replace(second=0, microsecond=0), **counts},
        latest=_latest_row(key, latest),
        dailies=[{**key, **day.counts, **day_row(day)} for day in kept],
        changes=[{"context": context, **day_row(day_change(day, before, names))} for day in kept],
    )


def _latest_row(key: dict, latest: LatestReading) -> dict:
    """A latest-values row (PostMetrics, MediaMetrics) holding `latest`."""
    return {
        **key,
        "observed_at": latest.observed_at,
        "day": latest.day,
        "baseline": latest.to_json(),
        **latest.counts,
    }


def _day_end(day: date, tz: tzinfo) -> datetime:
    return day_start(day + timedelta(days=1), tz)


def _record_metrics(
    kind: _Models,
    rows: list[tuple[int, datetime | None, Context, Counts]],
    latest: Mapping[tuple[int, str], LatestReading],
    *,
    names: tuple[str, ...],
    account: XAccount,
    observed_at: datetime,
    team_tz: tzinfo,
    curve: AgeCurve,
) -> date | None:
    """Append snapshots where a value changed, and move the latest values and the daily rows
    the reading changes. Returns the earliest day it changed, if any."""
    if not rows:
        return None
    owner_id = f"{kind.owner}_id"
    # Deduplicate keys: PostgreSQL refuses to upsert one row twice in a statement.
    by_key = {(owner, context): (born, counts) for owner, born, context, counts in rows}
    snapshots, new_latest, dailies = [], [], []
    sums: dict[tuple, dict[str, int | None]] = {}
    today = observed_at.astimezone(team_tz).date()
    for (owner, context), (born, counts) in by_key.items():
        previous = latest.get((owner, context))
        if previous is not None and all(previous.counts[n] == counts[n] for n in names):
            if previous.day != today:
                # Nothing gained since: the latest reading moves to today (a later gain then
                # splits from here), with no snapshot and no daily row (a known day, zero).
                zeros = dict.fromkeys(previous.counts, 0)
                moved = LatestReading(observed_at, today, previous.counts, previous.counts, zeros)
                new_latest.append(_latest_row({owner_id: owner, "context": context}, moved))
            continue
        reading = reading_rows(
            owner={owner_id: owner},
            context=context,
            counts=counts,
            previous=previous,
            born=born,
            observed_at=observed_at,
            team_tz=team_tz,
            curve=curve,
            names=names,
        )
        snapshots.append(reading.snapshot)
        new_latest.append(reading.latest)
        dailies.extend({**row, "account_id": account.pk} for row in reading.dailies)
        for change in reading.changes:
            _add_change(sums, change)
    fields = list(names)
    if not snapshots:
        if new_latest:
            upsert(
                kind.latest,
                new_latest,
                unique=[owner_id, "context"],
                update=["observed_at", "day", "baseline"],
            )
        return None
    key_fields = [owner_id, "context"]
    upsert(kind.snapshot, snapshots, unique=[*key_fields, "captured_at"], update=fields)
    upsert(
        kind.latest,
        new_latest,
        unique=key_fields,
        update=[*fields, "observed_at", "day", "baseline"],
    )
    parts = gain_columns(names)
    upsert(
        kind.daily, dailies, unique=[*key_fields, "day"], update=[*fields, *parts, "after_day_30"]
    )
    moved = [
        {
            "account_id": account.pk,
            **dict(zip(SUM_KEY, key, strict=True)),
            **{p: values.get(p) for p in parts},
        }
        for key, values in sums.items()
        if values  # nothing known moved: no row, as `rollups.account_rollups_rebuild`
    ]
    upsert(kind.rollup, moved, unique=["account", *SUM_KEY], update=[], add=parts)
    return min(row["day"] for row in dailies)


def _add_change(sums: dict[tuple, dict[str, int | None]], change: dict) -> None:
    """Add one daily row's change into the page's changes of the account's sums."""
    key = tuple(change[k] for k in SUM_KEY)
    into = sums.setdefault(key, {})
    for column, value in change.items():
        if column in SUM_KEY or value is None:
            continue
        into[column] = into.get(column, 0) + value
