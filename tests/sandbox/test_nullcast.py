"""Promoted-only ("nullcast") Posts: ads that never appear on their author's timeline and are
read by id only (X Ads API docs, "Nullcasted Tweets"; docs/x-api.md §9)."""

import requests

from tests.sandbox.flows import BRAND, bearer, freeze_after_anchor, timeline


def test_a_promoted_only_post_is_off_the_timeline_and_read_by_id_with_promoted_metrics(
    sandbox_clean,
):
    freeze_after_anchor(sandbox_clean)
    token = sandbox_clean.mint_token(BRAND)
    ad = sandbox_clean.add_nullcast(BRAND, "Spring sale, ads only")

    listed = {p["id"] for p in timeline(sandbox_clean, BRAND, token)}
    answer = requests.get(
        sandbox_clean.url("/2/tweets"),
        params={"ids": ad, "tweet.fields": "author_id,promoted_metrics"},
        headers=bearer(token),
    )

    assert ad not in listed
    (post,) = answer.json()["data"]
    assert post["text"] == "Spring sale, ads only"
    assert post["author_id"] == sandbox_clean.user(BRAND)["id"]
    assert "promoted_metrics" in post
