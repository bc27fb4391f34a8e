"""The sandbox as one WSGI application: X's paths under one base URL, plus /_sandbox/."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any
from wsgiref.handlers import format_date_time

from sandbox import problems
from sandbox.api import XApi
from sandbox.apps import AppRegistry, RegisteredApp
from sandbox.auth import AppCaller, Caller, authenticate
from sandbox.clock import Clock
from sandbox.config import SandboxConfig
from sandbox.control import ControlApi
from sandbox.faults import Fault, FaultInjector
from sandbox.http import Request, Response, Router
from sandbox.ledger import Ledger
from sandbox.oauth1 import OAuth1Server
from sandbox.oauth2 import OAuth2Server
from sandbox.pagination import PaginationTokens
from sandbox.problems import InvalidRequest
from sandbox.ratelimits import RateLimiter, RateState
from sandbox.usage import PROJECT_CAPS, usage_answer
from sandbox.world import World, user_id_for

log = logging.getLogger("sandbox")

ApiHandler = Callable[[Request, Caller, datetime], Response]


class Sandbox:
    """All the state of one sandbox instance."""

    def __init__(self, config: SandboxConfig) -> None:
        self.config = config
        self.clock = Clock()
        self.world = World(config.seed, config.anchor or self.clock.now())
        self.world.advance(self.clock.now())
        self.apps = AppRegistry(config)
        self.oauth2 = OAuth2Server(self.apps, self.clock, self.world)
        self.oauth1 = OAuth1Server(self.apps, self.world)
        self.limits = RateLimiter(config.tier)
        self.ledger = Ledger()
        self.faults = FaultInjector()
        self.daily_post_reads: int | None = None
        # Prepaid credits per app: (dollars bought, the ledger's dollars when they were bought).
        self.credits: dict[str, tuple[Decimal, Decimal]] = {}
        self.monthly_post_cap: int | None = None  # None: the tier's (usage.PROJECT_CAPS)
        self.app_owner: str | None = config.app_owner
        if config.credits is not None:
            self.set_credits(self.apps.demo.name, config.credits)
        self.api = XApi(self.world, PaginationTokens(f"quartile-sandbox:{config.seed}".encode()))

    def reset(self) -> None:
        """Forget requests, faults and tokens; clock, tier and budget return to their defaults.

        Users added at run time and registered callback URLs stay.
        """
        self.ledger.clear()
        self.faults.clear()
        self.oauth2.reset()
        self.oauth1.reset()
        self.limits.set_tier(self.config.tier)
        self.clock.set(None)
        self.daily_post_reads = None
        self.credits.clear()
        if self.config.credits is not None:
            self.set_credits(self.apps.demo.name, self.config.credits)
        self.monthly_post_cap = None
        self.app_owner = self.config.app_owner
        self.world.undelete_all()

    def project_cap(self) -> int:
        """The Post reads a billing cycle allows the Project: X's 3,000,000 on pay-per-use."""
        if self.monthly_post_cap is not None:
            return self.monthly_post_cap
        return PROJECT_CAPS[self.limits.tier]

    def set_credits(self, app: str, dollars: Decimal | None) -> None:
        if dollars is None:
            self.credits.pop(app, None)
        else:
            self.credits[app] = (dollars, self.ledger.dollars(app))

    def credits_left(self, app: str) -> Decimal | None:
        """The app's prepaid balance, None when it has no credits configured (no limit)."""
        if app not in self.credits:
            return None
        bought, before = self.credits[app]
        return bought - (self.ledger.dollars(app) - before)

    def account_id(self, app: RegisteredApp) -> str:
        """The developer account X names in usage and credit errors."""
        return user_id_for(f"developer-account:{app.name}")

    def project_id(self, app: RegisteredApp) -> str:
        """The Project X bills the app's reads to: one per app here."""
        return user_id_for(f"project:{app.name}")

    def usage(self, request: Request, caller: AppCaller, now: datetime) -> Response:
        """GET /2/usage/tweets for the app whose Bearer token called."""
        return usage_answer(
            request,
            billed=self.ledger.billed_days(caller.app.name),
            now=now,
            project_cap=self.project_cap(),
            project_id=self.project_id(caller.app),
            client_app_id=user_id_for(f"client-app:{caller.app.name}")[-8:],
        )


