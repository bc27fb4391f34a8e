"""OAuth 2.0 Authorization Code Flow with PKCE, as X runs it (docs/x-api.md §3).

- `GET /i/oauth2/authorize` shows a consent form; its POST answers 302 to the exact registered
  `redirect_uri` with `state` and `code`, or `error=access_denied` and `state` on Cancel. An unknown
  client or an unregistered `redirect_uri` gets X's error page (400), never a redirect; so does any
  other bad parameter (a choice: X's behaviour there is not captured).
- `POST /2/oauth2/token`: confidential clients authenticate with HTTP Basic, public ones send
  `client_id` in the body. Codes are single-use and live 30 seconds; access tokens live 2 hours;
  a refresh token comes only with `offline.access`, is single-use and rotates.
- `POST /2/oauth2/revoke`: revoking an access token ends that token; revoking a refresh token ends
  the whole grant (RFC 7009 §2.1), its access tokens included.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import urlencode, urlsplit, urlunsplit

from sandbox import pages
from sandbox.apps import AppRegistry, RegisteredApp
from sandbox.clock import Clock
from sandbox.http import Request, Response, html_response, json_response, redirect
from sandbox.problems import token_error
from sandbox.world import World

CODE_LIFETIME = timedelta(seconds=30)
ACCESS_TOKEN_LIFETIME = timedelta(hours=2)
MINTED_SCOPES = ("tweet.read", "users.read", "offline.access")
# X's scopes (docs fundamentals/authentication/oauth-2-0/authorization-code, docs/x-api.md §3).
X_SCOPES = frozenset(
    [
        "tweet.read",
        "tweet.write",
        "tweet.moderate.write",
        "users.email",
        "users.read",
        "follows.read",
        "follows.write",
        "offline.access",
        "space.read",
        "mute.read",
        "mute.write",
        "like.read",
        "like.write",
        "list.read",
        "list.write",
        "block.read",
        "block.write",
        "bookmark.read",
        "bookmark.write",
        "dm.read",
        "dm.write",
        "media.write",
    ]
)
AUTHORIZE_PARAMETERS = (
    "response_type",
    "client_id",
    "redirect_uri",
    "scope",
    "state",
    "code_challenge",
    "code_challenge_method",
)
INVALID_CODE = "Value passed for the authorization code was invalid."
INVALID_TOKEN = "Value passed for the token was invalid."
# UNCERTAIN wording: no capture of X's answer to a redirect_uri that differs from the authorize one.
REDIRECT_MISMATCH = (
    "Value passed for the redirect uri did not match the uri of the authorization code."
)


def pkce_challenge(verifier: str, method: str) -> str:
    """RFC 7636 §4.2: S256 is BASE64URL(SHA256(ASCII(verifier))) without padding; plain is as is."""
    if method == "plain":
        return verifier
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def with_query(url: str, params: dict[str, str]) -> str:
    parts = urlsplit(url)
    query = f"{parts.query}&{urlencode(params)}" if parts.query else urlencode(params)
    return urlunsplit(parts._replace(query=query))


class AuthorizationError(ValueError):
    """An authorize request X would answer with its error page."""


@dataclass(frozen=True)
class AuthorizationRequest:
    app: RegisteredApp
    redirect_uri: str
    scopes: tuple[str, ...]
    state: str
    code_challenge: str
    code_challenge_method: str


@dataclass(frozen=True)
class AuthorizationCode:
    request: AuthorizationRequest
    user_id: str
    issued_at: datetime


@dataclass
class Grant:
    """One user's consent to one app: the tokens issued under it share its fate on revocation."""

    app: RegisteredApp
    user_id: str
    scopes: tuple[str, ...]
    access_tokens: set[str] = field(default_factory=set)
    refresh_token: str | None = None


@dataclass(frozen=True)
class AccessToken:
    value: str
    grant: Grant
    expires_at: datetime


