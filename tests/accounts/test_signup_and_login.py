"""People sign up with email and password, confirm their address, sign in and out, and reset
or change their password, all on allauth's pages in our layout."""

import re
from http import HTTPStatus

import pytest
from django.core import mail
from django.urls import reverse

from accounts.models import User
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def _link_in_last_mail() -> str:
    body = mail.outbox[-1].body
    return re.search(r"https?://\S+", body).group(0)


def test_sign_up_sends_a_verification_mail_and_confirming_it_signs_the_person_in(client):
    response = client.post(
        reverse("account_signup"),
        {"email": "new@example.com", "password1": PASSWORD, "password2": PASSWORD},
    )
    assert response.status_code == HTTPStatus.FOUND
    assert User.objects.filter(email="new@example.com").exists()
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["new@example.com"]

    # Before confirming, signing in is refused: the address must be verified.
    client.logout()
    login = client.post(
        reverse("account_login"), {"login": "new@example.com", "password": PASSWORD}
    )
    assert "_auth_user_id" not in client.session
    assert login.status_code in (HTTPStatus.OK, HTTPStatus.FOUND)

    confirm_url = _link_in_last_mail()
    page = client.get(confirm_url)
    assert page.status_code == HTTPStatus.OK
    confirmed = client.post(confirm_url)
    assert confirmed.status_code == HTTPStatus.FOUND
    assert client.session["_auth_user_id"] == str(User.objects.get(email="new@example.com").pk)


def test_a_new_person_is_sent_to_create_their_first_team(client):
    user = UserFactory()
    client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    response = client.get(reverse("home"))
    assert response.status_code == HTTPStatus.FOUND
    assert response.url == reverse("team_create")


def test_sign_in_and_sign_out(client):
    user = UserFactory()
    response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    assert response.status_code == HTTPStatus.FOUND
    assert client.session["_auth_user_id"] == str(user.pk)

    response = client.post(reverse("account_logout"))
    assert response.status_code == HTTPStatus.FOUND
    assert "_auth_user_id" not in client.session


def test_a_wrong_password_does_not_sign_in(client):
    user = UserFactory()
    response = client.post(reverse("account_login"), {"login": user.email, "password": "wrong"})
    assert response.status_code == HTTPStatus.OK
    assert "_auth_user_id" not in client.session
    assert b"not correct" in response.content


def test_password_reset_by_mail_sets_a_new_password(client):
    user = UserFactory()
    client.post(reverse("account_reset_password"), {"email": user.email})
    assert len(mail.outbox) == 1
    reset_url = _link_in_last_mail()

    form_page = client.get(reset_url, follow=True)
    assert form_page.status_code == HTTPStatus.OK
    action_url = form_page.redirect_chain[-1][0] if form_page.redirect_chain else reset_url
    new_password = "an-entirely-new-passphrase-42"
    done = client.post(action_url, {"password1": new_password, "password2": new_password})
    assert done.status_code == HTTPStatus.FOUND

    user.refresh_from_db()
    assert user.check_password(new_password)


def test_password_change_needs_the_old_password(client):
    user = UserFactory()
    client.force_login(user)
    new_password = "an-entirely-new-passphrase-42"
    refused = client.post(
        reverse("account_change_password"),
        {"oldpassword": "wrong", "password1": new_password, "password2": new_password},
    )
    assert refused.status_code == HTTPStatus.OK
    changed = client.post(
        reverse("account_change_password"),
        {"oldpassword": PASSWORD, "password1": new_password, "password2": new_password},
    )
    assert changed.status_code == HTTPStatus.FOUND
    user.refresh_from_db()
    assert user.check_password(new_password)


def test_allauth_pages_use_the_quartile_layout(client):
    response = client.get(reverse("account_login"))
    assert response.status_code == HTTPStatus.OK
    assert b'class="topbar"' in response.content
    assert b"css/quartile.css" in response.content


TOO_MANY_ATTEMPTS = b"Too many failed login attempts"


def _fail_login(client, email: str, **headers):
    return client.post(reverse("account_login"), {"login": email, "password": "wrong"}, **headers)


def test_repeated_failed_logins_for_one_address_are_throttled(client):
    user = UserFactory()
    responses = [_fail_login(client, user.email) for _ in range(6)]
    assert TOO_MANY_ATTEMPTS not in responses[4].content
    assert TOO_MANY_ATTEMPTS in responses[5].content
    # While the limit holds, even the right password does not sign in.
    client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    assert "_auth_user_id" not in client.session


def test_a_spoofed_forwarded_for_header_does_not_reset_the_login_limit(client):
    user = UserFactory()
    other = UserFactory()
    # Ten failures from one address, each claiming another client IP, across two accounts.
    for attempt in range(10):
        target = user if attempt % 2 else other
        _fail_login(client, target.email, HTTP_X_FORWARDED_FOR=f"203.0.113.{attempt}")
    response = _fail_login(client, UserFactory().email, HTTP_X_FORWARDED_FOR="198.51.100.7")
    assert TOO_MANY_ATTEMPTS in response.content
