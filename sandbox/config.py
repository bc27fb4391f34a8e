"""Settings of a sandbox instance, read strictly from the environment.

Every variable has a demo default so `python -m sandbox` runs as is; a bad value stops start-up
with a message naming the variable.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from urllib.parse import urlsplit

from sandbox.clock import parse_instant
from sandbox.ratelimits import TIERS

DEFAULT_CALLBACK_URLS = (
    "http://127.0.0.1:8000/connect/x/oauth2/callback/",
    "http://127.0.0.1:8000/connect/x/oauth1/callback/",
)


class ConfigError(ValueError):
    """A setting that cannot be used; the message names the environment variable."""


@dataclass(frozen=True)
class SandboxConfig:
    oauth2_client_id: str = "quartile-demo-client"
    oauth2_client_secret: str = "quartile-demo-client-secret"
    # A second, public OAuth 2.0 client (X calls Native and Single page apps public clients).
    oauth2_public_client_id: str = "quartile-demo-public-client"
    oauth1_consumer_key: str = "quartile-demo-consumer"
    oauth1_consumer_secret: str = "quartile-demo-consumer-secret"
    # The demo app's App-Only Bearer token, as X's developer portal shows an app's.
    app_bearer_token: str = "quartile-demo-app-bearer-token"
    callback_urls: tuple[str, ...] = DEFAULT_CALLBACK_URLS
    seed: int = 1
    tier: str = "pay_per_use"
    # Where the demo history ends (see sandbox.world); None means the sandbox clock at start-up.
    anchor: datetime | None = field(default=None)
    # The demo user who owns the developer app: its own timeline is billed as Owned Reads.
    app_owner: str | None = None
    # The demo app's prepaid credits in dollars; None: no limit (X answers 402 when spent).
    credits: Decimal | None = None

    def __post_init__(self) -> None:
        if self.tier not in TIERS:
            raise ConfigError(f"SANDBOX_TIER must be one of {', '.join(TIERS)}, not {self.tier!r}")
        for url in self.callback_urls:
            if not is_absolute_http_url(url):
                raise ConfigError(f"SANDBOX_CALLBACK_URLS: {url!r} is not an absolute http(s) URL")
        for name in ("oauth2_client_id", "oauth2_client_secret", "oauth2_public_client_id"):
            if not getattr(self, name):
                raise ConfigError(f"SANDBOX_{name.upper()} must not be empty")
        if not self.oauth1_consumer_key or not self.oauth1_consumer_secret:
            raise ConfigError("SANDBOX_OAUTH1_CONSUMER_KEY and _SECRET must not be empty")
        if not self.app_bearer_token:
            raise ConfigError("SANDBOX_APP_BEARER_TOKEN must not be empty")
        if self.credits is not None and (not self.credits.is_finite() or self.credits < 0):
            raise ConfigError("SANDBOX_CREDITS must be a non-negative amount of dollars")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> SandboxConfig:
        env = os.environ if environ is None else environ
        settings: dict[str, object] = {}
        for name in (
            "oauth2_client_id",
            "oauth2_client_secret",
            "oauth2_public_client_id",
            "oauth1_consumer_key",
            "oauth1_consumer_secret",
            "app_bearer_token",
            "tier",
        ):
            variable = f"SANDBOX_{name.upper()}"
            if variable in env:
                settings[name] = env[variable].strip()
        if "SANDBOX_CALLBACK_URLS" in env:
            urls = tuple(u.strip() for u in env["SANDBOX_CALLBACK_URLS"].split(",") if u.strip())
            if not urls:
                raise ConfigError("SANDBOX_CALLBACK_URLS must list at least one URL")
            settings["callback_urls"] = urls
        if "SANDBOX_SEED" in env:
            try:
                settings["seed"] = int(env["SANDBOX_SEED"])
            except ValueError:
                raise ConfigError(
                    f"SANDBOX_SEED must be an integer, not {env['SANDBOX_SEED']!r}"
                ) from None
        if env.get("SANDBOX_ANCHOR"):
            try:
                settings["anchor"] = parse_instant(env["SANDBOX_ANCHOR"])
            except ValueError:
                raise ConfigError(
                    f"SANDBOX_ANCHOR must be an ISO 8601 instant, not {env['SANDBOX_ANCHOR']!r}"
                ) from None
        if env.get("SANDBOX_APP_OWNER", "").strip():
            settings["app_owner"] = env["SANDBOX_APP_OWNER"].strip()
        if env.get("SANDBOX_CREDITS", "").strip():
            try:
                settings["credits"] = Decimal(env["SANDBOX_CREDITS"].strip())
            except InvalidOperation:
                raise ConfigError(
                    f"SANDBOX_CREDITS must be dollars (e.g. 10.00), not {env['SANDBOX_CREDITS']!r}"
                ) from None
        return cls(**settings)  # type: ignore[arg-type]


def is_absolute_http_url(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.netloc)