class OAuth2Server:
    def __init__(self, apps: AppRegistry, clock: Clock, world: World) -> None:
        self._apps = apps
        self._clock = clock
        self._world = world
        self._codes: dict[str, AuthorizationCode] = {}
        self._access: dict[str, AccessToken] = {}
        self._refresh: dict[str, Grant] = {}
        self._lock = threading.Lock()

    def reset(self) -> None:
        with self._lock:
            self._codes.clear()
            self._access.clear()
            self._refresh.clear()

    # -- consent --------------------------------------------------------------------------------

    def authorize_page(self, request: Request) -> Response:
        params = dict(request.query)
        try:
            authorization = self._authorization_request(params)
        except AuthorizationError as error:
            return html_response(pages.error_page(str(error)), 400)
        return html_response(
            pages.consent_page(
                app_name=authorization.app.name,
                action=request.path,
                hidden={name: params[name] for name in AUTHORIZE_PARAMETERS if name in params},
                accounts=self._world.accounts(),
                scopes=list(authorization.scopes),
            )
        )

    def authorize_decision(self, request: Request) -> Response:
        form = request.form
        try:
            authorization = self._authorization_request(form)
        except AuthorizationError as error:
            return html_response(pages.error_page(str(error)), 400)
        if form.get("action") == "cancel":
            return redirect(
                with_query(
                    authorization.redirect_uri,
                    {"error": "access_denied", "state": authorization.state},
                )
            )
        account = self._world.account(form.get("username", ""))
        if form.get("action") != "authorize" or account is None:
            return html_response(
                pages.error_page("Choose an account, then Authorize or Cancel."), 400
            )
        code = secrets.token_urlsafe(48)
        with self._lock:
            self._codes[code] = AuthorizationCode(authorization, account.id, self._clock.now())
        return redirect(
            with_query(authorization.redirect_uri, {"state": authorization.state, "code": code})
        )

    def _authorization_request(self, params: dict[str, str]) -> AuthorizationRequest:
        app = self._apps.by_client_id(params.get("client_id"))
        if app is None:
            raise AuthorizationError("Unknown client_id.")
        redirect_uri = params.get("redirect_uri", "")
        if not self._apps.is_registered_callback(redirect_uri):
            raise AuthorizationError("redirect_uri does not match a registered callback URL.")
        if params.get("response_type") != "code":
            raise AuthorizationError("response_type must be code.")
        scopes = tuple(params.get("scope", "").split())
        if not scopes or not set(scopes) <= X_SCOPES:
            raise AuthorizationError("scope must list X's OAuth 2.0 scopes, separated by spaces.")
        state = params.get("state", "")
        if not 0 < len(state) <= 500:
            raise AuthorizationError("state is required (up to 500 characters).")
        method = params.get("code_challenge_method", "plain")
        if not params.get("code_challenge") or method not in ("S256", "plain"):
            raise AuthorizationError(
                "code_challenge is required; code_challenge_method is S256 or plain."
            )
        return AuthorizationRequest(
            app, redirect_uri, scopes, state, params["code_challenge"], method
        )

    # -- token endpoint -------------------------------------------------------------------------

    def token(self, request: Request) -> Response:
        client = self._client(request)
        if isinstance(client, Response):
            return client
        form = request.form
        grant_type = form.get("grant_type")
        if grant_type == "authorization_code":
            return self._redeem_code(client, form)
        if grant_type == "refresh_token":
            return self._refresh_tokens(client, form)
        if grant_type is None:
            return token_error("invalid_request", "Missing required parameter [grant_type].")
        return token_error("unsupported_grant_type", "Value passed for the grant type was invalid.")

    def revoke(self, request: Request) -> Response:
        client = self._client(request)
        if isinstance(client, Response):
            return client
        value = request.form.get("token")
        if not value:
            return token_error("invalid_request", "Missing required parameter [token].")
        # Real X requires the hint that RFC 7009 makes optional (docs/x-api.md §9, 2026 answers).
        if not request.form.get("token_type_hint"):
            return token_error("invalid_request", "Missing required parameter [token_type_hint].")
        with self._lock:
            access = self._access.get(value)
            if access is not None and access.grant.app == client:
                access.grant.access_tokens.discard(value)
                del self._access[value]
            grant = self._refresh.get(value)
            if grant is not None and grant.app == client:
                self._end_grant(grant)
        return json_response({"revoked": True})

    def mint(self, app: RegisteredApp, user_id: str) -> dict:
        """Tokens for an app owner, as X's developer portal generates them."""
        with self._lock:
            return self._issue(Grant(app, user_id, MINTED_SCOPES))

    def access_token(self, value: str) -> AccessToken | None:
        """A token that is known, unrevoked and unexpired now."""
        with self._lock:
            token = self._access.get(value)
        if token is None or token.expires_at <= self._clock.now():
            return None
        return token

    def _client(self, request: Request) -> RegisteredApp | Response:
        credentials = basic_credentials(request.header("Authorization"))
        if credentials is not None:
            app = self._apps.by_client_id(credentials[0])
            secret = app.client_secret if app else None
            if secret is None or not hmac.compare_digest(secret, credentials[1]):
                return token_error("unauthorized_client", "Missing valid authorization header", 401)
            return app  # type: ignore[return-value]
        client_id = request.form.get("client_id")
        if not client_id:
            return token_error("invalid_request", "Missing required parameter [client_id].")
        app = self._apps.by_client_id(client_id)
        if app is None or app.is_confidential:
            # A confidential client must use Basic (docs/x-api.md §3, omniauth-twitter2 #4).
            return token_error("unauthorized_client", "Missing valid authorization header", 401)
        return app

    def _redeem_code(self, client: RegisteredApp, form: dict[str, str]) -> Response:
        for name in ("code", "redirect_uri", "code_verifier"):
            if not form.get(name):
                return token_error("invalid_request", f"Missing required parameter [{name}].")
        with self._lock:
            code = self._codes.pop(form["code"], None)  # single use, spent even by a failed attempt
            now = self._clock.now()
            if code is None or code.request.app != client or now - code.issued_at > CODE_LIFETIME:
                return token_error("invalid_request", INVALID_CODE)
            authorization = code.request
            if form["redirect_uri"] != authorization.redirect_uri:
                return token_error("invalid_request", REDIRECT_MISMATCH)
            expected = pkce_challenge(form["code_verifier"], authorization.code_challenge_method)
            if not hmac.compare_digest(expected, authorization.code_challenge):
                return token_error(
                    "invalid_request",
                    "Value passed for the code verifier did not match the code challenge.",
                )
            grant = Grant(client, code.user_id, authorization.scopes)
            return token_response(self._issue(grant))

    def _refresh_tokens(self, client: RegisteredApp, form: dict[str, str]) -> Response:
        value = form.get("refresh_token")
        if not value:
            return token_error("invalid_request", "Missing required parameter [refresh_token].")
        with self._lock:
            grant = self._refresh.get(value)
            if grant is None or grant.app != client:
                return token_error("invalid_request", INVALID_TOKEN)
            del self._refresh[value]  # rotation: the old refresh token never works again
            return token_response(self._issue(grant))

    def _issue(self, grant: Grant) -> dict:
        value = secrets.token_urlsafe(60)
        now = self._clock.now()
        self._access[value] = AccessToken(value, grant, now + ACCESS_TOKEN_LIFETIME)
        grant.access_tokens.add(value)
        body = {
            "token_type": "bearer",
            "expires_in": int(ACCESS_TOKEN_LIFETIME.total_seconds()),
            "access_token": value,
            "scope": " ".join(grant.scopes),
        }
        if "offline.access" in grant.scopes:
            grant.refresh_token = secrets.token_urlsafe(60)
            self._refresh[grant.refresh_token] = grant
            body["refresh_token"] = grant.refresh_token
        return body

    def _end_grant(self, grant: Grant) -> None:
        for value in grant.access_tokens:
            self._access.pop(value, None)
        grant.access_tokens.clear()
        if grant.refresh_token is not None:
            self._refresh.pop(grant.refresh_token, None)
            grant.refresh_token = None


def token_response(body: dict) -> Response:
    response = json_response(body)
    response.headers += [("Cache-Control", "no-store"), ("Pragma", "no-cache")]  # RFC 6749 §5.1
    return response


def basic_credentials(header: str | None) -> tuple[str, str] | None:
    if not header or header[:6].lower() != "basic ":
        return None
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return ("", "")
    client_id, _, secret = decoded.partition(":")
    return client_id, secret
