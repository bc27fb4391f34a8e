"""A team with a believable synced history, written the way the sync writes it.

`seed_synced_team` gives two accounts, a dozen Posts (one promoted, two past day 30, a reply),
two videos (one carried by two Posts), one sync per account per day for two weeks, and two gap
days: @brand's sync was deferred three days ago, @smallco was not synced yesterday. Numbers are
deterministic functions of Post and time, so tests can assert them through the selectors.
"""

import math
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.utils import timezone

from accounts.models import Team, XAccount
from metrics.models import Context, Media, Post, SyncRun
from tests.factories import XAccountFactory
from tests.metrics.factories import (
    LINEAR_CURVE,
    HistoryWriter,
    PostFactory,
    sync_ran,
    video_for,
)

HISTORY_DAYS = 14
SYNC_TIME = time(18, 0)
# Today's sync finished at least this long before `now`, so pages read it as "N min ago"
# whatever the clock says when a test runs (a run at 18:00:30 once read "just now").
LATEST_SYNC_AGE = timedelta(minutes=5)


@dataclass
class SyncedTeam:
    team: Team
    accounts: list[XAccount]
    posts: list[Post]
    videos: list[Media]
    gap_days: dict[str, list] = field(default_factory=dict)  # username -> team days

    @property
    def brand(self) -> XAccount:
        return self.accounts[0]


def _impressions(reach: int, age: timedelta) -> int:
    hours = max(age.total_seconds() / 3600, 0)
    return int(reach * (1 - math.exp(-hours / 30)))


def _post_counts(impressions: int, rates: float = 1.0) -> dict[str, int]:
    return {
        "impression_count": impressions,
        "like_count": int(impressions * 0.02 * rates),
        "reply_count": int(impressions * 0.002 * rates),
        "retweet_count": int(impressions * 0.004 * rates),
        "url_link_clicks": int(impressions * 0.012 * rates),
        "user_profile_clicks": int(impressions * 0.006 * rates),
    }


def _playback(impressions: int) -> dict[str, int]:
    starts = int(impressions * 0.3)
    counts, kept = {"playback_0_count": starts}, starts
    for quartile, share in ((25, 0.7), (50, 0.75), (75, 0.7), (100, 0.6)):
        kept = int(kept * share)
        counts[f"playback_{quartile}_count"] = kept
    counts["view_count"] = int(starts * 0.8)
    return counts


def seed_synced_team(team: Team, *, now: datetime | None = None) -> SyncedTeam:
    now = now or timezone.now()
    tz = team.tzinfo
    today = now.astimezone(tz).date()
    first_day = today - timedelta(days=HISTORY_DAYS - 1)
    connected_at = datetime.combine(first_day, time(9, 0), tzinfo=tz)
    brand = XAccountFactory(team=team, username="brand", name="Brand", connected_at=connected_at)
    small = XAccountFactory(
        team=team, username="smallco", name="SmallCo", connected_at=connected_at
    )
    gaps = {"brand": [today - timedelta(days=3)], "smallco": [today - timedelta(days=1)]}

    texts = [
        "Launch day! Our new dashboard is live 🚀 https://example.com/launch",
        '=HYPERLINK("http://x","y") is not a formula here',
        "<script>alert(1)</script> escaped, always",
        "Behind the scenes video: how we test",
        "Thread: five lessons from 90 days of analytics",
        "Replying to a customer question about exports",
        "Weekend read: what engagement rate really means",
        "Our team at the conference, say hi!",
    ]
    posts: list[Post] = []
    for n, text in enumerate(texts):
        # One Post past day 30 before the history began, one crossing day 30 during it.
        age_days = [12, 45, 33, 10, 8, 6, 4, 1][n]
        created = datetime.combine(today - timedelta(days=age_days), time(10, 0), tzinfo=tz)
        posts.append(
            PostFactory(
                account=brand,
                text=text,
                created_at=created,
                is_reply=n == 5,
                promoted=Post.Promoted.YES if n == 0 else Post.Promoted.NO,
            )
        )
    for n in range(4):
        created = datetime.combine(today - timedelta(days=2 + 3 * n), time(15, 0), tzinfo=tz)
        posts.append(PostFactory(account=small, text=f"SmallCo update {n + 1}", created_at=created))

    shared_video = video_for(posts[3], posts[7], duration_ms=42_000)
    solo_video = video_for(posts[0], duration_ms=15_000)

    history = HistoryWriter()
    for day_offset in range(HISTORY_DAYS):
        day = first_day + timedelta(days=day_offset)
        at = min(datetime.combine(day, SYNC_TIME, tzinfo=tz), now - LATEST_SYNC_AGE)
        for account in (brand, small):
            if day in gaps[account.username]:
                outcome = SyncRun.Outcome.DEFERRED if account == brand else None
                if outcome:
                    sync_ran(account, at, outcome=outcome, pages_done=0)
                continue
            sync_ran(account, at)
            for post in (p for p in posts if p.account_id == account.pk and p.created_at <= at):
                _observe_post(history, post, at)
        for video, carriers in ((shared_video, [posts[3], posts[7]]), (solo_video, [posts[0]])):
            if day in gaps["brand"] or all(p.created_at > at for p in carriers):
                continue
            age = at - min(p.created_at for p in carriers)
            organic = _playback(_impressions(20_000, age))
            history.observe_media(video, at, Context.ORGANIC, **organic)
            promoted = _playback(_impressions(8_000, age)) if video == solo_video else None
            if promoted:
                history.observe_media(video, at, Context.PROMOTED, **promoted)
            total = {k: organic[k] + (promoted or {}).get(k, 0) for k in organic}
            history.observe_media(video, at, Context.PUBLIC, view_count=total["view_count"])
            history.observe_media(
                video,
                at,
                Context.NON_PUBLIC,
                **{k: v for k, v in total.items() if k != "view_count"},
            )
    history.flush()
    for account in (brand, small):
        account.refresh_from_db()
    return SyncedTeam(team, [brand, small], posts, [shared_video, solo_video], gaps)


