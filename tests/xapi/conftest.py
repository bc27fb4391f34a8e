import pytest

from tests.xapi.fake_x import FakeX
from xapi import HttpSettings, OAuth2UserAuth, XApp, XClient, XEndpoints

CONFIDENTIAL_APP = XApp(
    client_id="test-client-id",
    client_secret="test-client-secret-0123456789",
    consumer_key="test-consumer-key",
    consumer_secret="test-consumer-secret-0123456789",
)
PUBLIC_APP = XApp(
    client_id="test-public-client-id",
    client_secret=None,
    consumer_key="test-consumer-key",
    consumer_secret="test-consumer-secret-0123456789",
)


@pytest.fixture
def fake_x():
    server = FakeX()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def endpoints(fake_x) -> XEndpoints:
    return XEndpoints.under_one_base(fake_x.base_url)


@pytest.fixture
def http() -> HttpSettings:
    return HttpSettings(user_agent="Quartile-tests/1", connect_timeout=2, read_timeout=2)


@pytest.fixture
def client(endpoints, http):
    """A client of the fake X with a fixed user token (modules that need another define theirs)."""
    with XClient(
        auth=OAuth2UserAuth(get_access_token=lambda: "a"), endpoints=endpoints, http=http
    ) as x:
        yield x


@pytest.fixture
def plain_http_oauth2(monkeypatch):
    """oauthlib refuses http:// OAuth 2.0 URLs unless this variable is set (local servers)."""
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
