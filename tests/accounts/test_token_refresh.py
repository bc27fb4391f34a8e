"""OAuth 2.0 tokens are refreshed before they expire, one refresh per account at a time, with
the rotated tokens committed before use; a refused refresh or a 401 marks the account for
reconnecting. A sync holds one credential, read once, that refreshes itself."""

import threading
from datetime import timedelta

import pytest
import requests
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

import xapi
from accounts import credentials
from accounts.models import XAccount, XCredential
from metrics.models import SyncRun
from tests.connecting import SMALL, connected_account, requests_to
from tests.metrics.syncing import run_sync


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


def _credential_queries(captured: CaptureQueriesContext) -> list[str]:
    """The SQL of the captured queries that touch the credential table, in order."""
    table = XCredential._meta.db_table
    return [q["sql"] for q in captured.captured_queries if table in q["sql"]]


def _kinds(queries: list[str]) -> list[str]:
    """Each query as SELECT, LOCK (SELECT … FOR UPDATE) or UPDATE."""
    kinds = []
    for sql in queries:
        verb = sql.lstrip().split(None, 1)[0].upper()
        kinds.append("LOCK" if verb == "SELECT" and "FOR UPDATE" in sql.upper() else verb)
    return kinds


# What a refresh costs: the locked read, and the update when it refreshes ("SELECT" on SQLite,
# which has no row locks and ignores select_for_update).
LOCKED_READ = "LOCK" if connection.vendor == "postgresql" else "SELECT"


def _holder(account: XAccount) -> xapi.XClient:
    """A client as a sync makes one: from the account loaded with its credential."""
    loaded = XAccount.objects.select_related("credential").get(pk=account.pk)
    return credentials.client_for(loaded)


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


# One credential per sync: read once, refreshing itself.


def _sync_counting_credential_queries(account: XAccount) -> tuple[SyncRun, list[str]]:
    with CaptureQueriesContext(connection) as captured:
        run = run_sync(account)
    assert run.outcome == SyncRun.Outcome.SUCCEEDED, run.error
    return run, _credential_queries(captured)


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["oauth2", "oauth1"])
def test_a_whole_sync_reads_the_credential_once_when_the_token_is_fresh(
    method, x_sandbox, frozen, client_for, team, admin
):
    account = connected_account(client_for(admin), team, method, username=SMALL)
    token_requests = requests_to(x_sandbox, "POST", "/2/oauth2/token")

    run, queries = _sync_counting_credential_queries(account)

    assert sum(run.requests.values()) > 1, "a sync of several requests"
    assert _kinds(queries) == ["SELECT"], queries  # the account, joined with its credential
    assert requests_to(x_sandbox, "POST", "/2/oauth2/token") == token_requests


@pytest.mark.django_db
def test_a_sync_whose_token_expires_adds_only_the_locked_read_and_update_of_its_refresh(
    x_sandbox, frozen, client_for, team, admin
):
    account = connected_account(client_for(admin), team, username=SMALL)
    version = XCredential.objects.get(account=account).version
    _expire_soon(account)
    token_requests = requests_to(x_sandbox, "POST", "/2/oauth2/token")

    run, queries = _sync_counting_credential_queries(account)

    assert sum(run.requests.values()) > 1
    # Refreshed once, before the first request; every later request uses the new token, whose
    # expiry came back with it.
    assert _kinds(queries) == ["SELECT", LOCKED_READ, "UPDATE"], queries
    assert requests_to(x_sandbox, "POST", "/2/oauth2/token") == token_requests + 1
    after = XCredential.objects.get(account=account)
    assert after.version == version + 1
    assert after.expires_at > timezone.now() + timedelta(minutes=100)


@pytest.mark.django_db
def test_a_sync_refused_with_401_adds_only_the_locked_read_and_update_of_its_refresh(
    x_sandbox, frozen, client_for, team, admin
):
    account = connected_account(client_for(admin), team, username=SMALL)
    credential = XCredential.objects.get(account=account)
    _revoke_at_x(credential, "access_token")  # X answers 401 to the token; its refresh works
    token_requests = requests_to(x_sandbox, "POST", "/2/oauth2/token")

    run, queries = _sync_counting_credential_queries(account)

    assert sum(run.requests.values()) > 1
    assert _kinds(queries) == ["SELECT", LOCKED_READ, "UPDATE"], queries
    assert requests_to(x_sandbox, "POST", "/2/oauth2/token") == token_requests + 1
    assert XCredential.objects.get(account=account).version == credential.version + 1
    account.refresh_from_db()
    assert account.status == XAccount.Status.ACTIVE


@pytest.mark.django_db
def test_a_holder_whose_expiring_token_another_refreshed_takes_the_new_one_without_refreshing(
    x_sandbox, client_for, team, admin
):
    account = connected_account(client_for(admin), team)
    _expire_soon(account)
    late, early = _holder(account), _holder(account)  # both hold the expiring token
    # The old token gets a 401 from now on: a holder that kept it would refresh again.
    _revoke_at_x(XCredential.objects.get(account=account), "access_token")
    with early:
        early.get_me()  # refreshes
    token_requests = requests_to(x_sandbox, "POST", "/2/oauth2/token")

    with CaptureQueriesContext(connection) as captured, late:
        assert late.get_me().username == account.username
        late.get_me()

    assert requests_to(x_sandbox, "POST", "/2/oauth2/token") == token_requests
    # The locked read found the new token and its expiry: no refresh, and no read after it.
    assert _kinds(_credential_queries(captured)) == [LOCKED_READ]


@pytest.mark.django_db
def test_a_holder_refused_with_401_after_another_refreshed_takes_the_new_token(
    x_sandbox, client_for, team, admin
):
    account = connected_account(client_for(admin), team)
    credential = XCredential.objects.get(account=account)
    late, early = _holder(account), _holder(account)  # both hold the same fresh token
    _revoke_at_x(credential, "access_token")
    with early:
        early.get_me()  # 401, refreshes, retries
    token_requests = requests_to(x_sandbox, "POST", "/2/oauth2/token")

    with CaptureQueriesContext(connection) as captured, late:
        assert late.get_me().username == account.username  # 401, then the new token
        late.get_me()

    assert requests_to(x_sandbox, "POST", "/2/oauth2/token") == token_requests
    assert _kinds(_credential_queries(captured)) == [LOCKED_READ]
    assert XCredential.objects.get(account=account).version == credential.version + 1


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_two_holders_in_two_threads_spend_the_refresh_token_once(
    x_sandbox, client_for, team, admin
):
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL (set DATABASE_URL)")
    account = connected_account(client_for(admin), team)
    _expire_soon(account)
    holders = [_holder(account), _holder(account)]
    # The old token gets a 401 from now on: a holder that kept it would refresh again.
    _revoke_at_x(XCredential.objects.get(account=account), "access_token")
    token_requests = requests_to(x_sandbox, "POST", "/2/oauth2/token")
    barrier = threading.Barrier(len(holders))
    queries, errors = [], []

    def sync_like(holder: xapi.XClient) -> None:
        try:
            barrier.wait()
            with CaptureQueriesContext(connection) as captured, holder:
                holder.get_me()
                holder.get_me()
            queries.extend(_kinds(_credential_queries(captured)))
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=sync_like, args=(h,)) for h in holders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert requests_to(x_sandbox, "POST", "/2/oauth2/token") == token_requests + 1
    # One refreshed (locked read, update), the other waited and took its token (locked read).
    assert sorted(queries) == ["LOCK", "LOCK", "UPDATE"]
    account.refresh_from_db()
    assert account.status == XAccount.Status.ACTIVE
