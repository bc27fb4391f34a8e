"""Which fields a request asks for, as query parameters (docs/x-api.md §1.1)."""

from __future__ import annotations

import enum


class MetricGroup(enum.Flag):
    """Metric objects to request, on Posts and, when media is expanded, on their media.

    Private groups (all but PUBLIC) answer only for the token owner's own Posts under
    30 days old; PROMOTED only for promoted ones. A Post that cannot answer every
    requested group is dropped from ``data`` with a Field Authorization Error, so batch
    Posts that can all answer (docs/x-api.md §1.3, §7.1, §7.4).
    """

    PUBLIC = enum.auto()
    NON_PUBLIC = enum.auto()
    ORGANIC = enum.auto()
    PROMOTED = enum.auto()


# The same object names serve tweet.fields and media.fields.
_METRIC_FIELDS = {
    MetricGroup.PUBLIC: "public_metrics",
    MetricGroup.NON_PUBLIC: "non_public_metrics",
    MetricGroup.ORGANIC: "organic_metrics",
    MetricGroup.PROMOTED: "promoted_metrics",
}

POST_FIELDS = (
    "created_at",
    "author_id",
    "attachments",
    "referenced_tweets",
    "in_reply_to_user_id",
    "conversation_id",
    # A long Post's whole text; `text` holds only its first 280 characters.
    "note_tweet",
    # The author disclosed the Post as paid promotion (changelog 2026-06-03).
    "paid_partnership",
)
MEDIA_FIELDS = ("type", "duration_ms", "preview_image_url", "url")
# id, name and username come by default.
USER_FIELDS = ("profile_image_url", "public_metrics")


def post_query_params(
    *,
    metrics: MetricGroup,
    with_media: bool,
    with_links: bool = False,
    with_media_sources: bool = False,
) -> dict[str, str]:
    """``tweet.fields``, and ``expansions`` plus ``media.fields`` when media is expanded.

    ``with_links`` adds ``entities`` (the links in the text); ``with_media_sources`` expands
    ``attachments.media_source_tweet``, the Posts that reused media was first posted in, into
    ``includes.tweets`` (with their ``author_id``: whose media it is).
    ``tweet.fields`` rather than spec 2.167's ``post.fields``: the prose docs and the live
    API still use it (docs/x-api.md §1.5).
    """
    metric_fields = tuple(name for group, name in _METRIC_FIELDS.items() if group in metrics)
    extra_fields = ("entities",) if with_links else ()
    params = {"tweet.fields": ",".join(POST_FIELDS + extra_fields + metric_fields)}
    # Video metrics live on the media object in includes.media (docs/x-api.md §7.7).
    expansions = ("attachments.media_keys",) if with_media else ()
    expansions += ("attachments.media_source_tweet",) if with_media_sources else ()
    if expansions:
        params["expansions"] = ",".join(expansions)
    if with_media:
        params["media.fields"] = ",".join(MEDIA_FIELDS + metric_fields)
    return params


# Every field of GET /2/usage/tweets (spec 2.166 UsageFieldsParameter); without usage.fields X
# leaves out the daily figures.
USAGE_FIELDS = (
    "cap_reset_day",
    "daily_client_app_usage",
    "daily_project_usage",
    "project_cap",
    "project_id",
    "project_usage",
)


def user_query_params() -> dict[str, str]:
    return {"user.fields": ",".join(USER_FIELDS)}
