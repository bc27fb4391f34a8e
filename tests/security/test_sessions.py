"""Session hygiene: a new session key at sign-in, none after sign-out, and a password change
signs every other session out. The admin's sign-in shares allauth's rate limits."""

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def test_signing_in_gives_a_new_session_key(client):
    user = UserFactory()
    client.get(reverse("account_login"))
    client.session.save()
    before = client.session.session_key
    client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    assert client.session.session_key != before


def test_a_session_cookie_kept_after_sign_out_opens_nothing(client):
    user = UserFactory()
    client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    old_cookie = client.cookies["sessionid"].value
    client.post(reverse("account_logout"))
    replay = Client()
    replay.cookies["sessionid"] = old_cookie
    response = replay.get(reverse("team_create"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


def test_a_password_change_signs_other_sessions_out(client):
    user = UserFactory()
    elsewhere = Client()
    elsewhere.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    new = "another-long-enough-passphrase"
    client.post(
        reverse("account_change_password"),
        {"oldpassword": PASSWORD, "password1": new, "password2": new},
    )
    assert client.get(reverse("team_create")).status_code == 200  # this one stays in
    assert elsewhere.get(reverse("team_create")).status_code == 302  # the other is out


def test_the_admin_signs_in_through_allauth_and_its_rate_limits(client):
    response = client.get(reverse("admin:login"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))
