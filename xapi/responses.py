"""Maps X's HTTP responses to xapi's errors: the one place that reads status codes."""

from __future__ import annotations

from datetime import datetime, timedelta
from http import HTTPStatus

import requests

from xapi.errors import (
    ClientNotEnrolled,
    ClientRejected,
    CreditsDepleted,
    Forbidden,
    InvalidRequest,
    MalformedResponse,
    NotFound,
    Problem,
    RateLimited,
    ServerError,
    TokenRevoked,
    Unauthorized,
    UsageCapped,
    XError,
    problem_type_suffix,
)
from xapi.ratelimit import parse_rate_limit_headers

# X's rate-limit window; the fallback wait when a 429 carries no reset header.
RATE_LIMIT_WINDOW = timedelta(minutes=15)

# OAuth 1.0a / v1.1 legacy code for "Invalid or expired token" (docs/x-api.md §2.8, §4).
_INVALID_OR_EXPIRED_TOKEN = 89

# RFC 6749 §5.2 errors that blame the app's credentials, not the grant.
_CLIENT_ERRORS = frozenset({"invalid_client", "unauthorized_client"})


def json_body(response: requests.Response, *, endpoint: str) -> object:
    try:
        return response.json()
    except ValueError as exc:
        raise MalformedResponse("response is not JSON", endpoint=endpoint) from exc


def _json_or_none(response: requests.Response) -> object:
    try:
        return response.json()
    except ValueError:
        return None


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def problem_from_body(body: object) -> Problem | None:
    """RFC 7807 problem details, or the v1.1 shape ``{"errors":[{"code":88,...}]}``."""
    if not isinstance(body, dict):
        return None
    legacy = [error for error in body.get("errors") or () if isinstance(error, dict)]
    codes = tuple(error["code"] for error in legacy if isinstance(error.get("code"), int))
    type_uri = _text(body.get("type"))
    title = _text(body.get("title"))
    detail = _text(body.get("detail"))
    if title is None and codes:
        detail = "; ".join(str(error.get("message", "")) for error in legacy)
    if type_uri is None and title is None and detail is None and not codes:
        return None
    return Problem(
        type_suffix=problem_type_suffix(type_uri) if type_uri else None,
        title=title,
        detail=detail,
        legacy_codes=codes,
    )


def error_from_response(
    response: requests.Response, *, endpoint: str, now: datetime
) -> XError | None:
    """The error a non-2xx response stands for (docs/x-api.md §2.8), or None for success."""
    status = response.status_code
    if HTTPStatus.OK <= status < HTTPStatus.MULTIPLE_CHOICES:
        return None
    body = _json_or_none(response)
    problem = problem_from_body(body)
    said = problem.describe() if problem else ""
    message = f"HTTP {status} {said}".rstrip()

    if status == HTTPStatus.UNAUTHORIZED:
        if problem and _INVALID_OR_EXPIRED_TOKEN in problem.legacy_codes:
            return TokenRevoked(message, endpoint=endpoint, problem=problem)
        return Unauthorized(message, endpoint=endpoint, problem=problem)
    if status == HTTPStatus.PAYMENT_REQUIRED or (problem and problem.title == "CreditsDepleted"):
        return CreditsDepleted(message, endpoint=endpoint, problem=problem)
    if status == HTTPStatus.TOO_MANY_REQUESTS:
        # Usage cap and rate limit share 429; only the body tells them apart (docs/x-api.md §2.8).
        if problem and (
            problem.type_suffix == "usage-capped" or problem.title == "UsageCapExceeded"
        ):
            period = _text(body.get("period")) if isinstance(body, dict) else None
            return UsageCapped(message, period=period, endpoint=endpoint, problem=problem)
        window = parse_rate_limit_headers(response.headers)
        reset_at = window.reset_at if window else now + RATE_LIMIT_WINDOW
        return RateLimited(message, reset_at=reset_at, endpoint=endpoint, problem=problem)
    if status == HTTPStatus.FORBIDDEN:
        if isinstance(body, dict) and (
            body.get("reason") == "client-not-enrolled"
            or (problem and problem.type_suffix == "client-forbidden")
        ):
            return ClientNotEnrolled(
                message,
                required_enrollment=_text(body.get("required_enrollment")),
                registration_url=_text(body.get("registration_url")),
                endpoint=endpoint,
                problem=problem,
            )
        return Forbidden(message, endpoint=endpoint, problem=problem)
    if status == HTTPStatus.NOT_FOUND:
        return NotFound(message, endpoint=endpoint, problem=problem)
    if status >= HTTPStatus.INTERNAL_SERVER_ERROR:
        return ServerError(message, endpoint=endpoint, problem=problem)
    if status >= HTTPStatus.BAD_REQUEST:
        return InvalidRequest(message, endpoint=endpoint, problem=problem)
    return MalformedResponse(f"unexpected HTTP {status}", endpoint=endpoint)


def flow_error_from_response(
    response: requests.Response, *, endpoint: str, now: datetime, rejected: type[XError]
) -> XError | None:
    """Like ``error_from_response``, for OAuth endpoints, where 400/401/403 mean "refused".

    ``rejected`` is what a refusal means in this flow (a bad code, a spent refresh token);
    a refusal of the app's own credentials is ``ClientRejected`` whatever the flow.
    OAuth 2.0 refusals are RFC 6749 §5.2 bodies: ``{"error": ..., "error_description": ...}``.
    """
    if response.status_code not in (
        HTTPStatus.BAD_REQUEST,
        HTTPStatus.UNAUTHORIZED,
        HTTPStatus.FORBIDDEN,
    ):
        return error_from_response(response, endpoint=endpoint, now=now)
    body = _json_or_none(response)
    problem = problem_from_body(body)
    oauth_error = _text(body.get("error")) if isinstance(body, dict) else None
    description = _text(body.get("error_description")) if isinstance(body, dict) else None
    said = ": ".join(
        part for part in (oauth_error, description, problem.describe() if problem else "") if part
    )
    message = f"HTTP {response.status_code} {said}".rstrip()
    if oauth_error in _CLIENT_ERRORS:
        return ClientRejected(message, endpoint=endpoint, problem=problem)
    return rejected(message, endpoint=endpoint, problem=problem)
