"""OAuth 2.0 Authorization Code Flow with PKCE, driven by requests-oauthlib's OAuth2Session."""

from datetime import timedelta
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests

from sandbox.oauth2 import pkce_challenge
from tests.sandbox.flows import (
    BRAND,
    DEMO,
    OAUTH2_CALLBACK,
    SCOPES,
    bearer,
    consent,
    consent_form,
    freeze_after_anchor,
    oauth2_session,
    oauth2_tokens,
)

VERIFIER = "a-code-verifier-of-at-least-forty-three-characters-0123456789"
INVALID_CODE = {
    "error": "invalid_request",
    "error_description": "Value passed for the authorization code was invalid.",
}


@pytest.fixture(autouse=True)
def _plain_http(monkeypatch):
    # oauthlib refuses http:// token URLs unless told the transport is local.
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")


def _authorize_url(sandbox, **overrides):
    params = {
        "response_type": "code",
        "client_id": DEMO.oauth2_client_id,
        "redirect_uri": OAUTH2_CALLBACK,
        "scope": " ".join(SCOPES),
        "state": "state-123",
        "code_challenge": pkce_challenge(VERIFIER, "S256"),
        "code_challenge_method": "S256",
        **overrides,
    }
    return sandbox.url(
        "/i/oauth2/authorize?" + urlencode({k: v for k, v in params.items() if v is not None})
    )


def _code(sandbox, **overrides) -> str:
    return parse_qs(urlsplit(consent(_authorize_url(sandbox, **overrides))).query)["code"][0]


def _redeem(sandbox, code, verifier=VERIFIER, redirect_uri=OAUTH2_CALLBACK):
    return requests.post(
        sandbox.url("/2/oauth2/token"),
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": verifier,
        },
        auth=(DEMO.oauth2_client_id, DEMO.oauth2_client_secret),
    )


def test_the_flow_completes_with_oauth2session_and_s256(sandbox_clean):
    token = oauth2_tokens(sandbox_clean, BRAND)
    assert token["token_type"] == "bearer"
    assert token["expires_in"] == 7200
    assert token["scope"] == SCOPES
    assert token["refresh_token"]
    me = requests.get(sandbox_clean.url("/2/users/me"), headers=bearer(token))
    assert me.json()["data"]["username"] == BRAND


def test_a_public_client_sends_its_client_id_in_the_body(sandbox_clean):
    session = oauth2_session(DEMO.oauth2_public_client_id)
    url, _ = session.authorization_url(sandbox_clean.url("/i/oauth2/authorize"))
    token = session.fetch_token(
        sandbox_clean.url("/2/oauth2/token"),
        authorization_response=consent(url),
        include_client_id=True,
    )
    assert requests.get(sandbox_clean.url("/2/users/me"), headers=bearer(token)).status_code == 200


def test_the_consent_page_is_a_plain_form_with_authorize_and_cancel(sandbox_clean):
    page = requests.get(_authorize_url(sandbox_clean))
    assert "<script" not in page.text
    form = consent_form(_authorize_url(sandbox_clean))
    assert form.buttons == [("action", "authorize"), ("action", "cancel")]
    assert (
        '<button type="submit" name="action" value="authorize">Authorize app</button>' in page.text
    )


def test_authorize_redirects_to_the_exact_callback_with_state_and_code(sandbox_clean):
    callback = consent(_authorize_url(sandbox_clean))
    assert callback.startswith(OAUTH2_CALLBACK + "?")
    query = parse_qs(urlsplit(callback).query)
    assert query["state"] == ["state-123"] and query["code"]


def test_cancel_returns_access_denied_with_the_state(sandbox_clean):
    callback = consent(_authorize_url(sandbox_clean), action="cancel")
    assert parse_qs(urlsplit(callback).query) == {
        "error": ["access_denied"],
        "state": ["state-123"],
    }


