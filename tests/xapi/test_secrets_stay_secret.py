"""Reprs mask secrets to their last four characters; error messages never carry tokens."""

from datetime import UTC, datetime

import pytest

from tests.xapi.conftest import CONFIDENTIAL_APP
from tests.xapi.fake_x import Canned
from xapi import (
    AppOnlyAuth,
    OAuth1RequestToken,
    OAuth1Token,
    OAuth1UserAuth,
    OAuth2AuthorizationRequest,
    OAuth2Token,
    OAuth2UserAuth,
    RefreshRejected,
    Unauthorized,
    XApp,
    XClient,
    refresh_oauth2_token,
)

SECRET = "s3cr3t-value-that-must-not-leak-WXYZ"


@pytest.mark.parametrize(
    "record",
    [
        XApp(client_id="id", client_secret=SECRET, consumer_key="ck", consumer_secret=SECRET),
        OAuth2Token(access_token=SECRET, refresh_token=SECRET, expires_at=None, scopes=()),
        OAuth1Token(token=SECRET, token_secret=SECRET, user_id="1", screen_name="u"),
        OAuth1RequestToken(token=SECRET, token_secret=SECRET),
        OAuth2AuthorizationRequest(
            url="https://x.com/i/oauth2/authorize", state=SECRET, code_verifier=SECRET
        ),
        OAuth1UserAuth(
            consumer_key="ck", consumer_secret=SECRET, token=SECRET, token_secret=SECRET
        ),
        AppOnlyAuth(bearer_token=SECRET),
    ],
    ids=lambda record: type(record).__name__,
)
def test_reprs_show_only_the_last_four_characters(record):
    text = repr(record)

    assert SECRET not in text
    assert SECRET[:-4] not in text
    assert "WXYZ" in text


def test_short_secrets_are_masked_entirely():
    text = repr(OAuth2Token(access_token="short", refresh_token=None, expires_at=None, scopes=()))

    assert "short" not in text
    assert "refresh_token=None" in text


def test_a_token_record_still_compares_and_exposes_its_values():
    expires = datetime(2024, 1, 1, tzinfo=UTC)
    token = OAuth2Token(access_token=SECRET, refresh_token="r", expires_at=expires, scopes=())

    assert token.access_token == SECRET
    assert token == OAuth2Token(
        access_token=SECRET, refresh_token="r", expires_at=expires, scopes=()
    )


def test_a_401_message_does_not_quote_the_token(fake_x, endpoints, http):
    fake_x.on("GET /2/users/me", Canned.sample("error_401_unauthorized"))

    with (
        XClient(
            auth=OAuth2UserAuth(get_access_token=lambda: SECRET), endpoints=endpoints, http=http
        ) as client,
        pytest.raises(Unauthorized) as raised,
    ):
        client.get_me()

    assert SECRET not in str(raised.value)
    assert SECRET not in repr(raised.value)


def test_a_rejected_refresh_does_not_quote_the_refresh_token(
    fake_x, endpoints, http, plain_http_oauth2
):
    fake_x.on("POST /2/oauth2/token", Canned.sample("token_400_refresh_token_invalid"))

    with pytest.raises(RefreshRejected) as raised:
        refresh_oauth2_token(
            app=CONFIDENTIAL_APP, endpoints=endpoints, refresh_token=SECRET, http=http
        )

    assert SECRET not in str(raised.value)
    assert CONFIDENTIAL_APP.client_secret not in str(raised.value)
