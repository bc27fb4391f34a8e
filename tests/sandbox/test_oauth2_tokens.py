"""OAuth 2.0 tokens: 2-hour access tokens, rotating single-use refresh tokens, revocation."""

from datetime import timedelta

import pytest
import requests
from requests_oauthlib import OAuth2Session

from tests.sandbox.flows import BRAND, DEMO, bearer, freeze_after_anchor, oauth2_tokens
from tests.sandbox.openapi import assert_problem

UNAUTHORIZED = {
    "title": "Unauthorized",
    "type": "about:blank",
    "status": 401,
    "detail": "Unauthorized",
}
INVALID_TOKEN = {
    "error": "invalid_request",
    "error_description": "Value passed for the token was invalid.",
}


@pytest.fixture(autouse=True)
def _plain_http(monkeypatch):
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")


def _me(sandbox, token):
    return requests.get(sandbox.url("/2/users/me"), headers=bearer(token))


def _refresh(sandbox, refresh_token):
    return requests.post(
        sandbox.url("/2/oauth2/token"),
        data={"grant_type": "refresh_token", "refresh_token": refresh_token},
        auth=(DEMO.oauth2_client_id, DEMO.oauth2_client_secret),
    )


def _revoke(sandbox, token, hint="access_token"):
    data = {"token": token, **({"token_type_hint": hint} if hint else {})}
    return requests.post(
        sandbox.url("/2/oauth2/revoke"),
        data=data,
        auth=(DEMO.oauth2_client_id, DEMO.oauth2_client_secret),
    )


def test_an_access_token_lives_two_hours(sandbox_clean):
    issued = freeze_after_anchor(sandbox_clean)
    token = sandbox_clean.mint_token(BRAND)
    assert token["expires_in"] == 7200
    sandbox_clean.set_clock(issued + timedelta(hours=2) - timedelta(seconds=1))
    assert _me(sandbox_clean, token).status_code == 200
    sandbox_clean.set_clock(issued + timedelta(hours=2))
    expired = _me(sandbox_clean, token)
    assert expired.status_code == 401
    assert expired.json() == UNAUTHORIZED
    assert expired.headers["Content-Type"] == "application/problem+json"
    assert_problem(expired.json())


def test_a_refresh_token_comes_only_with_offline_access(sandbox_clean):
    token = oauth2_tokens(sandbox_clean, scope=["tweet.read", "users.read"])
    assert "refresh_token" not in token
    assert token["scope"] == ["tweet.read", "users.read"]


def test_refreshing_rotates_the_refresh_token_and_the_old_one_fails(sandbox_clean):
    first = sandbox_clean.mint_token(BRAND)
    refreshed = _refresh(sandbox_clean, first["refresh_token"])
    assert refreshed.status_code == 200
    second = refreshed.json()
    assert second["refresh_token"] != first["refresh_token"]
    assert second["expires_in"] == 7200
    assert _me(sandbox_clean, second).status_code == 200

    reused = _refresh(sandbox_clean, first["refresh_token"])
    assert reused.status_code == 400
    assert reused.json() == INVALID_TOKEN
    assert _refresh(sandbox_clean, second["refresh_token"]).status_code == 200


def test_a_refresh_works_after_the_access_token_expired(sandbox_clean):
    issued = freeze_after_anchor(sandbox_clean)
    token = sandbox_clean.mint_token(BRAND)
    sandbox_clean.set_clock(issued + timedelta(days=3))
    assert _me(sandbox_clean, token).status_code == 401
    assert (
        _me(sandbox_clean, _refresh(sandbox_clean, token["refresh_token"]).json()).status_code
        == 200
    )


def test_oauth2session_refreshes_with_basic_auth(sandbox_clean):
    token = sandbox_clean.mint_token(BRAND)
    session = OAuth2Session(DEMO.oauth2_client_id, token=token)
    new = session.refresh_token(
        sandbox_clean.url("/2/oauth2/token"),
        auth=(DEMO.oauth2_client_id, DEMO.oauth2_client_secret),
    )
    assert new["refresh_token"] != token["refresh_token"]


def test_a_revoked_access_token_answers_401(sandbox_clean):
    token = sandbox_clean.mint_token(BRAND)
    answer = _revoke(sandbox_clean, token["access_token"])
    assert answer.status_code == 200
    assert answer.json() == {"revoked": True}
    assert _me(sandbox_clean, token).json() == UNAUTHORIZED


def test_revoking_the_refresh_token_ends_the_whole_grant(sandbox_clean):
    token = sandbox_clean.mint_token(BRAND)
    assert _revoke(sandbox_clean, token["refresh_token"], "refresh_token").json() == {
        "revoked": True
    }
    assert _me(sandbox_clean, token).status_code == 401
    assert _refresh(sandbox_clean, token["refresh_token"]).json() == INVALID_TOKEN


def test_revoking_without_a_token_type_hint_answers_400_as_x_does(sandbox_clean):
    token = sandbox_clean.mint_token(BRAND)
    answer = _revoke(sandbox_clean, token["access_token"], hint=None)
    assert answer.status_code == 400
    assert answer.json() == {
        "error": "invalid_request",
        "error_description": "Missing required parameter [token_type_hint].",
    }
    assert _me(sandbox_clean, token).status_code == 200  # nothing was revoked


def test_a_made_up_bearer_token_answers_401(sandbox_clean):
    assert _me(sandbox_clean, "not-a-token").json() == UNAUTHORIZED


def test_a_request_without_credentials_answers_401(sandbox_clean):
    answer = requests.get(sandbox_clean.url("/2/users/me"))
    assert answer.status_code == 401
    assert answer.json() == UNAUTHORIZED
