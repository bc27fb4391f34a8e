"""Ten worker processes need one account's expiring OAuth 2.0 token at once: X sees exactly one
refresh, and every process ends with the new token."""

import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from accounts.models import XAccount, XCredential
from tests.connecting import requests_to
from tests.metrics.syncing import sandbox_account, worker_env
from tests.workers import ROOT, database_url_for_workers

pytestmark = [pytest.mark.reliability, pytest.mark.django_db(transaction=True)]

CALLER = """
import os, sys, time
import django
django.setup()
from accounts.credentials import credential_access_token
go = sys.argv[2]
while not os.path.exists(go):
    time.sleep(0.005)
print(credential_access_token(account_id=int(sys.argv[1])))
"""


def test_ten_processes_make_one_refresh_and_all_get_the_new_token(x_sandbox, team, tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("row locks across processes need PostgreSQL (set DATABASE_URL)")
    account: XAccount = sandbox_account(x_sandbox, team, "quartile_small")
    XCredential.objects.filter(account=account).update(
        expires_at=timezone.now() + timedelta(minutes=2)
    )
    before = requests_to(x_sandbox, "POST", "/2/oauth2/token")
    go = tmp_path / "go"
    env = {
        **worker_env(x_sandbox, "filesystem", tmp_path),
        "DATABASE_URL": database_url_for_workers(),
        "DJANGO_SETTINGS_MODULE": "dashboard.settings",
    }
    callers = [
        subprocess.Popen(
            [sys.executable, "-c", CALLER, str(account.pk), str(go)],
            cwd=ROOT,
            env={**os.environ, **env},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(10)
    ]
    time.sleep(3)  # every process has started Django and waits at the line
    Path(go).touch()
    outputs = [caller.communicate(timeout=60) for caller in callers]

    assert [caller.returncode for caller in callers] == [0] * 10, [err for _, err in outputs]
    tokens = {out.strip().splitlines()[-1] for out, _ in outputs}
    assert requests_to(x_sandbox, "POST", "/2/oauth2/token") - before == 1
    assert tokens == {XCredential.objects.get(account=account).access_token.reveal()}
