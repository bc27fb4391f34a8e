"""OAuth 1.0a three-legged flow and HMAC-SHA1 request verification (docs/x-api.md §4).

Signatures are checked with oauthlib's RFC 5849 helpers over the method, the URL the client
addressed, the query, a form-encoded body and the oauth_* parameters. Failures answer with X's v1.1
bodies: 32 "Could not authenticate you." (bad signature, reused nonce, unknown consumer), 135
"Timestamp out of bounds." (more than 5 minutes off), 89 "Invalid or expired token." (unknown,
used or invalidated token), 215 "Bad Authentication data." (oauth_* parameters missing).

The timestamp window is measured against the machine's real clock, not the sandbox clock:
clients sign with the real clock, and tests move the sandbox clock by days.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import NamedTuple

from oauthlib.common import safe_string_equals
from oauthlib.oauth1.rfc5849 import signature as rfc5849

from sandbox import pages, problems
from sandbox.apps import AppRegistry, RegisteredApp
from sandbox.http import Request, Response, form_response, html_response, json_response, redirect
from sandbox.oauth2 import with_query
from sandbox.world import World

TIMESTAMP_WINDOW_SECONDS = 5 * 60
REQUIRED_PARAMETERS = (
    "oauth_consumer_key",
    "oauth_nonce",
    "oauth_signature",
    "oauth_signature_method",
    "oauth_timestamp",
)


@dataclass(frozen=True)
class SignedRequest:
    """The parts of an HTTP request that an OAuth 1.0a signature covers."""

    method: str
    url: str  # scheme://host[:port]/path as the client addressed it
    query: str = ""
    form_body: str = ""
    authorization: str | None = None

    @classmethod
    def of(cls, request: Request) -> SignedRequest:
        return cls(
            request.method,
            request.url,
            request.query_string,
            request.form_text,
            request.header("Authorization"),
        )

    def parameters(self) -> list[tuple[str, str]]:
        """Every signed parameter, oauth_signature included. Raises ValueError when malformed."""
        headers = {"Authorization": self.authorization} if self.authorization else None
        return rfc5849.collect_parameters(
            uri_query=self.query,
            body=self.form_body or None,
            headers=headers,
            exclude_oauth_signature=False,
        )

    def oauth_parameters(self) -> dict[str, str]:
        return {key: value for key, value in self.parameters() if key.startswith("oauth_")}

    def base_string(self) -> str:
        signed = [(key, value) for key, value in self.parameters() if key != "oauth_signature"]
        return rfc5849.signature_base_string(
            self.method, rfc5849.base_string_uri(self.url), rfc5849.normalize_parameters(signed)
        )


class SigningSecrets(NamedTuple):
    """The two secrets of a signature, named as oauthlib's signing helpers read them."""

    client_secret: str
    resource_owner_secret: str


def signature_matches(request: SignedRequest, consumer_secret: str, token_secret: str) -> bool:
    try:
        expected = rfc5849.sign_hmac_sha1_with_client(
            request.base_string(), SigningSecrets(consumer_secret, token_secret)
        )
        sent = request.oauth_parameters().get("oauth_signature", "")
    except ValueError:
        return False
    return safe_string_equals(expected, sent)


@dataclass
class RequestToken:
    value: str
    secret: str
    app: RegisteredApp
    callback: str
    verifier: str | None = None
    user_id: str | None = None


@dataclass(frozen=True)
class AccessToken:
    value: str
    secret: str
    app: RegisteredApp
    user_id: str


@dataclass(frozen=True)
class Verified:
    app: RegisteredApp
    parameters: dict[str, str]
    token: RequestToken | AccessToken | None


