"""JSON bodies to records, tolerantly: unknown keys are ignored and every metric is optional.

X adds fields without notice (``bookmark_count`` broke strict parsers; ``engagements``
arrived in 2026) and spec 2.167 renames ``retweet_count`` to ``repost_count``
(docs/x-api.md §1.5, §7.6). What X did not send stays None.
"""

from __future__ import annotations

import html
from collections import defaultdict
from dataclasses import fields
from datetime import UTC, date, datetime
from typing import Any, TypeVar

from xapi.errors import MalformedResponse, problem_type_suffix
from xapi.records import (
    AppUsage,
    Media,
    MediaPlaybackMetrics,
    MediaPublicMetrics,
    Page,
    PageMeta,
    PartialError,
    Post,
    PostContextMetrics,
    PostNonPublicMetrics,
    PostPublicMetrics,
    ReferencedPost,
    Usage,
    UsageDay,
    User,
)

MetricsT = TypeVar("MetricsT")

# Spec 2.167 name for a field we call by its documented name (docs/x-api.md §1.5).
_RENAMED_METRICS = {"retweet_count": "repost_count"}


def _dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


def _str(obj: dict[str, Any], key: str) -> str | None:
    value = obj.get(key)
    return value if isinstance(value, str) else None


def _id_number(value: object) -> str | None:
    """An id X sent as a JSON number (the spec types some project ids as integers)."""
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else None


def _count(obj: dict[str, Any], key: str) -> int | None:
    value = obj.get(key)
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    # Spec 2.167 says some counters may arrive as numeric strings (docs/x-api.md §1.4).
    if isinstance(value, str) and value.isascii() and value.isdigit():
        return int(value)
    return None


def _metrics(cls: type[MetricsT], value: object) -> MetricsT | None:
    """A metrics record, or None when X did not send the object at all. A counter the record
    says X omits when zero is 0 when absent (not when present and unreadable)."""
    if not isinstance(value, dict):
        return None
    omitted_when_zero = getattr(cls, "OMITTED_WHEN_ZERO", frozenset())
    counts: dict[str, Any] = {}
    omitted = set()
    for metric in fields(cls):
        name = metric.name
        if name == "omitted":
            continue
        count = _count(value, name)
        if count is None and name in _RENAMED_METRICS:
            count = _count(value, _RENAMED_METRICS[name])
        if count is None and name in omitted_when_zero and name not in value:
            count = 0
            omitted.add(name)
        counts[name] = count
    if omitted_when_zero:
        counts["omitted"] = frozenset(omitted)
    return cls(**counts)


def _created_at(value: object, *, endpoint: str) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value if isinstance(value, str) else "")
    except ValueError as exc:
        raise MalformedResponse(f"bad created_at {value!r}", endpoint=endpoint) from exc
    if parsed.tzinfo is None:
        raise MalformedResponse(f"created_at without a zone {value!r}", endpoint=endpoint)
    return parsed.astimezone(UTC)


