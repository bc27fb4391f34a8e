"""The control API under /_sandbox/: users, tokens, clock, callbacks, tier, reset."""

import time
from datetime import UTC, datetime

import pytest
import requests

from sandbox import SandboxConfig, create_app, start_in_thread
from tests._sandbox import SandboxClient
from tests.sandbox.flows import ARCHIVE, BRAND, SMALL, bearer


@pytest.fixture
def own_sandbox():
    """A sandbox of its own: added users outlive a reset, so keep them off the shared one."""
    server = start_in_thread(create_app(SandboxConfig()))
    yield SandboxClient(server.base_url)
    server.stop()


def test_it_lists_the_demo_users_with_numeric_ids_and_counts(sandbox_clean):
    users = {u["username"]: u for u in sandbox_clean.users()}
    assert {BRAND, SMALL, ARCHIVE} <= set(users)
    assert all(u["id"].isdigit() for u in users.values())
    assert 290 <= users[BRAND]["posts"] <= 310
    assert users[ARCHIVE]["posts"] >= 3500


def test_it_adds_generated_users_deterministically(own_sandbox):
    first = own_sandbox.add_user("bench_user_01", 400)
    assert first["posts"] >= 400
    again = requests.post(
        own_sandbox.url("/_sandbox/users"), json={"username": "bench_user_01", "posts": 400}
    )
    assert again.status_code == 200 and again.json() == first
    token = own_sandbox.mint_token("bench_user_01")
    me = requests.get(own_sandbox.url("/2/users/me"), headers=bearer(token)).json()
    assert me["data"]["id"] == first["id"]


def test_fifty_accounts_of_400_posts_are_quick_to_add(own_sandbox):
    started = time.monotonic()
    for n in range(50):
        own_sandbox.add_user(f"bench_{n:02d}", 400)
    assert time.monotonic() - started < 10


def test_it_refuses_a_bad_username_or_count(sandbox_clean):
    for body in (
        {"username": "has space", "posts": 5},
        {"username": "ok_name", "posts": 0},
        {"posts": 5},
    ):
        assert requests.post(sandbox_clean.url("/_sandbox/users"), json=body).status_code == 400


def test_oauth2_tokens_answer_like_the_token_endpoint(sandbox_clean):
    token = sandbox_clean.mint_token(BRAND, "oauth2")
    assert set(token) == {"token_type", "expires_in", "access_token", "scope", "refresh_token"}
    assert token["scope"] == "tweet.read users.read offline.access"
    assert token["token_type"] == "bearer" and token["expires_in"] == 7200


def test_oauth1_tokens_name_the_user(sandbox_clean):
    token = sandbox_clean.mint_token(SMALL, "oauth1")
    assert set(token) == {"oauth_token", "oauth_token_secret", "user_id", "screen_name"}
    assert token["screen_name"] == SMALL and token["user_id"] == sandbox_clean.user(SMALL)["id"]


def test_the_clock_can_be_set_and_returned_to_real_time(sandbox_clean):
    sandbox_clean.set_clock(datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC))
    assert sandbox_clean.clock()["now"] == "2026-01-02T03:04:05.000Z"
    assert sandbox_clean.clock()["real_time"] is False
    sandbox_clean.set_clock(None)
    assert sandbox_clean.clock()["real_time"] is True


def test_a_bad_clock_value_is_refused(sandbox_clean):
    assert (
        requests.post(sandbox_clean.url("/_sandbox/clock"), json={"now": "yesterday"}).status_code
        == 400
    )


def test_callbacks_can_be_registered(sandbox_clean):
    sandbox_clean.register_callback("http://127.0.0.1:5555/cb/")
    urls = requests.get(sandbox_clean.url("/_sandbox/callbacks")).json()["urls"]
    assert "http://127.0.0.1:5555/cb/" in urls


def test_the_tier_and_budget_can_be_read_and_set(sandbox_clean):
    assert requests.get(sandbox_clean.url("/_sandbox/tier")).json()["name"] == "pay_per_use"
    tier = sandbox_clean.set_tier("basic", daily_post_reads=100)
    assert (tier["name"], tier["daily_post_reads"]) == ("basic", 100)
    assert (
        requests.post(sandbox_clean.url("/_sandbox/tier"), json={"name": "gold"}).status_code == 400
    )


def test_reset_forgets_tokens_and_restores_the_defaults(sandbox_clean):
    token = sandbox_clean.mint_token(BRAND)
    sandbox_clean.set_tier("free")
    sandbox_clean.set_clock(datetime(2026, 1, 1, tzinfo=UTC))
    sandbox_clean.reset()
    assert requests.get(sandbox_clean.url("/2/users/me"), headers=bearer(token)).status_code == 401
    assert sandbox_clean.clock()["real_time"] is True
    assert requests.get(sandbox_clean.url("/_sandbox/tier")).json()["name"] == "pay_per_use"


def test_an_unknown_control_path_answers_404(sandbox_clean):
    assert requests.get(sandbox_clean.url("/_sandbox/nothing")).status_code == 404