class SandboxApp:
    """The WSGI callable."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self._control = ControlApi(sandbox)
        self._router = Router()
        oauth1, oauth2, api = sandbox.oauth1, sandbox.oauth2, sandbox.api
        for method, path, handler in (
            ("GET", "/i/oauth2/authorize", oauth2.authorize_page),
            ("POST", "/i/oauth2/authorize", oauth2.authorize_decision),
            ("POST", "/2/oauth2/token", oauth2.token),
            ("POST", "/2/oauth2/revoke", oauth2.revoke),
            ("POST", "/oauth/request_token", oauth1.request_token),
            ("GET", "/oauth/authorize", oauth1.authorize_page),
            ("POST", "/oauth/authorize", oauth1.authorize_decision),
            ("GET", "/oauth/authenticate", oauth1.authorize_page),
            ("POST", "/oauth/authenticate", oauth1.authorize_decision),
            ("POST", "/oauth/access_token", oauth1.access_token),
            ("POST", "/1.1/oauth/invalidate_token", oauth1.invalidate_token),
        ):
            self._router.add(method, path, handler)
        for path, api_handler in (
            ("/2/users/me", api.users_me),
            ("/2/users/:id/tweets", api.user_tweets),
            ("/2/tweets", api.tweets),
            ("/2/tweets/:id", api.tweet),
        ):
            self._router.add("GET", path, self._guarded(f"GET {path}", api_handler))
        self._router.add(
            "GET", "/2/usage/tweets", self._app_only("GET /2/usage/tweets", sandbox.usage)
        )

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        request = Request(environ)
        try:
            if request.path.startswith("/_sandbox/"):
                response = self._control.handle(request)
            else:
                response = self._serve_x(request)
        except ConnectionResetError:
            raise  # the "reset" fault: the server closes the connection without an answer
        except Exception:
            log.exception("sandbox failed on %s %s", request.method, request.path)
            response = problems.internal_server_error()
        # X's servers date their answers; here the date follows the sandbox clock, so a client
        # that judges Post ages by X's time agrees with the sandbox's 30-day rule.
        headers = [
            *response.headers,
            ("Date", format_date_time(self.sandbox.clock.now().timestamp())),
        ]
        start_response(response.status_line, headers)
        return [response.body]

    def _serve_x(self, request: Request) -> Response:
        match = self._router.match(request.method, request.path)
        endpoint = match[0] if match else None
        if match:
            request.path_params = match[2]
        fault = self.sandbox.faults.take(request.path)
        if fault is not None and fault.kind == "reset":
            self._record(request, endpoint, None)
            raise ConnectionResetError("injected fault: reset")
        if fault is not None and fault.kind == "hang":
            time.sleep(fault.seconds)
        response = self._fault_response(fault, request, endpoint)
        if response is None:
            response = match[1](request) if match else problems.page_does_not_exist()
        if fault is not None and fault.kind == "malformed_json":
            response = Response(200, response.body[: len(response.body) // 2], response.headers)
        self._record(request, endpoint, response)
        return response

    def _record(self, request: Request, endpoint: str | None, response: Response | None) -> None:
        caller: Caller | None = request.caller
        owner = self.sandbox.app_owner
        # Owned Reads: the app owner's token reading the owner's own timeline (ledger.py).
        owned = (
            endpoint == "GET /2/users/:id/tweets"
            and owner is not None
            and isinstance(caller, Caller)
            and caller.username == owner
            and request.path_params.get("id") == caller.user_id
        )
        self.sandbox.ledger.record(
            now=self.sandbox.clock.now(),
            method=request.method,
            path=request.path,
            endpoint=endpoint,
            owner=caller.username if caller else None,
            app=caller.app.name if caller else None,
            ids=_requested_ids(request),
            results=response.returned_post_ids if response else [],
            status=response.status if response else None,
            users=response.returned_user_ids if response else [],
            owned=owned,
        )

    def _fault_response(
        self, fault: Fault | None, request: Request, endpoint: str | None
    ) -> Response | None:
        """The answer a fault replaces the real one with; None when the real one goes out."""
        if fault is None or fault.kind in ("hang", "malformed_json"):
            return None
        sandbox = self.sandbox
        demo_account = sandbox.account_id(sandbox.apps.demo)
        kind = fault.kind
        if kind == "503":
            return problems.service_unavailable()
        if kind == "500":
            return problems.internal_server_error()
        if kind == "usage_cap":
            response = problems.usage_capped("Monthly", demo_account)
            response.headers += sandbox.limits.untouched(
                endpoint or "", sandbox.clock.now()
            ).headers()
            return response
        if kind == "credits_depleted":
            return problems.credits_depleted(demo_account)
        if kind == "client_forbidden":
            return problems.client_forbidden(sandbox.config.oauth2_client_id)
        if kind == "revoked":
            oauth1 = (request.header("Authorization") or "").lower().startswith("oauth ")
            return problems.invalid_or_expired_token() if oauth1 else problems.unauthorized()
        response = (
            problems.too_many_requests() if kind == "429" else problems.rate_limit_exceeded_v1()
        )
        response.headers += sandbox.limits.exhausted(endpoint or "", sandbox.clock.now()).headers()
        return response

    def _guarded(self, endpoint: str, handler: ApiHandler) -> Callable[[Request], Response]:
        """Authenticate, count against the rate limit and the read budget, then answer."""
        sandbox = self.sandbox

        def serve(request: Request) -> Response:
            now = sandbox.clock.now()
            sandbox.world.advance(now)
            caller = self._authenticate(request)
            if isinstance(caller, AppCaller):
                if endpoint != "GET /2/users/me":
                    # X serves public fields to app-only tokens here; Quartile never reads Posts
                    # as the app, so the sandbox does not (sandbox/README.md).
                    return problems.unauthorized()
                return problems.unsupported_authentication(problems.APP_ONLY, problems.USER_CONTEXT)
            if isinstance(caller, Response):
                return caller
            request.caller = caller
            account_id = sandbox.account_id(caller.app)
            credits = sandbox.credits_left(caller.app.name)
            if credits is not None and credits <= 0:
                # Prepaid credits spent (the request that spends the last cent is served).
                return _with_access_level(problems.credits_depleted(account_id))
            if sandbox.ledger.billed_in_month(caller.app.name, now) >= sandbox.project_cap():
                # X's monthly Project cap, from the ledger; X still shows quota left (xdk #25).
                capped = problems.usage_capped("Monthly", account_id)
                return _with_api_headers(capped, sandbox.limits.untouched(endpoint, now))
            rate = sandbox.limits.hit(caller.token_key, endpoint, now)
            assert rate is not None
            budget = sandbox.daily_post_reads
            if rate.exceeded:
                response = problems.too_many_requests()
            elif not caller.may_read:
                response = problems.forbidden()
            elif budget is not None and sandbox.ledger.billed_on(caller.app.name, now) >= budget:
                response = problems.usage_capped("Daily", account_id)
            else:
                response = self._answer(handler, request, caller, now)
            return _with_api_headers(response, rate)

        return serve

    def _app_only(
        self, endpoint: str, handler: Callable[[Request, AppCaller, datetime], Response]
    ) -> Callable[[Request], Response]:
        """An endpoint about the app, not a user (GET /2/usage/tweets): its App-Only Bearer token
        only. A user token, though valid, answers X's 403 Unsupported Authentication. It reads
        no Posts, so the daily read budget does not stop it."""
        sandbox = self.sandbox

        def serve(request: Request) -> Response:
            now = sandbox.clock.now()
            caller = self._authenticate(request)
            if isinstance(caller, Response):
                return caller
            request.caller = caller
            if isinstance(caller, Caller):
                return problems.unsupported_authentication(caller.context, problems.APP_ONLY)
            rate = sandbox.limits.hit(caller.token_key, endpoint, now)
            assert rate is not None
            if rate.exceeded:
                response = problems.too_many_requests()
            else:
                response = self._answer(handler, request, caller, now)
            return _with_api_headers(response, rate)

        return serve

    def _authenticate(self, request: Request) -> Caller | AppCaller | Response:
        sandbox = self.sandbox
        return authenticate(request, sandbox.oauth2, sandbox.oauth1, sandbox.world, sandbox.apps)

    @staticmethod
    def _answer(handler: Callable, request: Request, caller: object, now: datetime) -> Response:
        try:
            return handler(request, caller, now)
        except InvalidRequest as invalid:
            return invalid.response()


def _with_api_headers(response: Response, rate: RateState) -> Response:
    response.headers += rate.headers()
    return _with_access_level(response)


def _with_access_level(response: Response) -> Response:
    # X names the token's access level on every answer but a 401 (tweepy's cassettes).
    response.headers += [("api-version", "2.166"), ("x-access-level", "read")]
    return response


def create_app(config: SandboxConfig) -> SandboxApp:
    return SandboxApp(Sandbox(config))


def _requested_ids(request: Request) -> list[str]:
    if "id" in request.path_params:
        return [request.path_params["id"]]
    ids = request.query_value("ids")
    return ids.split(",") if ids else []
