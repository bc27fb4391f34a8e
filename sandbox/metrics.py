"""Metrics as a function of a Post (or video) and the time: no stored counters.

Each Post draws a `PostProfile` once (from its seed); its counts at any instant follow from it.
Every count is `floor(non-decreasing share of time * constant)`, so counts never go down as time
passes, and the contexts are added up rather than split, so X's invariants hold by construction:

- public likes, replies, reposts = organic + promoted (docs/x-metrics.md: "total … from both organic
  and paid contexts"); quotes are organic only ("There are no Quote Tweets from a paid context");
- non_public impressions, link and profile clicks = organic + promoted;
- public impression_count = non_public impression_count;
- video playback counts never rise from one quartile to the next, but for some videos
  `playback_0_count` is counted short and falls below the quartiles after it (X's own metrics
  sample: `playback_0_count` 0 with `playback_25_count` 2); `view_count` is the sum over every
  Post that carries the video ("aggregated across all posts containing the video").
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, fields
from datetime import datetime, timedelta

HOUR = 3600.0


def organic_share(age_seconds: float) -> float:
    """Share of a Post's eventual organic reach earned at an age: most of it on the first day."""
    if age_seconds <= 0:
        return 0.0
    return (
        1.0
        - 0.75 * math.exp(-age_seconds / (5 * HOUR))
        - 0.25 * math.exp(-age_seconds / (96 * HOUR))
    )


def promoted_share(age_seconds: float) -> float:
    """Share of a campaign's paid reach delivered since it started (about three days)."""
    if age_seconds <= 0:
        return 0.0
    return 1.0 - math.exp(-age_seconds / (20 * HOUR))


@dataclass(frozen=True)
class EngagementRates:
    like: float
    reply: float
    retweet: float
    link_click: float  # zero for a Post without a link
    profile_click: float

    def scaled(self, factor: float) -> EngagementRates:
        return EngagementRates(*(getattr(self, f.name) * factor for f in fields(self)))


@dataclass(frozen=True)
class PostProfile:
    reach: int  # organic impressions the Post earns eventually
    rates: EngagementRates
    quote_rate: float
    bookmark_rate: float
    expand_rate: float  # detail expands and other clicks that only `engagements` counts
    promoted_from: datetime | None = None
    promoted_reach: int = 0
    promoted_rate_factor: float = 1.0

    def is_promoted_at(self, now: datetime) -> bool:
        return self.promoted_from is not None and now >= self.promoted_from


@dataclass(frozen=True)
class VideoProfile:
    start_rate: float  # impressions that start the video (playback_0)
    view_ratio: float  # views per start
    retention: tuple[float, float, float, float]  # 0→25 %, 25→50 %, 50→75 %, 75→100 %
    # The share of starts X counts as playback_0: below 1 for some videos, whose later
    # quartiles then exceed their starts (X's own sample: playback_0 0, playback_25 2).
    counted_starts: float = 1.0


def draw_post_profile(
    rng: random.Random,
    *,
    median_reach: int,
    has_link: bool,
    is_video: bool,
    created_at: datetime,
    promoted: bool,
) -> PostProfile:
    reach = int(median_reach * rng.lognormvariate(0, 0.6) * (1.4 if is_video else 1.0))
    rates = EngagementRates(
        like=rng.uniform(0.012, 0.04),
        reply=rng.uniform(0.001, 0.005),
        retweet=rng.uniform(0.002, 0.01),
        link_click=rng.uniform(0.005, 0.02) if has_link else 0.0,
        profile_click=rng.uniform(0.002, 0.01),
    )
    profile = PostProfile(
        reach=reach,
        rates=rates,
        quote_rate=rng.uniform(0.0002, 0.001),
        bookmark_rate=rng.uniform(0.001, 0.005),
        expand_rate=rng.uniform(0.01, 0.03),
    )
    if not promoted:
        return profile
    return PostProfile(
        **{
            f.name: getattr(profile, f.name)
            for f in fields(profile)
            if not f.name.startswith("promoted")
        },
        promoted_from=created_at + timedelta(hours=rng.uniform(0.5, 12)),
        promoted_reach=int(reach * rng.uniform(0.5, 3.0)),
        promoted_rate_factor=rng.uniform(0.3, 0.7),
    )


def draw_video_profile(rng: random.Random) -> VideoProfile:
    return VideoProfile(
        start_rate=rng.uniform(0.25, 0.5),
        view_ratio=rng.uniform(0.35, 0.6),
        retention=(
            rng.uniform(0.35, 0.65),
            rng.uniform(0.5, 0.8),
            rng.uniform(0.55, 0.85),
            rng.uniform(0.5, 0.8),
        ),
    )


