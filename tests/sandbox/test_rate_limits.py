"""Per-token, per-endpoint 15-minute windows with X's numbers, headers and 429 bodies."""

from datetime import timedelta

import pytest
import requests

from tests.sandbox.flows import BRAND, SMALL, bearer, freeze_after_anchor
from tests.sandbox.openapi import assert_problem

TOO_MANY = {
    "title": "Too Many Requests",
    "type": "about:blank",
    "status": 429,
    "detail": "Too Many Requests",
}


def _me(sandbox, token):
    return requests.get(sandbox.url("/2/users/me"), headers=bearer(token))


def _tweet(sandbox, token):
    return requests.get(sandbox.url("/2/tweets/1508806917874978822"), headers=bearer(token))


def _headers(answer):
    return {
        name: int(answer.headers[f"x-rate-limit-{name}"])
        for name in ("limit", "remaining", "reset")
    }


def test_every_answer_carries_the_rate_limit_headers(sandbox_clean):
    now = freeze_after_anchor(sandbox_clean)
    token = sandbox_clean.mint_token(BRAND)
    first, second = _me(sandbox_clean, token), _me(sandbox_clean, token)
    assert _headers(first) == {"limit": 75, "remaining": 74, "reset": int(now.timestamp()) + 900}
    assert _headers(second)["remaining"] == 73
    invalid = requests.get(sandbox_clean.url("/2/users/me?bogus=1"), headers=bearer(token))
    assert invalid.status_code == 400 and _headers(invalid)["remaining"] == 72


@pytest.mark.parametrize(
    ("path", "limit"),
    [
        ("/2/tweets?ids=1", 5000),
        ("/2/tweets/1", 900),
        ("/2/users/1/tweets", 900),
        ("/2/users/me", 75),
    ],
)
def test_the_default_tier_uses_xs_pay_per_use_numbers(sandbox_clean, path, limit):
    answer = requests.get(sandbox_clean.url(path), headers=bearer(sandbox_clean.mint_token(BRAND)))
    assert _headers(answer)["limit"] == limit


def test_the_limit_is_per_token_and_per_endpoint(sandbox_clean):
    sandbox_clean.set_tier("free")
    brand, small = sandbox_clean.mint_token(BRAND), sandbox_clean.mint_token(SMALL)
    assert _tweet(sandbox_clean, brand).status_code == 200
    assert _tweet(sandbox_clean, brand).status_code == 429
    assert _tweet(sandbox_clean, small).status_code == 200
    assert _me(sandbox_clean, brand).status_code == 200


def test_going_over_the_limit_answers_429_with_xs_body_until_the_window_resets(sandbox_clean):
    now = freeze_after_anchor(sandbox_clean)
    sandbox_clean.set_tier("basic")
    token = sandbox_clean.mint_token(BRAND)
    for _ in range(15):
        assert _tweet(sandbox_clean, token).status_code == 200
    refused = _tweet(sandbox_clean, token)
    assert refused.status_code == 429
    assert refused.json() == TOO_MANY
    assert_problem(refused.json())
    assert _headers(refused) == {"limit": 15, "remaining": 0, "reset": int(now.timestamp()) + 900}
    sandbox_clean.set_clock(now + timedelta(minutes=15))
    assert _tweet(sandbox_clean, token).status_code == 200


def test_the_basic_tier_counts_users_me_per_24_hours(sandbox_clean):
    now = freeze_after_anchor(sandbox_clean)
    tier = sandbox_clean.set_tier("basic")
    assert tier["limits"]["GET /2/users/me"] == {"requests": 250, "window_seconds": 86400}
    answer = _me(sandbox_clean, sandbox_clean.mint_token(BRAND))
    assert _headers(answer) == {
        "limit": 250,
        "remaining": 249,
        "reset": int(now.timestamp()) + 86400,
    }


def test_the_free_tier_allows_one_request_per_window(sandbox_clean):
    tier = sandbox_clean.set_tier("free")
    assert {endpoint: limit["requests"] for endpoint, limit in tier["limits"].items()} == {
        "GET /2/tweets": 1,
        "GET /2/tweets/:id": 1,
        "GET /2/users/:id/tweets": 1,
        "GET /2/users/me": 25,
    }
