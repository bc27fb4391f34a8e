"""How the client authenticates: as a user (OAuth 2.0 user tokens or OAuth 1.0a), or as the
developer app itself (its OAuth 2.0 App-Only Bearer token).

The client asks the auth object for a ``requests`` auth before each request and, after
a 401, once more for a retry. Token storage, expiry checks and locking stay with the caller.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

import requests
from requests.auth import AuthBase
from requests_oauthlib import OAuth1

from xapi.config import mask


class UserAuth(Protocol):
    def request_auth(self) -> AuthBase:
        """The auth for the next request."""
        ...

    def retry_auth(self) -> AuthBase | None:
        """After a 401: the auth for one retry, or None when a retry cannot help."""
        ...


class _Bearer(AuthBase):
    def __init__(self, access_token: str) -> None:
        self._access_token = access_token

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"Bearer {self._access_token}"
        return request


class OAuth2UserAuth:
    """An OAuth 2.0 user access token, supplied and refreshed by the caller.

    ``get_access_token`` runs before every request: refresh there when the token
    expires within 5 minutes, under the account's row lock. ``refresh`` runs at most
    once, after a 401, and returns the new access token; the request is retried once
    with it. It should raise ``RefreshRejected`` (as ``refresh_oauth2_token`` does) when
    X refuses the refresh token. Without ``refresh`` a 401 is final.
    """

    def __init__(
        self,
        *,
        get_access_token: Callable[[], str],
        refresh: Callable[[], str] | None = None,
    ) -> None:
        self._get_access_token = get_access_token
        self._refresh = refresh

    def request_auth(self) -> AuthBase:
        return _Bearer(self._get_access_token())

    def retry_auth(self) -> AuthBase | None:
        if self._refresh is None:
            return None
        return _Bearer(self._refresh())


class OAuth1UserAuth:
    """An OAuth 1.0a user token. Signing is requests-oauthlib's ``OAuth1`` (HMAC-SHA1).

    Each request is signed when it is prepared, so every request and every retry gets a
    fresh nonce and timestamp (RFC 5849 §3.3; docs/reliability.md §1.6). OAuth 1.0a tokens do
    not expire, so a 401 is final.
    """

    def __init__(
        self, *, consumer_key: str, consumer_secret: str, token: str, token_secret: str
    ) -> None:
        self.consumer_key = consumer_key
        self.consumer_secret = consumer_secret
        self.token = token
        self.token_secret = token_secret

    def __repr__(self) -> str:
        return (
            f"OAuth1UserAuth(consumer_key={self.consumer_key!r}, "
            f"consumer_secret={mask(self.consumer_secret)}, token={mask(self.token)}, "
            f"token_secret={mask(self.token_secret)})"
        )

    def request_auth(self) -> AuthBase:
        return OAuth1(
            self.consumer_key,
            client_secret=self.consumer_secret,
            resource_owner_key=self.token,
            resource_owner_secret=self.token_secret,
        )

    def retry_auth(self) -> AuthBase | None:
        return None


class AppOnlyAuth:
    """The developer app's own Bearer token (OAuth 2.0 App-Only), from X's developer portal.

    Endpoints about the app rather than a user take only this: ``GET /2/usage/tweets``. X
    answers a user token there, and this token on user-only endpoints such as
    ``GET /2/users/me``, with 403 Unsupported Authentication (docs/x-api.md §2.1, §2.7). It
    does not expire, so a 401 is final.
    """

    def __init__(self, *, bearer_token: str) -> None:
        self.bearer_token = bearer_token

    def __repr__(self) -> str:
        return f"AppOnlyAuth(bearer_token={mask(self.bearer_token)})"

    def request_auth(self) -> AuthBase:
        return _Bearer(self.bearer_token)

    def retry_auth(self) -> AuthBase | None:
        return None
