"""GET /2/tweets?ids= and GET /2/tweets/:id: ids, validation, text as X sends it."""

from datetime import datetime

import requests

from sandbox.world import TWITTER_EPOCH_MS
from tests.sandbox.flows import BRAND, bearer, freeze_after_anchor, timeline
from tests.sandbox.openapi import assert_problem, assert_valid

FIELD_PARAMETERS = "[ids,expansions,tweet.fields,media.fields,poll.fields,place.fields,user.fields]"


def _lookup(sandbox, token, ids, **params):
    return requests.get(
        sandbox.url("/2/tweets"), params={"ids": ",".join(ids), **params}, headers=bearer(token)
    )


def _brand_posts(sandbox):
    freeze_after_anchor(sandbox)
    token = sandbox.mint_token(BRAND)
    return token, timeline(sandbox, BRAND, token, **{"tweet.fields": "created_at,entities"})


def test_it_returns_up_to_100_posts_in_one_answer(sandbox_clean):
    token, posts = _brand_posts(sandbox_clean)
    answer = _lookup(sandbox_clean, token, [p["id"] for p in posts[:100]])
    assert answer.status_code == 200
    assert [p["id"] for p in answer.json()["data"]] == [p["id"] for p in posts[:100]]
    assert_valid(answer.json(), "Get2TweetsResponse")


def test_more_than_100_ids_answer_xs_400(sandbox_clean):
    token, posts = _brand_posts(sandbox_clean)
    answer = _lookup(sandbox_clean, token, [p["id"] for p in posts[:101]])
    assert answer.status_code == 400
    body = answer.json()
    assert body["title"] == "Invalid Request"
    assert body["detail"] == "One or more parameters to your request was invalid."
    assert body["type"] == "https://api.x.com/2/problems/invalid-request"
    assert body["errors"][0]["message"] == (
        "The number of values in the `ids` query parameter list [101] is not between 1 and 100"
    )
    assert_problem(body)


def test_an_unknown_parameter_answers_xs_400(sandbox_clean):
    token, posts = _brand_posts(sandbox_clean)
    answer = _lookup(sandbox_clean, token, [posts[0]["id"]], dummy="value")
    assert answer.status_code == 400
    assert answer.json()["errors"] == [
        {
            "parameters": {"dummy": ["value"]},
            "message": f"The query parameter [dummy] is not one of {FIELD_PARAMETERS}",
        }
    ]


def test_a_malformed_id_answers_400(sandbox_clean):
    token = sandbox_clean.mint_token(BRAND)
    answer = _lookup(sandbox_clean, token, ["12a"])
    assert answer.status_code == 400
    assert (
        answer.json()["errors"][0]["message"]
        == "The `ids` query parameter value [12a] does not match ^[0-9]{1,19}$"
    )


def test_a_missing_ids_parameter_answers_400(sandbox_clean):
    answer = requests.get(
        sandbox_clean.url("/2/tweets"), headers=bearer(sandbox_clean.mint_token(BRAND))
    )
    assert answer.status_code == 400


def test_unknown_ids_come_back_as_not_found_errors_with_200(sandbox_clean):
    token, posts = _brand_posts(sandbox_clean)
    answer = _lookup(sandbox_clean, token, [posts[0]["id"], "1508806917874978822"])
    body = answer.json()
    assert answer.status_code == 200
    assert [p["id"] for p in body["data"]] == [posts[0]["id"]]
    assert body["errors"] == [
        {
            "value": "1508806917874978822",
            "detail": "Could not find tweet with ids: [1508806917874978822].",
            "title": "Not Found Error",
            "resource_type": "tweet",
            "parameter": "ids",
            "resource_id": "1508806917874978822",
            "type": "https://api.x.com/2/problems/resource-not-found",
        }
    ]
    assert_valid(body, "Get2TweetsResponse")


