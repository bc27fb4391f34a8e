"""No token, secret, authorization code or PKCE verifier reaches a log line, a page or an error
report, even when things fail while they are in hand."""

import logging
from http import HTTPStatus

import pytest
from django.core import mail

from accounts import connections
from accounts.models import XAccount
from tests.connecting import callback, pending_flow, start
from tests.sandbox.flows import consent

pytestmark = pytest.mark.django_db

APP_SECRETS = ["quartile-demo-client-secret", "quartile-demo-consumer-secret"]


@pytest.mark.parametrize("method", ["oauth2", "oauth1"])
def test_a_failure_with_tokens_in_hand_leaks_none_into_logs_or_the_error_report(
    method, x_sandbox, client_for, team, admin, settings, monkeypatch, caplog
):
    settings.ADMINS = [("Ops", "ops@example.com")]
    caplog.set_level(logging.DEBUG)
    seen = {}

    def fail_while_saving(**kwargs):
        seen["token"] = kwargs["token"]
        raise RuntimeError("the database went away")

    monkeypatch.setattr(connections, "_save_connection", fail_while_saving)
    client = client_for(admin)
    started = start(client, team, method)
    pending = dict(pending_flow(client.session))
    location = consent(started.url, "quartile_brand")
    client.raise_request_exception = False

    response = callback(client, location)

    assert response.status_code == HTTPStatus.INTERNAL_SERVER_ERROR
    assert not XAccount.objects.exists()
    token = seen["token"]
    secrets = [*APP_SECRETS, location.split("?", 1)[1]]
    if method == "oauth2":
        secrets += [token.access_token, token.refresh_token, pending["verifier"], pending["state"]]
        secrets += [location.split("code=")[1].split("&")[0]]
    else:
        secrets += [token.token, token.token_secret, pending["request_token_secret"]]
        secrets += [location.split("oauth_verifier=")[1].split("&")[0]]
    report = mail.outbox[-1]
    texts = {
        "report": report.body,
        "report html": "".join(str(part[0]) for part in report.alternatives),
        # The in-process sandbox's own access log is X's side, not ours.
        "logs": "\n".join(r.getMessage() for r in caplog.records if r.name != "sandbox"),
        "page": response.content.decode(),
    }
    assert "RuntimeError" in report.body  # the report is there, and useful
    for where, text in texts.items():
        for secret in secrets:
            assert secret not in text, f"a secret appears in the {where}"
