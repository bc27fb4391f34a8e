"""Every answer of the v2 endpoints, success or error, validates against X's OpenAPI 2.166.

The spec's `non_public_metrics` lists only impression_count; X now also sends url_link_clicks,
user_profile_clicks and engagements (docs/x-api.md §1.1). The spec allows extra properties, so the
check covers what the spec describes. Usage counts are numeric strings on X's reference page where
the spec says integers (§9): the sandbox sends X's strings, checked as the numbers they are.
"""

from collections.abc import Callable

import pytest
import requests

from sandbox.usage import USAGE_FIELDS
from tests.sandbox.flows import (
    ALL_MEDIA_FIELDS,
    ALL_POST_FIELDS,
    BRAND,
    DEMO,
    SMALL,
    bearer,
    freeze_after_anchor,
    oauth1_auth,
)
from tests.sandbox.openapi import assert_problem, assert_v1_errors, assert_valid

EVERYTHING = {
    "tweet.fields": ALL_POST_FIELDS + ",promoted_metrics",
    "expansions": "attachments.media_keys,author_id,referenced_tweets.id,in_reply_to_user_id",
    "media.fields": ALL_MEDIA_FIELDS + ",promoted_metrics",
    "user.fields": "created_at,description,profile_image_url,protected,public_metrics,verified",
}


class Scene:
    def __init__(self, sandbox):
        freeze_after_anchor(sandbox)
        self.sandbox = sandbox
        self.brand = sandbox.mint_token(BRAND)
        self.brand_id = sandbox.user(BRAND)["id"]
        body = self.get(
            f"/2/users/{self.brand_id}/tweets", max_results=100, **{"tweet.fields": "attachments"}
        ).json()
        self.ids = [p["id"] for p in body["data"]]
        self.video_ids = [p["id"] for p in body["data"] if _carries_a_video(p)]

    def get(self, path, token=None, auth=None, **params):
        headers = bearer(token or self.brand) if auth is None else None
        return requests.get(self.sandbox.url(path), params=params, headers=headers, auth=auth)


SCENES: dict[str, tuple[Callable[[Scene], requests.Response], int, str]] = {
    "me": (
        lambda s: s.get("/2/users/me", **{"user.fields": EVERYTHING["user.fields"]}),
        200,
        "Get2UsersMeResponse",
    ),
    "me over oauth1": (
        lambda s: s.get("/2/users/me", auth=oauth1_auth(s.sandbox.mint_token(BRAND, "oauth1"))),
        200,
        "Get2UsersMeResponse",
    ),
    "timeline, every field": (
        lambda s: s.get(f"/2/users/{s.brand_id}/tweets", max_results=100, **EVERYTHING),
        200,
        "Get2UsersIdTweetsResponse",
    ),
    "timeline, public fields, last page": (
        lambda s: s.get(
            f"/2/users/{s.brand_id}/tweets",
            until_id=s.ids[-1],
            max_results=100,
            **{"tweet.fields": "public_metrics"},
        ),
        200,
        "Get2UsersIdTweetsResponse",
    ),
    "timeline, nothing in range": (
        lambda s: s.get(f"/2/users/{s.brand_id}/tweets", since_id=s.ids[0]),
        200,
        "Get2UsersIdTweetsResponse",
    ),
    "timeline, unknown user": (
        lambda s: s.get("/2/users/42/tweets"),
        200,
        "Get2UsersIdTweetsResponse",
    ),
    "lookup, every field, partial errors": (
        lambda s: s.get("/2/tweets", ids=",".join([*s.ids[:60], "1"]), **EVERYTHING),
        200,
        "Get2TweetsResponse",
    ),
    "lookup, someone else's posts": (
        lambda s: s.get(
            "/2/tweets", token=s.sandbox.mint_token(SMALL), ids=",".join(s.ids[:20]), **EVERYTHING
        ),
        200,
        "Get2TweetsResponse",
    ),
    "lookup, videos": (
        lambda s: s.get("/2/tweets", ids=",".join(s.video_ids), **EVERYTHING),
        200,
        "Get2TweetsResponse",
    ),
    "single post": (
        lambda s: s.get(f"/2/tweets/{s.video_ids[0]}", **EVERYTHING),
        200,
        "Get2TweetsIdResponse",
    ),
    "single post, not found": (lambda s: s.get("/2/tweets/1"), 200, "Get2TweetsIdResponse"),
    "single post, dropped": (
        lambda s: s.get(
            f"/2/tweets/{s.ids[0]}",
            token=s.sandbox.mint_token(SMALL),
            **{"tweet.fields": "organic_metrics"},
        ),
        200,
        "Get2TweetsIdResponse",
    ),
    "400 unknown parameter": (lambda s: s.get("/2/tweets", ids="1", dummy="x"), 400, "Problem"),
    "400 too many ids": (lambda s: s.get("/2/tweets", ids=",".join(["1"] * 101)), 400, "Problem"),
    "400 bad field": (lambda s: s.get("/2/users/me", **{"tweet.fields": "nope"}), 400, "Problem"),
    "400 bad max_results": (
        lambda s: s.get(f"/2/users/{s.brand_id}/tweets", max_results=1),
        400,
        "Problem",
    ),
    "usage, every field": (
        lambda s: s.get(
            "/2/usage/tweets",
            token=DEMO.app_bearer_token,
            **{"usage.fields": ",".join(USAGE_FIELDS)},
        ),
        200,
        "Get2UsageTweetsResponse",
    ),
    "usage, default fields": (
        lambda s: s.get("/2/usage/tweets", token=DEMO.app_bearer_token, days="1"),
        200,
        "Get2UsageTweetsResponse",
    ),
    "403 usage with a user token": (lambda s: s.get("/2/usage/tweets"), 403, "Problem"),
    "403 users/me with the app's token": (
        lambda s: s.get("/2/users/me", token=DEMO.app_bearer_token),
        403,
        "Problem",
    ),
    "401 bad token": (lambda s: s.get("/2/users/me", token="nope"), 401, "Problem"),
    "401 bad oauth1 token": (
        lambda s: s.get(
            "/2/users/me", auth=oauth1_auth({"oauth_token": "1-x", "oauth_token_secret": "y"})
        ),
        401,
        "v1",
    ),
}