def _observe_post(history: HistoryWriter, post: Post, at: datetime) -> None:
    age = at - post.created_at
    reach = 40_000 if post.account.username == "brand" else 4_000
    organic = _post_counts(_impressions(reach, age))
    promoted = _post_counts(_impressions(25_000, age - timedelta(days=1)), rates=0.6)
    if post.promoted != Post.Promoted.YES or age < timedelta(days=1):
        promoted = None
    total = {k: organic[k] + (promoted or {}).get(k, 0) for k in organic}
    public = {
        k: total[k] for k in ("impression_count", "like_count", "reply_count", "retweet_count")
    }
    public["quote_count"] = total["retweet_count"] // 3
    public["bookmark_count"] = total["like_count"] // 4
    history.observe_post(post, at, Context.PUBLIC, **public)
    if at >= post.private_metrics_until:
        return  # X reports public metrics only after day 30
    engagements = sum(total.values()) - total["impression_count"]
    history.observe_post(
        post,
        at,
        Context.NON_PUBLIC,
        impression_count=total["impression_count"],
        url_link_clicks=total["url_link_clicks"],
        user_profile_clicks=total["user_profile_clicks"],
        engagements=engagements,
    )
    history.observe_post(post, at, Context.ORGANIC, **organic)
    if promoted:
        history.observe_post(post, at, Context.PROMOTED, **promoted)


# docs/DESIGN.md's worked example, in a team whose days are New York days.
WORKED_EXAMPLE_DAYS = (date(2026, 3, 2), date(2026, 3, 3), date(2026, 3, 4))  # Mon, Tue, Wed
WORKED_EXAMPLE_READINGS = (  # (hour of the day, organic, promoted impressions)
    (WORKED_EXAMPLE_DAYS[0], 12, 100, 0),
    (WORKED_EXAMPLE_DAYS[1], 9, 400, 250),
    (WORKED_EXAMPLE_DAYS[2], 20, 500, 600),
)


def seed_worked_example(team: Team) -> Post:
    """Post P goes out Monday 10:00; readings Mon 12:00 organic 100 promoted 0, Tue 09:00 400
    and 250, Wed 20:00 500 and 600, stored as the sync stores them, split in proportion to
    time (docs/DESIGN.md's illustration) rather than by an age curve."""
    tz = team.tzinfo
    account = XAccountFactory(
        team=team, username="acme", connected_at=datetime(2026, 3, 1, tzinfo=tz)
    )
    post = PostFactory(account=account, created_at=datetime(2026, 3, 2, 10, 0, tzinfo=tz))
    history = HistoryWriter(curve=LINEAR_CURVE)
    for day, hour, organic, promoted in WORKED_EXAMPLE_READINGS:
        at = datetime.combine(day, time(hour), tzinfo=tz)
        sync_ran(account, at)
        history.observe_post(post, at, Context.ORGANIC, impression_count=organic)
        history.observe_post(post, at, Context.PROMOTED, impression_count=promoted)
    history.flush()
    return post
