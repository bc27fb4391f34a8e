"""The developer apps registered with the sandbox and their exact callback URLs.

One X app carries both an OAuth 1.0a consumer key and an OAuth 2.0 client; the app type decides
whether the OAuth 2.0 client is confidential (has a secret) or public (docs/x-api.md §3). Billing
and the daily read budget are per app.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from sandbox.config import SandboxConfig, is_absolute_http_url

DEMO_APP = "quartile-demo"
PUBLIC_APP = "quartile-demo-public"


@dataclass(frozen=True)
class RegisteredApp:
    name: str
    client_id: str
    client_secret: str | None  # None for a public client
    consumer_key: str | None = None
    consumer_secret: str | None = None
    bearer_token: str | None = None  # OAuth 2.0 App-Only: the app itself, no user

    @property
    def is_confidential(self) -> bool:
        return self.client_secret is not None


class AppRegistry:
    def __init__(self, config: SandboxConfig) -> None:
        self.demo = RegisteredApp(
            DEMO_APP,
            config.oauth2_client_id,
            config.oauth2_client_secret,
            config.oauth1_consumer_key,
            config.oauth1_consumer_secret,
            config.app_bearer_token,
        )
        self._apps = (self.demo, RegisteredApp(PUBLIC_APP, config.oauth2_public_client_id, None))
        self._callbacks = list(config.callback_urls)
        self._lock = threading.Lock()

    def by_client_id(self, client_id: str | None) -> RegisteredApp | None:
        return next((app for app in self._apps if app.client_id == client_id), None)

    def by_consumer_key(self, consumer_key: str | None) -> RegisteredApp | None:
        return next(
            (a for a in self._apps if a.consumer_key and a.consumer_key == consumer_key), None
        )

    def by_bearer_token(self, token: str) -> RegisteredApp | None:
        return next((a for a in self._apps if a.bearer_token and a.bearer_token == token), None)

    def is_registered_callback(self, url: str | None) -> bool:
        """X compares character for character: a trailing slash or port makes a different URL."""
        with self._lock:
            return url in self._callbacks

    def register_callbacks(self, urls: list[str]) -> list[str]:
        bad = [url for url in urls if not isinstance(url, str) or not is_absolute_http_url(url)]
        if bad:
            raise ValueError(f"not absolute http(s) URLs: {bad}")
        with self._lock:
            self._callbacks.extend(url for url in urls if url not in self._callbacks)
            return list(self._callbacks)

    @property
    def callbacks(self) -> list[str]:
        with self._lock:
            return list(self._callbacks)
