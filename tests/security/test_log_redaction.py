"""No invitation token, reset key or OAuth code in a log line: Django's request log and
gunicorn's access log carry paths and query strings without them."""

import logging
from types import SimpleNamespace

import pytest
from django.urls import reverse

from dashboard.log_filters import RedactingGunicornLogger, redact

pytestmark = pytest.mark.django_db

TOKEN = "tok-3f9a7c1e5b"


class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


def test_a_404_for_an_invitation_link_logs_no_token(client_for, outsider):
    client = client_for(outsider)
    capture = _Capture()
    logger = logging.getLogger("django.request")
    logger.addHandler(capture)
    try:
        response = client.get(reverse("invitation_accept", args=[TOKEN]) + f"?code={TOKEN}")
    finally:
        logger.removeHandler(capture)

    assert response.status_code == 404
    assert capture.lines  # Django logged the 404 …
    assert all(TOKEN not in line for line in capture.lines)  # … without the token


def test_gunicorn_access_lines_carry_no_token():
    request = SimpleNamespace(
        method="GET", path=f"/invitations/{TOKEN}/", query=f"state={TOKEN}&code={TOKEN}",
        version=(1, 1), headers=[], uri=f"/invitations/{TOKEN}/?state={TOKEN}&code={TOKEN}",
    )  # fmt: skip
    environ = {"REQUEST_METHOD": "GET", "RAW_URI": request.uri, "PATH_INFO": request.path,
               "QUERY_STRING": request.query, "SERVER_PROTOCOL": "HTTP/1.1"}  # fmt: skip
    response = SimpleNamespace(status="404 Not Found", sent=10, headers=[])
    logger = RedactingGunicornLogger.__new__(RedactingGunicornLogger)
    logger.cfg = SimpleNamespace(access_log_format="", forwarded_allow_ips=[])

    atoms = logger.atoms(response, request, environ, SimpleNamespace(seconds=0, microseconds=5))

    assert all(TOKEN not in str(value) for value in atoms.values())
    assert "/invitations/[redacted]/" in atoms["r"]


@pytest.mark.parametrize(
    "line",
    [
        f"GET /accounts/password/reset/key/{TOKEN}/ 200",
        f"GET /connect/x/oauth1/callback/?oauth_token={TOKEN}&oauth_verifier={TOKEN} 302",
        f"GET /accounts/confirm-email/{TOKEN}/ 200",
    ],
)
def test_reset_keys_email_confirmations_and_oauth_verifiers_are_redacted(line):
    assert TOKEN not in redact(line)