class OAuth1Server:
    def __init__(self, apps: AppRegistry, world: World) -> None:
        self._apps = apps
        self._world = world
        self._request_tokens: dict[str, RequestToken] = {}
        self._access_tokens: dict[str, AccessToken] = {}
        self._nonces: dict[tuple[str, str, str], int] = {}  # (consumer, token, nonce) -> timestamp
        self._lock = threading.Lock()

    def reset(self) -> None:
        with self._lock:
            self._request_tokens.clear()
            self._access_tokens.clear()
            self._nonces.clear()

    # -- the three legs -------------------------------------------------------------------------

    def request_token(self, request: Request) -> Response:
        verified = self.verify(request, {})
        if isinstance(verified, Response):
            return verified
        callback = verified.parameters.get("oauth_callback", "")
        if not self._apps.is_registered_callback(callback):
            return problems.callback_not_approved()
        token = RequestToken(
            secrets.token_urlsafe(24), secrets.token_urlsafe(32), verified.app, callback
        )
        with self._lock:
            self._request_tokens[token.value] = token
        return form_response(
            {
                "oauth_token": token.value,
                "oauth_token_secret": token.secret,
                "oauth_callback_confirmed": "true",
            }
        )

    def authorize_page(self, request: Request) -> Response:
        token = self._pending_request_token(request.query_value("oauth_token"))
        if token is None:
            return html_response(
                pages.error_page("This request token is invalid or was used."), 400
            )
        return html_response(
            pages.consent_page(
                app_name=token.app.name,
                action=request.path,
                hidden={"oauth_token": token.value},
                accounts=self._world.accounts(),
                scopes=[],
            )
        )

    def authorize_decision(self, request: Request) -> Response:
        form = request.form
        token = self._pending_request_token(form.get("oauth_token"))
        if token is None:
            return html_response(
                pages.error_page("This request token is invalid or was used."), 400
            )
        if form.get("action") == "cancel":
            with self._lock:
                self._request_tokens.pop(token.value, None)
            return redirect(with_query(token.callback, {"denied": token.value}))
        account = self._world.account(form.get("username", ""))
        if form.get("action") != "authorize" or account is None:
            return html_response(
                pages.error_page("Choose an account, then Authorize or Cancel."), 400
            )
        with self._lock:
            token.verifier = secrets.token_urlsafe(24)
            token.user_id = account.id
        return redirect(
            with_query(
                token.callback, {"oauth_token": token.value, "oauth_verifier": token.verifier}
            )
        )

    def access_token(self, request: Request) -> Response:
        with self._lock:
            authorized = {k: t for k, t in self._request_tokens.items() if t.user_id is not None}
        verified = self.verify(request, authorized)
        if isinstance(verified, Response):
            return verified
        token = verified.token
        assert isinstance(token, RequestToken) and token.user_id is not None
        if not safe_string_equals(
            verified.parameters.get("oauth_verifier", ""), token.verifier or ""
        ):
            return problems.invalid_or_expired_token()
        with self._lock:
            self._request_tokens.pop(token.value, None)
        return form_response(self._issue(token.app, token.user_id))

    def invalidate_token(self, request: Request) -> Response:
        verified = self.authenticate(request)
        if isinstance(verified, Response):
            return verified
        assert isinstance(verified.token, AccessToken)
        with self._lock:
            self._access_tokens.pop(verified.token.value, None)
        return json_response({"access_token": verified.token.value})

    def mint(self, app: RegisteredApp, user_id: str) -> dict[str, str]:
        return self._issue(app, user_id)

    # -- verification ---------------------------------------------------------------------------

    def authenticate(self, request: Request) -> Verified | Response:
        """A request signed with a user's access token."""
        with self._lock:
            tokens = dict(self._access_tokens)
        verified = self.verify(request, tokens)
        if not isinstance(verified, Response) and verified.token is None:
            return problems.bad_authentication_data()
        return verified

    def verify(
        self, request: Request, tokens: Mapping[str, RequestToken | AccessToken]
    ) -> Verified | Response:
        signed = SignedRequest.of(request)
        try:
            parameters = signed.oauth_parameters()
        except ValueError:
            return problems.bad_authentication_data()
        if any(name not in parameters for name in REQUIRED_PARAMETERS):
            return problems.bad_authentication_data()
        app = self._apps.by_consumer_key(parameters["oauth_consumer_key"])
        if (
            app is None
            or parameters["oauth_signature_method"] != "HMAC-SHA1"
            or parameters.get("oauth_version", "1.0") != "1.0"
        ):
            return problems.could_not_authenticate()
        token_value = parameters.get("oauth_token")
        token = tokens.get(token_value) if token_value else None
        if token_value and (token is None or token.app != app):
            return problems.invalid_or_expired_token()
        try:
            timestamp = int(parameters["oauth_timestamp"])
        except ValueError:
            return problems.timestamp_out_of_bounds()
        now = time.time()
        if abs(now - timestamp) > TIMESTAMP_WINDOW_SECONDS:
            return problems.timestamp_out_of_bounds()
        assert app.consumer_secret is not None
        if not signature_matches(signed, app.consumer_secret, token.secret if token else ""):
            return problems.could_not_authenticate()
        if not self._spend_nonce(
            (app.name, token_value or "", parameters["oauth_nonce"]), timestamp, now
        ):
            return problems.could_not_authenticate()
        return Verified(app, parameters, token)

    def _spend_nonce(self, key: tuple[str, str, str], timestamp: int, now: float) -> bool:
        """A nonce is good once; it is remembered for as long as its timestamp would pass."""
        with self._lock:
            horizon = now - 2 * TIMESTAMP_WINDOW_SECONDS
            for stale in [k for k, seen in self._nonces.items() if seen < horizon]:
                del self._nonces[stale]
            if key in self._nonces:
                return False
            self._nonces[key] = timestamp
            return True

    def _pending_request_token(self, value: str | None) -> RequestToken | None:
        with self._lock:
            token = self._request_tokens.get(value or "")
        return token if token is not None and token.verifier is None else None

    def _issue(self, app: RegisteredApp, user_id: str) -> dict[str, str]:
        account = self._world.account_by_id(user_id)
        assert account is not None
        token = AccessToken(
            f"{user_id}-{secrets.token_urlsafe(30)}", secrets.token_urlsafe(32), app, user_id
        )
        with self._lock:
            self._access_tokens[token.value] = token
        return {
            "oauth_token": token.value,
            "oauth_token_secret": token.secret,
            "user_id": user_id,
            "screen_name": account.username,
        }
