"""GET /2/users/me: who the token belongs to."""

import re

import requests

from tests.sandbox.flows import BRAND, bearer, oauth1_auth
from tests.sandbox.openapi import assert_valid


def _me(sandbox, token, **params):
    return requests.get(sandbox.url("/2/users/me"), params=params, headers=bearer(token))


def test_it_answers_id_name_and_username_by_default(sandbox_clean):
    answer = _me(sandbox_clean, sandbox_clean.mint_token(BRAND))
    user = sandbox_clean.user(BRAND)
    assert answer.json() == {"data": {"id": user["id"], "name": "Quartile", "username": BRAND}}
    assert user["id"].isdigit()


def test_user_fields_add_the_profile_and_public_metrics(sandbox_clean):
    token = sandbox_clean.mint_token(BRAND)
    body = _me(
        sandbox_clean,
        token,
        **{"user.fields": "profile_image_url,public_metrics,created_at,description"},
    ).json()
    assert_valid(body, "Get2UsersMeResponse")
    data = body["data"]
    # X's own URLs are https://pbs.twimg.com/…; the sandbox serves the avatar itself, on its origin.
    avatars = f"{sandbox_clean.base_url}/_sandbox/profile_images/"
    assert data["profile_image_url"].startswith(avatars)
    assert data["profile_image_url"].endswith(f"/{BRAND}_normal.svg")
    assert data["public_metrics"]["tweet_count"] == sandbox_clean.user(BRAND)["posts"]
    assert set(data["public_metrics"]) >= {
        "followers_count",
        "following_count",
        "tweet_count",
        "listed_count",
    }


def test_it_works_with_an_oauth1_token(sandbox_clean):
    token = sandbox_clean.mint_token(BRAND, "oauth1")
    answer = requests.get(sandbox_clean.url("/2/users/me"), auth=oauth1_auth(token))
    assert answer.json()["data"]["id"] == token["user_id"]


def test_an_unknown_user_field_answers_xs_invalid_request(sandbox_clean):
    answer = _me(sandbox_clean, sandbox_clean.mint_token(BRAND), **{"user.fields": "shoe_size"})
    assert answer.status_code == 400
    message = answer.json()["errors"][0]["message"]
    assert message.startswith(
        "The `user.fields` query parameter value [shoe_size] is not one of [affiliation,"
    )


def test_every_demo_username_follows_xs_handle_rule(sandbox_clean):
    # X handles are 1-15 letters, digits or underscores (spec 2.166 User.username).
    for user in sandbox_clean.users():
        assert re.fullmatch(r"[A-Za-z0-9_]{1,15}", user["username"]), user["username"]
