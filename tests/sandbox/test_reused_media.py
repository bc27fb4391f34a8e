"""A Post carrying another account's video: X's `attachments.media_source_tweet_id`, the source Post
in `includes.tweets`, and the video's private metrics following the Posts that carry it in the
answer (UNCERTAIN, sandbox/README.md)."""

import requests

from tests.sandbox.flows import (
    ARCHIVE,
    BRAND,
    SMALL,
    a_video_post,
    bearer,
    freeze_after_anchor,
    timeline,
)

PUBLIC = {
    "tweet.fields": "attachments,author_id,public_metrics",
    "expansions": "attachments.media_keys,attachments.media_source_tweet",
    "media.fields": "type,public_metrics",
}
PRIVATE = {
    "tweet.fields": "attachments,author_id,non_public_metrics,organic_metrics",
    "expansions": "attachments.media_keys",
    "media.fields": "type,non_public_metrics,organic_metrics",
}


def _lookup(sandbox, token, post_id, params):
    return requests.get(
        sandbox.url("/2/tweets"), params={"ids": post_id, **params}, headers=bearer(token)
    ).json()


def test_a_post_carrying_another_accounts_video_names_its_source(sandbox_clean):
    freeze_after_anchor(sandbox_clean)
    source = a_video_post(sandbox_clean)
    carrier = sandbox_clean.add_post(BRAND, "Look at this", media_from=source["id"])
    token = sandbox_clean.mint_token(BRAND)

    newest = timeline(sandbox_clean, BRAND, token, **PUBLIC)[0]
    answer = _lookup(sandbox_clean, token, carrier, PUBLIC)

    assert newest["id"] == carrier
    (post,) = answer["data"]
    (key,) = source["attachments"]["media_keys"]
    assert post["attachments"] == {"media_keys": [key], "media_source_tweet_id": [source["id"]]}
    (included,) = answer["includes"]["tweets"]
    assert (included["id"], included["author_id"]) == (
        source["id"],
        sandbox_clean.user(ARCHIVE)["id"],
    )
    # Only the carrier was read: the source came in includes (not billed), and the timeline had
    # already billed the carrier today.
    ledger = sandbox_clean.ledger()["requests"][-1]
    assert (ledger["results"], ledger["billed_post_reads"]) == ([carrier], 0)


def test_the_video_shows_its_private_metrics_to_the_author_of_the_post_carrying_it(sandbox_clean):
    freeze_after_anchor(sandbox_clean)
    source = a_video_post(sandbox_clean)
    carrier = sandbox_clean.add_post(BRAND, "Look at this", media_from=source["id"])

    answer = _lookup(sandbox_clean, sandbox_clean.mint_token(BRAND), carrier, PRIVATE)

    assert [post["id"] for post in answer["data"]] == [carrier]
    (video,) = answer["includes"]["media"]
    assert {"non_public_metrics", "organic_metrics"} <= set(video)
    assert "errors" not in answer


def test_with_private_fields_the_other_accounts_source_post_leaves_includes(sandbox_clean):
    freeze_after_anchor(sandbox_clean)
    source = a_video_post(sandbox_clean)
    carrier = sandbox_clean.add_post(BRAND, "Look at this", media_from=source["id"])
    params = {**PRIVATE, "expansions": "attachments.media_source_tweet"}

    answer = _lookup(sandbox_clean, sandbox_clean.mint_token(BRAND), carrier, params)

    assert "includes" not in answer
    assert {(e["resource_id"], e["parameter"], e["section"]) for e in answer["errors"]} == {
        (source["id"], "attachments.media_source_tweet", "includes")
    }


def test_a_reset_takes_the_post_back(sandbox_clean):
    freeze_after_anchor(sandbox_clean)
    source = a_video_post(sandbox_clean)
    carrier = sandbox_clean.add_post(BRAND, "Look at this", media_from=source["id"])
    sandbox_clean.reset()
    freeze_after_anchor(sandbox_clean)

    ids = {p["id"] for p in timeline(sandbox_clean, BRAND, sandbox_clean.mint_token(BRAND))}

    assert carrier not in ids


def test_a_plain_post_and_bad_requests(sandbox_clean):
    freeze_after_anchor(sandbox_clean)
    plain = sandbox_clean.add_post(SMALL, "Hello")
    token = sandbox_clean.mint_token(SMALL)

    post = requests.get(
        sandbox_clean.url(f"/2/tweets/{plain}"), params=PUBLIC, headers=bearer(token)
    ).json()["data"]

    assert post["text"] == "Hello" and "attachments" not in post
    for body in ({"text": ""}, {"text": "x", "media_from": "1"}, {"text": "x", "media_from": 5}):
        answer = requests.post(sandbox_clean.url(f"/_sandbox/users/{SMALL}/posts"), json=body)
        assert answer.status_code == 400, body
    assert (
        requests.post(
            sandbox_clean.url("/_sandbox/users/nobody/posts"), json={"text": "x"}
        ).status_code
        == 400
    )
