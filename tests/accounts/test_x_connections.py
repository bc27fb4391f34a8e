"""Connecting X accounts: one contract suite runs against the sandbox over HTTP for both OAuth 2.0
with PKCE and OAuth 1.0a, then the negative cases of each flow."""

import logging
from datetime import timedelta
from http import HTTPStatus
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.urls import reverse
from django.utils import timezone

import xapi
from accounts import connections, credentials
from accounts.models import AuditEvent, Role, XAccount, XCredential
from tests.connecting import (
    BRAND,
    SMALL,
    callback,
    connect,
    messages_of,
    pending_flow,
    requests_to,
    start,
)
from tests.factories import MembershipFactory
from tests.sandbox.flows import consent

pytestmark = pytest.mark.django_db


@pytest.fixture(params=["oauth2", "oauth1"])
def method(request):
    return request.param


# The contract: the same behaviour for both methods.


def test_an_admin_connects_an_account_and_its_tokens_are_stored_encrypted(
    method, x_sandbox, client_for, team, admin
):
    response = connect(client_for(admin), team, method)

    assert response.status_code == HTTPStatus.FOUND
    assert response.url == reverse("team_x_accounts", args=[team.slug])
    assert any("is connected" in m for m in messages_of(response))
    account = XAccount.objects.get(team=team)
    assert account.username == BRAND
    assert account.x_user_id == x_sandbox.user(BRAND)["id"]
    assert account.auth_method == method
    assert account.status == XAccount.Status.ACTIVE
    assert account.connected_by == admin
    credential = account.credential
    if method == "oauth2":
        assert credential.refresh_token is not None
        assert set(credential.scopes.split()) == {"tweet.read", "users.read", "offline.access"}
        assert credential.expires_at > timezone.now() + timedelta(minutes=100)
    else:
        assert credential.token_secret is not None
        assert credential.expires_at is None
    event = AuditEvent.objects.get(team=team, verb=AuditEvent.Verb.X_ACCOUNT_CONNECTED)
    assert event.target == f"@{BRAND}"


def test_the_stored_credential_reads_me_and_calls_an_endpoint(
    method, x_sandbox, client_for, team, admin
):
    connect(client_for(admin), team, method)
    account = XAccount.objects.get(team=team)
    with credentials.client_for(account) as client:
        me = client.get_me()
        page = next(client.iter_timeline(user_id=me.id, metrics=xapi.MetricGroup.PUBLIC))
    assert me.username == BRAND
    assert page.posts


def test_disconnecting_revokes_the_token_at_x_and_forgets_it(
    method, x_sandbox, client_for, team, admin
):
    client = client_for(admin)
    connect(client, team, method)
    account = XAccount.objects.get(team=team)
    auth = credentials.user_auth_for(account).request_auth()

    response = client.post(reverse("team_x_disconnect", args=[team.slug, account.pk]))

    assert any("revoked at X" in m for m in messages_of(response))
    account.refresh_from_db()
    assert account.status == XAccount.Status.DISCONNECTED
    assert not XCredential.objects.filter(account=account).exists()
    old_token_answer = requests.get(f"{x_sandbox.base_url}/2/users/me", auth=auth, timeout=5)
    assert old_token_answer.status_code == HTTPStatus.UNAUTHORIZED
    assert AuditEvent.objects.filter(verb=AuditEvent.Verb.X_ACCOUNT_DISCONNECTED).exists()


def test_connecting_the_same_x_account_twice_updates_its_credentials(
    method, x_sandbox, client_for, team, admin
):
    client = client_for(admin)
    connect(client, team, method)
    first = XCredential.objects.get().access_token
    response = connect(client, team, method)
    assert any("reconnected" in m for m in messages_of(response))
    assert XAccount.objects.filter(team=team).count() == 1
    assert XCredential.objects.get().access_token != first


def test_cancelling_on_x_stores_nothing(method, x_sandbox, client_for, team, admin):
    response = connect(client_for(admin), team, method, action="cancel")
    assert any("cancelled" in m for m in messages_of(response))
    assert not XAccount.objects.exists()


def test_a_callback_replayed_after_use_is_refused(method, x_sandbox, client_for, team, admin):
    client = client_for(admin)
    started = start(client, team, method)
    location = consent(started.url, BRAND)
    callback(client, location)
    XAccount.objects.all().delete()

    replayed = callback(client, location)
    assert any("not started here, or was already used" in m for m in messages_of(replayed))
    assert not XAccount.objects.exists()


def test_a_callback_that_this_session_did_not_start_is_refused(
    method, x_sandbox, client_for, team, admin
):
    started = start(client_for(admin), team, method)
    location = consent(started.url, BRAND)
    # The callback lands in another admin's browser (code injection, login CSRF).
    other_admin = MembershipFactory(team=team, role=Role.ADMIN).user
    response = callback(client_for(other_admin), location)
    assert any("not started here" in m for m in messages_of(response))
    assert not XAccount.objects.exists()


