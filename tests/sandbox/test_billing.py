"""The sandbox bills as X does (docs/x-api.md §2.7, §9): X's prices in the ledger, prepaid
credits that run out (402 CreditsDepleted) and the monthly Project cap (429 UsageCapExceeded)."""

from datetime import UTC, datetime, timedelta

import requests

from tests.sandbox.flows import BRAND, DEMO, SMALL, bearer, freeze_after_anchor, timeline


def _lookup(sandbox, token, ids):
    return requests.get(
        sandbox.url("/2/tweets"), params={"ids": ",".join(ids)}, headers=bearer(token)
    )


def _some_post_ids(sandbox, n, username=BRAND):
    """n Post ids, read on another day than the test's, so that they cost the test nothing."""
    now = freeze_after_anchor(sandbox, hours=12)
    sandbox.set_clock(now - timedelta(days=2))
    ids = [p["id"] for p in timeline(sandbox, username, sandbox.mint_token(username))][:n]
    sandbox.reset()
    sandbox.set_clock(now)
    return ids


def test_the_ledger_prices_post_reads_at_half_a_cent_and_user_reads_at_a_cent(sandbox_clean):
    ids = _some_post_ids(sandbox_clean, 3)
    token = sandbox_clean.mint_token(BRAND)
    _lookup(sandbox_clean, token, ids)
    requests.get(sandbox_clean.url("/2/users/me"), headers=bearer(token))
    requests.get(sandbox_clean.url("/2/users/me"), headers=bearer(token))  # same UTC day: free

    ledger = sandbox_clean.ledger()
    assert [(e["billed_post_reads"], e["billed_user_reads"], e["dollars"]) for e in
            ledger["requests"]] == [(3, 0, "0.015"), (0, 1, "0.010"), (0, 0, "0.000")]  # fmt: skip
    assert sandbox_clean.billing()["prices"] == {
        "post_read": "0.005",
        "user_read": "0.010",
        "owned_read": "0.001",
    }


def test_owned_reads_cost_a_tenth_of_a_cent_only_on_the_app_owners_own_timeline(sandbox_clean):
    freeze_after_anchor(sandbox_clean)
    sandbox_clean.set_billing(app_owner=BRAND)
    owner = sandbox_clean.mint_token(BRAND)
    brand_id = sandbox_clean.user(BRAND)["id"]
    own = requests.get(
        sandbox_clean.url(f"/2/users/{brand_id}/tweets"),
        params={"max_results": 10},
        headers=bearer(owner),
    )
    small_id = sandbox_clean.user(SMALL)["id"]
    others = requests.get(
        sandbox_clean.url(f"/2/users/{small_id}/tweets"),
        params={"max_results": 5},
        headers=bearer(owner),
    )
    small = sandbox_clean.mint_token(SMALL)  # not the app's owner: full price on its own timeline
    requests.get(
        sandbox_clean.url(f"/2/users/{small_id}/tweets"),
        params={"max_results": 10},
        headers=bearer(small),
    )
    looked_up = _lookup(sandbox_clean, owner, [own.json()["data"][0]["id"], "1"])

    assert looked_up.status_code == 200
    assert len(own.json()["data"]) == 10 and len(others.json()["data"]) == 5
    entries = sandbox_clean.ledger()["requests"]
    # 10 own Posts at $0.001; 5 of another account at $0.005; that account's own timeline read
    # by its own token, 5 more of its Posts at $0.005; the lookup, already billed today, free.
    assert [e["dollars"] for e in entries] == ["0.010", "0.025", "0.025", "0.000"]


def test_prepaid_credits_run_out_into_xs_402_credits_depleted(sandbox_clean):
    ids = _some_post_ids(sandbox_clean, 9)
    account = sandbox_clean.set_billing(credits="0.02")["apps"]["quartile-demo"]
    assert (account["credits"], account["credits_left"]) == ("0.02", "0.02")
    token = sandbox_clean.mint_token(BRAND)

    first = _lookup(sandbox_clean, token, ids[:3])  # $0.015: $0.005 left
    crossing = _lookup(sandbox_clean, token, ids[3:6])  # served: some credit was left
    depleted = _lookup(sandbox_clean, token, ids[6:])

    assert (first.status_code, crossing.status_code, depleted.status_code) == (200, 200, 402)
    detail = f"Your enrolled account [{depleted.json()['detail'].split('[')[1].split(']')[0]}]"
    assert depleted.json() == {
        "title": "CreditsDepleted",
        "detail": f"{detail} does not have any credits to fulfill this request.",
        "type": "https://api.twitter.com/2/problems/credits",
    }
    assert depleted.headers["x-access-level"] == "read"
    assert sandbox_clean.billing()["apps"]["quartile-demo"]["credits_left"] == "-0.010"
    sandbox_clean.set_billing(credits="1.00")  # topped up
    assert _lookup(sandbox_clean, token, ids[6:]).status_code == 200


