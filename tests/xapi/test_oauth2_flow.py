"""OAuth 2.0 with PKCE: the authorize URL, the callback, and the token endpoint calls."""

import base64
import hashlib
import re
from datetime import UTC, datetime, timedelta
from http import HTTPStatus
from urllib.parse import parse_qs, urlsplit

import pytest
from oauthlib.oauth2 import WebApplicationClient

from tests.xapi.conftest import CONFIDENTIAL_APP, PUBLIC_APP
from tests.xapi.fake_x import Canned, load_sample
from xapi import (
    OAUTH2_SCOPES,
    AccessDenied,
    ClientRejected,
    CodeRejected,
    OAuthFlowError,
    RefreshRejected,
    ServerError,
    StateMismatch,
    Unauthorized,
    XEndpoints,
    build_oauth2_authorization,
    exchange_oauth2_code,
    parse_oauth2_callback,
    refresh_oauth2_token,
    revoke_oauth2_token,
)

REDIRECT_URI = "https://quartile.example/accounts/x/callback/"
TOKEN_ROUTE = "POST /2/oauth2/token"
VERIFIER_CHARACTERS = re.compile(r"[A-Za-z0-9\-._~]{43,128}")


def basic(client_id, client_secret):
    return "Basic " + base64.b64encode(f"{client_id}:{client_secret}".encode()).decode()


def authorize_query(request):
    return {key: values[0] for key, values in parse_qs(urlsplit(request.url).query).items()}


def test_the_authorize_url_asks_x_for_s256_pkce_state_and_our_scopes():
    request = build_oauth2_authorization(
        app=CONFIDENTIAL_APP, endpoints=XEndpoints(), redirect_uri=REDIRECT_URI
    )

    assert request.url.startswith("https://x.com/i/oauth2/authorize?")
    query = authorize_query(request)
    assert query["response_type"] == "code"
    assert query["client_id"] == CONFIDENTIAL_APP.client_id
    assert query["redirect_uri"] == REDIRECT_URI
    assert query["scope"].split() == ["tweet.read", "users.read", "offline.access"]
    assert query["state"] == request.state
    assert query["code_challenge_method"] == "S256"
    assert VERIFIER_CHARACTERS.fullmatch(request.code_verifier)
    expected = hashlib.sha256(request.code_verifier.encode()).digest()
    assert query["code_challenge"] == base64.urlsafe_b64encode(expected).rstrip(b"=").decode()
    assert "code_verifier" not in query


def test_each_authorization_gets_its_own_state_and_verifier():
    requests = [
        build_oauth2_authorization(
            app=CONFIDENTIAL_APP, endpoints=XEndpoints(), redirect_uri=REDIRECT_URI
        )
        for _ in range(20)
    ]

    assert len({request.state for request in requests}) == 20
    assert len({request.code_verifier for request in requests}) == 20


def test_the_pkce_function_in_use_matches_rfc_7636_appendix_b():
    # requests-oauthlib's pkce="S256" derives the challenge with this oauthlib method.
    challenge = WebApplicationClient(None).create_code_challenge(
        "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk", "S256"
    )

    assert challenge == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


def test_plain_http_is_refused_unless_oauthlib_is_told_otherwise(monkeypatch):
    monkeypatch.delenv("OAUTHLIB_INSECURE_TRANSPORT", raising=False)

    with pytest.raises(ValueError, match="OAUTHLIB_INSECURE_TRANSPORT"):
        build_oauth2_authorization(
            app=CONFIDENTIAL_APP,
            endpoints=XEndpoints.under_one_base("http://127.0.0.1:8765"),
            redirect_uri=REDIRECT_URI,
        )


def test_the_callback_yields_the_code_when_the_state_matches():
    code = parse_oauth2_callback(query={"state": "s1", "code": "c1"}, expected_state="s1")

    assert code == "c1"


@pytest.mark.parametrize(
    ("query", "error_class"),
    [
        ({"state": "forged", "code": "c1"}, StateMismatch),
        ({"code": "c1"}, StateMismatch),
        ({"state": "s1", "error": "access_denied"}, AccessDenied),
        ({"state": "s1", "error": "server_error"}, OAuthFlowError),
        ({"state": "s1"}, OAuthFlowError),
    ],
)
def test_the_callback_refuses_what_this_session_did_not_start(query, error_class):
    with pytest.raises(error_class) as raised:
        parse_oauth2_callback(query=query, expected_state="s1")

    assert raised.value.permanent is True


def test_a_confidential_client_exchanges_the_code_with_basic_auth_and_the_verifier(
    fake_x, endpoints, http, plain_http_oauth2
):
    fake_x.on(TOKEN_ROUTE, Canned.sample("token_200_oauth2"))
    before = datetime.now(UTC)

    token = exchange_oauth2_code(
        app=CONFIDENTIAL_APP,
        endpoints=endpoints,
        redirect_uri=REDIRECT_URI,
        code="the-code",
        code_verifier="v" * 43,
        http=http,
    )

    (request,) = fake_x.requests
    assert request.headers["authorization"] == basic(
        CONFIDENTIAL_APP.client_id, CONFIDENTIAL_APP.client_secret
    )
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    assert request.form == {
        "grant_type": "authorization_code",
        "code": "the-code",
        "redirect_uri": REDIRECT_URI,
        "code_verifier": "v" * 43,
    }
    body = load_sample("token_200_oauth2")["body"]
    assert token.access_token == body["access_token"]
    assert token.refresh_token == body["refresh_token"]
    assert token.scopes == OAUTH2_SCOPES
    assert before + timedelta(seconds=7200) <= token.expires_at
    assert token.expires_at <= datetime.now(UTC) + timedelta(seconds=7200)


