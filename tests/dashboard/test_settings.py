"""Settings come from the environment and are parsed strictly: a bad value stops start-up with
one line naming the variable; production has no secret defaults and passes `check --deploy`."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parents[2]

PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": secrets.token_urlsafe(50),
    "ALLOWED_HOSTS": "quartile.example.com",
    "TOKEN_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
}


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "DEMO_MODE", "SECRET_KEY"}}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"DEBUG": "maybe"}, "DEBUG"),
        ({"DATABASE_URL": "mysql://db/quartile"}, "DATABASE_URL"),
        ({"DATABASE_URL": "not a url"}, "DATABASE_URL"),
        ({"REDIS_URL": "localhost:6379"}, "REDIS_URL"),
        ({"TOKEN_ENCRYPTION_KEYS": "not-a-fernet-key"}, "TOKEN_ENCRYPTION_KEYS"),
        ({"TRUSTED_PROXY_COUNT": "two"}, "TRUSTED_PROXY_COUNT"),
        ({**PRODUCTION, "SECRET_KEY": ""}, "SECRET_KEY"),
        ({**PRODUCTION, "ALLOWED_HOSTS": ""}, "ALLOWED_HOSTS"),
        ({**PRODUCTION, "TOKEN_ENCRYPTION_KEYS": ""}, "TOKEN_ENCRYPTION_KEYS"),
        ({**PRODUCTION, "DEMO_MODE": "true"}, "DEMO_MODE"),
        ({**PRODUCTION, "X_API_BASE_URL": "http://api.x.com"}, "X_API_BASE_URL"),
        ({**PRODUCTION, "X_AUTHORIZE_URL": "http://x.com/i/oauth2/authorize"}, "X_AUTHORIZE_URL"),
    ],
)
def test_a_bad_or_missing_value_stops_start_up_with_one_line_naming_it(env, named):
    done = _manage("check", **env)
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("Configuration error: ")
    assert named in lines[0]


def test_production_settings_pass_the_deployment_checklist():
    done = _manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert done.returncode == 0, done.stderr + done.stdout


def test_production_has_no_secret_defaults():
    source = (ROOT / "dashboard" / "settings.py").read_text()
    production_branch = source.split("else:\n    SECRET_KEY")[1].split("\n\n")[0]
    assert 'env_str("SECRET_KEY")' in "    SECRET_KEY" + production_branch
    assert 'env_fernet_keys("TOKEN_ENCRYPTION_KEYS")' in production_branch


def test_the_celery_app_reports_a_bad_setting_the_same_way():
    clean = {k: v for k, v in os.environ.items() if k != "DEBUG"}
    done = subprocess.run(
        [sys.executable, "-c", "import dashboard.celery"],
        cwd=ROOT,
        env={**clean, "DEBUG": "perhaps"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert (
        done.stderr.strip()
        == "Configuration error: DEBUG must be a boolean (true/false), got 'perhaps'"
    )


def test_env_example_lists_every_variable_the_settings_read():
    import re

    source = (ROOT / "dashboard" / "settings.py").read_text()
    read = set(re.findall(r'env_\w+\(\s*"([A-Z_]+)"', source))
    listed = set(re.findall(r"^#?\s*([A-Z_]+)=", (ROOT / ".env.example").read_text(), re.M))
    assert read - listed == set()
    readme = (ROOT / "README.md").read_text()
    assert [name for name in sorted(read) if f"`{name}`" not in readme] == []


def test_database_url_options_are_kept_beside_the_jit_setting():
    url = "postgresql://u@db.example.com/quartile?sslmode=require&options=-c%20work_mem%3D64MB"
    code = "from django.conf import settings; print(settings.DATABASES['default']['OPTIONS'])"

    done = _manage("shell", "-c", code, DATABASE_URL=url)

    assert done.returncode == 0, done.stderr
    options = done.stdout.strip()
    assert "'sslmode': 'require'" in options
    assert "'options': '-c work_mem=64MB -c jit=off'" in options


def test_production_may_talk_to_a_sandbox_on_this_machine_over_http():
    """The load benchmark and the reliability suite run production settings against the
    local sandbox."""
    local = {
        "X_API_BASE_URL": "http://127.0.0.1:8765",
        "X_AUTHORIZE_URL": "http://localhost:8765/i",
    }
    done = _manage("check", **PRODUCTION, **local)
    assert done.returncode == 0, done.stderr


def test_without_redis_the_site_and_the_worker_share_one_cache(tmp_path):
    """What a sync caches (its revisions of the history, the rankings it warms) is read by the
    site, another process: an in-memory cache would keep each process's to itself."""
    embedded = {"VAR_DIR": str(tmp_path), "REDIS_URL": "", "DATABASE_URL": ""}
    write = "from django.core.cache import cache; cache.set('written-by', 'worker')"
    read = "from django.core.cache import cache; print(cache.get('written-by'))"

    assert _manage("shell", "-c", write, **embedded).returncode == 0
    done = _manage("shell", "-c", read, **embedded)

    assert done.stdout.strip().splitlines()[-1] == "worker", done.stderr
