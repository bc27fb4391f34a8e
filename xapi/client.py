"""The X API v2 client for one token: the endpoints the metrics app reads as a user, and the
app's own usage as the app."""

from __future__ import annotations

import enum
from collections import Counter
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from http import HTTPStatus
from types import TracebackType
from typing import Literal, Self
from urllib.parse import quote

import requests
from requests.auth import AuthBase

from xapi.auth import AppOnlyAuth, UserAuth
from xapi.config import XEndpoints
from xapi.errors import RateLimited
from xapi.fields import USAGE_FIELDS, MetricGroup, post_query_params, user_query_params
from xapi.http import DEFAULT_HTTP, HttpSettings, new_session, send
from xapi.parsing import parse_posts_response, parse_usage_response, parse_user_response
from xapi.ratelimit import RateLimitState, RateLimitWindow, parse_rate_limit_headers
from xapi.records import Page, Usage, User
from xapi.responses import error_from_response, json_body

MAX_IDS_PER_LOOKUP = 100  # GET /2/tweets?ids= (docs/x-api.md §2.3)
TIMELINE_REACH = 3200  # X serves only the newest 3,200 Posts of a timeline (docs/x-api.md §2.2)
MIN_TIMELINE_PAGE, MAX_TIMELINE_PAGE = 5, 100  # max_results of GET /2/users/:id/tweets (§2.2)
MAX_USAGE_DAYS = 90  # `days` of GET /2/usage/tweets (§2.7)


class Endpoint(enum.StrEnum):
    """The endpoints xapi calls, named by route template: the keys of rate-limit state."""

    USERS_ME = "GET /2/users/me"
    USER_POSTS = "GET /2/users/:id/tweets"
    POSTS_BY_IDS = "GET /2/tweets"
    POST_BY_ID = "GET /2/tweets/:id"
    USAGE = "GET /2/usage/tweets"  # app-only

    def path(self, resource_id: str | None = None) -> str:
        template = self.value.split(" ", 1)[1]
        return template.replace(":id", quote(resource_id, safe="")) if resource_id else template


def _is_numeric_id(value: object) -> bool:
    # X ids are decimal strings of up to 19 digits (spec: ^[0-9]{1,19}$).
    return isinstance(value, str) and 0 < len(value) <= 19 and value.isascii() and value.isdigit()


def _require_numeric_id(value: object, *, name: str) -> None:
    if not _is_numeric_id(value):
        raise ValueError(f"{name} must be a numeric id string, got {value!r}")


def _x_time(value: datetime, *, name: str) -> str:
    if value.tzinfo is None:
        raise ValueError(f"{name} must be timezone-aware")
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _utc_now() -> datetime:
    return datetime.now(UTC)


