"""The OAuth 1.0a three-legged flow, driven by requests-oauthlib's OAuth1Session."""

from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from requests_oauthlib import OAuth1Session

from tests.sandbox.flows import (
    BRAND,
    DEMO,
    OAUTH1_CALLBACK,
    SMALL,
    consent,
    consent_form,
    oauth1_auth,
)


def _session(callback=OAUTH1_CALLBACK) -> OAuth1Session:
    return OAuth1Session(
        DEMO.oauth1_consumer_key, DEMO.oauth1_consumer_secret, callback_uri=callback
    )


@pytest.mark.parametrize("consent_path", ["/oauth/authorize", "/oauth/authenticate"])
def test_the_three_legs_complete_with_oauth1session(sandbox_clean, consent_path):
    session = _session()
    request_token = session.fetch_request_token(sandbox_clean.url("/oauth/request_token"))
    assert request_token["oauth_callback_confirmed"] == "true"

    callback = consent(session.authorization_url(sandbox_clean.url(consent_path)), SMALL)
    assert callback.startswith(OAUTH1_CALLBACK + "?")
    session.parse_authorization_response(callback)
    access = session.fetch_access_token(sandbox_clean.url("/oauth/access_token"))

    assert access["screen_name"] == SMALL
    assert access["oauth_token"].startswith(access["user_id"] + "-")
    me = requests.get(sandbox_clean.url("/2/users/me"), auth=oauth1_auth(access))
    assert me.status_code == 200
    assert me.json()["data"] == {
        "id": access["user_id"],
        "name": "Quartile Small Biz",
        "username": SMALL,
    }


def test_the_consent_page_offers_every_demo_user_and_two_buttons(sandbox_clean):
    session = _session()
    session.fetch_request_token(sandbox_clean.url("/oauth/request_token"))
    form = consent_form(session.authorization_url(sandbox_clean.url("/oauth/authorize")))
    assert {BRAND, SMALL, "quartile_arch"} <= set(form.usernames)
    assert form.buttons == [("action", "authorize"), ("action", "cancel")]


def test_cancel_returns_denied_with_the_request_token(sandbox_clean):
    session = _session()
    token = session.fetch_request_token(sandbox_clean.url("/oauth/request_token"))["oauth_token"]
    callback = consent(
        session.authorization_url(sandbox_clean.url("/oauth/authorize")), action="cancel"
    )
    assert parse_qs(urlsplit(callback).query) == {"denied": [token]}


def test_an_unregistered_callback_is_refused_with_code_415(sandbox_clean):
    session = _session(callback="http://127.0.0.1:8000/connect/x/oauth1/callback")  # no slash
    answer = session.post(sandbox_clean.url("/oauth/request_token"))
    assert answer.status_code == 403
    assert answer.json()["errors"][0]["code"] == 415


def test_a_callback_registered_at_run_time_is_accepted(sandbox_clean):
    callback = "http://127.0.0.1:40123/connect/x/oauth1/callback/"
    sandbox_clean.register_callback(callback)
    token = _session(callback).fetch_request_token(sandbox_clean.url("/oauth/request_token"))
    assert token["oauth_callback_confirmed"] == "true"


def test_a_request_token_is_exchanged_only_once(sandbox_clean):
    session = _session()
    session.fetch_request_token(sandbox_clean.url("/oauth/request_token"))
    session.parse_authorization_response(
        consent(session.authorization_url(sandbox_clean.url("/oauth/authorize")))
    )
    session.fetch_access_token(sandbox_clean.url("/oauth/access_token"))
    replay = session.post(sandbox_clean.url("/oauth/access_token"))
    assert replay.status_code == 401
    assert replay.json()["errors"][0]["code"] == 89


def test_a_wrong_verifier_is_refused(sandbox_clean):
    session = _session()
    session.fetch_request_token(sandbox_clean.url("/oauth/request_token"))
    callback = consent(session.authorization_url(sandbox_clean.url("/oauth/authorize")))
    session.parse_authorization_response(callback.replace("oauth_verifier=", "oauth_verifier=x"))
    answer = session.post(sandbox_clean.url("/oauth/access_token"))
    assert answer.status_code == 401


def test_an_unknown_request_token_gets_an_error_page_not_a_redirect(sandbox_clean):
    answer = requests.get(
        sandbox_clean.url("/oauth/authorize?oauth_token=nope"), allow_redirects=False
    )
    assert answer.status_code == 400
    assert "Something went wrong" in answer.text


def test_an_invalidated_token_answers_code_89(sandbox_clean):
    token = sandbox_clean.mint_token(BRAND, "oauth1")
    invalidate = requests.post(
        sandbox_clean.url("/1.1/oauth/invalidate_token"), auth=oauth1_auth(token)
    )
    assert invalidate.status_code == 200
    assert invalidate.json() == {"access_token": token["oauth_token"]}
    after = requests.get(sandbox_clean.url("/2/users/me"), auth=oauth1_auth(token))
    assert after.status_code == 401
    assert after.json() == {"errors": [{"code": 89, "message": "Invalid or expired token."}]}
