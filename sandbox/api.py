"""X API v2 read endpoints: /2/users/me, /2/users/:id/tweets, /2/tweets and /2/tweets/:id.

Timeline rules (docs/x-api.md §1.3, §2.2, §7.15, docs x-api/posts/timelines/integrate):
- only the newest 3,200 Posts are reachable (800 with exclude=replies); beyond that, an empty page;
- since_id takes precedence over start_time and until_id over end_time; start_time is inclusive and
  end_time exclusive;
- with private metrics requested the timeline "automatically adjusts to only include Posts from the
  last 30 days"; retweets (and any Post the token may not see privately) come back as Field
  Authorization Errors, so a page can hold `result_count: 0` and still carry a `next_token`;
- the errors of a timeline name the Post with parameter "id" (UNCERTAIN: not captured).
"""

from __future__ import annotations

import re
from datetime import datetime

from sandbox import fields
from sandbox.auth import Caller
from sandbox.clock import parse_instant
from sandbox.http import Request, Response, json_response
from sandbox.pagination import Cursor, Direction, PaginationTokens
from sandbox.problems import InvalidRequest, not_found_error
from sandbox.render import PRIVATE_POST_FIELDS, PRIVATE_WINDOW, Renderer
from sandbox.world import Post, PostKind, World

ID_PATTERN = re.compile(r"^[0-9]{1,19}$")
MAX_IDS = 100
TIMELINE_DEPTH = 3200
TIMELINE_DEPTH_WITHOUT_REPLIES = 800


class XApi:
    def __init__(self, world: World, tokens: PaginationTokens) -> None:
        self._world = world
        self._tokens = tokens

    def users_me(self, request: Request, caller: Caller, now: datetime) -> Response:
        fields.check_parameter_names(request, fields.ME_PARAMETERS)
        renderer = self._renderer(request, caller, now, fields.user_selection(request))
        account = self._world.account_by_id(caller.user_id)
        assert account is not None
        response = json_response({"data": renderer.user(account)})
        response.returned_user_ids = [caller.user_id]  # a User read, billed (ledger.py)
        return response

    def tweets(self, request: Request, caller: Caller, now: datetime) -> Response:
        fields.check_parameter_names(request, fields.LOOKUP_PARAMETERS)
        raw_ids = request.query_value("ids")
        if raw_ids is None:
            raise InvalidRequest("ids", [], "The `ids` query parameter can not be empty")
        ids = raw_ids.split(",")
        if not 1 <= len(ids) <= MAX_IDS:
            raise InvalidRequest(
                "ids",
                [raw_ids],
                f"The number of values in the `ids` query parameter list [{len(ids)}] is not "
                f"between 1 and {MAX_IDS}",
            )
        for post_id in ids:
            _check_id("ids", post_id)
        renderer = self._renderer(request, caller, now, fields.post_selection(request))
        posts, missing = [], []
        for post_id in dict.fromkeys(ids):
            post = self._world.post(post_id, now)
            if post is None:
                missing.append(not_found_error("tweet", post_id, "ids"))
            else:
                posts.append(post)
        hydrated = renderer.hydrate(posts, "ids")
        hydrated.errors[:0] = missing
        return _answer(hydrated.body(), hydrated.post_ids)

    def tweet(self, request: Request, caller: Caller, now: datetime) -> Response:
        fields.check_parameter_names(request, fields.SINGLE_LOOKUP_PARAMETERS)
        post_id = request.path_params["id"]
        _check_id("id", post_id)
        renderer = self._renderer(request, caller, now, fields.post_selection(request))
        post = self._world.post(post_id, now)
        if post is None:
            # X answers 200 with only an error here (docs/x-api.md §2.4 capture).
            return json_response({"errors": [not_found_error("tweet", post_id, "id")]})
        hydrated = renderer.hydrate([post], "id")
        return _answer(hydrated.body(single=True), hydrated.post_ids)

    def user_tweets(self, request: Request, caller: Caller, now: datetime) -> Response:
        fields.check_parameter_names(request, fields.TIMELINE_PARAMETERS)
        user_id = request.path_params["id"]
        _check_id("id", user_id)
        selection = fields.post_selection(request)
        max_results = _max_results(request.query_value("max_results"))
        exclude = fields.list_parameter(request, "exclude", ["replies", "retweets"])
        since_id = _optional_id(request, "since_id")
        until_id = _optional_id(request, "until_id")
        start_time = _optional_time(request, "start_time")
        end_time = _optional_time(request, "end_time")
        cursor = self._cursor(request.query_value("pagination_token"))
        account = self._world.account_by_id(user_id)
        if account is None:
            return json_response({"errors": [not_found_error("user", user_id, "id")]})

        newest_first = self._world.timeline(account, now)[::-1]
        depth = TIMELINE_DEPTH_WITHOUT_REPLIES if "replies" in exclude else TIMELINE_DEPTH
        candidates = [post for post in newest_first[:depth] if not _excluded(post, exclude)]
        if since_id is not None:
            candidates = [post for post in candidates if int(post.id) > since_id]
        elif start_time is not None:
            candidates = [post for post in candidates if post.created_at >= start_time]
        if until_id is not None:
            candidates = [post for post in candidates if int(post.id) < until_id]
        elif end_time is not None:
            candidates = [post for post in candidates if post.created_at < end_time]
        if selection.tweet & PRIVATE_POST_FIELDS.keys():
            candidates = [post for post in candidates if now - post.created_at < PRIVATE_WINDOW]

        page, older, newer = _page(candidates, cursor, max_results)
        hydrated = self._renderer(request, caller, now, selection).hydrate(page, "id")
        meta: dict = {"result_count": len(hydrated.data)}
        if hydrated.data:
            meta["newest_id"] = hydrated.data[0]["id"]
            meta["oldest_id"] = hydrated.data[-1]["id"]
        if older:
            meta["next_token"] = self._tokens.encode(Cursor(Direction.OLDER, int(page[-1].id)))
        if newer and cursor is not None:
            meta["previous_token"] = self._tokens.encode(Cursor(Direction.NEWER, int(page[0].id)))
        return _answer({**hydrated.body(), "meta": meta}, hydrated.post_ids)

    def _renderer(
        self, request: Request, caller: Caller, now: datetime, selection: fields.Selection
    ) -> Renderer:
        return Renderer(self._world, now, selection, caller.user_id, request.base_url)

    def _cursor(self, token: str | None) -> Cursor | None:
        if token is None:
            return None
        cursor = self._tokens.decode(token)
        if cursor is None:
            raise InvalidRequest(
                "pagination_token",
                [token],
                f"The `pagination_token` query parameter value [{token}] is not valid",
            )
        return cursor