class XClient:
    """Reads X as one user, or as the app with an ``AppOnlyAuth`` (``get_usage`` only). Pass
    the token's stored ``RateLimitState`` in and save it after.

    Every call raises an ``XError`` on failure; its ``permanent`` bit says whether to retry.
    The client does not retry, except once after a 401 when the auth can refresh.
    Rate-limit windows are judged by ``server_now()``: X's resets run on X's clock, so the
    default clock is the local one corrected by the ``Date`` header of X's last answer. A
    ``clock`` passed in is taken as X's time as it is.
    """

    def __init__(
        self,
        *,
        auth: UserAuth | AppOnlyAuth,
        endpoints: XEndpoints,
        http: HttpSettings = DEFAULT_HTTP,
        rate_limits: RateLimitState | None = None,
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        self._auth = auth
        self._endpoints = endpoints
        self._clock = clock
        self._server_offset = timedelta(0)
        self._follow_server_date = clock is _utc_now
        self._session = new_session(http=http)
        self.rate_limits = rate_limits if rate_limits is not None else RateLimitState()
        # Requests sent per endpoint, retries included: what a SyncRun reports.
        self.requests_sent: Counter[str] = Counter()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._session.close()

    def get_me(self) -> User:
        """The token's user (``GET /2/users/me``): learn the id and username after connecting."""
        body = self._get(
            Endpoint.USERS_ME, path=Endpoint.USERS_ME.path(), params=user_query_params()
        )
        return parse_user_response(body, endpoint=Endpoint.USERS_ME)

    def iter_timeline(
        self,
        *,
        user_id: str,
        metrics: MetricGroup,
        with_media: bool = True,
        since_id: str | None = None,
        until_id: str | None = None,
        start_time: datetime | None = None,
        end_time: datetime | None = None,
        exclude: Collection[Literal["replies", "retweets"]] = (),
        max_results: int = MAX_TIMELINE_PAGE,
        pagination_token: str | None = None,
        with_links: bool = False,
        with_media_sources: bool = False,
    ) -> Iterator[Page]:
        """Pages of the user's Posts, newest first, until X gives no ``next_token``.

        Each page is requested when the previous one has been consumed; pass a page's
        ``meta.next_token`` as ``pagination_token`` to resume. X reaches only the 3,200
        newest Posts (800 with ``exclude=replies``), and with private metrics only those
        of the last 30 days, possibly as empty pages that still carry a ``next_token``
        (docs/x-api.md §2.2, §7.3, §7.15): a caller that has seen enough stops iterating.
        Arguments are checked before the first request. ``with_links`` and
        ``with_media_sources`` ask for more of each Post, as ``post_query_params`` says.
        """
        _require_numeric_id(user_id, name="user_id")
        for name, value in (("since_id", since_id), ("until_id", until_id)):
            if value is not None:
                _require_numeric_id(value, name=name)
        if not MIN_TIMELINE_PAGE <= max_results <= MAX_TIMELINE_PAGE:
            raise ValueError(f"max_results must be {MIN_TIMELINE_PAGE}-{MAX_TIMELINE_PAGE}")
        unknown = set(exclude) - {"replies", "retweets"}
        if unknown:
            raise ValueError(f"exclude takes replies and retweets, not {sorted(unknown)}")
        params = post_query_params(
            metrics=metrics,
            with_media=with_media,
            with_links=with_links,
            with_media_sources=with_media_sources,
        )
        params["max_results"] = str(max_results)
        if since_id is not None:
            params["since_id"] = since_id
        if until_id is not None:
            params["until_id"] = until_id
        if start_time is not None:
            params["start_time"] = _x_time(start_time, name="start_time")
        if end_time is not None:
            params["end_time"] = _x_time(end_time, name="end_time")
        if exclude:
            params["exclude"] = ",".join(sorted(exclude))
        return self._timeline_pages(user_id, params, pagination_token)

    def _timeline_pages(
        self, user_id: str, params: dict[str, str], pagination_token: str | None
    ) -> Iterator[Page]:
        path = Endpoint.USER_POSTS.path(user_id)
        while True:
            page_params = dict(params)
            if pagination_token:
                page_params["pagination_token"] = pagination_token
            body = self._get(Endpoint.USER_POSTS, path=path, params=page_params)
            page = parse_posts_response(body, endpoint=Endpoint.USER_POSTS)
            yield page
            pagination_token = page.meta.next_token
            if not pagination_token:
                return

    def lookup_posts(
        self,
        *,
        ids: Sequence[str],
        metrics: MetricGroup,
        with_media: bool = True,
        with_links: bool = False,
        with_media_sources: bool = False,
    ) -> Page:
        """Up to 100 Posts by id (``GET /2/tweets``). Missing and unauthorized Posts come
        back as ``page.errors``, not as exceptions.

        Raises ``ValueError``, before any request, for an empty batch, more than 100 ids,
        repeated ids or ids that are not numeric strings.
        """
        if isinstance(ids, str) or not 0 < len(ids) <= MAX_IDS_PER_LOOKUP:
            raise ValueError(f"ids must be a sequence of 1-{MAX_IDS_PER_LOOKUP} id strings")
        for post_id in ids:
            _require_numeric_id(post_id, name="each id")
        if len(set(ids)) != len(ids):
            raise ValueError("ids must not repeat")
        params = post_query_params(
            metrics=metrics,
            with_media=with_media,
            with_links=with_links,
            with_media_sources=with_media_sources,
        )
        params["ids"] = ",".join(ids)
        body = self._get(Endpoint.POSTS_BY_IDS, path=Endpoint.POSTS_BY_IDS.path(), params=params)
        return parse_posts_response(body, endpoint=Endpoint.POSTS_BY_IDS)

    def get_post(self, *, post_id: str, metrics: MetricGroup, with_media: bool = True) -> Page:
        """One Post (``GET /2/tweets/:id``) as a page of zero or one Posts.

        A missing Post is a partial error in an HTTP 200 (observed) or a ``NotFound``
        (404, as the docs say): docs/x-api.md §2.4.
        """
        _require_numeric_id(post_id, name="post_id")
        params = post_query_params(metrics=metrics, with_media=with_media)
        body = self._get(Endpoint.POST_BY_ID, path=Endpoint.POST_BY_ID.path(post_id), params=params)
        return parse_posts_response(body, endpoint=Endpoint.POST_BY_ID)

    def get_usage(self, *, days: int = 7) -> Usage:
        """The project's billed Post reads as X counts them (``GET /2/usage/tweets``), daily
        figures included, for the last ``days`` UTC days (1-90). Takes an ``AppOnlyAuth``: X
        refuses user tokens here with 403 (a ``Forbidden``). X reflects reads in these counts
        with some delay (docs/x-api.md §9); asking is not billed.
        """
        if isinstance(days, bool) or not 1 <= days <= MAX_USAGE_DAYS:
            raise ValueError(f"days must be 1-{MAX_USAGE_DAYS}")
        params = {"days": str(days), "usage.fields": ",".join(USAGE_FIELDS)}
        body = self._get(Endpoint.USAGE, path=Endpoint.USAGE.path(), params=params)
        return parse_usage_response(body, endpoint=Endpoint.USAGE)

    def server_now(self) -> datetime:
        """Now on X's clock, as far as its last answer tells."""
        return self._clock() + self._server_offset

    def _note_server_time(self, date_header: str | None) -> None:
        if not date_header or not self._follow_server_date:
            return
        try:
            server_time = parsedate_to_datetime(date_header)
        except (TypeError, ValueError):
            return
        if server_time.tzinfo is None:
            return
        self._server_offset = server_time - self._clock()

    def _get(self, endpoint: Endpoint, *, path: str, params: Mapping[str, str]) -> object:
        window = self.rate_limits.window(endpoint)
        if window is not None and self.rate_limits.would_exceed(endpoint, now=self.server_now()):
            raise RateLimited(
                "not sent: the rate-limit window is spent",
                reset_at=window.reset_at,
                refused_before_sending=True,
                endpoint=endpoint,
            )
        url = self._endpoints.api_url(path)
        response = self._send(endpoint, url, params, self._auth.request_auth())
        if response.status_code == HTTPStatus.UNAUTHORIZED:
            retry_auth = self._auth.retry_auth()
            if retry_auth is not None:
                response = self._send(endpoint, url, params, retry_auth)
        error = error_from_response(response, endpoint=endpoint, now=self.server_now())
        if isinstance(error, RateLimited):
            # Whatever the headers said, X refused: hold back until the reset.
            window = self.rate_limits.window(endpoint)
            self.rate_limits.record(
                endpoint,
                RateLimitWindow(
                    limit=window.limit if window else 0, remaining=0, reset_at=error.reset_at
                ),
            )
        if error is not None:
            raise error
        return json_body(response, endpoint=endpoint)

    def _send(
        self, endpoint: Endpoint, url: str, params: Mapping[str, str], auth: AuthBase
    ) -> requests.Response:
        response = send(
            self._session, method="GET", url=url, endpoint=endpoint, auth=auth, params=params
        )
        self.requests_sent[endpoint] += 1
        self._note_server_time(response.headers.get("Date"))
        window = parse_rate_limit_headers(response.headers)
        if window is not None:
            self.rate_limits.record(endpoint, window)
        return response
