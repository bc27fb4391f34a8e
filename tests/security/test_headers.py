"""Every page carries the security headers, and production cookies are Secure, HttpOnly and
SameSite=Lax: checked on the real production settings in a separate process."""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = """
import json, django
django.setup()
from django.conf import settings
from django.test import Client
client = Client()
answer = client.get("/auth/login/", secure=True, HTTP_HOST="quartile.example.com")
print(json.dumps({
    "status": answer.status_code,
    "headers": dict(answer.headers),
    "cookies": {
        name: {"secure": bool(c["secure"]), "samesite": c["samesite"]}
        for name, c in answer.cookies.items()
    },
    "session": [
        settings.SESSION_COOKIE_SECURE,
        settings.SESSION_COOKIE_HTTPONLY,
        settings.SESSION_COOKIE_SAMESITE,
    ],
    "csrf": [settings.CSRF_COOKIE_SECURE, settings.CSRF_COOKIE_SAMESITE],
}))
"""


@pytest.fixture(scope="module")
def production_answer(tmp_path_factory):
    var = tmp_path_factory.mktemp("var")
    env = {
        **{k: v for k, v in os.environ.items() if k not in {"DEMO_MODE"}},
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "quartile.example.com",
        "TOKEN_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "DJANGO_SETTINGS_MODULE": "dashboard.settings",
        "VAR_DIR": str(var),
        "DATABASE_URL": f"sqlite:///{var / 'db.sqlite3'}",
        "REDIS_URL": "",
        "CELERY_BROKER_FOLDER": str(var / "broker"),
    }
    # Production serves hashed static files from the manifest that collectstatic writes.
    collected = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput"], cwd=ROOT, env=env,
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert collected.returncode == 0, collected.stderr
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def _csp(answer) -> dict[str, list[str]]:
    directives = {}
    for part in answer["headers"]["Content-Security-Policy"].split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


def test_the_content_security_policy_allows_no_inline_script(production_answer):
    csp = _csp(production_answer)
    assert "'unsafe-inline'" not in csp["script-src"]
    assert "'unsafe-eval'" not in csp["script-src"]
    # Only our own files; a nonce appears only on a page that asks for one.
    assert [v for v in csp["script-src"] if not v.startswith("'nonce-")] == ["'self'"]
    assert csp["object-src"] == ["'none'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["base-uri"] == ["'none'"]


def test_hsts_and_the_other_security_headers_are_sent(production_answer):
    headers = production_answer["headers"]
    assert production_answer["status"] == 200
    hsts = headers["Strict-Transport-Security"]
    assert "max-age=31536000" in hsts and "includeSubDomains" in hsts
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["Cross-Origin-Opener-Policy"] == "same-origin"


def test_production_cookies_are_secure_httponly_and_lax(production_answer):
    assert production_answer["session"] == [True, True, "Lax"]
    assert production_answer["csrf"] == [True, "Lax"]
    csrf_cookie = production_answer["cookies"]["csrftoken"]
    assert csrf_cookie["secure"] is True
    assert csrf_cookie["samesite"] == "Lax"


@pytest.mark.django_db
def test_pages_in_development_carry_the_same_policy(client):
    answer = client.get("/auth/login/")
    assert (
        "'unsafe-inline'"
        not in answer["Content-Security-Policy"].split("script-src")[1].split(";")[0]
    )
    assert answer["X-Frame-Options"] == "DENY"