def parse_post(obj: object, *, endpoint: str) -> Post:
    item = _dict(obj)
    post_id, text = _str(item, "id"), _str(item, "text")
    if post_id is None or text is None:
        raise MalformedResponse("a Post without id or text", endpoint=endpoint)
    references = tuple(
        ReferencedPost(type=reference["type"], id=reference["id"])
        for reference in map(_dict, _list(item.get("referenced_tweets")))
        if isinstance(reference.get("type"), str) and isinstance(reference.get("id"), str)
    )
    attachments = _dict(item.get("attachments"))
    media_keys = tuple(key for key in _list(attachments.get("media_keys")) if isinstance(key, str))
    media_source_ids = tuple(
        key for key in _list(attachments.get("media_source_tweet_id")) if isinstance(key, str)
    )
    # A media attachment has a URL entity of its own, marked with its media_key: not a link.
    links = tuple(
        link
        for url in map(_dict, _list(_dict(item.get("entities")).get("urls")))
        if "media_key" not in url and (link := _str(url, "expanded_url") or _str(url, "url"))
    )
    # A long Post's whole text is in `note_tweet`; `text` is cut at 280 characters.
    text = _str(_dict(item.get("note_tweet")), "text") or text
    return Post(
        id=post_id,
        # X sends text HTML-escaped (&amp; &lt; &gt;); unescape exactly once (docs/reliability.md
        # §4.7).
        text=html.unescape(text),
        created_at=_created_at(item.get("created_at"), endpoint=endpoint),
        author_id=_str(item, "author_id"),
        conversation_id=_str(item, "conversation_id"),
        in_reply_to_user_id=_str(item, "in_reply_to_user_id"),
        referenced_posts=references,
        media_keys=media_keys,
        media_source_ids=media_source_ids,
        links=links,
        edit_history=tuple(
            key for key in _list(item.get("edit_history_tweet_ids")) if isinstance(key, str)
        ),
        paid_partnership=item.get("paid_partnership")
        if isinstance(item.get("paid_partnership"), bool)
        else None,
        public_metrics=_metrics(PostPublicMetrics, item.get("public_metrics")),
        non_public_metrics=_metrics(PostNonPublicMetrics, item.get("non_public_metrics")),
        organic_metrics=_metrics(PostContextMetrics, item.get("organic_metrics")),
        promoted_metrics=_metrics(PostContextMetrics, item.get("promoted_metrics")),
    )


def parse_media(obj: object) -> Media | None:
    item = _dict(obj)
    media_key = _str(item, "media_key")
    if media_key is None:
        return None
    return Media(
        media_key=media_key,
        type=_str(item, "type"),
        duration_ms=_count(item, "duration_ms"),
        preview_image_url=_str(item, "preview_image_url"),
        url=_str(item, "url"),
        public_metrics=_metrics(MediaPublicMetrics, item.get("public_metrics")),
        non_public_metrics=_metrics(MediaPlaybackMetrics, item.get("non_public_metrics")),
        organic_metrics=_metrics(MediaPlaybackMetrics, item.get("organic_metrics")),
        promoted_metrics=_metrics(MediaPlaybackMetrics, item.get("promoted_metrics")),
    )


def parse_partial_error(obj: object) -> PartialError:
    item = _dict(obj)
    type_uri = _str(item, "type")
    return PartialError(
        type_suffix=problem_type_suffix(type_uri) if type_uri else "",
        title=_str(item, "title"),
        detail=_str(item, "detail"),
        resource_type=_str(item, "resource_type"),
        resource_id=_str(item, "resource_id"),
        field=_str(item, "field"),
        parameter=_str(item, "parameter"),
        section=_str(item, "section"),
    )


def parse_posts_response(body: object, *, endpoint: str) -> Page:
    """A ``/2/tweets``, ``/2/tweets/:id`` or ``/2/users/:id/tweets`` body.

    ``data`` may be absent (every Post dropped by partial errors, or an empty page) and is an
    object, not a list, on ``/2/tweets/:id``. Partial ``errors`` are returned, not raised.
    """
    if not isinstance(body, dict):
        raise MalformedResponse("response is not a JSON object", endpoint=endpoint)
    data = body.get("data")
    items = [data] if isinstance(data, dict) else _list(data)
    includes = _dict(body.get("includes"))
    media = (parse_media(item) for item in _list(includes.get("media")))
    # Included Posts only inform (a media source's author, say): one X sent without an id or a
    # text is skipped rather than failing the page.
    included = (
        parse_post(item, endpoint=endpoint)
        for item in _list(includes.get("tweets"))
        if _str(_dict(item), "id") and _str(_dict(item), "text") is not None
    )
    meta = _dict(body.get("meta"))
    return Page(
        posts=tuple(parse_post(item, endpoint=endpoint) for item in items),
        media={item.media_key: item for item in media if item is not None},
        errors=tuple(parse_partial_error(item) for item in _list(body.get("errors"))),
        meta=PageMeta(
            newest_id=_str(meta, "newest_id"),
            oldest_id=_str(meta, "oldest_id"),
            result_count=_count(meta, "result_count"),
            next_token=_str(meta, "next_token"),
        ),
        included_posts={post.id: post for post in included},
    )