@pytest.mark.parametrize("scene", SCENES)
def test_the_answer_validates_against_xs_openapi(sandbox_clean, scene):
    request, status, schema = SCENES[scene]
    answer = request(Scene(sandbox_clean))
    assert answer.status_code == status, answer.text
    if schema == "Problem":
        assert answer.headers["Content-Type"].startswith(
            ("application/problem+json", "application/json")
        )
        assert_problem(answer.json())
    elif schema == "v1":
        assert_v1_errors(answer.json())
    elif schema == "Get2UsageTweetsResponse":
        assert_valid(_usage_counts_as_numbers(answer.json()), schema)
    else:
        assert_valid(answer.json(), schema)


def test_rate_limited_and_capped_answers_validate(sandbox_clean):
    scene = Scene(sandbox_clean)
    sandbox_clean.set_tier("free")
    scene.get("/2/tweets/1")
    assert_problem(scene.get("/2/tweets/1").json())
    for kind in ("usage_cap", "503", "500", "429", "revoked"):
        sandbox_clean.fault(kind)
        assert_problem(scene.get("/2/users/me").json())


def _usage_counts_as_numbers(body: dict) -> dict:
    """X's strings where the spec wants integers; anything else as it came."""

    def number(value):
        assert isinstance(value, str) and value.isdigit(), value
        return int(value)

    data = dict(body["data"])
    for name in ("project_cap", "project_usage"):
        data[name] = number(data[name])
    daily = data.get("daily_project_usage")
    if daily is not None:
        data["daily_project_usage"] = {
            **daily,
            "project_id": number(daily["project_id"]),
            **({"usage": [{**d, "usage": number(d["usage"])} for d in daily["usage"]]}
               if "usage" in daily else {}),
        }  # fmt: skip
    if "daily_client_app_usage" in data:
        data["daily_client_app_usage"] = [
            {**app, **({"usage": [{**d, "usage": number(d["usage"])} for d in app["usage"]]}
                       if "usage" in app else {})}
            for app in data["daily_client_app_usage"]
        ]  # fmt: skip
    return {**body, "data": data}


def _carries_a_video(post: dict) -> bool:
    keys = post.get("attachments", {}).get("media_keys", [])
    return any(key.startswith(("7_", "13_")) for key in keys)  # X's video keys
