"""Who sees non_public, organic and promoted metrics, and what X answers to everyone else."""

from datetime import datetime, timedelta

import requests

from tests.sandbox.flows import BRAND, SMALL, bearer, freeze_after_anchor, timeline
from tests.sandbox.openapi import assert_valid

PRIVATE = "non_public_metrics,organic_metrics"
NON_PUBLIC_FIELDS = ["engagements", "impression_count", "url_link_clicks", "user_profile_clicks"]
NON_PUBLIC_ORDER = ["impression_count", "url_link_clicks", "user_profile_clicks", "engagements"]
SPLIT_FIELDS = [
    "impression_count",
    "like_count",
    "reply_count",
    "retweet_count",
    "url_link_clicks",
    "user_profile_clicks",
]


def _lookup(sandbox, token, ids, **params):
    answer = requests.get(
        sandbox.url("/2/tweets"), params={"ids": ",".join(ids), **params}, headers=bearer(token)
    )
    assert answer.status_code == 200
    assert_valid(answer.json(), "Get2TweetsResponse")
    return answer.json()


def _brand(sandbox):
    now = freeze_after_anchor(sandbox)
    token = sandbox.mint_token(BRAND)
    fields = "created_at,referenced_tweets,attachments,in_reply_to_user_id"
    posts = timeline(sandbox, BRAND, token, **{"tweet.fields": fields})
    for post in posts:
        post["age"] = now - datetime.fromisoformat(post["created_at"])
        post["is_retweet"] = any(
            r["type"] == "retweeted" for r in post.get("referenced_tweets", [])
        )
    return now, token, posts


def _recent_originals(posts):
    return [p for p in posts if p["age"] < timedelta(days=29) and not p["is_retweet"]]


def _promoted_ids(sandbox, token, posts):
    """Posts that answer promoted_metrics: exactly the promoted ones."""
    body = _lookup(
        sandbox, token, [p["id"] for p in posts[:100]], **{"tweet.fields": "promoted_metrics"}
    )
    return {p["id"] for p in body.get("data", [])}


def test_the_author_sees_private_metrics_of_recent_posts(sandbox_clean):
    _now, token, posts = _brand(sandbox_clean)
    ids = [p["id"] for p in _recent_originals(posts)]
    body = _lookup(sandbox_clean, token, ids, **{"tweet.fields": PRIVATE})
    assert "errors" not in body
    assert len(body["data"]) == len(ids)
    omitted = set()
    for post in body["data"]:
        # X's order, less the counters it leaves out when zero (render.OMITTED_WHEN_ZERO).
        sent = list(post["non_public_metrics"])
        assert [f for f in NON_PUBLIC_ORDER if f in sent] == sent
        assert {"impression_count", "engagements"} <= set(sent)
        for group in ("non_public_metrics", "organic_metrics"):
            missing = set(SPLIT_FIELDS if "organic" in group else NON_PUBLIC_FIELDS)
            missing -= set(post[group])
            assert missing <= {"url_link_clicks", "user_profile_clicks"}, (group, missing)
            omitted |= missing
    assert "url_link_clicks" in omitted, "some Posts have no link, so X leaves the counter out"


def test_x_leaves_out_a_zero_counter_but_never_a_counted_one(sandbox_clean):
    _now, token, posts = _brand(sandbox_clean)
    ids = [p["id"] for p in _recent_originals(posts)]
    body = _lookup(sandbox_clean, token, ids, **{"tweet.fields": PRIVATE + ",entities"})
    linked = without = 0
    for post in body["data"]:
        has_link = bool(post.get("entities", {}).get("urls"))
        clicks = post["non_public_metrics"].get("url_link_clicks")
        if has_link and post["non_public_metrics"]["impression_count"] > 1000:
            linked += 1
            assert clicks, post["id"]  # a counted click is always sent
        if not has_link:
            without += 1
            assert clicks is None, post["id"]  # zero: left out
    assert linked and without


def test_it_drops_a_post_whose_private_fields_the_token_may_not_see(sandbox_clean):
    _now, _brand_token, posts = _brand(sandbox_clean)
    other = sandbox_clean.mint_token(SMALL)
    post_id = _recent_originals(posts)[0]["id"]
    body = _lookup(sandbox_clean, other, [post_id], **{"tweet.fields": PRIVATE})
    assert "data" not in body
    fields = [f"non_public_metrics.{f}" for f in NON_PUBLIC_FIELDS] + [
        f"organic_metrics.{f}" for f in SPLIT_FIELDS
    ]
    assert [error["field"] for error in body["errors"]] == fields
    assert body["errors"][0] == {
        "resource_type": "tweet",
        "field": "non_public_metrics.engagements",
        "parameter": "ids",
        "resource_id": post_id,
        "title": "Field Authorization Error",
        "section": "data",
        "detail": "Sorry, you are not authorized to access 'non_public_metrics.engagements' on "
        f"the Tweet with ids : [{post_id}].",
        "value": post_id,
        "type": "https://api.x.com/2/problems/not-authorized-for-field",
    }


def test_only_the_forbidden_post_leaves_a_mixed_batch(sandbox_clean):
    _now, token, posts = _brand(sandbox_clean)
    old = next(p for p in posts if p["age"] > timedelta(days=31) and not p["is_retweet"])
    recent = _recent_originals(posts)[:3]
    body = _lookup(
        sandbox_clean, token, [old["id"]] + [p["id"] for p in recent], **{"tweet.fields": PRIVATE}
    )
    assert [p["id"] for p in body["data"]] == [p["id"] for p in recent]
    assert {e["resource_id"] for e in body["errors"]} == {old["id"]}
    assert len(body["errors"]) == len(NON_PUBLIC_FIELDS) + len(SPLIT_FIELDS)