@pytest.mark.parametrize(
    "overrides",
    [
        {"client_id": "someone-else"},
        {"redirect_uri": OAUTH2_CALLBACK.rstrip("/")},
        {"redirect_uri": "http://evil.example/callback/"},
        {"code_challenge": None},
        {"code_challenge_method": "s256"},
        {"state": None},
        {"scope": "tweet.read metrics.read"},
    ],
    ids=[
        "unknown client",
        "trailing slash",
        "foreign uri",
        "no challenge",
        "lowercase s256",
        "no state",
        "bad scope",
    ],
)
def test_a_bad_authorize_request_gets_an_error_page_never_a_redirect(sandbox_clean, overrides):
    answer = requests.get(_authorize_url(sandbox_clean, **overrides), allow_redirects=False)
    assert answer.status_code == 400
    assert "Location" not in answer.headers
    assert "Something went wrong" in answer.text


def test_a_code_is_single_use(sandbox_clean):
    code = _code(sandbox_clean)
    assert _redeem(sandbox_clean, code).status_code == 200
    replay = _redeem(sandbox_clean, code)
    assert replay.status_code == 400
    assert replay.json() == INVALID_CODE


def test_a_code_expires_after_30_seconds(sandbox_clean):
    issued = freeze_after_anchor(sandbox_clean)
    code = _code(sandbox_clean)
    sandbox_clean.set_clock(issued + timedelta(seconds=31))
    assert _redeem(sandbox_clean, code).json() == INVALID_CODE


def test_a_code_is_good_for_its_30_seconds(sandbox_clean):
    issued = freeze_after_anchor(sandbox_clean)
    code = _code(sandbox_clean)
    sandbox_clean.set_clock(issued + timedelta(seconds=29))
    assert _redeem(sandbox_clean, code).status_code == 200


def test_the_verifier_must_match_the_challenge(sandbox_clean):
    answer = _redeem(sandbox_clean, _code(sandbox_clean), verifier=VERIFIER + "x")
    assert answer.status_code == 400
    assert answer.json() == {
        "error": "invalid_request",
        "error_description": "Value passed for the code verifier did not match the code challenge.",
    }


def test_plain_pkce_is_checked_too(sandbox_clean):
    code = _code(sandbox_clean, code_challenge="challenge", code_challenge_method="plain")
    assert _redeem(sandbox_clean, code, verifier="challenge").status_code == 200
    code = _code(sandbox_clean, code_challenge="challenge", code_challenge_method="plain")
    assert _redeem(sandbox_clean, code, verifier="challengf").status_code == 400


def test_the_token_request_must_repeat_the_exact_redirect_uri(sandbox_clean):
    answer = _redeem(sandbox_clean, _code(sandbox_clean), redirect_uri=OAUTH2_CALLBACK.rstrip("/"))
    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_request"


def test_a_confidential_client_without_basic_auth_is_unauthorized(sandbox_clean):
    answer = requests.post(
        sandbox_clean.url("/2/oauth2/token"),
        data={
            "grant_type": "authorization_code",
            "code": _code(sandbox_clean),
            "redirect_uri": OAUTH2_CALLBACK,
            "code_verifier": VERIFIER,
            "client_id": DEMO.oauth2_client_id,
        },
    )
    assert answer.status_code == 401
    assert answer.json() == {
        "error": "unauthorized_client",
        "error_description": "Missing valid authorization header",
    }


def test_a_wrong_client_secret_is_unauthorized(sandbox_clean):
    answer = requests.post(
        sandbox_clean.url("/2/oauth2/token"),
        data={
            "grant_type": "authorization_code",
            "code": _code(sandbox_clean),
            "redirect_uri": OAUTH2_CALLBACK,
        },
        auth=(DEMO.oauth2_client_id, "wrong"),
    )
    assert answer.status_code == 401
    assert answer.json()["error"] == "unauthorized_client"


def test_a_callback_registered_at_run_time_is_accepted(sandbox_clean):
    callback = "http://127.0.0.1:40123/connect/x/oauth2/callback/"
    sandbox_clean.register_callback(callback)
    assert consent(_authorize_url(sandbox_clean, redirect_uri=callback)).startswith(callback + "?")