def test_a_public_client_sends_its_client_id_in_the_body_and_no_basic_auth(
    fake_x, endpoints, http, plain_http_oauth2
):
    fake_x.on(TOKEN_ROUTE, Canned.sample("token_200_oauth2"))

    exchange_oauth2_code(
        app=PUBLIC_APP,
        endpoints=endpoints,
        redirect_uri=REDIRECT_URI,
        code="the-code",
        code_verifier="v" * 43,
        http=http,
    )

    (request,) = fake_x.requests
    assert "authorization" not in request.headers
    assert request.form["client_id"] == PUBLIC_APP.client_id
    assert request.form["code_verifier"] == "v" * 43
    assert "client_secret" not in request.form


@pytest.mark.parametrize("sample", ["token_400_code_invalid", "token_400_code_verifier_mismatch"])
def test_a_refused_code_or_verifier_is_code_rejected(
    fake_x, endpoints, http, plain_http_oauth2, sample
):
    fake_x.on(TOKEN_ROUTE, Canned.sample(sample))

    with pytest.raises(CodeRejected) as raised:
        exchange_oauth2_code(
            app=CONFIDENTIAL_APP,
            endpoints=endpoints,
            redirect_uri=REDIRECT_URI,
            code="old-code",
            code_verifier="v" * 43,
            http=http,
        )

    assert load_sample(sample)["body"]["error_description"] in str(raised.value)


def test_a_refused_client_is_client_rejected(fake_x, endpoints, http, plain_http_oauth2):
    fake_x.on(TOKEN_ROUTE, Canned.sample("token_401_unauthorized_client"))

    with pytest.raises(ClientRejected):
        refresh_oauth2_token(
            app=CONFIDENTIAL_APP, endpoints=endpoints, refresh_token="r", http=http
        )


def test_a_confidential_refresh_sends_basic_auth(fake_x, endpoints, http, plain_http_oauth2):
    fake_x.on(TOKEN_ROUTE, Canned.sample("token_200_oauth2"))

    token = refresh_oauth2_token(
        app=CONFIDENTIAL_APP, endpoints=endpoints, refresh_token="old-refresh", http=http
    )

    (request,) = fake_x.requests
    assert request.headers["authorization"] == basic(
        CONFIDENTIAL_APP.client_id, CONFIDENTIAL_APP.client_secret
    )
    assert request.form == {"grant_type": "refresh_token", "refresh_token": "old-refresh"}
    assert token.refresh_token == load_sample("token_200_oauth2")["body"]["refresh_token"]


def test_a_public_refresh_sends_the_client_id(fake_x, endpoints, http, plain_http_oauth2):
    fake_x.on(TOKEN_ROUTE, Canned.sample("token_200_oauth2"))

    refresh_oauth2_token(app=PUBLIC_APP, endpoints=endpoints, refresh_token="r", http=http)

    (request,) = fake_x.requests
    assert "authorization" not in request.headers
    assert request.form["client_id"] == PUBLIC_APP.client_id


def test_a_spent_refresh_token_is_refresh_rejected_a_kind_of_unauthorized(
    fake_x, endpoints, http, plain_http_oauth2
):
    fake_x.on(TOKEN_ROUTE, Canned.sample("token_400_refresh_token_invalid"))

    with pytest.raises(RefreshRejected) as raised:
        refresh_oauth2_token(
            app=CONFIDENTIAL_APP, endpoints=endpoints, refresh_token="rotated", http=http
        )

    assert isinstance(raised.value, Unauthorized)
    assert raised.value.permanent is True


def test_a_token_endpoint_outage_is_transient(fake_x, endpoints, http, plain_http_oauth2):
    fake_x.on(TOKEN_ROUTE, Canned.sample("error_503_service_unavailable"))

    with pytest.raises(ServerError) as raised:
        refresh_oauth2_token(
            app=CONFIDENTIAL_APP, endpoints=endpoints, refresh_token="r", http=http
        )

    assert raised.value.permanent is False


def test_revoke_posts_the_token_with_client_authentication(fake_x, endpoints, http):
    fake_x.on("POST /2/oauth2/revoke", Canned(status=HTTPStatus.OK, body={"revoked": True}))

    revoked = revoke_oauth2_token(
        app=CONFIDENTIAL_APP,
        endpoints=endpoints,
        token="refresh-1",
        token_type_hint="refresh_token",
        http=http,
    )

    assert revoked is True
    (request,) = fake_x.requests
    assert request.form == {"token": "refresh-1", "token_type_hint": "refresh_token"}
    assert request.headers["authorization"].startswith("Basic ")
