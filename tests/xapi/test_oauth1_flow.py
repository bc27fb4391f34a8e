"""OAuth 1.0a three-legged flow: request token, consent URL, callback, access token, invalidate."""

import re
from http import HTTPStatus
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
import requests

from tests.xapi.conftest import CONFIDENTIAL_APP
from tests.xapi.fake_x import Canned
from xapi import (
    AccessDenied,
    CallbackNotConfirmed,
    ClientRejected,
    CodeRejected,
    MalformedResponse,
    OAuth1RequestToken,
    OAuth1UserAuth,
    OAuthFlowError,
    StateMismatch,
    TokenRevoked,
    XEndpoints,
    build_oauth1_authorize_url,
    fetch_oauth1_access_token,
    fetch_oauth1_request_token,
    invalidate_oauth1_token,
    parse_oauth1_callback,
)

CALLBACK = "https://quartile.example/accounts/x/oauth1/callback/"
REQUEST_TOKEN = OAuth1RequestToken(token="request-token-abc", token_secret="request-secret-xyz")


def oauth_params(request):
    header = request.headers["authorization"]
    assert header.startswith("OAuth ")
    return {key: unquote(value) for key, value in re.findall(r'(\w+)="([^"]*)"', header)}


def form(text):
    return Canned(raw=text.encode(), content_type="application/x-www-form-urlencoded")


def request_token(endpoints, http):
    return fetch_oauth1_request_token(
        app=CONFIDENTIAL_APP, endpoints=endpoints, callback_url=CALLBACK, http=http
    )


def test_the_request_token_is_fetched_with_a_signed_callback(fake_x, endpoints, http):
    fake_x.on(
        "POST /oauth/request_token",
        form("oauth_token=rt&oauth_token_secret=rts&oauth_callback_confirmed=true"),
    )

    token = request_token(endpoints, http)

    assert (token.token, token.token_secret) == ("rt", "rts")
    (request,) = fake_x.requests
    params = oauth_params(request)
    assert params["oauth_callback"] == CALLBACK
    assert params["oauth_consumer_key"] == CONFIDENTIAL_APP.consumer_key
    assert params["oauth_signature_method"] == "HMAC-SHA1"
    assert "oauth_token" not in params
    assert request.query == {"x_auth_access_type": "read"}


@pytest.mark.parametrize(
    "body",
    [
        "oauth_token=rt&oauth_token_secret=rts",
        "oauth_token=rt&oauth_token_secret=rts&oauth_callback_confirmed=false",
    ],
)
def test_an_unconfirmed_callback_stops_the_flow(fake_x, endpoints, http, body):
    fake_x.on("POST /oauth/request_token", form(body))

    with pytest.raises(CallbackNotConfirmed) as raised:
        request_token(endpoints, http)

    assert raised.value.permanent is True
    assert isinstance(raised.value, OAuthFlowError)


def test_a_request_token_response_without_a_token_is_malformed(fake_x, endpoints, http):
    fake_x.on("POST /oauth/request_token", form("oauth_callback_confirmed=true"))

    with pytest.raises(MalformedResponse):
        request_token(endpoints, http)


@pytest.mark.parametrize("status", [HTTPStatus.UNAUTHORIZED, HTTPStatus.FORBIDDEN])
def test_a_refused_consumer_or_callback_is_client_rejected(fake_x, endpoints, http, status):
    body = {"errors": [{"code": 415, "message": "Callback URL not approved for this client App"}]}
    fake_x.on("POST /oauth/request_token", Canned(status=status, body=body))

    with pytest.raises(ClientRejected, match="Callback URL not approved"):
        request_token(endpoints, http)


def test_the_consent_urls_carry_the_request_token():
    endpoints = XEndpoints()

    authorize = build_oauth1_authorize_url(endpoints=endpoints, request_token=REQUEST_TOKEN)
    sign_in = build_oauth1_authorize_url(
        endpoints=endpoints, request_token=REQUEST_TOKEN, sign_in=True, force_login=True
    )

    assert authorize == "https://api.x.com/oauth/authorize?oauth_token=request-token-abc"
    assert urlsplit(sign_in).path == "/oauth/authenticate"
    assert parse_qs(urlsplit(sign_in).query) == {
        "oauth_token": ["request-token-abc"],
        "force_login": ["true"],
    }


