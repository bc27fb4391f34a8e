"""Injected faults: the next N matching requests fail the way X fails."""

import time

import pytest
import requests

from tests.sandbox.flows import BRAND, bearer, oauth1_auth
from tests.sandbox.openapi import assert_problem, assert_v1_errors, assert_valid


@pytest.fixture
def me(sandbox_clean):
    token = sandbox_clean.mint_token(BRAND)
    return lambda: requests.get(sandbox_clean.url("/2/users/me"), headers=bearer(token), timeout=5)


def test_503_answers_xs_service_unavailable_body(sandbox_clean, me):
    sandbox_clean.fault("503")
    answer = me()
    assert answer.status_code == 503
    assert answer.json() == {
        "title": "Service Unavailable",
        "detail": "Service Unavailable",
        "type": "about:blank",
        "status": 503,
    }
    assert_problem(answer.json())
    assert me().status_code == 200


def test_500_answers_a_server_error(sandbox_clean, me):
    sandbox_clean.fault("500")
    answer = me()
    assert answer.status_code == 500
    assert_problem(answer.json())


def test_a_fault_applies_to_the_next_n_requests_only(sandbox_clean, me):
    sandbox_clean.fault("503", count=2)
    assert [me().status_code for _ in range(3)] == [503, 503, 200]


def test_a_fault_can_target_a_path_prefix(sandbox_clean, me):
    sandbox_clean.fault("503", path="/2/tweets")
    assert me().status_code == 200
    answer = requests.get(
        sandbox_clean.url("/2/tweets/1"), headers=bearer(sandbox_clean.mint_token(BRAND))
    )
    assert answer.status_code == 503


def test_the_control_api_is_never_faulted(sandbox_clean, me):
    sandbox_clean.fault("503")
    assert requests.get(sandbox_clean.url("/_sandbox/users")).status_code == 200
    assert me().status_code == 503


def test_hang_sleeps_then_answers_normally(sandbox_clean, me):
    sandbox_clean.fault("hang", seconds=0.3)
    started = time.monotonic()
    assert me().status_code == 200
    assert time.monotonic() - started >= 0.3


def test_a_hang_longer_than_the_clients_timeout_is_a_timeout(sandbox_clean):
    sandbox_clean.fault("hang", seconds=1)
    token = sandbox_clean.mint_token(BRAND)
    with pytest.raises(requests.Timeout):
        requests.get(sandbox_clean.url("/2/users/me"), headers=bearer(token), timeout=0.2)


def test_malformed_json_answers_200_with_a_truncated_body(sandbox_clean, me):
    sandbox_clean.fault("malformed_json")
    answer = me()
    assert answer.status_code == 200
    assert answer.text.startswith('{"data":')
    with pytest.raises(ValueError):
        answer.json()


def test_reset_closes_the_connection_without_an_answer(sandbox_clean, me):
    sandbox_clean.fault("reset")
    with pytest.raises(requests.ConnectionError):
        me()
    assert me().status_code == 200


def test_429_answers_the_v2_body_with_no_requests_remaining(sandbox_clean, me):
    sandbox_clean.fault("429")
    answer = me()
    assert answer.status_code == 429
    assert answer.json() == {
        "title": "Too Many Requests",
        "type": "about:blank",
        "status": 429,
        "detail": "Too Many Requests",
    }
    assert answer.headers["x-rate-limit-remaining"] == "0"
    assert int(answer.headers["x-rate-limit-reset"]) > time.time()


def test_429_v1_answers_code_88(sandbox_clean, me):
    sandbox_clean.fault("429_v1")
    answer = me()
    assert answer.status_code == 429
    assert answer.json() == {"errors": [{"code": 88, "message": "Rate limit exceeded"}]}
    assert_v1_errors(answer.json())


def test_usage_cap_answers_usage_cap_exceeded(sandbox_clean, me):
    sandbox_clean.fault("usage_cap")
    answer = me()
    assert answer.status_code == 429
    body = answer.json()
    assert body["title"] == "UsageCapExceeded"
    assert body["type"] == "https://api.twitter.com/2/problems/usage-capped"
    assert body["period"] == "Monthly" and body["scope"] == "Product"
    assert_problem(body)
    # As X's do: the rate-limit headers show quota left; only the body says stop.
    assert int(answer.headers["x-rate-limit-remaining"]) > 0


def test_credits_depleted_answers_402(sandbox_clean, me):
    sandbox_clean.fault("credits_depleted")
    answer = me()
    assert answer.status_code == 402
    body = answer.json()
    assert body["title"] == "CreditsDepleted"
    assert "does not have any credits to fulfill this request." in body["detail"]
    assert_valid(body, "Problem")


def test_client_forbidden_answers_403_client_not_enrolled(sandbox_clean, me):
    sandbox_clean.fault("client_forbidden")
    answer = me()
    assert answer.status_code == 403
    body = answer.json()
    assert (body["title"], body["reason"]) == ("Client Forbidden", "client-not-enrolled")
    assert body["type"] == "https://api.x.com/2/problems/client-forbidden"
    assert body["registration_url"].startswith("https://developer.x.com/")
    assert_valid(body, "Problem")
    assert me().status_code == 200  # one request only


def test_revoked_answers_401_as_for_a_revoked_token(sandbox_clean, me):
    sandbox_clean.fault("revoked", count=2)
    answer = me()
    assert answer.status_code == 401
    assert answer.json() == {
        "title": "Unauthorized",
        "type": "about:blank",
        "status": 401,
        "detail": "Unauthorized",
    }
    token = sandbox_clean.mint_token(BRAND, "oauth1")
    oauth1 = requests.get(sandbox_clean.url("/2/users/me"), auth=oauth1_auth(token))
    assert oauth1.json() == {"errors": [{"code": 89, "message": "Invalid or expired token."}]}


def test_clearing_faults_cancels_the_pending_ones(sandbox_clean, me):
    sandbox_clean.fault("503", count=5)
    sandbox_clean.clear_faults()
    assert me().status_code == 200


def test_an_unknown_fault_kind_is_refused(sandbox_clean):
    answer = requests.post(sandbox_clean.url("/_sandbox/faults"), json={"kind": "teapot"})
    assert answer.status_code == 400
    assert "kind must be one of" in answer.json()["error"]


def test_every_answer_but_a_401_names_the_access_level(sandbox_clean, me):
    assert me().headers["x-access-level"] == "read"
    sandbox_clean.fault("revoked")
    assert "x-access-level" not in me().headers
