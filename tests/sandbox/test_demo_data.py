"""The demo accounts: their shape, their nasty texts, and determinism from the seed."""

from collections import Counter
from datetime import UTC, datetime, timedelta

import requests

from sandbox import SandboxConfig, create_app, start_in_thread
from sandbox.clock import parse_instant
from sandbox.world import ARCHIVE, BRAND, SMALL, PostKind, World
from tests.sandbox.flows import bearer, freeze_after_anchor, timeline

ANCHOR = datetime(2026, 3, 1, tzinfo=UTC)


def _history(world: World, username: str) -> list:
    return list(world.timeline(world.account(username), world.anchor))


def test_the_brand_has_about_300_posts_over_120_days():
    posts = _history(World(1, ANCHOR), BRAND)
    assert len(posts) == 300
    assert posts[0].created_at >= ANCHOR - timedelta(days=120)
    assert posts[-1].created_at < ANCHOR


def test_about_one_brand_post_in_six_carries_a_video():
    world = World(1, ANCHOR)
    posts = _history(world, BRAND)
    videos = sum(1 for p in posts if any(world.media(k).type == "video" for k in p.media_keys))
    assert 0.12 < videos / len(posts) < 0.22


def test_one_video_is_reused_in_two_brand_posts():
    world = World(1, ANCHOR)
    carried = Counter(k for p in _history(world, BRAND) for k in p.media_keys)
    reused = [key for key, count in carried.items() if count == 2]
    assert len(reused) == 1 and world.media(reused[0]).type == "video"
    assert all(
        ANCHOR - p.created_at < timedelta(days=30) for p in world.carriers(reused[0], ANCHOR)
    )


def test_about_one_brand_post_in_ten_is_promoted():
    posts = _history(World(1, ANCHOR), BRAND)
    promoted = sum(1 for p in posts if p.profile.promoted_from is not None)
    assert 0.06 < promoted / len(posts) < 0.14


def test_the_brand_has_replies_and_retweets_of_the_small_account():
    world = World(1, ANCHOR)
    kinds = Counter(p.kind for p in _history(world, BRAND))
    assert kinds[PostKind.REPLY] >= 10 and kinds[PostKind.RETWEET] >= 10
    small_ids = {p.id for p in world.timeline(world.account(SMALL), ANCHOR)}
    retweeted = {p.retweeted for p in _history(world, BRAND) if p.retweeted}
    assert retweeted <= small_ids


def test_the_small_account_has_20_posts_and_the_archive_3500():
    world = World(1, ANCHOR)
    assert len(_history(world, SMALL)) == 20
    assert len(_history(world, ARCHIVE)) == 3500


def test_media_keys_look_like_xs():
    """13_ videos, 7_ ext_tw_video, 16_ animated GIFs, 3_ photos (docs/x-api.md §9)."""
    world = World(1, ANCHOR)
    keys = {k for p in _history(world, BRAND) for k in p.media_keys}
    assert {k.split("_")[0] for k in keys} == {"3", "7", "13", "16"}
    assert all(k.split("_")[1].isdigit() for k in keys)
    assert all(world.media(k).type == "animated_gif" for k in keys if k.startswith("16_"))


def test_the_same_seed_gives_the_same_posts_and_another_seed_others():
    def fingerprint(world):
        return [(p.id, p.text, p.media_keys, p.profile.reach) for p in _history(world, BRAND)]

    assert fingerprint(World(1, ANCHOR)) == fingerprint(World(1, ANCHOR))
    assert fingerprint(World(1, ANCHOR)) != fingerprint(World(2, ANCHOR))


def test_posts_keep_appearing_after_the_anchor():
    world = World(1, ANCHOR)
    later = world.timeline(world.account(BRAND), ANCHOR + timedelta(days=10))
    assert 20 < len(later) - 300 < 30
    assert later[:300] == _history(world, BRAND)


def test_two_sandboxes_with_one_seed_and_anchor_serve_identical_posts(sandbox_clean):
    # The anchor is given: a sandbox started on another UTC day (this one may have started
    # before midnight) anchors its world to that day.
    anchor = sandbox_clean.clock()["anchor"]
    other = start_in_thread(create_app(SandboxConfig(anchor=parse_instant(anchor))))
    try:
        fingerprints = []
        for base_url in (sandbox_clean.base_url, other.base_url):
            requests.post(f"{base_url}/_sandbox/clock", json={"now": anchor})
            token = requests.post(f"{base_url}/_sandbox/tokens", json={"username": BRAND}).json()
            user_id = requests.get(f"{base_url}/_sandbox/users").json()["users"][0]["id"]
            body = requests.get(
                f"{base_url}/2/users/{user_id}/tweets",
                params={"max_results": 100, "tweet.fields": "public_metrics,attachments"},
                headers=bearer(token),
            ).json()
            fingerprints.append(body["data"])
        assert fingerprints[0] == fingerprints[1]
    finally:
        other.stop()


def test_the_nasty_texts_are_recent_enough_for_private_metrics(sandbox_clean):
    now = freeze_after_anchor(sandbox_clean)
    token = sandbox_clean.mint_token(BRAND)
    posts = timeline(sandbox_clean, BRAND, token, **{"tweet.fields": "created_at"})
    script = next(p for p in posts if p["text"] == "&lt;script&gt;alert(1)&lt;/script&gt;")
    assert now - datetime.fromisoformat(script["created_at"]) < timedelta(days=7)


def test_some_videos_count_fewer_starts_than_plays_past_a_quarter():
    """X's own metrics sample has playback_0_count 0 with playback_25_count 2 (docs/x-api.md §9)."""
    from sandbox.metrics import Playback

    world = World(1, ANCHOR)
    keys = {k for p in _history(world, BRAND) for k in p.media_keys}
    videos = [world.media(k).video for k in keys if world.media(k).type == "video"]
    counts = [Playback.from_impressions(10_000, video) for video in videos]
    short = [c for c in counts if c.playback_0_count < c.playback_25_count]

    assert short and len(short) < len(videos) / 3
