"""Lookup by ids takes a caller's batch of 1-100 numeric ids, checked before any request."""

import pytest

from tests.xapi.fake_x import Canned
from xapi import MAX_IDS_PER_LOOKUP, MetricGroup


def test_a_full_batch_goes_out_as_one_request(fake_x, client):
    ids = [str(1_700_000_000_000_000_000 + n) for n in range(MAX_IDS_PER_LOOKUP)]
    fake_x.on("GET /2/tweets", Canned(body={"data": [{"id": i, "text": "t"} for i in ids]}))

    page = client.lookup_posts(ids=ids, metrics=MetricGroup.PUBLIC)

    assert len(page.posts) == 100
    (request,) = fake_x.requests
    assert request.query["ids"] == ",".join(ids)


@pytest.mark.parametrize(
    "ids",
    [
        [],
        [str(n) for n in range(1, 102)],
        ["123", "abc"],
        ["123", ""],
        ["12345678901234567890"],
        ["١٢٣"],  # non-ASCII digits
        [123],
        "123",
        ["5", "5"],
    ],
    ids=["empty", "101", "letters", "blank", "20-digits", "arabic-digits", "int", "str", "repeat"],
)
def test_a_bad_batch_is_refused_before_any_request(fake_x, client, ids):
    with pytest.raises(ValueError):
        client.lookup_posts(ids=ids, metrics=MetricGroup.PUBLIC)

    assert fake_x.requests == []