def _page(
    candidates: list[Post], cursor: Cursor | None, size: int
) -> tuple[list[Post], bool, bool]:
    """One page of newest-first candidates, and whether older and newer ones remain."""
    if cursor is None:
        start = 0
    elif cursor.direction is Direction.OLDER:
        start = next(
            (i for i, p in enumerate(candidates) if int(p.id) < cursor.post_id), len(candidates)
        )
    else:
        newer = sum(1 for post in candidates if int(post.id) > cursor.post_id)
        start = max(0, newer - size)
        page = candidates[start:newer]
        return page, newer < len(candidates), start > 0
    page = candidates[start : start + size]
    return page, start + size < len(candidates), start > 0


def _excluded(post: Post, exclude: frozenset[str]) -> bool:
    return ("replies" in exclude and post.kind is PostKind.REPLY) or (
        "retweets" in exclude and post.kind is PostKind.RETWEET
    )


def _answer(body: dict, post_ids: list[str]) -> Response:
    response = json_response(body)
    response.returned_post_ids = post_ids
    return response


def _check_id(parameter: str, value: str) -> None:
    if not ID_PATTERN.match(value):
        raise InvalidRequest(
            parameter,
            [value],
            f"The `{parameter}` query parameter value [{value}] does not match ^[0-9]{{1,19}}$",
        )


def _optional_id(request: Request, parameter: str) -> int | None:
    value = request.query_value(parameter)
    if value is None:
        return None
    _check_id(parameter, value)
    return int(value)


def _optional_time(request: Request, parameter: str) -> datetime | None:
    value = request.query_value(parameter)
    if value is None:
        return None
    try:
        return parse_instant(value)
    except ValueError:
        raise InvalidRequest(
            parameter,
            [value],
            f"The `{parameter}` query parameter value [{value}] is not a valid RFC 3339 date-time",
        ) from None


def _max_results(value: str | None) -> int:
    if value is None:
        return 10
    if not value.isdigit() or not 5 <= int(value) <= 100:
        raise InvalidRequest(
            "max_results",
            [value],
            f"The `max_results` query parameter value [{value}] is not between 5 and 100",
        )
    return int(value)
