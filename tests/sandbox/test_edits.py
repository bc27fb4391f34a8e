"""Edits, as X's edit-posts page describes them: each edit is a new Post with a new id, listed in
`edit_history_tweet_ids` oldest first; the earlier version keeps its text and stops counting;
deleting any version deletes them all; only within 30 minutes of posting."""

from datetime import datetime, timedelta

import pytest
import requests

from tests.sandbox.flows import BRAND, bearer, freeze_after_anchor, timeline

FIELDS = {"tweet.fields": "created_at,public_metrics"}


def _lookup(sandbox, token, post_id) -> dict:
    answer = requests.get(
        sandbox.url("/2/tweets"), params={"ids": post_id, **FIELDS}, headers=bearer(token)
    )
    assert answer.status_code == 200, answer.text
    return answer.json()


def _edited(sandbox) -> tuple[dict, dict, str, datetime]:
    """A young brand Post edited 10 minutes after posting: (token, original, new id, edit time)."""
    freeze_after_anchor(sandbox)
    token = sandbox.mint_token(BRAND)
    fields = {"tweet.fields": "created_at,referenced_tweets,in_reply_to_user_id"}
    originals = [
        p
        for p in timeline(sandbox, BRAND, token, **fields)
        if "referenced_tweets" not in p and "in_reply_to_user_id" not in p
    ]
    for original in originals[:10]:  # the newest that X lets its author edit (not promoted)
        edited_at = datetime.fromisoformat(original["created_at"]) + timedelta(minutes=10)
        sandbox.set_clock(edited_at)
        try:
            return token, original, sandbox.edit_post(original["id"], "Fixed the typo"), edited_at
        except requests.HTTPError:
            continue
    pytest.fail("no editable Post")


def test_an_edit_is_a_new_post_in_the_originals_place_and_both_name_every_version(
    sandbox_clean,
):
    token, original, new_id, edited_at = _edited(sandbox_clean)
    sandbox_clean.set_clock(edited_at + timedelta(minutes=5))

    listed = {p["id"]: p for p in timeline(sandbox_clean, BRAND, token)}
    (latest,) = _lookup(sandbox_clean, token, new_id)["data"]
    (earlier,) = _lookup(sandbox_clean, token, original["id"])["data"]

    assert new_id in listed and original["id"] not in listed
    assert latest["text"] == "Fixed the typo" and earlier["text"] == original["text"]
    assert latest["edit_history_tweet_ids"] == earlier["edit_history_tweet_ids"]
    assert latest["edit_history_tweet_ids"] == [original["id"], new_id]
    assert int(new_id) > int(original["id"])


def test_the_earlier_version_stops_counting_at_the_edit(sandbox_clean):
    token, original, new_id, edited_at = _edited(sandbox_clean)

    def impressions(post_id, at):
        sandbox_clean.set_clock(at)
        (post,) = _lookup(sandbox_clean, token, post_id)["data"]
        return post["public_metrics"]["impression_count"]

    soon, later = edited_at + timedelta(minutes=5), edited_at + timedelta(hours=6)
    assert impressions(original["id"], soon) == impressions(original["id"], later)
    assert impressions(new_id, soon) < impressions(new_id, later)


def test_deleting_the_latest_version_deletes_every_version(sandbox_clean):
    token, original, new_id, _ = _edited(sandbox_clean)

    sandbox_clean.delete_post(new_id)

    body = _lookup(sandbox_clean, token, original["id"])
    assert "data" not in body
    assert body["errors"][0]["resource_id"] == original["id"]


def test_x_refuses_an_edit_after_30_minutes(sandbox_clean):
    _, _, new_id, edited_at = _edited(sandbox_clean)
    sandbox_clean.set_clock(edited_at + timedelta(minutes=21))  # 31 minutes after posting

    with pytest.raises(requests.HTTPError):
        sandbox_clean.edit_post(new_id, "Too late")
