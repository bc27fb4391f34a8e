"""GET /2/users/:id/tweets: pages, filters, the 3,200 limit and private fields."""

import re
from datetime import datetime, timedelta

import pytest
import requests

from tests.sandbox.flows import ARCHIVE, BRAND, bearer, freeze_after_anchor, timeline
from tests.sandbox.openapi import assert_valid


def _page(sandbox, username, token, **params):
    user_id = sandbox.user(username)["id"]
    answer = requests.get(
        sandbox.url(f"/2/users/{user_id}/tweets"), params=params, headers=bearer(token)
    )
    assert answer.status_code == 200, answer.text
    assert_valid(answer.json(), "Get2UsersIdTweetsResponse")
    return answer.json()


@pytest.fixture
def brand(sandbox_clean):
    freeze_after_anchor(sandbox_clean)
    return sandbox_clean.mint_token(BRAND)


def test_a_page_holds_10_posts_by_default_newest_first(sandbox_clean, brand):
    body = _page(sandbox_clean, BRAND, brand)
    ids = [int(p["id"]) for p in body["data"]]
    assert len(ids) == 10 and ids == sorted(ids, reverse=True)
    assert body["meta"]["result_count"] == 10
    assert body["meta"]["newest_id"] == str(ids[0]) and body["meta"]["oldest_id"] == str(ids[-1])
    assert "previous_token" not in body["meta"]


@pytest.mark.parametrize("value", ["4", "101", "ten"])
def test_max_results_outside_5_to_100_answers_400(sandbox_clean, brand, value):
    user_id = sandbox_clean.user(BRAND)["id"]
    answer = requests.get(
        sandbox_clean.url(f"/2/users/{user_id}/tweets"),
        params={"max_results": value},
        headers=bearer(brand),
    )
    assert answer.status_code == 400
    assert answer.json()["errors"][0]["message"] == (
        f"The `max_results` query parameter value [{value}] is not between 5 and 100"
    )


def test_next_tokens_walk_every_post_once(sandbox_clean, brand):
    posts = timeline(sandbox_clean, BRAND, brand, max_results=7)
    ids = [p["id"] for p in posts]
    assert len(ids) == len(set(ids)) == sandbox_clean.user(BRAND)["posts"]


def test_a_previous_token_returns_the_page_before(sandbox_clean, brand):
    first = _page(sandbox_clean, BRAND, brand, max_results=5)
    second = _page(
        sandbox_clean, BRAND, brand, max_results=5, pagination_token=first["meta"]["next_token"]
    )
    back = _page(
        sandbox_clean,
        BRAND,
        brand,
        max_results=5,
        pagination_token=second["meta"]["previous_token"],
    )
    assert back["data"] == first["data"]


def test_pagination_tokens_are_opaque(sandbox_clean, brand):
    meta = _page(sandbox_clean, BRAND, brand)["meta"]
    assert re.fullmatch(r"[0-9a-z]+", meta["next_token"])
    assert meta["oldest_id"] not in meta["next_token"]
    tampered = meta["next_token"][:-1] + ("0" if meta["next_token"][-1] != "0" else "1")
    user_id = sandbox_clean.user(BRAND)["id"]
    answer = requests.get(
        sandbox_clean.url(f"/2/users/{user_id}/tweets"),
        params={"pagination_token": tampered},
        headers=bearer(brand),
    )
    assert answer.status_code == 400
    assert answer.json()["type"] == "https://api.x.com/2/problems/invalid-request"


def test_since_id_and_until_id_are_exclusive(sandbox_clean, brand):
    ids = [p["id"] for p in _page(sandbox_clean, BRAND, brand, max_results=20)["data"]]
    window = _page(sandbox_clean, BRAND, brand, since_id=ids[15], until_id=ids[5])
    assert [p["id"] for p in window["data"]] == ids[6:15]


