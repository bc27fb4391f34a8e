"""Every error body of docs/x-api.md §2.8 maps to one exception class and its transient/permanent
bit."""

from datetime import UTC, datetime, timedelta
from http import HTTPStatus

import pytest

from tests.xapi.fake_x import Canned
from xapi import (
    ClientNotEnrolled,
    CreditsDepleted,
    Forbidden,
    InvalidRequest,
    MetricGroup,
    NotFound,
    OAuth1UserAuth,
    OAuth2UserAuth,
    RateLimited,
    ServerError,
    TokenRevoked,
    Unauthorized,
    UsageCapped,
    XClient,
    XError,
)

NOW = datetime(2024, 1, 16, 15, 0, tzinfo=UTC)

CASES = [
    ("error_400_invalid_request", InvalidRequest, True),
    ("error_401_unauthorized", Unauthorized, True),
    ("error_401_oauth1_invalid_token", TokenRevoked, True),
    ("error_402_credits_depleted", CreditsDepleted, True),
    ("error_403_unsupported_authentication", Forbidden, True),
    ("error_403_client_forbidden", ClientNotEnrolled, True),
    ("error_429_rate_limit_v2", RateLimited, False),
    ("error_429_rate_limit_v1", RateLimited, False),
    ("error_429_usage_cap", UsageCapped, True),
    ("error_503_service_unavailable", ServerError, False),
]


def lookup(endpoints, http):
    auth = OAuth2UserAuth(get_access_token=lambda: "access")
    with XClient(auth=auth, endpoints=endpoints, http=http, clock=lambda: NOW) as client:
        client.lookup_posts(ids=["20"], metrics=MetricGroup.PUBLIC)


@pytest.mark.parametrize(("sample", "error_class", "permanent"), CASES)
def test_each_error_body_maps_to_its_exception(
    fake_x, endpoints, http, sample, error_class, permanent
):
    fake_x.on("GET /2/tweets", Canned.sample(sample))

    with pytest.raises(error_class) as raised:
        lookup(endpoints, http)

    assert type(raised.value) is error_class
    assert raised.value.permanent is permanent
    assert raised.value.endpoint == "GET /2/tweets"


@pytest.mark.parametrize("status", [HTTPStatus.INTERNAL_SERVER_ERROR, HTTPStatus.BAD_GATEWAY, 504])
def test_5xx_without_a_json_body_is_a_transient_server_error(fake_x, endpoints, http, status):
    fake_x.on(
        "GET /2/tweets", Canned(status=status, raw=b"<html>oops</html>", content_type="text/html")
    )

    with pytest.raises(ServerError) as raised:
        lookup(endpoints, http)

    assert raised.value.permanent is False


def test_a_404_is_not_found(fake_x, endpoints, http):
    fake_x.on("GET /2/tweets/20", Canned(status=HTTPStatus.NOT_FOUND, body={"title": "Not Found"}))
    auth = OAuth2UserAuth(get_access_token=lambda: "access")

    with XClient(auth=auth, endpoints=endpoints, http=http) as client, pytest.raises(NotFound):
        client.get_post(post_id="20", metrics=MetricGroup.PUBLIC)


def test_a_rate_limit_carries_the_reset_time_from_the_header(fake_x, endpoints, http):
    fake_x.on("GET /2/tweets", Canned.sample("error_429_rate_limit_v2"))

    with pytest.raises(RateLimited) as raised:
        lookup(endpoints, http)

    assert raised.value.reset_at == datetime.fromtimestamp(1705420800, tz=UTC)
    assert raised.value.refused_before_sending is False


def test_a_rate_limit_without_a_reset_header_waits_a_whole_window(fake_x, endpoints, http):
    fake_x.on("GET /2/tweets", Canned.sample("error_429_rate_limit_v1"))

    with pytest.raises(RateLimited) as raised:
        lookup(endpoints, http)

    assert raised.value.reset_at == NOW + timedelta(minutes=15)


def test_a_usage_cap_carries_its_period_although_quota_remains(fake_x, endpoints, http):
    fake_x.on("GET /2/tweets", Canned.sample("error_429_usage_cap"))

    with pytest.raises(UsageCapped) as raised:
        lookup(endpoints, http)

    assert raised.value.period == "Monthly"
    assert raised.value.problem.type_suffix == "usage-capped"


def test_oauth1_code_89_is_a_revoked_token_and_still_an_unauthorized(fake_x, endpoints, http):
    fake_x.on("GET /2/users/me", Canned.sample("error_401_oauth1_invalid_token"))
    auth = OAuth1UserAuth(consumer_key="ck", consumer_secret="cs", token="t", token_secret="ts")

    with (
        XClient(auth=auth, endpoints=endpoints, http=http) as client,
        pytest.raises(Unauthorized) as raised,
    ):
        client.get_me()

    assert isinstance(raised.value, TokenRevoked)
    assert raised.value.problem.legacy_codes == (89,)
    assert len(fake_x.requests) == 1, "an OAuth 1.0a token cannot be refreshed, so no retry"


def test_every_error_is_an_xerror_with_a_readable_message(fake_x, endpoints, http):
    fake_x.on("GET /2/tweets", Canned.sample("error_403_unsupported_authentication"))

    with pytest.raises(XError) as raised:
        lookup(endpoints, http)

    assert str(raised.value).startswith("GET /2/tweets: HTTP 403 Unsupported Authentication")


def test_an_app_x_does_not_serve_says_what_to_fix_and_where(fake_x, endpoints, http):
    fake_x.on("GET /2/tweets", Canned.sample("error_403_client_forbidden"))

    with pytest.raises(ClientNotEnrolled) as raised:
        lookup(endpoints, http)

    advice = raised.value.advice()
    assert "Standard Basic" in advice
    assert "https://developer.twitter.com/en/account" in advice
    assert "will not help" in advice


def test_a_registration_link_outside_xs_developer_site_is_not_passed_on(fake_x, endpoints, http):
    body = {"title": "Client Forbidden", "reason": "client-not-enrolled",
            "registration_url": "https://evil.example/phish",
            "type": "https://api.twitter.com/2/problems/client-forbidden"}  # fmt: skip
    fake_x.on("GET /2/tweets", Canned(status=HTTPStatus.FORBIDDEN, body=body))

    with pytest.raises(ClientNotEnrolled) as raised:
        lookup(endpoints, http)

    assert raised.value.registration_url is None
    assert "evil.example" not in raised.value.advice()