def test_private_metrics_end_when_a_post_turns_30_days_old(sandbox_clean):
    _now, token, posts = _brand(sandbox_clean)
    post = _recent_originals(posts)[0]
    created = datetime.fromisoformat(post["created_at"])
    sandbox_clean.set_clock(created + timedelta(days=30) - timedelta(seconds=1))
    token = sandbox_clean.mint_token(BRAND)
    assert "data" in _lookup(sandbox_clean, token, [post["id"]], **{"tweet.fields": PRIVATE})
    sandbox_clean.set_clock(created + timedelta(days=30))
    assert "data" not in _lookup(sandbox_clean, token, [post["id"]], **{"tweet.fields": PRIVATE})
    public = _lookup(sandbox_clean, token, [post["id"]], **{"tweet.fields": "public_metrics"})
    assert public["data"][0]["public_metrics"]["impression_count"] > 0


def test_promoted_metrics_on_a_never_promoted_post_drop_it_with_one_error_per_field(sandbox_clean):
    _now, token, posts = _brand(sandbox_clean)
    recent = _recent_originals(posts)
    promoted = _promoted_ids(sandbox_clean, token, recent)
    unpromoted = next(p["id"] for p in recent if p["id"] not in promoted)
    body = _lookup(
        sandbox_clean, token, [unpromoted], **{"tweet.fields": f"{PRIVATE},promoted_metrics"}
    )
    assert "data" not in body
    assert [e["field"] for e in body["errors"]] == [f"promoted_metrics.{f}" for f in SPLIT_FIELDS]


def test_a_promoted_post_splits_into_organic_and_promoted(sandbox_clean):
    _now, token, posts = _brand(sandbox_clean)
    promoted = _promoted_ids(sandbox_clean, token, _recent_originals(posts))
    assert promoted
    body = _lookup(
        sandbox_clean,
        token,
        sorted(promoted),
        **{"tweet.fields": f"public_metrics,{PRIVATE},promoted_metrics"},
    )
    for post in body["data"]:
        organic, paid = post["organic_metrics"], post["promoted_metrics"]
        assert (
            post["non_public_metrics"]["impression_count"]
            == organic["impression_count"] + paid["impression_count"]
        )
        assert post["public_metrics"]["like_count"] == organic["like_count"] + paid["like_count"]


def test_a_single_post_with_denied_fields_answers_only_errors(sandbox_clean):
    _now, _token, posts = _brand(sandbox_clean)
    post_id = _recent_originals(posts)[0]["id"]
    answer = requests.get(
        sandbox_clean.url(f"/2/tweets/{post_id}"),
        params={"tweet.fields": "non_public_metrics"},
        headers=bearer(sandbox_clean.mint_token(SMALL)),
    ).json()
    assert set(answer) == {"errors"}
    assert answer["errors"][0]["parameter"] == "id"
    assert answer["errors"][0]["detail"].endswith(f"on the Tweet with id : [{post_id}].")
    assert_valid(answer, "Get2TweetsIdResponse")


def test_a_videos_private_metrics_follow_the_post_that_carries_it(sandbox_clean):
    _now, token, posts = _brand(sandbox_clean)
    old_video = next(p for p in posts if p["age"] > timedelta(days=31) and _carries_a_video(p))
    body = _lookup(
        sandbox_clean,
        token,
        [old_video["id"]],
        **{
            "tweet.fields": "public_metrics",
            "expansions": "attachments.media_keys",
            "media.fields": "public_metrics,non_public_metrics",
        },
    )
    assert [p["id"] for p in body["data"]] == [old_video["id"]]
    assert "includes" not in body
    assert {e["resource_type"] for e in body["errors"]} == {"media"}
    assert body["errors"][0]["section"] == "includes"
    assert body["errors"][0]["parameter"] == "attachments.media_keys"


def test_a_referenced_post_with_denied_fields_leaves_includes(sandbox_clean):
    _now, token, posts = _brand(sandbox_clean)
    small_id = sandbox_clean.user(SMALL)["id"]
    reply = next(p for p in _recent_originals(posts) if p.get("in_reply_to_user_id") == small_id)
    referenced = reply["referenced_tweets"][0]["id"]
    body = _lookup(
        sandbox_clean,
        token,
        [reply["id"]],
        **{"tweet.fields": "organic_metrics", "expansions": "referenced_tweets.id"},
    )
    assert [p["id"] for p in body["data"]] == [reply["id"]]
    assert "tweets" not in body.get("includes", {})
    assert {(e["resource_id"], e["section"], e["parameter"]) for e in body["errors"]} == {
        (referenced, "includes", "referenced_tweets.id")
    }
    assert body["errors"][0]["detail"].endswith(
        f"on the Tweet with referenced_tweets.id : [{referenced}]."
    )


def test_a_referenced_post_the_token_may_see_is_included(sandbox_clean):
    _now, token, posts = _brand(sandbox_clean)
    body = _lookup(
        sandbox_clean,
        token,
        [p["id"] for p in posts[:100]],
        **{"tweet.fields": "public_metrics", "expansions": "referenced_tweets.id,author_id"},
    )
    referenced = {r["id"] for p in posts[:100] for r in p.get("referenced_tweets", [])}
    assert {t["id"] for t in body["includes"]["tweets"]} == referenced
    assert {u["username"] for u in body["includes"]["users"]} == {BRAND}


def _carries_a_video(post: dict) -> bool:
    keys = post.get("attachments", {}).get("media_keys", [])
    return any(key.startswith(("7_", "13_")) for key in keys)  # X's video keys