def test_start_time_is_inclusive_and_end_time_exclusive(sandbox_clean, brand):
    posts = _page(sandbox_clean, BRAND, brand, max_results=20, **{"tweet.fields": "created_at"})[
        "data"
    ]
    start, end = posts[12]["created_at"], posts[3]["created_at"]
    window = _page(sandbox_clean, BRAND, brand, start_time=start, end_time=end)
    assert [p["id"] for p in window["data"]] == [p["id"] for p in posts[4:13]]


def test_since_id_takes_precedence_over_start_time(sandbox_clean, brand):
    posts = _page(sandbox_clean, BRAND, brand, max_results=20, **{"tweet.fields": "created_at"})[
        "data"
    ]
    window = _page(
        sandbox_clean, BRAND, brand, since_id=posts[5]["id"], start_time=posts[2]["created_at"]
    )
    assert [p["id"] for p in window["data"]] == [p["id"] for p in posts[:5]]


def test_exclude_leaves_out_replies_and_retweets(sandbox_clean, brand):
    everything = timeline(sandbox_clean, BRAND, brand, **{"tweet.fields": "referenced_tweets"})
    kinds = {r["type"] for p in everything for r in p.get("referenced_tweets", [])}
    assert kinds == {"replied_to", "retweeted"}
    originals = timeline(
        sandbox_clean,
        BRAND,
        brand,
        exclude="replies,retweets",
        **{"tweet.fields": "referenced_tweets"},
    )
    assert originals and not any("referenced_tweets" in p for p in originals)


def test_the_timeline_reaches_only_the_newest_3200_posts(sandbox_clean, brand):
    assert sandbox_clean.user(ARCHIVE)["posts"] > 3200
    posts = timeline(sandbox_clean, ARCHIVE, brand)
    assert len(posts) == 3200
    with_replies_excluded = timeline(sandbox_clean, ARCHIVE, brand, exclude="replies")
    assert len(with_replies_excluded) < 800


def test_private_fields_narrow_the_timeline_to_30_days_and_retweets_answer_errors(
    sandbox_clean, brand
):
    now = datetime.fromisoformat(sandbox_clean.clock()["now"])
    fields = {"tweet.fields": "created_at,non_public_metrics", "max_results": 100}
    body = _page(sandbox_clean, BRAND, brand, **fields)
    ages = [now - datetime.fromisoformat(p["created_at"]) for p in body["data"]]
    assert max(ages) < timedelta(days=30)
    assert "next_token" not in body["meta"]
    retweets = [
        p["id"]
        for p in timeline(
            sandbox_clean, BRAND, brand, **{"tweet.fields": "referenced_tweets,created_at"}
        )
        if any(r["type"] == "retweeted" for r in p.get("referenced_tweets", []))
        and now - datetime.fromisoformat(p["created_at"]) < timedelta(days=30)
    ]
    assert retweets
    assert {e["resource_id"] for e in body["errors"]} == set(retweets)
    assert {e["title"] for e in body["errors"]} == {"Field Authorization Error"}
    assert body["meta"]["result_count"] == len(body["data"])


def test_an_unknown_user_answers_200_with_a_not_found_error(sandbox_clean, brand):
    answer = requests.get(sandbox_clean.url("/2/users/42/tweets"), headers=bearer(brand)).json()
    assert answer == {
        "errors": [
            {
                "value": "42",
                "detail": "Could not find user with id: [42].",
                "title": "Not Found Error",
                "resource_type": "user",
                "parameter": "id",
                "resource_id": "42",
                "type": "https://api.x.com/2/problems/resource-not-found",
            }
        ]
    }


def test_new_posts_appear_as_the_clock_advances(sandbox_clean):
    now = freeze_after_anchor(sandbox_clean)
    token = sandbox_clean.mint_token(BRAND)
    before = _page(sandbox_clean, BRAND, token)["meta"]["newest_id"]
    count = sandbox_clean.user(BRAND)["posts"]
    sandbox_clean.set_clock(now + timedelta(days=2))
    token = sandbox_clean.mint_token(BRAND)
    after = _page(sandbox_clean, BRAND, token, since_id=before)
    assert after["meta"]["result_count"] >= 2
    assert sandbox_clean.user(BRAND)["posts"] == count + after["meta"]["result_count"]
