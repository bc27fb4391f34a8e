"""What each metric is: the counts X reports, in which contexts, with their labels."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from metrics.models import MEDIA_COUNTS, POST_COUNTS, Context

Number = int | float
VIDEO_TYPES = ("video", "animated_gif")
CONTEXTS = (Context.PUBLIC, Context.NON_PUBLIC, Context.ORGANIC, Context.PROMOTED)

# --- What each metric is -------------------------------------------------------------------


@dataclass(frozen=True)
class MetricInfo:
    """One count X reports, and the contexts it reports it in (docs/x-api.md §1.2)."""

    key: str
    label: str
    help: str
    public: bool = False  # in public_metrics: reported for every Post, at any age
    non_public: bool = False  # in non_public_metrics: the total, Posts under 30 days only
    split: bool = False  # in organic_metrics and promoted_metrics, Posts under 30 days only

    @property
    def total_context(self) -> str:
        """Where the total lives: public when X publishes it, non-public otherwise."""
        return Context.PUBLIC if self.public else Context.NON_PUBLIC

    @cached_property
    def contexts(self) -> tuple[str, ...]:
        """The contexts X reports it in, and "after_30" when its public growth goes unsplit."""
        reported = {
            Context.PUBLIC: self.public,
            Context.NON_PUBLIC: self.non_public,
            Context.ORGANIC: self.split,
            Context.PROMOTED: self.split,
            "after_30": self.public and self.split,
        }
        return tuple(context for context, yes in reported.items() if yes)


_PRIVATE = "X reports it for a Post's first 30 days only."
POST_METRICS: dict[str, MetricInfo] = {
    m.key: m
    for m in (
        MetricInfo(
            "impression_count",
            "Impressions",
            "Times the Post was on screen (not unique people).",
            public=True,
            non_public=True,
            split=True,
        ),
        MetricInfo(
            "engagements",
            "Engagements",
            "Every interaction with the Post: clicks, likes, replies, reposts, expands… "
            f"X reports it as a total only (no organic/promoted split). {_PRIVATE}",
            non_public=True,
        ),
        MetricInfo(
            "url_link_clicks",
            "Link clicks",
            f"Clicks on a link or link card in the Post. {_PRIVATE}",
            non_public=True,
            split=True,
        ),
        MetricInfo(
            "user_profile_clicks",
            "Profile clicks",
            f"Clicks on the author's name, handle or picture. {_PRIVATE}",
            non_public=True,
            split=True,
        ),
        MetricInfo("like_count", "Likes", "Likes of the Post.", public=True, split=True),
        MetricInfo("reply_count", "Replies", "Replies to the Post.", public=True, split=True),
        MetricInfo(
            "retweet_count", "Reposts", "Reposts (quotes not included).", public=True, split=True
        ),
        MetricInfo("quote_count", "Quotes", "Reposts with a comment.", public=True),
        MetricInfo("bookmark_count", "Bookmarks", "Times the Post was bookmarked.", public=True),
    )
}
MEDIA_METRICS: dict[str, MetricInfo] = {
    m.key: m
    for m in (
        MetricInfo(
            "view_count",
            "Video views",
            "Views of the video, across every Post that carries it.",
            public=True,
            split=True,
        ),
        *(
            MetricInfo(f"playback_{q}_count", label, help, non_public=True, split=True)
            for q, label, help in (
                (0, "Starts", "Plays that started."),
                (25, "25 %", "Plays that reached a quarter of the video."),
                (50, "50 %", "Plays that reached half of the video."),
                (75, "75 %", "Plays that reached three quarters of the video."),
                (100, "Complete", "Plays watched to the end."),
            )
        ),
    )
}
assert set(POST_METRICS) == set(POST_COUNTS) and set(MEDIA_METRICS) == set(MEDIA_COUNTS)
FUNNEL_STEPS = tuple(k for k in MEDIA_COUNTS if k.startswith("playback_"))
# The charts of the Overview, in page order.
DAILY_CHART_METRICS = ("impression_count", "url_link_clicks", "user_profile_clicks")
