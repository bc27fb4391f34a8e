"""X's invariants hold for any Post at any time, and counts never go down."""

import random
from datetime import UTC, datetime, timedelta

import pytest
import requests
from hypothesis import given, settings
from hypothesis import strategies as st

from sandbox.metrics import (
    Playback,
    draw_post_profile,
    draw_video_profile,
    media_metrics,
    post_metrics,
)
from tests.sandbox.flows import BRAND, bearer, timeline

CREATED = datetime(2026, 3, 1, tzinfo=UTC)
QUARTILES = [
    "playback_0_count",
    "playback_25_count",
    "playback_50_count",
    "playback_75_count",
    "playback_100_count",
]


def _profile(seed: int, promoted: bool, is_video: bool):
    rng = random.Random(seed)
    return draw_post_profile(
        rng,
        median_reach=rng.randint(50, 50_000),
        has_link=rng.random() < 0.5,
        is_video=is_video,
        created_at=CREATED,
        promoted=promoted,
    )


def _assert_invariants(public, non_public, organic, promoted):
    for count in ("like_count", "reply_count", "retweet_count"):
        assert public[count] == organic[count] + promoted[count]
    for count in ("impression_count", "url_link_clicks", "user_profile_clicks"):
        # A served answer leaves a zero click counter out (render.OMITTED_WHEN_ZERO).
        assert non_public.get(count, 0) == organic.get(count, 0) + promoted.get(count, 0)
    assert public["impression_count"] == non_public["impression_count"]


def _assert_quartiles_never_rise(playback: dict):
    # From 25 % on; X may count a video's starts (playback_0) short, below what follows them.
    counts = [playback[q] for q in QUARTILES[1:]]
    assert counts == sorted(counts, reverse=True)


ages = st.floats(min_value=0, max_value=60 * 86400)


@settings(max_examples=200, deadline=None)
@given(seed=st.integers(0, 10**6), promoted=st.booleans(), earlier=ages, later=ages)
def test_post_metrics_keep_xs_invariants_and_never_decrease(seed, promoted, earlier, later):
    profile = _profile(seed, promoted, is_video=False)
    first, second = sorted([earlier, later])
    before = post_metrics(profile, CREATED, CREATED + timedelta(seconds=first))
    after = post_metrics(profile, CREATED, CREATED + timedelta(seconds=second))
    for metrics in (before, after):
        _assert_invariants(
            metrics.public(),
            metrics.non_public(),
            metrics.organic.as_dict(),
            metrics.promoted.as_dict(),
        )
    for group in ("public", "non_public"):
        old, new = getattr(before, group)(), getattr(after, group)()
        assert all(new[k] >= old[k] for k in old)
    if not promoted:
        assert after.promoted.impression_count == 0


@settings(max_examples=200, deadline=None)
@given(seed=st.integers(0, 10**6), carriers=st.integers(1, 3), age=ages)
def test_a_videos_counts_sum_over_its_posts_and_quartiles_never_rise(seed, carriers, age):
    video = draw_video_profile(random.Random(seed))
    posts = [
        post_metrics(_profile(seed + n, n == 0, True), CREATED, CREATED + timedelta(seconds=age))
        for n in range(carriers)
    ]
    media = media_metrics(video, posts)
    separately = [media_metrics(video, [post]) for post in posts]
    assert media.public()["view_count"] == sum(m.public()["view_count"] for m in separately)
    _assert_quartiles_never_rise(media.non_public())
    _assert_quartiles_never_rise(media.organic.as_dict())
    _assert_quartiles_never_rise(media.promoted.as_dict())
    assert media.public()["view_count"] == media.organic.view_count + media.promoted.view_count


def test_playback_from_no_impressions_is_all_zero():
    assert Playback.from_impressions(0, draw_video_profile(random.Random(1))) == Playback()


# -- over HTTP, on the brand's Posts ----------------------------------------------------------


@pytest.fixture(scope="module")
def recent_brand_posts(sandbox) -> list[dict]:
    """The brand's own Posts from the 25 days before the anchor (no replies or retweets)."""
    anchor = datetime.fromisoformat(sandbox.clock()["anchor"])
    sandbox.set_clock(anchor)
    token = sandbox.mint_token(BRAND)
    posts = timeline(sandbox, BRAND, token, **{"tweet.fields": "created_at,referenced_tweets"})
    sandbox.reset()
    recent = [
        {**p, "created": datetime.fromisoformat(p["created_at"])}
        for p in posts
        if "referenced_tweets" not in p
    ]
    return [p for p in recent if anchor - p["created"] < timedelta(days=25)]


def _read(sandbox, post_id, at: datetime, promoted: bool):
    sandbox.set_clock(at)
    token = sandbox.mint_token(BRAND)
    fields = "public_metrics,non_public_metrics,organic_metrics" + (
        ",promoted_metrics" if promoted else ""
    )
    answer = requests.get(
        sandbox.url("/2/tweets"),
        params={
            "ids": post_id,
            "tweet.fields": fields,
            "expansions": "attachments.media_keys",
            "media.fields": "public_metrics,non_public_metrics,organic_metrics"
            + (",promoted_metrics" if promoted else ""),
        },
        headers=bearer(token),
    )
    return answer.json()


@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_served_metrics_keep_the_invariants_at_any_time(sandbox, recent_brand_posts, data):
    post = data.draw(st.sampled_from(recent_brand_posts))
    hours = sorted(data.draw(st.lists(st.floats(0, 24 * 29), min_size=2, max_size=2)))
    readings = []
    for hour in hours:
        at = post["created"] + timedelta(hours=hour)
        body = _read(sandbox, post["id"], at, promoted=True)
        if "data" not in body:  # never promoted (yet): X drops it; read without promoted_metrics
            body = _read(sandbox, post["id"], at, promoted=False)
        tweet = body["data"][0]
        promoted = tweet.get("promoted_metrics", dict.fromkeys(tweet["organic_metrics"], 0))
        _assert_invariants(
            tweet["public_metrics"], tweet["non_public_metrics"], tweet["organic_metrics"], promoted
        )
        for media in body.get("includes", {}).get("media", []):
            if media["type"] == "video":
                _assert_quartiles_never_rise(media["non_public_metrics"])
                _assert_quartiles_never_rise(media["organic_metrics"])
        readings.append(tweet)
    for group in ("public_metrics", "non_public_metrics"):
        assert all(readings[1][group][k] >= readings[0][group][k] for k in readings[0][group])
    sandbox.reset()


def test_a_reused_videos_view_count_is_the_same_from_either_post(sandbox_clean):
    anchor = datetime.fromisoformat(sandbox_clean.clock()["anchor"])
    sandbox_clean.set_clock(anchor)
    token = sandbox_clean.mint_token(BRAND)
    posts = timeline(sandbox_clean, BRAND, token, **{"tweet.fields": "attachments"})
    carriers: dict[str, list[str]] = {}
    for post in posts:
        for key in post.get("attachments", {}).get("media_keys", []):
            carriers.setdefault(key, []).append(post["id"])
    key, (first, second) = next((k, ids) for k, ids in carriers.items() if len(ids) == 2)
    views = []
    for post_id in (first, second):
        body = requests.get(
            sandbox_clean.url(f"/2/tweets/{post_id}"),
            params={"expansions": "attachments.media_keys", "media.fields": "public_metrics"},
            headers=bearer(token),
        ).json()
        views.append(body["includes"]["media"][0]["public_metrics"]["view_count"])
    assert views[0] == views[1] > 0
