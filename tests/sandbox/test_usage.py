"""GET /2/usage/tweets: the app's billed Post reads, for its App-Only Bearer token only
(docs/x-api.md §2.7, §9)."""

from datetime import timedelta

import requests

from tests.sandbox.flows import (
    BRAND,
    DEMO,
    SMALL,
    bearer,
    freeze_after_anchor,
    oauth1_auth,
    timeline,
)
from tests.sandbox.openapi import assert_problem

APP = bearer(DEMO.app_bearer_token)


def _usage(sandbox, headers=APP, auth=None, **params):
    return requests.get(sandbox.url("/2/usage/tweets"), params=params, headers=headers, auth=auth)


def _lookup(sandbox, token, ids, **params):
    answer = requests.get(
        sandbox.url("/2/tweets"), params={"ids": ",".join(ids), **params}, headers=bearer(token)
    )
    assert answer.status_code == 200, answer.text
    return answer.json()


def _young_ids(sandbox, token, count):
    user_id = sandbox.user(BRAND)["id"]
    page = requests.get(
        sandbox.url(f"/2/users/{user_id}/tweets"),
        params={"max_results": count, "exclude": "retweets"},
        headers=bearer(token),
    ).json()
    return [post["id"] for post in page["data"]]


def test_without_usage_fields_it_answers_xs_default_fields_as_strings(sandbox_clean):
    freeze_after_anchor(sandbox_clean)

    answer = _usage(sandbox_clean)

    assert answer.status_code == 200, answer.text
    data = answer.json()["data"]
    assert set(data) == {"cap_reset_day", "project_cap", "project_id", "project_usage"}
    assert (data["project_cap"], data["project_usage"], data["cap_reset_day"]) == (
        "3000000",
        "0",
        1,
    )
    assert data["project_id"].isdigit()
    assert answer.headers["x-rate-limit-limit"] == "50"


def test_it_counts_the_post_reads_the_app_was_billed_today_and_this_month(sandbox_clean):
    now = freeze_after_anchor(sandbox_clean, hours=12)
    brand, small = sandbox_clean.mint_token(BRAND), sandbox_clean.mint_token(SMALL)
    ids = _young_ids(sandbox_clean, brand, 5)
    sandbox_clean.reset()
    sandbox_clean.set_clock(now)
    brand, small = sandbox_clean.mint_token(BRAND), sandbox_clean.mint_token(SMALL)
    _lookup(sandbox_clean, brand, ids[:3])
    _lookup(sandbox_clean, small, ids[:3])  # public fields: billed to the same app, once a day
    sandbox_clean.set_clock(now + timedelta(days=1))
    _lookup(sandbox_clean, sandbox_clean.mint_token(BRAND), ids)

    fields = "daily_project_usage,daily_client_app_usage,project_usage"
    data = _usage(sandbox_clean, **{"usage.fields": fields}).json()["data"]

    today, yesterday = (now + timedelta(days=1)).date(), now.date()
    days = [
        {"date": f"{day}T00:00:00.000Z", "usage": n} for day, n in ((yesterday, "3"), (today, "5"))
    ]
    assert data["daily_project_usage"] == {"project_id": data["project_id"], "usage": days}
    (app,) = data["daily_client_app_usage"]
    assert (app["usage"], app["usage_result_count"]) == (days, 2)
    same_month = yesterday.month == today.month
    assert data["project_usage"] == ("8" if same_month else "5")
    assert (
        _usage(sandbox_clean, days="1", **{"usage.fields": fields}).json()["data"][
            "daily_project_usage"
        ]["usage"]
        == days[1:]
    )


def test_a_post_read_by_the_timeline_then_by_id_on_one_utc_day_is_billed_once(sandbox_clean):
    freeze_after_anchor(sandbox_clean)
    token = sandbox_clean.mint_token(BRAND)
    ids = _young_ids(sandbox_clean, token, 5)
    before = int(_usage(sandbox_clean).json()["data"]["project_usage"])

    _lookup(sandbox_clean, token, ids[:1])
    requests.get(sandbox_clean.url(f"/2/tweets/{ids[1]}"), headers=bearer(token))

    assert int(_usage(sandbox_clean).json()["data"]["project_usage"]) == before == 5
    usage_requests = [
        e for e in sandbox_clean.ledger()["requests"] if e["path"] == "/2/usage/tweets"
    ]
    assert [(e["app"], e["owner"], e["billed_post_reads"]) for e in usage_requests] == [
        ("quartile-demo", None, 0),
        ("quartile-demo", None, 0),
    ]


def test_a_user_token_is_refused_as_x_refuses_it(sandbox_clean):
    oauth2 = _usage(sandbox_clean, headers=bearer(sandbox_clean.mint_token(BRAND)))
    oauth1 = _usage(
        sandbox_clean, headers=None, auth=oauth1_auth(sandbox_clean.mint_token(BRAND, "oauth1"))
    )

    for answer, context in (
        (oauth2, "OAuth 2.0 User Context"),
        (oauth1, "OAuth 1.0a User Context"),
    ):
        assert answer.status_code == 403
        assert answer.json() == {
            "title": "Unsupported Authentication",
            "detail": f"Authenticating with {context} is forbidden for this endpoint.  Supported "
            "authentication types are [OAuth 2.0 Application-Only].",
            "type": "https://api.x.com/2/problems/unsupported-authentication",
            "status": 403,
        }
        assert_problem(answer.json())
    assert _usage(sandbox_clean, headers=bearer("not-a-token")).status_code == 401
    assert _usage(sandbox_clean, headers=None).status_code == 401


def test_the_apps_token_is_refused_where_x_wants_a_user(sandbox_clean):
    answer = requests.get(sandbox_clean.url("/2/users/me"), headers=APP)

    assert answer.status_code == 403
    assert answer.json()["detail"] == (
        "Authenticating with OAuth 2.0 Application-Only is forbidden for this endpoint.  "
        "Supported authentication types are [OAuth 1.0a User Context, OAuth 2.0 User Context]."
    )


def test_bad_parameters_answer_xs_invalid_request(sandbox_clean):
    for params in ({"days": "0"}, {"days": "91"}, {"usage.fields": "nope"}, {"dummy": "1"}):
        answer = _usage(sandbox_clean, **params)
        assert answer.status_code == 400, params
        assert answer.json()["title"] == "Invalid Request"


def test_fifty_requests_per_window_per_app(sandbox_clean):
    freeze_after_anchor(sandbox_clean)
    statuses = [_usage(sandbox_clean).status_code for _ in range(51)]

    assert statuses == [200] * 50 + [429]


def test_a_spent_read_budget_does_not_stop_the_usage_answer(sandbox_clean):
    freeze_after_anchor(sandbox_clean)
    token = sandbox_clean.mint_token(BRAND)
    sandbox_clean.set_tier(daily_post_reads=1)
    _young_ids(sandbox_clean, token, 5)

    assert _lookup_status(sandbox_clean, token) == 429
    assert _usage(sandbox_clean).json()["data"]["project_usage"] == "5"


def _lookup_status(sandbox, token):
    return requests.get(sandbox.url("/2/tweets/1"), headers=bearer(token)).status_code


def test_every_timeline_read_counts(sandbox_clean):
    freeze_after_anchor(sandbox_clean)
    posts = timeline(sandbox_clean, SMALL, sandbox_clean.mint_token(SMALL))

    assert _usage(sandbox_clean).json()["data"]["project_usage"] == str(len(posts))
