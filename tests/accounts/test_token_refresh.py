"""OAuth 2.0 tokens are refreshed before they expire, one refresh per account at a time, with
the rotated tokens committed before use; a refused refresh or a 401 marks the account for
reconnecting."""

import threading
from datetime import timedelta

import pytest
import requests
from django.db import connection
from django.utils import timezone

import xapi
from accounts import credentials
from accounts.models import XAccount, XCredential
from tests.connecting import connected_account, requests_to


def _expire_soon(account: XAccount) -> None:
    XCredential.objects.filter(account=account).update(
        expires_at=timezone.now() + timedelta(minutes=4)
    )


def _revoke_at_x(credential: XCredential, hint: str) -> None:
    xapi.revoke_oauth2_token(
        app=credentials.x_app(),
        endpoints=credentials.x_endpoints(),
        token=getattr(credential, hint).reveal(),
        token_type_hint=hint,
    )


def _refresh_is_refused_at_x(sandbox, refresh_token: str) -> bool:
    answer = requests.post(
        f"{sandbox.base_url}/2/oauth2/token",
        data={"grant_type": "refresh_token", "refresh_token": refresh_token},
        auth=("quartile-demo-client", "quartile-demo-client-secret"),
        timeout=5,
    )
    return answer.status_code == 400 and answer.json()["error"] == "invalid_request"


@pytest.mark.django_db
def test_a_token_expiring_within_five_minutes_is_refreshed_and_rotated(
    x_sandbox, client_for, team, admin
):
    account = connected_account(client_for(admin), team)
    before = XCredential.objects.get(account=account)
    old_access, old_refresh = before.access_token.reveal(), before.refresh_token.reveal()
    _expire_soon(account)

    token = credentials.credential_access_token(account_id=account.pk)

    after = XCredential.objects.get(account=account)
    assert token == after.access_token.reveal() != old_access
    assert after.refresh_token.reveal() != old_refresh
    assert after.version == before.version + 1
    assert after.expires_at > timezone.now() + timedelta(minutes=100)
    assert _refresh_is_refused_at_x(x_sandbox, old_refresh)


@pytest.mark.django_db
def test_a_fresh_token_is_used_as_it_is(x_sandbox, client_for, team, admin):
    account = connected_account(client_for(admin), team)
    token = credentials.credential_access_token(account_id=account.pk)
    assert token == XCredential.objects.get(account=account).access_token.reveal()
    assert requests_to(x_sandbox, "POST", "/2/oauth2/token") == 1  # the code exchange only


@pytest.mark.django_db
def test_a_401_refreshes_once_and_retries(x_sandbox, client_for, team, admin):
    account = connected_account(client_for(admin), team)
    credential = XCredential.objects.get(account=account)
    _revoke_at_x(credential, "access_token")  # the refresh token still works

    with credentials.client_for(account) as client:
        assert client.get_me().username == account.username

    account.refresh_from_db()
    assert account.status == XAccount.Status.ACTIVE
    assert XCredential.objects.get(account=account).version == credential.version + 1


@pytest.mark.django_db
def test_a_refused_refresh_marks_the_account_needs_reauth(x_sandbox, client_for, team, admin):
    account = connected_account(client_for(admin), team)
    credential = XCredential.objects.get(account=account)
    _revoke_at_x(credential, "refresh_token")  # ends the whole grant
    _expire_soon(account)

    with pytest.raises(xapi.RefreshRejected):
        credentials.credential_access_token(account_id=account.pk)

    account.refresh_from_db()
    assert account.status == XAccount.Status.NEEDS_REAUTH
    assert "refresh" in account.last_error


@pytest.mark.django_db
def test_a_401_whose_refresh_is_refused_marks_the_account_needs_reauth(
    x_sandbox, client_for, team, admin
):
    account = connected_account(client_for(admin), team)
    x_sandbox.fault("revoked", count=5)  # X now answers 401 to this token and to its refresh

    with pytest.raises(xapi.Unauthorized), credentials.client_for(account) as client:
        client.get_me()

    account.refresh_from_db()
    assert account.status == XAccount.Status.NEEDS_REAUTH


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_ten_concurrent_callers_make_exactly_one_refresh(x_sandbox, client_for, team, admin):
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL (set DATABASE_URL)")
    account = connected_account(client_for(admin), team)
    _expire_soon(account)
    token_requests_before = requests_to(x_sandbox, "POST", "/2/oauth2/token")
    barrier = threading.Barrier(10)
    results, errors = [], []

    def caller():
        try:
            barrier.wait()
            results.append(credentials.credential_access_token(account_id=account.pk))
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=caller) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert requests_to(x_sandbox, "POST", "/2/oauth2/token") - token_requests_before == 1
    final = XCredential.objects.get(account=account).access_token.reveal()
    assert results == [final] * 10
    account.refresh_from_db()
    assert account.status == XAccount.Status.ACTIVE


@pytest.mark.django_db
def test_a_crash_between_rotation_and_commit_ends_in_reconnect_not_a_retry_loop(
    x_sandbox, client_for, team, admin, monkeypatch
):
    account = connected_account(client_for(admin), team)
    _expire_soon(account)
    original_save = XCredential.save

    def crash(self, *args, **kwargs):
        raise RuntimeError("the worker died before the commit")

    # X rotates the tokens, then the process dies before storing them.
    monkeypatch.setattr(XCredential, "save", crash)
    with pytest.raises(RuntimeError):
        credentials.credential_access_token(account_id=account.pk)
    monkeypatch.setattr(XCredential, "save", original_save)
    token_requests = requests_to(x_sandbox, "POST", "/2/oauth2/token")

    with pytest.raises(xapi.RefreshRejected):
        credentials.credential_access_token(account_id=account.pk)

    account.refresh_from_db()
    assert account.status == XAccount.Status.NEEDS_REAUTH
    assert requests_to(x_sandbox, "POST", "/2/oauth2/token") == token_requests + 1