@dataclass(frozen=True)
class ContextCounts:
    """The counts X splits into organic and promoted contexts."""

    impression_count: int = 0
    like_count: int = 0
    reply_count: int = 0
    retweet_count: int = 0
    url_link_clicks: int = 0
    user_profile_clicks: int = 0

    def __add__(self, other: ContextCounts) -> ContextCounts:
        return ContextCounts(
            *(getattr(self, f.name) + getattr(other, f.name) for f in fields(self))
        )

    @classmethod
    def from_impressions(cls, impressions: int, rates: EngagementRates) -> ContextCounts:
        return cls(
            impression_count=impressions,
            like_count=int(impressions * rates.like),
            reply_count=int(impressions * rates.reply),
            retweet_count=int(impressions * rates.retweet),
            url_link_clicks=int(impressions * rates.link_click),
            user_profile_clicks=int(impressions * rates.profile_click),
        )

    def as_dict(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True)
class PostMetrics:
    organic: ContextCounts
    promoted: ContextCounts
    quote_count: int
    bookmark_count: int
    expands: int

    @property
    def total(self) -> ContextCounts:
        return self.organic + self.promoted

    def public(self) -> dict[str, int]:
        total = self.total
        return {
            "retweet_count": total.retweet_count,
            "reply_count": total.reply_count,
            "like_count": total.like_count,
            "quote_count": self.quote_count,
            "bookmark_count": self.bookmark_count,
            "impression_count": total.impression_count,
        }

    def non_public(self) -> dict[str, int]:
        total = self.total
        engagements = (
            total.like_count
            + total.reply_count
            + total.retweet_count
            + self.quote_count
            + self.bookmark_count
            + total.url_link_clicks
            + total.user_profile_clicks
            + self.expands
        )
        return {
            "impression_count": total.impression_count,
            "url_link_clicks": total.url_link_clicks,
            "user_profile_clicks": total.user_profile_clicks,
            "engagements": engagements,
        }


def post_metrics(profile: PostProfile, created_at: datetime, now: datetime) -> PostMetrics:
    organic_impressions = int(profile.reach * organic_share((now - created_at).total_seconds()))
    organic = ContextCounts.from_impressions(organic_impressions, profile.rates)
    promoted = ContextCounts()
    if profile.promoted_from is not None:
        campaign_age = (now - profile.promoted_from).total_seconds()
        promoted = ContextCounts.from_impressions(
            int(profile.promoted_reach * promoted_share(campaign_age)),
            profile.rates.scaled(profile.promoted_rate_factor),
        )
    impressions = organic.impression_count + promoted.impression_count
    return PostMetrics(
        organic=organic,
        promoted=promoted,
        quote_count=int(organic_impressions * profile.quote_rate),
        bookmark_count=int(impressions * profile.bookmark_rate),
        expands=int(impressions * profile.expand_rate),
    )


@dataclass(frozen=True)
class Playback:
    playback_0_count: int = 0
    playback_25_count: int = 0
    playback_50_count: int = 0
    playback_75_count: int = 0
    playback_100_count: int = 0
    view_count: int = 0

    def __add__(self, other: Playback) -> Playback:
        return Playback(*(getattr(self, f.name) + getattr(other, f.name) for f in fields(self)))

    @classmethod
    def from_impressions(cls, impressions: int, video: VideoProfile) -> Playback:
        # Each quartile is a floored share of the one before; only playback_0 may be counted
        # short (`counted_starts`), so it alone can be smaller than the quartiles after it.
        started = int(impressions * video.start_rate)
        quartiles = [started]
        for kept in video.retention:
            quartiles.append(int(quartiles[-1] * kept))
        quartiles[0] = int(started * video.counted_starts)
        return cls(*quartiles, view_count=int(started * video.view_ratio))

    def quartiles(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "view_count"}

    def as_dict(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True)
class MediaMetrics:
    organic: Playback
    promoted: Playback

    def public(self) -> dict[str, int]:
        return {"view_count": (self.organic + self.promoted).view_count}

    def non_public(self) -> dict[str, int]:
        return (self.organic + self.promoted).quartiles()


def media_metrics(video: VideoProfile, carriers: list[PostMetrics]) -> MediaMetrics:
    """Metrics of one video summed over every Post that carries it."""
    organic, promoted = Playback(), Playback()
    for carrier in carriers:
        organic += Playback.from_impressions(carrier.organic.impression_count, video)
        promoted += Playback.from_impressions(carrier.promoted.impression_count, video)
    return MediaMetrics(organic, promoted)
