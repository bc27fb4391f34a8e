"""PostgreSQL restarts under the running site and its workers: pages say the database is away
(503, not a traceback) and work again by themselves; syncs resume; nothing stored is lost."""

import os
import secrets
import subprocess
import sys
import time
from http import HTTPStatus

import psycopg
import pytest
import requests
from cryptography.fernet import Fernet

from tests.workers import (
    ROOT,
    broker_env,
    celery_worker,
    client_app,
    free_port,
    stop_process_group,
    wait_until,
)

pytestmark = pytest.mark.reliability

SEED = """
import sys, django
django.setup()
from datetime import datetime, timedelta, UTC
from django.core.management import call_command
from allauth.account.models import EmailAddress
from accounts import services
from accounts.crypto import Secret
from accounts.models import User, XAccount, XCredential
call_command("migrate", verbosity=0)
call_command("collectstatic", "--noinput", verbosity=0)
user = User.objects.create_user("ops@example.com", "a-long-enough-passphrase")
EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
team = services.team_create(name="Ops", owner=user)
x_id, username, access, refresh = sys.argv[1:5]
account = XAccount.objects.create(
    team=team, x_user_id=x_id, username=username, auth_method="oauth2"
)
XCredential.objects.create(
    account=account, access_token=Secret(access), refresh_token=Secret(refresh),
    expires_at=datetime.now(UTC) + timedelta(hours=2), scopes="tweet.read users.read",
)
print(team.slug)
"""


def _rows(url: str, sql: str):
    with psycopg.connect(url, connect_timeout=3) as conn:
        return conn.execute(sql).fetchall()


def test_a_database_restart_is_survived_by_pages_and_syncs(
    x_sandbox, frozen, private_postgres, tmp_path
):
    port = free_port()
    env = {
        **os.environ,
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "TOKEN_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "SECURE_SSL_REDIRECT": "false",
        "SITE_URL": f"http://127.0.0.1:{port}",
        "DATABASE_URL": private_postgres.url,
        **broker_env("filesystem", tmp_path / "broker"),
        "VAR_DIR": str(tmp_path),
        "SYNC_LEASE_SECONDS": "5",
        "X_API_BASE_URL": x_sandbox.base_url,
        "X_CLIENT_ID": "quartile-demo-client",
        "X_CLIENT_SECRET": "quartile-demo-client-secret",
        "OAUTHLIB_INSECURE_TRANSPORT": "1",
    }
    user = x_sandbox.user("quartile_arch")
    token = x_sandbox.mint_token("quartile_arch")
    seeded = subprocess.run(
        [sys.executable, "-c", SEED, user["id"], "quartile_arch", token["access_token"],
         token["refresh_token"]],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert seeded.returncode == 0, seeded.stderr
    slug = seeded.stdout.strip().splitlines()[-1]
    logs = tmp_path / "web.log", tmp_path / "worker.log"
    web = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "dashboard.wsgi:application", "--bind",
         f"127.0.0.1:{port}", "--workers", "2", "--timeout", "30"],
        cwd=ROOT, env=env, stdout=logs[0].open("wb"), stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # fmt: skip
    broker = client_app("filesystem", tmp_path / "broker")
    site = f"http://127.0.0.1:{port}"
    try:
        with celery_worker(env, logs[1]):
            wait_until(lambda: _answers(f"{site}/healthz"), timeout=60, log=logs[0])
            cookies = _sign_in(site)
            overview = f"{site}/t/{slug}/"
            assert requests.get(overview, cookies=cookies, timeout=10).status_code == HTTPStatus.OK

            # A sync is under way (slowed by X) when the database goes away.
            x_sandbox.fault("hang", count=40, seconds=0.3, path="/2/users/")
            broker.send_task("metrics.tasks.schedule_syncs")
            wait_until(
                lambda: _pages_done(private_postgres.url) >= 2,
                timeout=60,
                log=logs[1],
            )
            posts_before = _rows(private_postgres.url, "select count(*) from metrics_post")[0][0]
            private_postgres.stop()

            away = requests.get(overview, cookies=cookies, timeout=10)
            assert away.status_code == HTTPStatus.SERVICE_UNAVAILABLE
            assert "cannot reach its database" in away.text
            assert "Traceback" not in away.text and "OperationalError" not in away.text
            health = requests.get(f"{site}/healthz", timeout=10)
            assert health.status_code == HTTPStatus.SERVICE_UNAVAILABLE
            assert health.json()["down"] == ["database"]

            time.sleep(3)
            private_postgres.start()
            wait_until(
                lambda: requests.get(overview, cookies=cookies, timeout=10).status_code == 200,
                timeout=30,
                log=logs[0],
            )
            # The beat's next ticks find the account due again once the dead sync's lease is out.
            deadline = time.monotonic() + 120
            synced = "select last_synced_at from accounts_xaccount"
            while not _rows(private_postgres.url, synced)[0][0]:
                assert time.monotonic() < deadline, logs[1].read_text()[-4000:]
                broker.send_task("metrics.tasks.schedule_syncs")
                time.sleep(3)
            posts_after = _rows(private_postgres.url, "select count(*) from metrics_post")[0][0]
            assert posts_after >= posts_before > 0
    finally:
        x_sandbox.clear_faults()
        stop_process_group(web)


def _pages_done(url: str) -> int:
    return _rows(url, "select coalesce(max(pages_done), 0) from metrics_syncrun")[0][0]


def _answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=2).status_code == HTTPStatus.OK
    except requests.RequestException:
        return False


def _sign_in(site: str) -> dict:
    """Sign in through the real form. Production cookies are Secure, and this is plain http, so
    they are carried by hand."""
    page = requests.get(f"{site}/auth/login/", timeout=10)
    csrf = page.cookies["csrftoken"]
    token = page.text.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
    answer = requests.post(
        f"{site}/auth/login/",
        data={"login": "ops@example.com", "password": "a-long-enough-passphrase",
              "csrfmiddlewaretoken": token},
        cookies={"csrftoken": csrf},
        allow_redirects=False,
        timeout=10,
    )  # fmt: skip
    assert answer.status_code == HTTPStatus.FOUND, answer.text[:500]
    return {"sessionid": answer.cookies["sessionid"], "csrftoken": csrf}
