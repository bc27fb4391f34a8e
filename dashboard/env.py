"""Strict readers for settings that come from the environment.

A bad value stops start-up with one line naming the variable (healthchecks' `envbool`, made strict):
`manage.py`, `wsgi.py` and the Celery app print `SettingsError` alone, without a traceback.
"""

import os
from collections.abc import Callable
from typing import Any

import dj_database_url
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured

_MISSING: Any = object()
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


class SettingsError(ImproperlyConfigured):
    """A setting read from the environment is missing or cannot be parsed."""


def _raw(name: str, default: Any) -> Any:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        if default is _MISSING:
            raise SettingsError(f"{name} is required but not set")
        return default
    return value.strip()


def env_str(name: str, default: Any = _MISSING) -> str:
    return _raw(name, default)


def env_bool(name: str, default: bool) -> bool:
    value = _raw(name, default)
    if isinstance(value, bool):
        return value
    if value.lower() in _TRUE:
        return True
    if value.lower() in _FALSE:
        return False
    raise SettingsError(f"{name} must be a boolean (true/false), got {value!r}")


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    value = _raw(name, default)
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise SettingsError(f"{name} must be an integer, got {value!r}") from None
    if minimum is not None and number < minimum:
        raise SettingsError(f"{name} must be at least {minimum}, got {number}")
    return number


def env_list(name: str, default: Any = _MISSING) -> list[str]:
    value = _raw(name, default)
    if isinstance(value, list):
        return value
    items = [item.strip() for item in value.split(",") if item.strip()]
    if not items:
        raise SettingsError(f"{name} must be a comma-separated list, got {value!r}")
    return items


def env_url(name: str, default: Any = _MISSING, *, schemes: tuple[str, ...]) -> str:
    """A URL with one of `schemes`, without a trailing slash; an empty default means optional."""
    value = _raw(name, default)
    if value == "":
        return ""
    scheme, sep, rest = value.partition("://")
    if not sep or scheme not in schemes or not rest:
        allowed = ", ".join(f"{s}://" for s in schemes)
        raise SettingsError(f"{name} must be a URL starting with {allowed}, got {value!r}")
    return value.rstrip("/")


def env_database(name: str, default: str) -> dict[str, Any]:
    """Parse DATABASE_URL; only PostgreSQL and SQLite are supported."""
    value = _raw(name, default)
    scheme = value.partition("://")[0]
    if scheme not in {"postgres", "postgresql", "pgsql", "sqlite"}:
        raise SettingsError(
            f"{name} must start with postgresql:// or sqlite:///, got scheme {scheme!r}"
        )
    try:
        config = dj_database_url.parse(value, conn_max_age=60, conn_health_checks=True)
    except ValueError as exc:
        raise SettingsError(f"{name} cannot be parsed: {exc}") from None
    if config["ENGINE"] == "django.db.backends.postgresql" and not config.get("NAME"):
        raise SettingsError(f"{name} must name a database, got {value!r}")
    return config


def env_fernet_keys(name: str, default: Any = _MISSING) -> list[str]:
    """Fernet keys, newest first: the first encrypts, all decrypt."""
    keys = env_list(name, default)
    for position, key in enumerate(keys, start=1):
        try:
            Fernet(key)
        except (ValueError, TypeError):
            raise SettingsError(
                f"{name}: key #{position} is not a Fernet key "
                "(32 url-safe base64-encoded bytes; make one with `make key`)"
            ) from None
    return keys


def run_or_exit(main: Callable[[], Any]) -> Any:
    """Run `main`, turning a settings error into one line on stderr and exit status 1."""
    try:
        return main()
    except SettingsError as exc:
        raise SystemExit(f"Configuration error: {exc}") from None
