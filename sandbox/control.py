"""The control API under /_sandbox/: not part of X's surface, for the demo, tests and benchmarks."""

from __future__ import annotations

import re
from dataclasses import asdict
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from sandbox import avatars, ledger
from sandbox.clock import format_instant, parse_instant
from sandbox.faults import FAULT_KINDS
from sandbox.http import Request, Response, Router, json_response
from sandbox.ratelimits import TIERS
from sandbox.world import Account, EditRefused, PostRefused

if TYPE_CHECKING:
    from sandbox.app import Sandbox

USERNAME = re.compile(r"^[A-Za-z0-9_]{1,15}$")  # X's handle grammar
MAX_GENERATED_POSTS = 20_000


class ControlError(ValueError):
    """A control request that cannot be carried out; answered with 400 and the message."""


class ControlApi:
    def __init__(self, sandbox: Sandbox) -> None:
        self._sandbox = sandbox
        self._router = Router()
        for method, path, handler in (
            ("GET", "/_sandbox/users", self.users),
            ("POST", "/_sandbox/users", self.add_user),
            ("POST", "/_sandbox/tokens", self.mint_token),
            ("GET", "/_sandbox/clock", self.clock),
            ("POST", "/_sandbox/clock", self.set_clock),
            ("POST", "/_sandbox/faults", self.add_fault),
            ("DELETE", "/_sandbox/faults", self.clear_faults),
            ("GET", "/_sandbox/tier", self.tier),
            ("POST", "/_sandbox/tier", self.set_tier),
            ("GET", "/_sandbox/ledger", self.ledger),
            ("GET", "/_sandbox/billing", self.billing),
            ("POST", "/_sandbox/billing", self.set_billing),
            ("POST", "/_sandbox/reset", self.reset),
            ("POST", "/_sandbox/posts/:id/delete", self.delete_post),
            ("POST", "/_sandbox/posts/:id/edit", self.edit_post),
            ("POST", "/_sandbox/users/:username/nullcast", self.add_nullcast),
            ("POST", "/_sandbox/users/:username/posts", self.add_post),
            ("GET", "/_sandbox/callbacks", self.callbacks),
            ("POST", "/_sandbox/callbacks", self.add_callbacks),
            ("GET", f"{avatars.PREFIX}/:id/:filename", self.profile_image),
        ):
            self._router.add(method, path, handler)

    def handle(self, request: Request) -> Response:
        match = self._router.match(request.method, request.path)
        if match is None:
            return json_response(
                {"error": f"no control endpoint {request.method} {request.path}"}, 404
            )
        request.path_params = match[2]
        try:
            return match[1](request)
        except ControlError as error:
            return json_response({"error": str(error)}, 400)

    # -- users and tokens -----------------------------------------------------------------------

    def users(self, request: Request) -> Response:
        return json_response({"users": [self._summary(a) for a in self._sandbox.world.accounts()]})

    def add_user(self, request: Request) -> Response:
        body = _json_object(request)
        username, posts = body.get("username"), body.get("posts")
        if not isinstance(username, str) or not USERNAME.match(username):
            raise ControlError("username must be 1-15 letters, digits or underscores")
        if (
            not isinstance(posts, int)
            or isinstance(posts, bool)
            or not 0 < posts <= MAX_GENERATED_POSTS
        ):
            raise ControlError(f"posts must be an integer from 1 to {MAX_GENERATED_POSTS}")
        existed = self._sandbox.world.account(username) is not None
        try:
            account = self._sandbox.world.add_account(username, posts)
        except ValueError as error:
            raise ControlError(str(error)) from None
        return json_response(self._summary(account), 200 if existed else 201)

    def mint_token(self, request: Request) -> Response:
        body = _json_object(request)
        account = self._sandbox.world.account(str(body.get("username", "")))
        if account is None:
            raise ControlError(f"unknown username {body.get('username')!r}")
        kind = body.get("kind", "oauth2")
        app = self._sandbox.apps.demo
        if kind == "oauth2":
            return json_response(self._sandbox.oauth2.mint(app, account.id))
        if kind == "oauth1":
            return json_response(self._sandbox.oauth1.mint(app, account.id))
        raise ControlError('kind must be "oauth2" or "oauth1"')

    def profile_image(self, request: Request) -> Response:
        """The avatar `profile_image_url` points at; 404 unless id and file name are the user's."""
        user_id, name = request.path_params["id"], request.path_params["filename"]
        account = self._sandbox.world.account_by_id(user_id)
        if account is None or name != avatars.filename(account):
            return json_response({"error": f"no profile image {request.path}"}, 404)
        svg = avatars.avatar_svg(account.username, account.persona.name)
        return Response(200, svg.encode(), list(avatars.HEADERS))

    # -- clock, faults, tier --------------------------------------------------------------------

    def clock(self, request: Request) -> Response:
        clock = self._sandbox.clock
        return json_response(
            {
                "now": format_instant(clock.now()),
                "real_time": clock.is_real_time,
                "anchor": format_instant(self._sandbox.world.anchor),
            }
        )

    def set_clock(self, request: Request) -> Response:
        body = _json_object(request)
        if "now" not in body:
            raise ControlError('send {"now": "<ISO 8601>"} or {"now": null}')
        now = body["now"]
        try:
            self._sandbox.clock.set(None if now is None else parse_instant(str(now)))
        except ValueError:
            raise ControlError(f"now must be an ISO 8601 instant or null, not {now!r}") from None
        return self.clock(request)

    def add_fault(self, request: Request) -> Response:
        body = _json_object(request)
        try:
            fault = self._sandbox.faults.add(
                str(body.get("kind")), body.get("count", 1), body.get("path"), body.get("seconds")
            )
        except ValueError as error:
            raise ControlError(f"{error} (kinds: {', '.join(FAULT_KINDS)})") from None
        return json_response(asdict(fault), 201)

    def clear_faults(self, request: Request) -> Response:
        self._sandbox.faults.clear()
        return json_response({"cleared": True})

    def tier(self, request: Request) -> Response:
        sandbox = self._sandbox
        return json_response(
            {
                "name": sandbox.limits.tier,
                "daily_post_reads": sandbox.daily_post_reads,
                "limits": {
                    endpoint: {"requests": limit.requests, "window_seconds": limit.window_seconds}
                    for endpoint, limit in TIERS[sandbox.limits.tier].items()
                },
            }
        )

    def set_tier(self, request: Request) -> Response:
        body = _json_object(request)
        if "name" in body:
            if body["name"] not in TIERS:
                raise ControlError(f"name must be one of {', '.join(TIERS)}")
            self._sandbox.limits.set_tier(body["name"])
        if "daily_post_reads" in body:
            budget = body["daily_post_reads"]
            if budget is not None and (
                not isinstance(budget, int) or isinstance(budget, bool) or budget < 0
            ):
                raise ControlError("daily_post_reads must be a non-negative integer or null")
            self._sandbox.daily_post_reads = budget
        return self.tier(request)

    # -- ledger, reset, callbacks ---------------------------------------------------------------

    def ledger(self, request: Request) -> Response:
        return json_response(self._sandbox.ledger.snapshot())

    def delete_post(self, request: Request) -> Response:
        """Its author deletes a Post on X (undone by a reset)."""
        post_id = request.path_params["id"]
        if not self._sandbox.world.delete_post(post_id):
            raise ControlError(f"no Post {post_id}")
        return json_response({"deleted": post_id})

    def edit_post(self, request: Request) -> Response:
        """Its author edits a Post on X: {"text": …} gives the new version's id (a reset undoes
        it)."""
        text = _json_object(request).get("text")
        if not isinstance(text, str) or not text.strip():
            raise ControlError('send {"text": "the edited text"}')
        try:
            edited = self._sandbox.world.edit_post(
                request.path_params["id"], text, self._sandbox.clock.now()
            )
        except EditRefused as refused:
            raise ControlError(str(refused)) from None
        versions = self._sandbox.world.versions(edited.id)
        return json_response({"id": edited.id, "edit_history_tweet_ids": list(versions)})

    def add_nullcast(self, request: Request) -> Response:
        """A promoted-only Post of the user, created now: {"text": …} gives its id."""
        username = request.path_params["username"]
        text = _json_object(request).get("text")
        if self._sandbox.world.account(username) is None:
            raise ControlError(f"no user {username}")
        if not isinstance(text, str) or not text.strip():
            raise ControlError('send {"text": "the ad\'s text"}')
        post = self._sandbox.world.add_nullcast(username, text, self._sandbox.clock.now())
        return json_response({"id": post.id})

    def add_post(self, request: Request) -> Response:
        """The user posts now, on their timeline: {"text": …, "media_from": <Post id>?} gives its
        id; with `media_from` the Post carries that Post's media (a reset undoes it)."""
        body = _json_object(request)
        text, media_from = body.get("text"), body.get("media_from")
        if not isinstance(text, str) or not text.strip():
            raise ControlError('send {"text": "the Post\'s text"}')
        if media_from is not None and not isinstance(media_from, str):
            raise ControlError("media_from must be a Post id string")
        try:
            post = self._sandbox.world.add_post(
                request.path_params["username"], text, self._sandbox.clock.now(), media_from
            )
        except PostRefused as refused:
            raise ControlError(str(refused)) from None
        return json_response({"id": post.id, "media_keys": list(post.media_keys)})

    def billing(self, request: Request) -> Response:
        sandbox = self._sandbox
        now = sandbox.clock.now()
        apps = [sandbox.apps.demo.name, *sorted(set(sandbox.credits) - {sandbox.apps.demo.name})]
        return json_response(
            {
                "prices": {
                    "post_read": str(ledger.POST_READ),
                    "user_read": str(ledger.USER_READ),
                    "owned_read": str(ledger.OWNED_READ),
                },
                "app_owner": sandbox.app_owner,
                "monthly_post_cap": sandbox.project_cap(),
                "apps": {
                    app: {
                        "dollars": str(sandbox.ledger.dollars(app)),
                        "post_reads_this_month": sandbox.ledger.billed_in_month(app, now),
                        "credits": None
                        if app not in sandbox.credits
                        else str(sandbox.credits[app][0]),
                        "credits_left": None
                        if (left := sandbox.credits_left(app)) is None
                        else str(left),
                    }
                    for app in apps
                },
            }
        )

    def set_billing(self, request: Request) -> Response:
        body = _json_object(request)
        sandbox = self._sandbox
        if "credits" in body:
            app = body.get("app", sandbox.apps.demo.name)
            if app not in (sandbox.apps.demo.name, "quartile-demo-public"):
                raise ControlError(f"no app {app!r}")
            sandbox.set_credits(app, _dollars(body["credits"]))
        if "monthly_post_cap" in body:
            cap = body["monthly_post_cap"]
            if cap is not None and (not isinstance(cap, int) or isinstance(cap, bool) or cap < 0):
                raise ControlError("monthly_post_cap must be a non-negative integer or null")
            sandbox.monthly_post_cap = cap
        if "app_owner" in body:
            owner = body["app_owner"]
            if owner is not None and sandbox.world.account(owner) is None:
                raise ControlError(f"no demo user {owner!r}")
            sandbox.app_owner = owner
        return self.billing(request)

    def reset(self, request: Request) -> Response:
        self._sandbox.reset()
        return json_response({"reset": True})

    def callbacks(self, request: Request) -> Response:
        return json_response({"urls": self._sandbox.apps.callbacks})

    def add_callbacks(self, request: Request) -> Response:
        urls = _json_object(request).get("urls")
        if not isinstance(urls, list) or not urls:
            raise ControlError('send {"urls": ["http://…/callback/"]}')
        try:
            return json_response({"urls": self._sandbox.apps.register_callbacks(urls)})
        except ValueError as error:
            raise ControlError(str(error)) from None

    def _summary(self, account: Account) -> dict[str, Any]:
        now = self._sandbox.clock.now()
        posts = self._sandbox.world.timeline(account, now)
        recent = [post for post in posts if now - post.created_at < timedelta(days=30)]
        return {
            "id": account.id,
            "username": account.username,
            "name": account.persona.name,
            "posts": len(posts),
            "posts_last_30_days": len(recent),
            "followers_count": account.followers_at(now),
            "history_start": format_instant(account.history_start),
        }


def _dollars(value: Any) -> Decimal | None:
    """Dollars as a string or a number ("10.00", 10); null for none."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise ControlError('credits must be dollars, as a string like "10.00", or null')
    try:
        dollars = Decimal(str(value))
    except InvalidOperation:
        raise ControlError(f"credits must be dollars, not {value!r}") from None
    if not dollars.is_finite() or dollars < 0:
        raise ControlError("credits must be a non-negative amount of dollars")
    return dollars


def _json_object(request: Request) -> dict[str, Any]:
    try:
        body = request.json()
    except ValueError:
        raise ControlError("the body must be JSON") from None
    if not isinstance(body, dict):
        raise ControlError("the body must be a JSON object")
    return body
