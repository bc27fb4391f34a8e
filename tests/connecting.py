"""Driving a real connection through the sandbox's consent page, as an admin's browser would."""

from http import HTTPStatus
from urllib.parse import urlsplit

from django.contrib.messages import get_messages
from django.urls import reverse

from accounts.models import XAccount
from tests.sandbox.flows import consent

BRAND, SMALL = "quartile_brand", "quartile_small"


def requests_to(sandbox, method: str, path: str) -> int:
    """How many requests the sandbox's ledger holds for `method path`."""
    return sum(
        1
        for entry in sandbox.ledger()["requests"]
        if entry["method"] == method and entry["path"].split("?")[0] == path
    )


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def start(client, team, method, **extra):
    return client.post(reverse("team_x_connect", args=[team.slug]), {"method": method, **extra})


def callback(client, location: str):
    parts = urlsplit(location)
    assert parts.netloc == "testserver", location
    return client.get(f"{parts.path}?{parts.query}")


def connect(client, team, method, username=BRAND, action="authorize", **extra):
    started = start(client, team, method, **extra)
    assert started.status_code == HTTPStatus.FOUND, messages_of(started)
    return callback(client, consent(started.url, username, action))


def connected_account(client, team, method="oauth2", username=BRAND) -> XAccount:
    connect(client, team, method, username)
    return XAccount.objects.get(team=team, username=username)


def pending_flow(session) -> dict:
    """The one connection flow the session has pending, to read or tamper with in a test."""
    from accounts import connections

    (flow,) = session[connections.SESSION_KEY].values()
    return flow
