"""The errors xapi raises, each marked transient or permanent.

Workers act on one bit, as healthchecks' ``TransportError(permanent=...)`` does:
``permanent`` errors need a person (reconnect, buy credits, fix a bug); transient ones
are retried later (after ``RateLimited.reset_at``, or with backoff).
Messages carry endpoint names and X's titles, never tokens or secrets.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar
from urllib.parse import urlsplit


def problem_type_suffix(type_uri: str) -> str:
    """The last path segment of a problem ``type`` URI, or the URI itself (``about:blank``).

    The live API sends ``https://api.twitter.com/2/problems/...`` while the docs say
    ``https://api.x.com/2/problems/...``: compare suffixes only (docs/x-api.md §2.8, §7.9).
    """
    path = urlsplit(type_uri).path
    if "/problems/" in path:
        return path.rsplit("/", 1)[-1]
    return type_uri


@dataclass(frozen=True, slots=True)
class Problem:
    """What X said about a failed request: RFC 7807 fields, or v1.1 ``errors[].code``."""

    type_suffix: str | None
    title: str | None
    detail: str | None
    legacy_codes: tuple[int, ...] = ()

    def describe(self) -> str:
        parts = [self.title] if self.title else []
        if self.detail and self.detail != self.title:
            parts.append(self.detail)
        if self.legacy_codes:
            parts.append("code " + ",".join(str(code) for code in self.legacy_codes))
        return ": ".join(parts)


class XError(Exception):
    """Base of every error that leaves xapi."""

    permanent: ClassVar[bool] = True

    def __init__(
        self, message: str, *, endpoint: str | None = None, problem: Problem | None = None
    ) -> None:
        super().__init__(f"{endpoint}: {message}" if endpoint else message)
        self.endpoint = endpoint
        self.problem = problem


# Transient: retry later.


class RateLimited(XError):
    """HTTP 429 rate limit (either body shape), or refused here because X would refuse it."""

    permanent = False

    def __init__(
        self,
        message: str,
        *,
        reset_at: datetime,
        refused_before_sending: bool = False,
        endpoint: str | None = None,
        problem: Problem | None = None,
    ) -> None:
        super().__init__(message, endpoint=endpoint, problem=problem)
        self.reset_at = reset_at
        self.refused_before_sending = refused_before_sending


class ServerError(XError):
    """HTTP 5xx: X is failing or overloaded."""

    permanent = False


class Timeout(XError):
    """No response within the HTTP timeout."""

    permanent = False


class ConnectionFailed(XError):
    """The connection could not be made or broke (refused, reset, DNS)."""

    permanent = False


class MalformedResponse(XError):
    """A response that is not what X sends (bad JSON, missing fields, unexpected status)."""

    permanent = False


# Permanent: a person must act.


class UsageCapped(XError):
    """HTTP 429 ``UsageCapExceeded``: the app's daily or monthly cap (docs/x-api.md §2.8, §7.14).

    Waiting for ``x-rate-limit-reset`` does not help, so this is permanent.
    """

    def __init__(
        self,
        message: str,
        *,
        period: str | None,
        endpoint: str | None = None,
        problem: Problem | None = None,
    ) -> None:
        super().__init__(message, endpoint=endpoint, problem=problem)
        self.period = period


class CreditsDepleted(XError):
    """HTTP 402 ``CreditsDepleted``: the pay-per-use balance is spent (docs/x-api.md §2.8)."""


class Unauthorized(XError):
    """HTTP 401: the user token no longer works; the account needs reconnecting."""


class TokenRevoked(Unauthorized):
    """HTTP 401 with OAuth 1.0a code 89 "Invalid or expired token" (docs/x-api.md §4)."""


class RefreshRejected(Unauthorized):
    """The token endpoint refused a refresh token (rotated, revoked or expired; docs/x-api.md
    §3)."""


class Forbidden(XError):
    """HTTP 403: wrong kind of authentication, or the app is not enrolled (docs/x-api.md §2.8)."""


_DEVELOPER_HOSTS = frozenset({"developer.x.com", "developer.twitter.com"})


class ClientNotEnrolled(Forbidden):
    """HTTP 403 ``client-not-enrolled``: X does not serve this developer app (outside a Project,
    or without the access the endpoint needs). Only the app's owner can fix it, in X's developer
    portal; ``registration_url`` is where X says to go, when it says."""

    def __init__(
        self,
        message: str,
        *,
        required_enrollment: str | None = None,
        registration_url: str | None = None,
        endpoint: str | None = None,
        problem: Problem | None = None,
    ) -> None:
        super().__init__(message, endpoint=endpoint, problem=problem)
        self.required_enrollment = required_enrollment
        # Only a link to X's own developer site is passed on to people.
        host = urlsplit(registration_url or "").hostname or ""
        trusted = host in _DEVELOPER_HOSTS and registration_url.startswith("https://")
        self.registration_url = registration_url if trusted else None

    def advice(self) -> str:
        """What to tell the people who see it: retrying does not help, the app's owner must act."""
        needed = f" (X asks for: {self.required_enrollment})" if self.required_enrollment else ""
        where = self.registration_url or "https://developer.x.com/en/portal/dashboard"
        return (
            f"X does not serve this installation's developer app{needed}. Whoever manages the app "
            f"must fix it in X's developer portal ({where}); trying again will not help."
        )


class NotFound(XError):
    """HTTP 404: the resource does not exist (deleted Posts may answer this; docs/x-api.md §2.4)."""


class InvalidRequest(XError):
    """HTTP 400 and other 4xx: X refused the request as built. A bug on our side."""


class OAuthFlowError(XError):
    """A connect flow (OAuth 2.0 or OAuth 1.0a) could not complete."""


class AccessDenied(OAuthFlowError):
    """The person declined on X's consent page."""


class StateMismatch(OAuthFlowError):
    """The callback's ``state`` (or OAuth 1.0a ``oauth_token``) is not the one we issued."""


class CallbackNotConfirmed(OAuthFlowError):
    """The request-token response lacks ``oauth_callback_confirmed=true`` (RFC 5849 §2.1)."""


class CodeRejected(OAuthFlowError):
    """The authorization code or verifier was refused: expired (30 s), reused, or mismatched."""


class ClientRejected(OAuthFlowError):
    """X refused the app's credentials or callback (``invalid_client``; 401 on request token)."""
