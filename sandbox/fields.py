"""Query parameters of the v2 endpoints: names and allowed values, checked as strictly as X does.

The value lists are copied from X's OpenAPI spec 2.166 (components.parameters TweetFieldsParameter,
MediaFieldsParameter, UserFieldsParameter, TweetExpansionsParameter, UserExpansionsParameter,
PollFieldsParameter, PlaceFieldsParameter; xdevplatform/docs `openapi.json` at cb391259). Values the
sandbox has no data for (polls, places, articles, …) are accepted and simply absent, as on X for a
Post without them.
"""

from __future__ import annotations

from dataclasses import dataclass

from sandbox.http import Request
from sandbox.problems import InvalidRequest

TWEET_FIELDS = [
    "article",
    "attachments",
    "author_id",
    "card_uri",
    "community_id",
    "context_annotations",
    "conversation_id",
    "created_at",
    "display_text_range",
    "edit_controls",
    "edit_history_tweet_ids",
    "entities",
    "geo",
    "id",
    "in_reply_to_user_id",
    "lang",
    "matched_media_notes",
    "media_metadata",
    "non_public_metrics",
    "note_request_suggestions",
    "note_tweet",
    "organic_metrics",
    "paid_partnership",
    "possibly_sensitive",
    "promoted_metrics",
    "public_metrics",
    "referenced_tweets",
    "reply_settings",
    "scopes",
    "source",
    "suggested_source_links",
    "suggested_source_links_with_counts",
    "text",
    "withheld",
]
MEDIA_FIELDS = [
    "alt_text",
    "duration_ms",
    "height",
    "media_key",
    "non_public_metrics",
    "organic_metrics",
    "preview_image_url",
    "promoted_metrics",
    "public_metrics",
    "type",
    "url",
    "variants",
    "width",
]
USER_FIELDS = [
    "affiliation",
    "confirmed_email",
    "connection_status",
    "created_at",
    "description",
    "entities",
    "id",
    "is_identity_verified",
    "location",
    "most_recent_tweet_id",
    "name",
    "parody",
    "pinned_tweet_id",
    "profile_banner_url",
    "profile_image_url",
    "protected",
    "public_metrics",
    "receives_your_dm",
    "subscription",
    "subscription_type",
    "url",
    "username",
    "verified",
    "verified_followers_count",
    "verified_type",
    "withheld",
]
TWEET_EXPANSIONS = [
    "article.cover_media",
    "article.media_entities",
    "attachments.media_keys",
    "attachments.media_source_tweet",
    "attachments.poll_ids",
    "author_id",
    "edit_history_tweet_ids",
    "entities.mentions.username",
    "geo.place_id",
    "in_reply_to_user_id",
    "entities.note.mentions.username",
    "referenced_tweets.id",
    "referenced_tweets.id.attachments.media_keys",
    "referenced_tweets.id.author_id",
]
USER_EXPANSIONS = ["affiliation.user_id", "most_recent_tweet_id", "pinned_tweet_id"]
POLL_FIELDS = ["duration_minutes", "end_datetime", "id", "options", "voting_status"]
PLACE_FIELDS = [
    "contained_within",
    "country",
    "country_code",
    "full_name",
    "geo",
    "id",
    "name",
    "place_type",
]

POST_FIELD_PARAMETERS = {
    "expansions": TWEET_EXPANSIONS,
    "tweet.fields": TWEET_FIELDS,
    "media.fields": MEDIA_FIELDS,
    "poll.fields": POLL_FIELDS,
    "place.fields": PLACE_FIELDS,
    "user.fields": USER_FIELDS,
}
USER_FIELD_PARAMETERS = {
    "user.fields": USER_FIELDS,
    "expansions": USER_EXPANSIONS,
    "tweet.fields": TWEET_FIELDS,
}

# The parameter order of X's "is not one of [...]" messages (docs/x-api.md §2.4 capture).
LOOKUP_PARAMETERS = ["ids", *POST_FIELD_PARAMETERS]
SINGLE_LOOKUP_PARAMETERS = ["id", *POST_FIELD_PARAMETERS]
TIMELINE_PARAMETERS = [
    "id",
    "since_id",
    "until_id",
    "max_results",
    "pagination_token",
    "exclude",
    "start_time",
    "end_time",
    *POST_FIELD_PARAMETERS,
]
ME_PARAMETERS = list(USER_FIELD_PARAMETERS)


@dataclass(frozen=True)
class Selection:
    """The fields and expansions a request asked for."""

    tweet: frozenset[str] = frozenset()
    media: frozenset[str] = frozenset()
    user: frozenset[str] = frozenset()
    expansions: frozenset[str] = frozenset()


def check_parameter_names(request: Request, allowed: list[str]) -> None:
    for name, value in request.query:
        if name not in allowed:
            raise InvalidRequest(
                name, [value], f"The query parameter [{name}] is not one of [{','.join(allowed)}]"
            )


def list_parameter(request: Request, name: str, allowed: list[str]) -> frozenset[str]:
    raw = request.query_value(name)
    if raw is None:
        return frozenset()
    values = raw.split(",")
    for value in values:
        if value not in allowed:
            raise InvalidRequest(
                name,
                [value],
                f"The `{name}` query parameter value [{value}] is not one of [{','.join(allowed)}]",
            )
    return frozenset(values)


def post_selection(request: Request) -> Selection:
    for name in ("poll.fields", "place.fields"):
        list_parameter(request, name, POST_FIELD_PARAMETERS[name])
    return Selection(
        tweet=list_parameter(request, "tweet.fields", TWEET_FIELDS),
        media=list_parameter(request, "media.fields", MEDIA_FIELDS),
        user=list_parameter(request, "user.fields", USER_FIELDS),
        expansions=list_parameter(request, "expansions", TWEET_EXPANSIONS),
    )


def user_selection(request: Request) -> Selection:
    return Selection(
        tweet=list_parameter(request, "tweet.fields", TWEET_FIELDS),
        user=list_parameter(request, "user.fields", USER_FIELDS),
        expansions=list_parameter(request, "expansions", USER_EXPANSIONS),
    )
