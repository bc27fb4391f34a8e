"""The user timeline is a lazy page iterator that follows meta.next_token to the end."""

from datetime import UTC, datetime, timedelta, timezone

import pytest

from tests.xapi.fake_x import Canned
from xapi import MetricGroup

ROUTE = "GET /2/users/42/tweets"


def page(ids, next_token=None):
    meta = {"result_count": len(ids)}
    if ids:
        meta |= {"newest_id": ids[0], "oldest_id": ids[-1]}
    if next_token:
        meta["next_token"] = next_token
    return Canned(body={"data": [{"id": i, "text": f"post {i}"} for i in ids], "meta": meta})


def test_it_pages_until_there_is_no_next_token(fake_x, client):
    fake_x.on(ROUTE, page(["30", "29"], "t1"), page(["28", "27"], "t2"), page(["26"]))

    pages = list(client.iter_timeline(user_id="42", metrics=MetricGroup.PUBLIC, max_results=5))

    assert [post.id for p in pages for post in p.posts] == ["30", "29", "28", "27", "26"]
    assert pages[0].meta.newest_id == "30"
    tokens = [request.query.get("pagination_token") for request in fake_x.requests]
    assert tokens == [None, "t1", "t2"]
    assert {request.query["max_results"] for request in fake_x.requests} == {"5"}


def test_an_empty_page_with_a_next_token_is_followed(fake_x, client):
    # docs/x-api.md §1.3: with private metrics X can answer result_count 0 and still page on.
    fake_x.on(ROUTE, page([], "t1"), page(["9"]))

    pages = list(client.iter_timeline(user_id="42", metrics=MetricGroup.NON_PUBLIC))

    assert [len(p.posts) for p in pages] == [0, 1]


def test_pages_are_fetched_only_as_they_are_consumed(fake_x, client):
    fake_x.on(ROUTE, page(["30"], "t1"), page(["29"]))

    pages = client.iter_timeline(user_id="42", metrics=MetricGroup.PUBLIC)
    assert fake_x.requests == []
    next(pages)

    assert len(fake_x.requests) == 1


def test_filters_are_sent_in_x_formats(fake_x, client):
    fake_x.on(ROUTE, page([]))
    paris = timezone(timedelta(hours=1))

    list(
        client.iter_timeline(
            user_id="42",
            metrics=MetricGroup.PUBLIC,
            with_media=False,
            since_id="100",
            until_id="200",
            start_time=datetime(2024, 1, 1, 1, 0, tzinfo=paris),
            end_time=datetime(2024, 1, 2, tzinfo=UTC),
            exclude=["retweets", "replies"],
            pagination_token="resume-here",
        )
    )

    query = fake_x.requests[0].query
    assert query["since_id"] == "100"
    assert query["until_id"] == "200"
    assert query["start_time"] == "2024-01-01T00:00:00Z"
    assert query["end_time"] == "2024-01-02T00:00:00Z"
    assert query["exclude"] == "replies,retweets"
    assert query["pagination_token"] == "resume-here"
    assert query["max_results"] == "100"


@pytest.mark.parametrize(
    "arguments",
    [
        {"max_results": 4},
        {"max_results": 101},
        {"user_id": "@brand"},
        {"since_id": "12a"},
        {"exclude": ["mentions"]},
        {"start_time": datetime(2024, 1, 1)},
    ],
)
def test_bad_arguments_are_refused_before_any_request(fake_x, client, arguments):
    with pytest.raises(ValueError):
        client.iter_timeline(**{"user_id": "42", "metrics": MetricGroup.PUBLIC} | arguments)

    assert fake_x.requests == []