def test_an_unreachable_x_leaves_a_clear_message_and_nothing_stored(
    method, x_sandbox, settings, client_for, team, admin
):
    client = client_for(admin)
    started = start(client, team, method)
    location = consent(started.url, BRAND)
    settings.X_API_BASE_URL = "http://127.0.0.1:1"  # nothing listens there
    response = callback(client, location)
    assert any("could not be reached" in m for m in messages_of(response))
    assert not XAccount.objects.exists()


def test_an_app_x_does_not_serve_tells_the_admin_what_to_fix(
    method, x_sandbox, client_for, team, admin
):
    client = client_for(admin)
    started = start(client, team, method)
    location = consent(started.url, BRAND)
    x_sandbox.fault("client_forbidden", count=1, path="/2/users/me")
    response = callback(client, location)
    (message,) = [m for m in messages_of(response) if "developer" in m]
    assert "developer portal" in message and "https://developer.x.com/" in message
    assert "Please try again" not in message
    assert not XAccount.objects.exists()


def test_the_callback_url_comes_from_settings_not_from_the_host_header(
    method, x_sandbox, settings, client_for, team, admin
):
    settings.ALLOWED_HOSTS = ["testserver", "evil.example"]
    client = client_for(admin)
    started = client.post(
        reverse("team_x_connect", args=[team.slug]), {"method": method}, HTTP_HOST="evil.example"
    )
    if method == "oauth2":
        redirect_uri = parse_qs(urlsplit(started.url).query)["redirect_uri"][0]
        assert redirect_uri == "http://testserver/connect/x/oauth2/callback/"
    location = consent(started.url, BRAND)
    assert urlsplit(location).netloc == "testserver"


def test_members_see_the_list_but_cannot_connect(
    method, x_sandbox, client_for, team, admin, member
):
    connect(client_for(admin), team, method)
    page = client_for(member).get(reverse("team_x_accounts", args=[team.slug]))
    assert b"@quartile_brand" in page.content
    assert b"Disconnect" not in page.content
    assert b"Connect with OAuth" not in page.content
    assert start(client_for(member), team, method).status_code == HTTPStatus.FORBIDDEN


def test_secrets_appear_in_no_log_line_and_no_page(
    method, x_sandbox, client_for, team, admin, caplog
):
    caplog.set_level(logging.DEBUG)
    client = client_for(admin)
    connect(client, team, method)
    credential = XCredential.objects.get()
    secrets = [credential.access_token.reveal()]
    secrets += [s.reveal() for s in (credential.refresh_token, credential.token_secret) if s]
    secrets += ["quartile-demo-client-secret", "quartile-demo-consumer-secret"]

    page = client.get(reverse("team_x_accounts", args=[team.slug])).content.decode()
    admin.is_staff = admin.is_superuser = True
    admin.save()
    admin_pages = "".join(
        client.get(reverse(name, args=args)).content.decode()
        for name, args in [
            ("admin:accounts_xcredential_changelist", []),
            ("admin:accounts_xcredential_change", [credential.pk]),
            ("admin:accounts_xaccount_changelist", []),
        ]
    )
    client.post(reverse("team_x_disconnect", args=[team.slug, credential.account_id]))
    logs = "\n".join(record.getMessage() for record in caplog.records)
    for secret in secrets:
        assert secret not in page
        assert secret not in admin_pages
        assert secret not in logs
        assert secret not in repr(credential)


# OAuth 2.0: state, code and verifier.


def test_oauth2_a_wrong_state_is_refused_before_any_token_request(
    x_sandbox, client_for, team, admin
):
    client = client_for(admin)
    started = start(client, team, "oauth2")
    location = consent(started.url, BRAND).replace("state=", "state=tampered")
    response = callback(client, location)
    assert any("not started here" in m for m in messages_of(response))
    assert not XAccount.objects.exists()
    assert requests_to(x_sandbox, "POST", "/2/oauth2/token") == 0
    assert requests_to(x_sandbox, "GET", "/i/oauth2/authorize") == 1


def test_oauth2_a_missing_state_is_refused(x_sandbox, client_for, team, admin):
    client = client_for(admin)
    started = start(client, team, "oauth2")
    location = consent(started.url, BRAND)
    parts = urlsplit(location)
    code = parse_qs(parts.query)["code"][0]
    response = client.get(f"{parts.path}?code={code}")
    assert any("not started here" in m for m in messages_of(response))
    assert not XAccount.objects.exists()


def test_oauth2_an_expired_code_is_refused(x_sandbox, client_for, team, admin):
    client = client_for(admin)
    started = start(client, team, "oauth2")
    location = consent(started.url, BRAND)
    x_sandbox.set_clock(timezone.now() + timedelta(seconds=31))
    response = callback(client, location)
    assert any("did not accept the sign-in" in m for m in messages_of(response))
    assert not XAccount.objects.exists()


