"""Fixtures shared by the whole suite: personas and clients.

Personas: in one team an owner, an admin and a member; an outsider who belongs to
another team; and anonymous.
"""

from datetime import UTC, datetime

import pytest
from django.core.cache import cache
from django.test import Client

from accounts.models import Role
from tests._sandbox import sandbox, sandbox_clean  # noqa: F401
from tests.factories import MembershipFactory, TeamFactory


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_cache(settings):
    # Each test gets its own in-memory cache, so allauth's rate limits never leak between tests
    # (clearing a Redis cache would flush the broker's database too).
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    cache.clear()


@pytest.fixture
def team(db):
    return TeamFactory(name="Acme Marketing", slug="acme")


@pytest.fixture
def owner(team):
    return MembershipFactory(team=team, role=Role.OWNER, user__email="owner@example.com").user


@pytest.fixture
def admin(team):
    return MembershipFactory(team=team, role=Role.ADMIN, user__email="admin@example.com").user


@pytest.fixture
def member(team):
    return MembershipFactory(team=team, role=Role.MEMBER, user__email="member@example.com").user


@pytest.fixture
def outsider(db):
    return MembershipFactory(role=Role.OWNER, user__email="outsider@example.com").user


@pytest.fixture
def personas(owner, admin, member, outsider):
    return {
        "owner": owner,
        "admin": admin,
        "member": member,
        "outsider": outsider,
        "anonymous": None,
    }


@pytest.fixture
def client_for(db):
    def make(user) -> Client:
        client = Client()
        if user is not None:
            client.force_login(user)
        return client

    return make


@pytest.fixture
def x_sandbox(settings, sandbox_clean):  # noqa: F811
    """Point the X settings at the sandbox, as DEMO_MODE does, with the test server's callbacks."""
    base = sandbox_clean.base_url
    settings.X_API_BASE_URL = base
    settings.X_AUTHORIZE_URL = f"{base}/i/oauth2/authorize"
    settings.X_OAUTH1_AUTHORIZE_URL = f"{base}/oauth/authorize"
    settings.X_CLIENT_ID = "quartile-demo-client"
    settings.X_CLIENT_SECRET = "quartile-demo-client-secret"
    settings.X_CONSUMER_KEY = "quartile-demo-consumer"
    settings.X_CONSUMER_SECRET = "quartile-demo-consumer-secret"
    settings.X_CALLBACK_BASE_URL = "http://testserver"
    for method in ("oauth2", "oauth1"):
        sandbox_clean.register_callback(f"http://testserver/connect/x/{method}/callback/")
    return sandbox_clean


@pytest.fixture
def frozen(x_sandbox):
    """The sandbox's clock stopped at now, so what X serves holds still during a test."""
    now = datetime.now(UTC).replace(microsecond=0)
    x_sandbox.set_clock(now)
    return now
