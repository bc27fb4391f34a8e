"""docker-compose.yml runs the production shape. Docker cannot run here, so the file is checked:
every service has a health check, and every command names a module or program the project has."""

import importlib.util
import os
import runpy
import shutil
from pathlib import Path
from unittest import mock

import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
VENV_BIN = ROOT / ".venv" / "bin"


def test_it_has_the_production_services():
    assert set(SERVICES) == {"postgres", "redis", "web", "worker", "beat"}


def test_every_service_has_a_health_check():
    assert [name for name, service in SERVICES.items() if "healthcheck" not in service] == []


def test_app_services_run_in_production_mode_with_secrets_from_the_environment():
    for name in ("web", "worker", "beat"):
        env = SERVICES[name]["environment"]
        assert env["DEBUG"] == "false"
        for secret in ("SECRET_KEY", "TOKEN_ENCRYPTION_KEYS"):
            assert env[secret].startswith("${" + secret + ":?"), f"{name}: {secret} has a default"


def _program_exists(program: str) -> bool:
    return shutil.which(program) is not None or (VENV_BIN / program).exists()


def test_every_app_command_names_something_the_project_has():
    web = " ".join(SERVICES["web"]["command"])
    assert "exec gunicorn" in web
    assert "manage.py migrate" in web
    assert importlib.util.find_spec(_gunicorn_settings()["wsgi_app"].partition(":")[0])
    assert (ROOT / "manage.py").exists()
    assert _program_exists("gunicorn")
    for name in ("worker", "beat"):
        command = SERVICES[name]["command"]
        assert command[:3] == ["celery", "-A", "dashboard"]
        assert command[3] == name
        assert _program_exists("celery")
    assert importlib.util.find_spec("dashboard.celery") is not None


def test_the_image_copies_every_package_of_the_project():
    dockerfile = (ROOT / "Dockerfile").read_text()
    for package in ("dashboard", "accounts", "metrics", "xapi", "templates", "static"):
        assert f"COPY {package} {package}" in dockerfile
    assert "gunicorn.conf.py" in dockerfile, "the site's server settings"


def _gunicorn_settings(**environ) -> dict:
    """gunicorn.conf.py's settings, read as gunicorn reads it, under `environ`."""
    with mock.patch.dict(os.environ, environ):
        for name in {"WEB_CONCURRENCY", "WEB_THREADS", "GUNICORN_BIND"} - set(environ):
            os.environ.pop(name, None)
        return runpy.run_path(str(ROOT / "gunicorn.conf.py"))


def test_gunicorn_listens_on_every_interface_with_two_processes_a_core_and_a_timeout():
    settings = _gunicorn_settings()

    assert settings["bind"] == "0.0.0.0:8000"
    assert settings["workers"] == 2 * os.cpu_count()
    assert settings["timeout"] <= 30


def test_gunicorn_is_sized_by_the_usual_environment_variables():
    settings = _gunicorn_settings(WEB_CONCURRENCY="3", WEB_THREADS="8")

    assert (settings["workers"], settings["threads"]) == (3, 8)


def test_the_web_port_is_published_on_loopback_by_default():
    """The site trusts X-Forwarded-Proto from its proxy: nobody may reach it around the proxy."""
    (published,) = COMPOSE["services"]["web"]["ports"]
    assert published.startswith("${WEB_BIND:-127.0.0.1}:")
    for name, service in COMPOSE["services"].items():
        assert name == "web" or "ports" not in service, f"{name} publishes a port"
