"""The caller supplies and refreshes OAuth 2.0 tokens; a 401 triggers one refresh and one retry."""

from http import HTTPStatus

import pytest

from tests.xapi.fake_x import Canned
from xapi import (
    Forbidden,
    MetricGroup,
    OAuth1UserAuth,
    OAuth2UserAuth,
    RefreshRejected,
    Unauthorized,
    XClient,
)

ME = {"data": {"id": "1", "username": "u", "name": "n"}}


class TokenStore:
    """Plays the accounts app: hands out the current token and refreshes on request."""

    def __init__(self):
        self.access_token = "token-1"
        self.reads = 0
        self.refreshes = 0

    def get_access_token(self):
        self.reads += 1
        return self.access_token

    def refresh(self):
        self.refreshes += 1
        self.access_token = f"token-{self.refreshes + 1}"
        return self.access_token


@pytest.fixture
def store():
    return TokenStore()


def client(endpoints, http, auth):
    return XClient(auth=auth, endpoints=endpoints, http=http)


def authorizations(fake_x):
    return [request.headers["authorization"] for request in fake_x.requests]


def test_the_access_token_is_asked_for_before_every_request(fake_x, endpoints, http, store):
    fake_x.on(
        "GET /2/users/1/tweets",
        Canned(body={"data": [{"id": "3", "text": "a"}], "meta": {"next_token": "p2"}}),
        Canned(body={"data": [{"id": "2", "text": "b"}], "meta": {}}),
    )
    auth = OAuth2UserAuth(get_access_token=store.get_access_token, refresh=store.refresh)

    with client(endpoints, http, auth) as x:
        pages = list(x.iter_timeline(user_id="1", metrics=MetricGroup.PUBLIC))

    assert len(pages) == 2
    assert store.reads == 2
    assert authorizations(fake_x) == ["Bearer token-1", "Bearer token-1"]


def test_a_401_refreshes_once_and_retries_once_with_the_new_token(fake_x, endpoints, http, store):
    fake_x.on(
        "GET /2/users/me",
        Canned.sample("error_401_unauthorized"),
        Canned(status=HTTPStatus.OK, body=ME),
    )
    auth = OAuth2UserAuth(get_access_token=store.get_access_token, refresh=store.refresh)

    with client(endpoints, http, auth) as x:
        user = x.get_me()

    assert user.id == "1"
    assert store.refreshes == 1
    assert authorizations(fake_x) == ["Bearer token-1", "Bearer token-2"]
    assert x.requests_sent == {"GET /2/users/me": 2}


def test_a_second_401_is_final(fake_x, endpoints, http, store):
    fake_x.on("GET /2/users/me", Canned.sample("error_401_unauthorized"))
    auth = OAuth2UserAuth(get_access_token=store.get_access_token, refresh=store.refresh)

    with client(endpoints, http, auth) as x, pytest.raises(Unauthorized) as raised:
        x.get_me()

    assert raised.value.permanent is True
    assert store.refreshes == 1
    assert len(fake_x.requests) == 2


def test_without_a_refresh_hook_a_401_is_final(fake_x, endpoints, http, store):
    fake_x.on("GET /2/users/me", Canned.sample("error_401_unauthorized"))
    auth = OAuth2UserAuth(get_access_token=store.get_access_token)

    with client(endpoints, http, auth) as x, pytest.raises(Unauthorized):
        x.get_me()

    assert len(fake_x.requests) == 1


def test_a_rejected_refresh_propagates_as_is(fake_x, endpoints, http, store):
    fake_x.on("GET /2/users/me", Canned.sample("error_401_unauthorized"))

    def refresh():
        raise RefreshRejected("HTTP 400 invalid_request", endpoint="POST /2/oauth2/token")

    auth = OAuth2UserAuth(get_access_token=store.get_access_token, refresh=refresh)

    with client(endpoints, http, auth) as x, pytest.raises(RefreshRejected):
        x.get_me()

    assert len(fake_x.requests) == 1


def test_other_errors_do_not_refresh(fake_x, endpoints, http, store):
    fake_x.on("GET /2/users/me", Canned.sample("error_403_unsupported_authentication"))
    auth = OAuth2UserAuth(get_access_token=store.get_access_token, refresh=store.refresh)

    with client(endpoints, http, auth) as x, pytest.raises(Forbidden):
        x.get_me()

    assert store.refreshes == 0


def test_oauth1_requests_are_signed_and_never_retried(fake_x, endpoints, http):
    fake_x.on("GET /2/users/me", Canned.sample("error_401_unauthorized"))
    auth = OAuth1UserAuth(consumer_key="ck", consumer_secret="cs", token="tok", token_secret="ts")

    with client(endpoints, http, auth) as x, pytest.raises(Unauthorized):
        x.get_me()

    (request,) = fake_x.requests
    assert request.headers["authorization"].startswith("OAuth ")
    assert 'oauth_signature_method="HMAC-SHA1"' in request.headers["authorization"]
    assert 'oauth_token="tok"' in request.headers["authorization"]
