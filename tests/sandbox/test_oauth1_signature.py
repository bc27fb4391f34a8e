"""OAuth 1.0a HMAC-SHA1 verification: X's documented example and the rules around it."""

import time
from dataclasses import replace

import pytest
import requests
from oauthlib.oauth1 import Client

from sandbox.oauth1 import SignedRequest, signature_matches
from tests.sandbox.flows import BRAND, DEMO
from tests.sandbox.openapi import assert_v1_errors

# docs.x.com "Creating a signature" (docs/x-api.md §4.1).
X_EXAMPLE = SignedRequest(
    method="POST",
    url="https://api.x.com/1.1/statuses/update.json",
    query="include_entities=true",
    form_body="status=Hello%20Ladies%20%2B%20Gentlemen%2C%20a%20signed%20OAuth%20request%21",
    authorization=(
        'OAuth oauth_consumer_key="xvz1evFS4wEEPTGEFPHBog", '
        'oauth_nonce="kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg", '
        'oauth_signature="Ls93hJiZbQ3akF3HF3x1Bz8%2FzU4%3D", '
        'oauth_signature_method="HMAC-SHA1", oauth_timestamp="1318622958", '
        'oauth_token="370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb", oauth_version="1.0"'
    ),
)
X_CONSUMER_SECRET = "kAcSOqF21Fu85e7zjz7ZN2U4ZRhfV3WpwPAoE3Z7kBw"
X_TOKEN_SECRET = "LswwdoUaIvS8ltyTt5jkRh4J50vUPVVHtR2YPi5kE"
X_BASE_STRING = (
    "POST&https%3A%2F%2Fapi.x.com%2F1.1%2Fstatuses%2Fupdate.json&include_entities%3Dtrue%26"
    "oauth_consumer_key%3Dxvz1evFS4wEEPTGEFPHBog%26oauth_nonce%3DkYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg"
    "%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D1318622958%26oauth_token%3D370773112-"
    "GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb%26oauth_version%3D1.0%26status%3DHello%2520Ladies%2520"
    "%252B%2520Gentlemen%252C%2520a%2520signed%2520OAuth%2520request%2521"
)


def test_it_builds_the_signature_base_string_of_xs_example():
    assert X_EXAMPLE.base_string() == X_BASE_STRING


def test_it_accepts_xs_documented_signature():
    assert signature_matches(X_EXAMPLE, X_CONSUMER_SECRET, X_TOKEN_SECRET)


@pytest.mark.parametrize(
    "tampered",
    [
        replace(X_EXAMPLE, form_body=X_EXAMPLE.form_body.replace("Hello", "Hellp")),
        replace(X_EXAMPLE, query="include_entities=truf"),
        replace(X_EXAMPLE, method="PUT"),
        replace(X_EXAMPLE, url="https://api.x.com/1.1/statuses/update.jsom"),
        replace(X_EXAMPLE, authorization=X_EXAMPLE.authorization.replace("Ls93", "Ls94")),
    ],
    ids=["body", "query", "method", "url", "signature"],
)
def test_it_rejects_xs_example_with_one_byte_changed(tampered):
    assert not signature_matches(tampered, X_CONSUMER_SECRET, X_TOKEN_SECRET)


def test_it_rejects_the_right_signature_under_the_wrong_secrets():
    assert not signature_matches(X_EXAMPLE, X_CONSUMER_SECRET, X_TOKEN_SECRET + "x")


# -- over HTTP ---------------------------------------------------------------------------------


def _signed_get(sandbox, token, path="/2/users/me", timestamp=None, nonce=None, secret=None):
    client = Client(
        DEMO.oauth1_consumer_key,
        client_secret=secret or DEMO.oauth1_consumer_secret,
        resource_owner_key=token["oauth_token"],
        resource_owner_secret=token["oauth_token_secret"],
        timestamp=str(timestamp or int(time.time())),
        nonce=nonce,
    )
    url, headers, _ = client.sign(sandbox.url(path))
    return requests.get(url, headers=headers)


def test_a_correctly_signed_request_is_answered(sandbox_clean):
    token = sandbox_clean.mint_token(BRAND, "oauth1")
    answer = _signed_get(sandbox_clean, token)
    assert answer.status_code == 200
    assert answer.json()["data"]["username"] == BRAND


def test_a_bad_signature_answers_code_32(sandbox_clean):
    token = sandbox_clean.mint_token(BRAND, "oauth1")
    answer = _signed_get(sandbox_clean, token, secret="not-the-consumer-secret")
    assert answer.status_code == 401
    assert answer.json() == {"errors": [{"code": 32, "message": "Could not authenticate you."}]}
    assert_v1_errors(answer.json())


def test_the_signature_covers_the_query(sandbox_clean):
    token = sandbox_clean.mint_token(BRAND, "oauth1")
    client = Client(
        DEMO.oauth1_consumer_key,
        client_secret=DEMO.oauth1_consumer_secret,
        resource_owner_key=token["oauth_token"],
        resource_owner_secret=token["oauth_token_secret"],
    )
    url, headers, _ = client.sign(sandbox_clean.url("/2/users/me?user.fields=created_at"))
    tampered = requests.get(url.replace("created_at", "description"), headers=headers)
    assert tampered.status_code == 401
    assert tampered.json()["errors"][0]["code"] == 32


def test_a_reused_nonce_answers_code_32(sandbox_clean):
    token = sandbox_clean.mint_token(BRAND, "oauth1")
    first = _signed_get(sandbox_clean, token, nonce="the-same-nonce-twice")
    second = _signed_get(sandbox_clean, token, nonce="the-same-nonce-twice")
    assert first.status_code == 200
    assert second.status_code == 401
    assert second.json()["errors"][0]["code"] == 32


@pytest.mark.parametrize("skew", [-301, 301, -3600])
def test_a_timestamp_more_than_five_minutes_off_answers_code_135(sandbox_clean, skew):
    token = sandbox_clean.mint_token(BRAND, "oauth1")
    answer = _signed_get(sandbox_clean, token, timestamp=int(time.time()) + skew)
    assert answer.status_code == 401
    assert answer.json() == {"errors": [{"code": 135, "message": "Timestamp out of bounds."}]}


def test_a_timestamp_within_five_minutes_is_accepted(sandbox_clean):
    token = sandbox_clean.mint_token(BRAND, "oauth1")
    assert _signed_get(sandbox_clean, token, timestamp=int(time.time()) - 240).status_code == 200


def test_an_unknown_access_token_answers_code_89(sandbox_clean):
    token = {"oauth_token": "123-unknown", "oauth_token_secret": "whatever"}
    answer = _signed_get(sandbox_clean, token)
    assert answer.status_code == 401
    assert answer.json() == {"errors": [{"code": 89, "message": "Invalid or expired token."}]}


def test_missing_oauth_parameters_answer_code_215(sandbox_clean):
    answer = requests.get(
        sandbox_clean.url("/2/users/me"), headers={"Authorization": 'OAuth oauth_consumer_key="x"'}
    )
    assert answer.status_code == 400
    assert answer.json()["errors"][0]["code"] == 215
