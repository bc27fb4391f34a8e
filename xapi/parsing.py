"""JSON bodies to records, tolerantly: unknown keys are ignored and every metric is optional.

X adds fields without notice (``bookmark_count`` broke strict parsers; ``engagements``
arrived in 2026) and spec 2.167 renames ``retweet_count`` to ``repost_count``
(docs/x-api.md §1.5, §7.6). What X did not send stays None.
"""

from __future__ import annotations

import html
from dataclasses import fields
from datetime import UTC, datetime
from typing import Any, TypeVar

from xapi.errors import MalformedResponse, problem_type_suffix
from xapi.records import (
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
    counts = {}
    for metric in fields(cls):
        name = metric.name
        count = _count(value, name)
        if count is None and name in _RENAMED_METRICS:
            count = _count(value, _RENAMED_METRICS[name])
        if count is None and name in omitted_when_zero and name not in value:
            count = 0
        counts[name] = count
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
    media_keys = tuple(
        key
        for key in _list(_dict(item.get("attachments")).get("media_keys"))
        if isinstance(key, str)
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
    media = (parse_media(item) for item in _list(_dict(body.get("includes")).get("media")))
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