def test_oauth2_a_verifier_that_does_not_match_the_challenge_is_refused(
    x_sandbox, client_for, team, admin
):
    client = client_for(admin)
    started = start(client, team, "oauth2")
    session = client.session
    pending_flow(session)["verifier"] = "x" * 43
    session.save()
    response = callback(client, consent(started.url, BRAND))
    assert any("did not accept the sign-in" in m for m in messages_of(response))
    assert not XAccount.objects.exists()


def test_oauth2_an_expired_flow_is_refused(x_sandbox, client_for, team, admin):
    client = client_for(admin)
    started = start(client, team, "oauth2")
    session = client.session
    pending_flow(session)["started"] -= connections.FLOW_LIFETIME_SECONDS + 1
    session.save()
    response = callback(client, consent(started.url, BRAND))
    assert any("took too long" in m for m in messages_of(response))
    assert not XAccount.objects.exists()


def test_two_flows_started_in_two_tabs_each_finish(method, x_sandbox, client_for, team, admin):
    """An agency connects several accounts at once: each tab's callback finds its own flow."""
    client = client_for(admin)
    first, second = start(client, team, method), start(client, team, method)

    newest = callback(client, consent(second.url, SMALL))
    oldest = callback(client, consent(first.url, BRAND))

    assert any("is connected" in m for m in messages_of(newest) + messages_of(oldest))
    assert set(XAccount.objects.values_list("username", flat=True)) == {BRAND, SMALL}


def test_beyond_five_pending_flows_the_oldest_gives_way(x_sandbox, client_for, team, admin):
    client = client_for(admin)
    oldest, *_ = [start(client, team, "oauth2") for _ in range(connections.PENDING_FLOWS + 1)]

    response = callback(client, consent(oldest.url, BRAND))

    assert any("not started here" in m for m in messages_of(response))
    assert len(client.session[connections.SESSION_KEY]) == connections.PENDING_FLOWS


def test_the_pkce_verifier_lives_only_in_the_session(x_sandbox, client_for, team, admin):
    client = client_for(admin)
    started = start(client, team, "oauth2")
    verifier = pending_flow(client.session)["verifier"]
    query = parse_qs(urlsplit(started.url).query)
    assert query["code_challenge_method"] == ["S256"]
    assert verifier not in started.url


# OAuth 1.0a: callback confirmation and the request token.


def test_oauth1_a_callback_for_another_request_token_is_refused(x_sandbox, client_for, team, admin):
    client = client_for(admin)
    started = start(client, team, "oauth1")
    location = consent(started.url, BRAND).replace("oauth_token=", "oauth_token=forged")
    response = callback(client, location)
    assert any("not started here" in m for m in messages_of(response))
    assert not XAccount.objects.exists()


def test_oauth1_an_unregistered_callback_is_refused_by_x_with_a_message(
    x_sandbox, settings, client_for, team, admin
):
    settings.X_CALLBACK_BASE_URL = "http://unregistered.example"
    response = start(client_for(admin), team, "oauth1")
    assert response.url == reverse("team_x_accounts", args=[team.slug])
    assert any("refused our app's settings" in m for m in messages_of(response))


# Reconnecting.


def test_reconnecting_a_needs_reauth_account_as_another_x_user_is_refused(
    x_sandbox, client_for, team, admin
):
    client = client_for(admin)
    connect(client, team, "oauth2", username=BRAND)
    account = XAccount.objects.get()
    account.status = XAccount.Status.NEEDS_REAUTH
    account.save()

    response = connect(client, team, "oauth2", username=SMALL, account=account.pk)

    assert any(f"this reconnects @{BRAND}" in m for m in messages_of(response))
    account.refresh_from_db()
    assert account.status == XAccount.Status.NEEDS_REAUTH
    assert XAccount.objects.count() == 1


def test_reconnecting_with_the_right_x_user_makes_the_account_active(
    x_sandbox, client_for, team, admin
):
    client = client_for(admin)
    connect(client, team, "oauth2")
    account = XAccount.objects.get()
    account.status = XAccount.Status.NEEDS_REAUTH
    account.save()
    connect(client, team, "oauth2", account=account.pk)
    account.refresh_from_db()
    assert account.status == XAccount.Status.ACTIVE


@pytest.mark.parametrize(
    ("first", "then"), [("oauth2", "oauth1"), ("oauth1", "oauth2"), ("oauth2", "oauth2")]
)
def test_reconnecting_revokes_at_x_the_tokens_it_replaces(
    first, then, x_sandbox, client_for, team, admin, django_capture_on_commit_callbacks
):
    client = client_for(admin)
    connect(client, team, first)
    account = XAccount.objects.get(team=team)
    replaced = credentials.user_auth_for(account).request_auth()

    with django_capture_on_commit_callbacks(execute=True):
        connect(client, team, then)

    account.refresh_from_db()
    current = credentials.user_auth_for(account).request_auth()
    me = f"{x_sandbox.base_url}/2/users/me"
    assert requests.get(me, auth=replaced, timeout=5).status_code == HTTPStatus.UNAUTHORIZED
    assert requests.get(me, auth=current, timeout=5).status_code == HTTPStatus.OK