def test_the_callback_yields_the_verifier_for_our_request_token():
    query = {"oauth_token": "request-token-abc", "oauth_verifier": "ver"}

    assert parse_oauth1_callback(query=query, expected_token="request-token-abc") == "ver"


@pytest.mark.parametrize(
    ("query", "error_class"),
    [
        ({"denied": "request-token-abc"}, AccessDenied),
        ({"oauth_token": "someone-elses", "oauth_verifier": "ver"}, StateMismatch),
        ({"oauth_token": "request-token-abc"}, OAuthFlowError),
    ],
)
def test_the_callback_refuses_what_this_session_did_not_start(query, error_class):
    with pytest.raises(error_class):
        parse_oauth1_callback(query=query, expected_token="request-token-abc")


def test_the_access_token_is_fetched_with_the_request_token_and_verifier(fake_x, endpoints, http):
    fake_x.on(
        "POST /oauth/access_token",
        form(
            "oauth_token=6253282-eWudHldSbIaelX7swmsiHImEL4KinwaGloHANdrY"
            "&oauth_token_secret=2EEfA6BG3ly3sR3RjE0IBSnlQu4ZrUzPiYKmrkVU"
            "&user_id=6253282&screen_name=xapi"
        ),
    )

    token = fetch_oauth1_access_token(
        app=CONFIDENTIAL_APP,
        endpoints=endpoints,
        request_token=REQUEST_TOKEN,
        verifier="ver",
        http=http,
    )

    assert (token.user_id, token.screen_name) == ("6253282", "xapi")
    assert token.token.startswith("6253282-")
    params = oauth_params(fake_x.requests[0])
    assert params["oauth_token"] == "request-token-abc"
    assert params["oauth_verifier"] == "ver"


def test_a_refused_verifier_is_code_rejected(fake_x, endpoints, http):
    fake_x.on("POST /oauth/access_token", Canned(status=HTTPStatus.UNAUTHORIZED, raw=b"Invalid"))

    with pytest.raises(CodeRejected):
        fetch_oauth1_access_token(
            app=CONFIDENTIAL_APP,
            endpoints=endpoints,
            request_token=REQUEST_TOKEN,
            verifier="wrong",
            http=http,
        )


def test_invalidating_signs_with_the_user_token(fake_x, endpoints, http):
    fake_x.on("POST /1.1/oauth/invalidate_token", Canned(body={"access_token": "user-token"}))

    invalidate_oauth1_token(
        app=CONFIDENTIAL_APP, endpoints=endpoints, token="user-token", token_secret="s", http=http
    )

    assert oauth_params(fake_x.requests[0])["oauth_token"] == "user-token"


def test_invalidating_a_dead_token_says_it_was_revoked(fake_x, endpoints, http):
    fake_x.on("POST /1.1/oauth/invalidate_token", Canned.sample("error_401_oauth1_invalid_token"))

    with pytest.raises(TokenRevoked):
        invalidate_oauth1_token(
            app=CONFIDENTIAL_APP, endpoints=endpoints, token="dead", token_secret="s", http=http
        )


def test_a_thousand_signed_requests_have_a_thousand_nonces():
    auth = OAuth1UserAuth(consumer_key="ck", consumer_secret="cs", token="tok", token_secret="ts")
    nonces = set()
    for _ in range(1000):
        prepared = requests.Request("GET", "https://api.x.com/2/users/me").prepare()
        signed = auth.request_auth()(prepared)
        header = signed.headers["Authorization"]
        header = header.decode() if isinstance(header, bytes) else header
        nonces.add(re.search(r'oauth_nonce="([^"]+)"', header).group(1))

    assert len(nonces) == 1000
