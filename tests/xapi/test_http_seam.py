"""Every request has a timeout and our User-Agent; transport failures become transient errors."""

import socket
from http import HTTPStatus

import pytest
import requests
from requests.adapters import HTTPAdapter

from tests.xapi.conftest import CONFIDENTIAL_APP
from tests.xapi.fake_x import Canned, load_sample
from xapi import (
    ConnectionFailed,
    HttpSettings,
    MalformedResponse,
    MetricGroup,
    OAuth2UserAuth,
    Timeout,
    XClient,
    XEndpoints,
    XError,
    exchange_oauth2_code,
    fetch_oauth1_access_token,
    fetch_oauth1_request_token,
    invalidate_oauth1_token,
    refresh_oauth2_token,
    revoke_oauth2_token,
)

TOKEN_BODY = load_sample("token_200_oauth2")["body"]


@pytest.fixture
def sent(monkeypatch):
    """What reached the transport adapter: fails the test on a request without a timeout."""
    seen = []
    original_send = HTTPAdapter.send

    def checking_send(self, request, *args, **kwargs):
        assert kwargs.get("timeout") is not None, f"no timeout on {request.method} {request.url}"
        seen.append(kwargs["timeout"])
        return original_send(self, request, *args, **kwargs)

    monkeypatch.setattr(HTTPAdapter, "send", checking_send)
    return seen


def client(endpoints, http):
    return XClient(
        auth=OAuth2UserAuth(get_access_token=lambda: "access"), endpoints=endpoints, http=http
    )


def test_every_call_sends_a_timeout_and_our_user_agent(
    fake_x, endpoints, http, sent, plain_http_oauth2
):
    fake_x.on("GET /2/users/me", Canned(body={"data": {"id": "1", "name": "n", "username": "u"}}))
    fake_x.on("GET /2/tweets", Canned(body={"data": [{"id": "2", "text": "t"}]}))
    fake_x.on("GET /2/users/1/tweets", Canned(body={"data": [], "meta": {"result_count": 0}}))
    fake_x.on("POST /2/oauth2/token", Canned(body=TOKEN_BODY))
    fake_x.on("POST /2/oauth2/revoke", Canned(body={"revoked": True}))
    fake_x.on(
        "POST /oauth/request_token",
        Canned(raw=b"oauth_token=r&oauth_token_secret=s&oauth_callback_confirmed=true"),
    )
    fake_x.on(
        "POST /oauth/access_token",
        Canned(raw=b"oauth_token=a&oauth_token_secret=b&user_id=1&screen_name=u"),
    )
    fake_x.on("POST /1.1/oauth/invalidate_token", Canned(body={"access_token": "a"}))
    app = CONFIDENTIAL_APP

    with client(endpoints, http) as x:
        x.get_me()
        x.lookup_posts(ids=["2"], metrics=MetricGroup.PUBLIC)
        list(x.iter_timeline(user_id="1", metrics=MetricGroup.PUBLIC))
    exchange_oauth2_code(
        app=app,
        endpoints=endpoints,
        redirect_uri="http://127.0.0.1/cb",
        code="c",
        code_verifier="v" * 43,
        http=http,
    )
    refresh_oauth2_token(app=app, endpoints=endpoints, refresh_token="r", http=http)
    revoke_oauth2_token(
        app=app, endpoints=endpoints, token="a", token_type_hint="access_token", http=http
    )
    request_token = fetch_oauth1_request_token(
        app=app, endpoints=endpoints, callback_url="http://127.0.0.1/cb1", http=http
    )
    fetch_oauth1_access_token(
        app=app, endpoints=endpoints, request_token=request_token, verifier="v", http=http
    )
    invalidate_oauth1_token(app=app, endpoints=endpoints, token="a", token_secret="b", http=http)

    assert sent == [(2, 2)] * 9
    assert [request.headers["user-agent"] for request in fake_x.requests] == [
        "Quartile-tests/1"
    ] * 9


def test_the_default_settings_set_a_timeout_too(fake_x, endpoints, sent):
    fake_x.on("GET /2/users/me", Canned(body={"data": {"id": "1", "name": "n", "username": "u"}}))

    with client(endpoints, HttpSettings()) as x:
        x.get_me()

    assert sent == [(HttpSettings().connect_timeout, HttpSettings().read_timeout)]
    assert fake_x.requests[0].headers["user-agent"] == HttpSettings().user_agent


def test_a_hang_becomes_a_transient_timeout(fake_x, endpoints):
    fake_x.on("GET /2/users/me", Canned(behaviour="hang"))
    quick = HttpSettings(connect_timeout=1, read_timeout=0.2)

    with client(endpoints, quick) as x, pytest.raises(Timeout) as raised:
        x.get_me()

    assert raised.value.permanent is False
    assert not isinstance(raised.value, requests.RequestException)


def test_a_connection_reset_becomes_a_transient_connection_failure(fake_x, endpoints, http):
    fake_x.on("GET /2/users/me", Canned(behaviour="reset"))

    with client(endpoints, http) as x, pytest.raises(ConnectionFailed) as raised:
        x.get_me()

    assert raised.value.permanent is False


def test_a_refused_connection_becomes_a_transient_connection_failure(http):
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    endpoints = XEndpoints.under_one_base(f"http://127.0.0.1:{port}")

    with client(endpoints, http) as x, pytest.raises(ConnectionFailed) as raised:
        x.get_me()

    assert raised.value.permanent is False


@pytest.mark.parametrize("payload", [b'{"data": [{"id": "1", "te', b"", b"<html></html>"])
def test_malformed_json_becomes_a_transient_malformed_response(fake_x, endpoints, http, payload):
    fake_x.on("GET /2/tweets", Canned(raw=payload))

    with client(endpoints, http) as x, pytest.raises(MalformedResponse) as raised:
        x.lookup_posts(ids=["1"], metrics=MetricGroup.PUBLIC)

    assert raised.value.permanent is False


def test_a_post_without_an_id_is_a_malformed_response(fake_x, endpoints, http):
    fake_x.on("GET /2/tweets", Canned(body={"data": [{"text": "no id"}]}))

    with client(endpoints, http) as x, pytest.raises(MalformedResponse):
        x.lookup_posts(ids=["1"], metrics=MetricGroup.PUBLIC)


def test_a_redirect_is_not_followed(fake_x, endpoints, http):
    fake_x.on(
        "GET /2/users/me",
        Canned(status=HTTPStatus.FOUND, headers={"Location": "http://127.0.0.1:1/elsewhere"}),
    )

    with client(endpoints, http) as x, pytest.raises(MalformedResponse):
        x.get_me()

    assert len(fake_x.requests) == 1


@pytest.mark.parametrize("behaviour", ["hang", "reset"])
def test_no_requests_exception_escapes_the_oauth_flows(
    fake_x, endpoints, plain_http_oauth2, behaviour
):
    fake_x.on("POST /2/oauth2/token", Canned(behaviour=behaviour))
    fake_x.on("POST /oauth/request_token", Canned(behaviour=behaviour))
    quick = HttpSettings(connect_timeout=1, read_timeout=0.2)

    with pytest.raises(XError) as refreshing:
        refresh_oauth2_token(
            app=CONFIDENTIAL_APP, endpoints=endpoints, refresh_token="r", http=quick
        )
    with pytest.raises(XError) as requesting:
        fetch_oauth1_request_token(
            app=CONFIDENTIAL_APP, endpoints=endpoints, callback_url="http://cb", http=quick
        )

    for raised in (refreshing, requesting):
        assert type(raised.value) in (Timeout, ConnectionFailed)
        assert raised.value.permanent is False
