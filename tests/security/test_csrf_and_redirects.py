"""Every state-changing route is a POST that needs its CSRF token, and no `next` parameter sends
a person off the site."""

from http import HTTPStatus
from urllib.parse import quote, urljoin, urlsplit

import pytest
from django.test import Client
from django.urls import reverse

from tests.authz import TEAM_ROUTES
from tests.dashboard.test_authorization_matrix import _url
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

POST_ROUTES = sorted(name for name, route in TEAM_ROUTES.items() if route.method == "POST")


@pytest.mark.parametrize("name", POST_ROUTES)
def test_a_post_without_its_csrf_token_is_refused(name, team, owner):
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    route = TEAM_ROUTES[name]
    response = client.post(_url(name, route, team), route.data)
    assert response.status_code == HTTPStatus.FORBIDDEN


@pytest.mark.parametrize(
    "name", ["account_logout", "team_create", "account_change_password", "account_email"]
)
def test_account_forms_need_their_csrf_token_too(name):
    client = Client(enforce_csrf_checks=True)
    client.force_login(UserFactory())
    assert client.post(reverse(name), {}).status_code == HTTPStatus.FORBIDDEN


def test_signing_out_is_a_post(client):
    user = UserFactory()
    client.force_login(user)
    client.get(reverse("account_logout"))  # a confirmation page, nothing more
    assert client.session.get("_auth_user_id") == str(user.pk)


# docs/reliability.md §4.6 bypass strings, and encoded variants.
OFFSITE = [
    "//evil.com",
    "https://evil.com",
    "http://evil.com/",
    "https:evil.com",
    "/\\evil.com",
    "\\\\evil.com",
    "javascript:alert(1)",
    "\x08//evil.com",
    "///evil.com",
    "//evil.com@testserver",
    "https://testserver.evil.com",
    quote("//evil.com", safe=""),
    "%2F%2Fevil.com",
    " //evil.com",
]


def _stays_on_site(location: str) -> bool:
    """Where a browser on /auth/login/ would go: still this site, never a script URL."""
    resolved = urlsplit(urljoin("http://testserver/auth/login/", location.strip()))
    return resolved.scheme == "http" and resolved.netloc == "testserver"


@pytest.mark.parametrize("target", OFFSITE)
def test_signing_in_never_redirects_off_site(target, client):
    user = UserFactory()
    response = client.post(
        reverse("account_login") + "?next=" + quote(target, safe=""),
        {"login": user.email, "password": PASSWORD, "next": target},
    )
    assert response.status_code == HTTPStatus.FOUND
    assert _stays_on_site(response.url)


@pytest.mark.parametrize("target", OFFSITE)
def test_signing_out_never_redirects_off_site(target, client):
    client.force_login(UserFactory())
    response = client.post(reverse("account_logout"), {"next": target})
    assert response.status_code == HTTPStatus.FOUND
    assert _stays_on_site(response.url)


def test_an_on_site_next_is_honoured(client):
    user = UserFactory()
    response = client.post(
        reverse("account_login"), {"login": user.email, "password": PASSWORD, "next": "/teams/new/"}
    )
    assert response.url == "/teams/new/"


def test_the_oauth_return_ignores_any_next(client):
    client.force_login(UserFactory())
    response = client.get(reverse("x_callback_oauth2") + "?state=x&code=y&next=//evil.com")
    assert response.status_code == HTTPStatus.FOUND
    assert _stays_on_site(response.url)