def test_a_single_unknown_post_answers_200_with_only_an_error(sandbox_clean):
    answer = requests.get(
        sandbox_clean.url("/2/tweets/1508806917874978822"),
        headers=bearer(sandbox_clean.mint_token(BRAND)),
    )
    assert answer.status_code == 200
    body = answer.json()
    assert set(body) == {"errors"}
    assert body["errors"][0]["detail"] == "Could not find tweet with id: [1508806917874978822]."
    assert_valid(body, "Get2TweetsIdResponse")


def test_a_single_post_has_id_text_and_edit_history_by_default(sandbox_clean):
    token, posts = _brand_posts(sandbox_clean)
    answer = requests.get(
        sandbox_clean.url(f"/2/tweets/{posts[0]['id']}"), headers=bearer(token)
    ).json()
    assert set(answer["data"]) == {"id", "text", "edit_history_tweet_ids"}
    assert answer["data"]["edit_history_tweet_ids"] == [posts[0]["id"]]


def test_a_post_asked_for_twice_comes_back_once(sandbox_clean):
    token, posts = _brand_posts(sandbox_clean)
    body = _lookup(sandbox_clean, token, [posts[0]["id"], posts[0]["id"]]).json()
    assert len(body["data"]) == 1


def test_text_is_escaped_as_x_escapes_it(sandbox_clean):
    _token, posts = _brand_posts(sandbox_clean)
    texts = {p["text"] for p in posts}
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in texts
    assert '=HYPERLINK("http://x","y")' in texts
    assert "Fish &amp; chips &lt; pizza &gt; salad — R&amp;D notes from the team lunch" in texts
    assert not any("<" in text or ">" in text for text in texts)


def test_emoji_and_right_to_left_text_arrive_intact(sandbox_clean):
    _token, posts = _brand_posts(sandbox_clean)
    texts = " ".join(p["text"] for p in posts)
    assert "👨‍👩‍👧‍👦" in texts and "🇯🇵" in texts
    assert "مرحبا بكم في كوارتايل" in texts
    assert "שלום!" in texts


def test_link_entities_point_into_the_text(sandbox_clean):
    _token, posts = _brand_posts(sandbox_clean)
    linked = [p for p in posts if "entities" in p]
    assert linked
    for post in linked:
        url = post["entities"]["urls"][0]
        assert post["text"][url["start"] : url["end"]] == url["url"]


def test_a_long_post_has_its_first_280_characters_in_text_and_the_whole_in_note_tweet(
    sandbox_clean,
):
    token, posts = _brand_posts(sandbox_clean)
    cut = [p for p in posts if len(p["text"]) == 280]
    assert cut, "some demo Posts are longer than 280 characters"
    assert all("note_tweet" not in p for p in posts)  # only when asked for

    body = _lookup(
        sandbox_clean, token, [p["id"] for p in cut[:20]], **{"tweet.fields": "note_tweet"}
    ).json()
    assert_valid(body, "Get2TweetsResponse")
    for post in body["data"]:
        whole = post["note_tweet"]["text"]
        assert len(whole) > 280 and whole.startswith(post["text"])


def test_post_ids_are_snowflakes_of_their_creation_time(sandbox_clean):
    _token, posts = _brand_posts(sandbox_clean)
    for post in posts[:50]:
        created_ms = int(datetime.fromisoformat(post["created_at"]).timestamp() * 1000)
        assert (int(post["id"]) >> 22) + TWITTER_EPOCH_MS == created_ms
    ids = [int(p["id"]) for p in posts]
    assert ids == sorted(ids, reverse=True)


def test_paid_partnerships_are_marked_when_asked_for(sandbox_clean):
    token, posts = _brand_posts(sandbox_clean)
    assert all("paid_partnership" not in p for p in posts)  # only when asked for
    ids = [p["id"] for p in posts[:100]]

    body = _lookup(sandbox_clean, token, ids, **{"tweet.fields": "paid_partnership"}).json()

    assert_valid(body, "Get2TweetsResponse")
    flags = [post["paid_partnership"] for post in body["data"]]
    assert True in flags and False in flags
