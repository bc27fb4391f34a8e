"""Typed records of what X returns. A metric X did not send is None, never 0, but for the
counters X leaves out of a metrics object it did send when they are zero (`OMITTED_WHEN_ZERO`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import ClassVar

# Problem types of a private field the token may not see (docs/x-api.md §1.3; spec 2.166 and 2.167).
_FIELD_AUTHORIZATION_TYPES = frozenset({"not-authorized-for-field", "field-unauthorized"})


@dataclass(frozen=True, slots=True)
class PostPublicMetrics:
    retweet_count: int | None
    reply_count: int | None
    like_count: int | None
    quote_count: int | None
    bookmark_count: int | None
    impression_count: int | None


# Real X leaves these out of a Post's private metrics when they are 0: `url_link_clicks` on a
# Post without a link, `user_profile_clicks` when nobody clicked (BluebirdPS#159, a client
# library's maintainer; 2025 fixtures of own Posts in constata-eu/asami show
# `non_public_metrics: {"impression_count": 0}`). In an object X did send, their absence means 0;
# a group X did not send is None.
ZERO_WHEN_OMITTED = frozenset({"url_link_clicks", "user_profile_clicks"})


@dataclass(frozen=True, slots=True)
class PostNonPublicMetrics:
    impression_count: int | None
    url_link_clicks: int | None
    user_profile_clicks: int | None
    engagements: int | None
    # Which of OMITTED_WHEN_ZERO X left out of this object (they read as 0 above). Not a count:
    # it says how X answered, and two readings of the same counts are equal whatever it is.
    omitted: frozenset[str] = field(default=frozenset(), compare=False)

    OMITTED_WHEN_ZERO: ClassVar[frozenset[str]] = ZERO_WHEN_OMITTED


@dataclass(frozen=True, slots=True)
class PostContextMetrics:
    """``organic_metrics`` or ``promoted_metrics`` of a Post."""

    impression_count: int | None
    like_count: int | None
    reply_count: int | None
    retweet_count: int | None
    url_link_clicks: int | None
    user_profile_clicks: int | None
    # As on PostNonPublicMetrics: which of OMITTED_WHEN_ZERO X left out, read as 0.
    omitted: frozenset[str] = field(default=frozenset(), compare=False)

    OMITTED_WHEN_ZERO: ClassVar[frozenset[str]] = ZERO_WHEN_OMITTED


@dataclass(frozen=True, slots=True)
class MediaPublicMetrics:
    view_count: int | None


@dataclass(frozen=True, slots=True)
class MediaPlaybackMetrics:
    """Media ``non_public_metrics``, ``organic_metrics`` or ``promoted_metrics``.

    Only the organic and promoted objects carry ``view_count``.
    """

    playback_0_count: int | None
    playback_25_count: int | None
    playback_50_count: int | None
    playback_75_count: int | None
    playback_100_count: int | None
    view_count: int | None = None


@dataclass(frozen=True, slots=True)
class Media:
    media_key: str
    type: str | None
    duration_ms: int | None = None
    preview_image_url: str | None = None
    url: str | None = None
    public_metrics: MediaPublicMetrics | None = None
    non_public_metrics: MediaPlaybackMetrics | None = None
    organic_metrics: MediaPlaybackMetrics | None = None
    promoted_metrics: MediaPlaybackMetrics | None = None


@dataclass(frozen=True, slots=True)
class ReferencedPost:
    type: str  # "retweeted", "quoted" or "replied_to"
    id: str


@dataclass(frozen=True, slots=True)
class Post:
    id: str
    text: str
    created_at: datetime | None = None
    author_id: str | None = None
    conversation_id: str | None = None
    in_reply_to_user_id: str | None = None
    referenced_posts: tuple[ReferencedPost, ...] = ()
    media_keys: tuple[str, ...] = ()
    # The Posts its media was first posted in, when it reuses another Post's media
    # (`attachments.media_source_tweet_id`, spec 2.166 `Tweet.attachments`).
    media_source_ids: tuple[str, ...] = ()
    # The links in its text (`entities.urls` but the media's own), when `entities` was asked.
    links: tuple[str, ...] = ()
    paid_partnership: bool | None = None  # None: X did not say
    # Every version's id, oldest first, this one included (X creates a new id per edit).
    edit_history: tuple[str, ...] = ()
    public_metrics: PostPublicMetrics | None = None
    non_public_metrics: PostNonPublicMetrics | None = None
    organic_metrics: PostContextMetrics | None = None
    promoted_metrics: PostContextMetrics | None = None

    @property
    def is_reply(self) -> bool:
        return self.in_reply_to_user_id is not None or self._references("replied_to")

    @property
    def is_retweet(self) -> bool:
        return self._references("retweeted")

    @property
    def earlier_versions(self) -> tuple[str, ...]:
        """The ids this Post replaces when it is an edit: its earlier versions, oldest first."""
        if self.id not in self.edit_history:
            return ()
        return self.edit_history[: self.edit_history.index(self.id)]

    def _references(self, kind: str) -> bool:
        return any(reference.type == kind for reference in self.referenced_posts)


@dataclass(frozen=True, slots=True)
class User:
    id: str
    username: str
    name: str
    profile_image_url: str | None = None
    post_count: int | None = None  # public_metrics.tweet_count: how deep a backfill goes


@dataclass(frozen=True, slots=True)
class PartialError:
    """One ``errors[]`` entry of an HTTP 200 response: X answered, but not about this resource."""

    type_suffix: str
    title: str | None = None
    detail: str | None = None
    resource_type: str | None = None
    resource_id: str | None = None
    field: str | None = None
    parameter: str | None = None
    section: str | None = None

    @property
    def is_field_authorization_error(self) -> bool:
        """A private field this token may not see; X dropped the whole resource (docs/x-api.md
        §1.3)."""
        return self.type_suffix in _FIELD_AUTHORIZATION_TYPES

    @property
    def is_not_found(self) -> bool:
        return self.type_suffix == "resource-not-found"

    @property
    def is_resource_authorization_error(self) -> bool:
        """Protected or suspended author (docs/x-api.md §2.3)."""
        return self.type_suffix == "not-authorized-for-resource"


@dataclass(frozen=True, slots=True)
class PageMeta:
    newest_id: str | None = None
    oldest_id: str | None = None
    result_count: int | None = None
    next_token: str | None = None


@dataclass(frozen=True, slots=True)
class Page:
    """One response of a Post endpoint: Posts, their media by key, and partial errors."""

    posts: tuple[Post, ...] = ()
    media: Mapping[str, Media] = field(default_factory=dict)
    errors: tuple[PartialError, ...] = ()
    meta: PageMeta = field(default_factory=PageMeta)
    # Posts an expansion brought in `includes.tweets` (not billed as reads), by id.
    included_posts: Mapping[str, Post] = field(default_factory=dict)

    def media_of(self, post: Post) -> tuple[Media, ...]:
        """The Post's media present in this page (X may omit some from ``includes``)."""
        return tuple(self.media[key] for key in post.media_keys if key in self.media)


@dataclass(frozen=True, slots=True)
class UsageDay:
    """Post reads X counts on one UTC day."""

    day: date
    post_reads: int | None


@dataclass(frozen=True, slots=True)
class AppUsage:
    """One client app's daily Post reads (`daily_client_app_usage`)."""

    client_app_id: str | None
    days: tuple[UsageDay, ...] = ()


@dataclass(frozen=True, slots=True)
class Usage:
    """``GET /2/usage/tweets``: the project's billed Post reads as X counts them, which it
    reflects with some delay (docs/x-api.md §9). Whatever X left out is None or empty."""

    project_id: str | None = None
    project_cap: int | None = None  # Post reads a billing cycle allows
    project_usage: int | None = None  # Post reads of the cycle so far
    # The day of the month the cap resets (X's reference page; spec 2.166: days left until then).
    cap_reset_day: int | None = None
    project_days: tuple[UsageDay, ...] = ()  # `daily_project_usage`, oldest first
    apps: tuple[AppUsage, ...] = ()

    def project_reads_on(self, day: date) -> int | None:
        """The project's reads on one UTC day; None when X sent no figure for it."""
        return next((entry.post_reads for entry in self.project_days if entry.day == day), None)