def test_without_credits_configured_nothing_runs_out(sandbox_clean):
    ids = _some_post_ids(sandbox_clean, 100)
    token = sandbox_clean.mint_token(BRAND)
    assert _lookup(sandbox_clean, token, ids).status_code == 200
    assert sandbox_clean.billing()["apps"]["quartile-demo"]["credits_left"] is None


def test_the_monthly_project_cap_answers_usage_capped_monthly_with_quota_left(sandbox_clean):
    assert sandbox_clean.billing()["monthly_post_cap"] == 3_000_000  # pay-per-use
    ids = _some_post_ids(sandbox_clean, 8)
    sandbox_clean.set_billing(monthly_post_cap=5)
    token = sandbox_clean.mint_token(BRAND)

    assert _lookup(sandbox_clean, token, ids[:3]).status_code == 200
    assert _lookup(sandbox_clean, token, ids[3:6]).status_code == 200  # crosses the cap: served
    capped = requests.get(sandbox_clean.url("/2/users/me"), headers=bearer(token))

    assert capped.status_code == 429
    body = capped.json()
    assert (body["title"], body["period"], body["type"].rsplit("/", 1)[1]) == (
        "UsageCapExceeded",
        "Monthly",
        "usage-capped",
    )
    assert int(capped.headers["x-rate-limit-remaining"]) > 0  # as X's: only the body says stop
    assert int(capped.headers["x-rate-limit-reset"]) > 0
    usage = requests.get(
        sandbox_clean.url("/2/usage/tweets"),
        headers=bearer(DEMO.app_bearer_token),
    ).json()["data"]
    assert (usage["project_cap"], usage["project_usage"]) == ("5", "6")


def test_the_monthly_cap_comes_back_with_the_next_billing_month(sandbox_clean):
    ids = _some_post_ids(sandbox_clean, 8)
    now = datetime.fromisoformat(sandbox_clean.clock()["now"])
    sandbox_clean.set_billing(monthly_post_cap=3)
    token = sandbox_clean.mint_token(BRAND)
    assert _lookup(sandbox_clean, token, ids[:3]).status_code == 200
    assert _lookup(sandbox_clean, token, ids[3:]).status_code == 429

    first_of_next = datetime(now.year + now.month // 12, now.month % 12 + 1, 1, 1, tzinfo=UTC)
    sandbox_clean.set_clock(first_of_next)
    token = sandbox_clean.mint_token(BRAND)
    assert _lookup(sandbox_clean, token, ids[3:]).status_code == 200


def test_the_legacy_tiers_caps_are_enforced_too(sandbox_clean):
    ids = _some_post_ids(sandbox_clean, 100)
    sandbox_clean.set_tier("free")  # 100 Post reads a month (docs/x-api.md §2.6)
    token = sandbox_clean.mint_token(BRAND)
    assert _lookup(sandbox_clean, token, ids).status_code == 200
    brand_id = sandbox_clean.user(BRAND)["id"]
    capped = requests.get(sandbox_clean.url(f"/2/users/{brand_id}/tweets"), headers=bearer(token))
    assert (capped.status_code, capped.json()["period"]) == (429, "Monthly")


def test_reset_forgets_credits_cap_and_owner(sandbox_clean):
    sandbox_clean.set_billing(credits="1", monthly_post_cap=7, app_owner=BRAND)
    sandbox_clean.reset()
    billing = sandbox_clean.billing()
    assert (billing["monthly_post_cap"], billing["app_owner"]) == (3_000_000, None)
    assert billing["apps"]["quartile-demo"]["credits"] is None


def test_bad_billing_settings_are_refused(sandbox_clean):
    for body in ({"credits": "lots"}, {"credits": -1}, {"monthly_post_cap": "5"},
                 {"app_owner": "nobody_here"}, {"credits": "1", "app": "other"}):  # fmt: skip
        answer = requests.post(sandbox_clean.url("/_sandbox/billing"), json=body)
        assert answer.status_code == 400, body
