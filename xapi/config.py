"""Where X lives and who we are to it. Injected everywhere, so the sandbox is a URL change."""

from __future__ import annotations

from dataclasses import dataclass


def mask(secret: str | None) -> str:
    """A secret for a repr: its last four characters, and only when it is long enough."""
    if secret is None:
        return "None"
    return f"'…{secret[-4:]}'" if len(secret) >= 12 else "'…'"


@dataclass(frozen=True, slots=True)
class XEndpoints:
    """X's base URLs (docs/x-api.md §2, §3, §4). Defaults are production X."""

    api_base_url: str = "https://api.x.com"
    oauth2_authorize_url: str = "https://x.com/i/oauth2/authorize"
    oauth1_authorize_url: str = "https://api.x.com/oauth/authorize"
    oauth1_authenticate_url: str = "https://api.x.com/oauth/authenticate"

    @classmethod
    def under_one_base(cls, base_url: str) -> XEndpoints:
        """Every path under one base URL, as the sandbox serves them."""
        base = base_url.rstrip("/")
        return cls(
            api_base_url=base,
            oauth2_authorize_url=f"{base}/i/oauth2/authorize",
            oauth1_authorize_url=f"{base}/oauth/authorize",
            oauth1_authenticate_url=f"{base}/oauth/authenticate",
        )

    def api_url(self, path: str) -> str:
        return self.api_base_url.rstrip("/") + path

    @property
    def oauth2_token_url(self) -> str:
        return self.api_url("/2/oauth2/token")

    @property
    def oauth2_revoke_url(self) -> str:
        return self.api_url("/2/oauth2/revoke")

    @property
    def oauth1_request_token_url(self) -> str:
        return self.api_url("/oauth/request_token")

    @property
    def oauth1_access_token_url(self) -> str:
        return self.api_url("/oauth/access_token")

    @property
    def oauth1_invalidate_url(self) -> str:
        return self.api_url("/1.1/oauth/invalidate_token")


@dataclass(frozen=True, slots=True, repr=False)
class XApp:
    """The developer app's credentials. ``client_secret`` is None for a public client."""

    client_id: str
    client_secret: str | None
    consumer_key: str
    consumer_secret: str

    @property
    def is_confidential_client(self) -> bool:
        return self.client_secret is not None

    def __repr__(self) -> str:
        return (
            f"XApp(client_id={self.client_id!r}, client_secret={mask(self.client_secret)}, "
            f"consumer_key={self.consumer_key!r}, consumer_secret={mask(self.consumer_secret)})"
        )
