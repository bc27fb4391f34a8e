"""The ledger: every request, and Post reads billed once per Post per UTC day per app."""

from datetime import timedelta

import requests

from tests.sandbox.flows import (
    BRAND,
    DEMO,
    SMALL,
    bearer,
    consent,
    freeze_after_anchor,
    oauth2_session,
    timeline,
)


def _lookup(sandbox, token, ids):
    return requests.get(
        sandbox.url("/2/tweets"), params={"ids": ",".join(ids)}, headers=bearer(token)
    )


def test_it_records_each_request_with_owner_endpoint_ids_and_status(sandbox_clean):
    freeze_after_anchor(sandbox_clean)
    token = sandbox_clean.mint_token(BRAND)
    ids = [p["id"] for p in timeline(sandbox_clean, SMALL, token)][:3]
    sandbox_clean.reset()
    freeze_after_anchor(sandbox_clean)
    token = sandbox_clean.mint_token(BRAND)
    _lookup(sandbox_clean, token, [*ids, "1"])
    requests.get(sandbox_clean.url("/2/users/me"))

    entries = sandbox_clean.ledger()["requests"]
    assert [(e["method"], e["path"], e["endpoint"], e["status"]) for e in entries] == [
        ("GET", "/2/tweets", "GET /2/tweets", 200),
        ("GET", "/2/users/me", "GET /2/users/me", 401),
    ]
    lookup = entries[0]
    assert lookup["owner"] == BRAND and lookup["app"] == "quartile-demo"
    assert lookup["ids"] == [*ids, "1"]
    assert lookup["results"] == ids
    assert lookup["billed_post_reads"] == 3
    assert entries[1]["owner"] is None


def test_a_post_is_billed_once_per_utc_day(sandbox_clean):
    now = freeze_after_anchor(sandbox_clean, hours=12)
    token = sandbox_clean.mint_token(BRAND)
    ids = [p["id"] for p in timeline(sandbox_clean, BRAND, token)][:5]
    sandbox_clean.reset()
    sandbox_clean.set_clock(now)
    token = sandbox_clean.mint_token(BRAND)
    _lookup(sandbox_clean, token, ids[:3])
    _lookup(sandbox_clean, token, ids)
    sandbox_clean.set_clock(now + timedelta(hours=13))  # the next UTC day
    token = sandbox_clean.mint_token(BRAND)
    _lookup(sandbox_clean, token, ids[:1])

    ledger = sandbox_clean.ledger()
    assert [e["billed_post_reads"] for e in ledger["requests"]] == [3, 2, 1]
    days = ledger["billed_post_reads"]["quartile-demo"]
    assert list(days.values()) == [5, 1]
    assert ledger["totals"]["GET /2/tweets"] == {
        "requests": 3,
        "statuses": {"200": 3},
        "posts_returned": 9,
        "billed_post_reads": 6,
        "billed_user_reads": 0,
        "dollars": "0.030",
    }
    assert [e["dollars"] for e in ledger["requests"]] == ["0.015", "0.010", "0.005"]
    assert list(ledger["dollars"]["quartile-demo"].values()) == ["0.025", "0.005"]


def test_billing_is_per_app(sandbox_clean, monkeypatch):
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
    freeze_after_anchor(sandbox_clean)
    demo_token = sandbox_clean.mint_token(BRAND)
    ids = [p["id"] for p in timeline(sandbox_clean, BRAND, demo_token)][:2]
    session = oauth2_session(DEMO.oauth2_public_client_id)
    url, _ = session.authorization_url(sandbox_clean.url("/i/oauth2/authorize"))
    public_token = session.fetch_token(
        sandbox_clean.url("/2/oauth2/token"),
        authorization_response=consent(url),
        include_client_id=True,
    )
    _lookup(sandbox_clean, public_token, ids)
    assert sandbox_clean.ledger()["requests"][-1]["billed_post_reads"] == 2


def test_a_daily_read_budget_ends_in_xs_usage_cap_answer(sandbox_clean):
    freeze_after_anchor(sandbox_clean)
    token = sandbox_clean.mint_token(BRAND)
    ids = [p["id"] for p in timeline(sandbox_clean, BRAND, token)][:10]
    sandbox_clean.reset()
    freeze_after_anchor(sandbox_clean)
    token = sandbox_clean.mint_token(BRAND)
    assert sandbox_clean.set_tier(daily_post_reads=4)["daily_post_reads"] == 4
    assert _lookup(sandbox_clean, token, ids[:3]).status_code == 200
    assert _lookup(sandbox_clean, token, ids[3:6]).status_code == 200  # 6 read: the budget is spent
    capped = _lookup(sandbox_clean, token, ids[6:])
    assert capped.status_code == 429
    assert capped.json()["title"] == "UsageCapExceeded"
    assert capped.json()["period"] == "Daily"
    assert int(capped.headers["x-rate-limit-remaining"]) > 0


def test_reset_clears_the_ledger(sandbox_clean):
    requests.get(sandbox_clean.url("/2/users/me"))
    sandbox_clean.reset()
    assert sandbox_clean.ledger() == {
        "requests": [],
        "totals": {},
        "billed_post_reads": {},
        "dollars": {},
    }


def test_posts_that_come_only_in_includes_are_not_billed(sandbox_clean):
    """X bills the resources an answer returns as data (docs/x-api.md §9)."""
    now = freeze_after_anchor(sandbox_clean)
    token = sandbox_clean.mint_token(BRAND)
    fields = {"tweet.fields": "referenced_tweets"}
    reply = next(
        p
        for p in timeline(sandbox_clean, BRAND, token, **fields)
        if any(r["type"] == "replied_to" for r in p.get("referenced_tweets", []))
    )
    sandbox_clean.reset()
    sandbox_clean.set_clock(now)
    token = sandbox_clean.mint_token(BRAND)

    answer = requests.get(
        sandbox_clean.url("/2/tweets"),
        params={"ids": reply["id"], "expansions": "referenced_tweets.id"},
        headers=bearer(token),
    )

    assert answer.json()["includes"]["tweets"]
    (entry,) = sandbox_clean.ledger()["requests"]
    assert entry["results"] == [reply["id"]] and entry["billed_post_reads"] == 1