def parse_user_response(body: object, *, endpoint: str) -> User:
    """A ``/2/users/me`` body."""
    data = _dict(_dict(body).get("data"))
    user_id, username = _str(data, "id"), _str(data, "username")
    if user_id is None or username is None:
        raise MalformedResponse("no user in the response", endpoint=endpoint)
    counts = _dict(data.get("public_metrics"))
    return User(
        id=user_id,
        username=username,
        name=_str(data, "name") or username,
        profile_image_url=_str(data, "profile_image_url"),
        # Spec 2.167 renames tweet_count to post_count (docs/x-api.md §2.1).
        post_count=_count(counts, "tweet_count")
        if "tweet_count" in counts
        else _count(counts, "post_count"),
    )


def _usage_day(value: object) -> date | None:
    """A usage date: ``2023-11-01T00:00:00.000Z`` (X's reference page) or ``2024-01-15`` (its
    2026 pay-per-use page), as the UTC day it names."""
    if not isinstance(value, str):
        return None
    try:
        if len(value) == len("2024-01-15"):
            return date.fromisoformat(value)
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed.astimezone(UTC).date() if parsed.tzinfo else parsed.date()


def _usage_days(entries: object) -> tuple[UsageDay, ...]:
    days = (
        UsageDay(day=day, post_reads=_count(entry, "usage"))
        for entry in map(_dict, _list(entries))
        if (day := _usage_day(entry.get("date"))) is not None
    )
    return tuple(sorted(days, key=lambda entry: entry.day))


def parse_usage_response(body: object, *, endpoint: str) -> Usage:
    """A ``/2/usage/tweets`` body, whichever of X's documented shapes it takes.

    Spec 2.166 and X's reference page: ``daily_project_usage`` is ``{project_id, usage: [{date,
    usage}]}`` and ``daily_client_app_usage`` a list of ``{client_app_id, usage: [...]}``, with
    counts as numeric strings in X's examples (``"project_cap": "2000000"``). X's 2026
    pay-per-use page shows ``daily_project_usage`` as ``[{date, usage: [{app_id,
    tweets_consumed}]}]``. Every field is optional.
    """
    if not isinstance(body, dict):
        raise MalformedResponse("response is not a JSON object", endpoint=endpoint)
    data = _dict(body.get("data"))
    daily = data.get("daily_project_usage")
    project_days: tuple[UsageDay, ...] = ()
    per_app: dict[str | None, list[UsageDay]] = defaultdict(list)
    if isinstance(daily, dict):
        project_days = _usage_days(daily.get("usage"))
    else:
        totals = []
        for entry in map(_dict, _list(daily)):
            day = _usage_day(entry.get("date"))
            if day is None:
                continue
            reads = []
            for app in map(_dict, _list(entry.get("usage"))):
                count = _count(app, "usage")
                count = _count(app, "tweets_consumed") if count is None else count
                per_app[_str(app, "app_id")].append(UsageDay(day=day, post_reads=count))
                reads.append(count)
            total = None if not reads or None in reads else sum(reads)
            totals.append(UsageDay(day=day, post_reads=total))
        project_days = tuple(sorted(totals, key=lambda entry: entry.day))
    apps = [
        AppUsage(client_app_id=_str(app, "client_app_id"), days=_usage_days(app.get("usage")))
        for app in map(_dict, _list(data.get("daily_client_app_usage")))
    ]
    apps += [
        AppUsage(client_app_id=app_id, days=tuple(sorted(days, key=lambda entry: entry.day)))
        for app_id, days in per_app.items()
    ]
    return Usage(
        project_id=_str(data, "project_id") or _id_number(data.get("project_id")),
        project_cap=_count(data, "project_cap"),
        project_usage=_count(data, "project_usage"),
        cap_reset_day=_count(data, "cap_reset_day"),
        project_days=project_days,
        apps=tuple(apps),
    )
