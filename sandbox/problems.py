"""X's error bodies, word for word where a capture exists (docs/x-api.md §2.3, §2.4, §2.8,
§1.3, §4).

Problem `type` URIs are on api.x.com, as most of X's 2026 answers have them; usage-capped and
credits answers have still been seen on api.twitter.com and keep it (docs/x-api.md §9). A client
compares the last path segment only.
"""

from __future__ import annotations

from sandbox.http import JSON, PROBLEM_JSON, Response, json_response

PROBLEMS = "https://api.x.com/2/problems/"
LEGACY_PROBLEMS = "https://api.twitter.com/2/problems/"  # the billing answers' host


class InvalidRequest(Exception):
    """A 400 invalid-request answer: one entry per offending parameter."""

    def __init__(self, parameter: str, values: list[str], message: str) -> None:
        super().__init__(message)
        self.errors = [{"parameters": {parameter: values}, "message": message}]

    def response(self) -> Response:
        return json_response(
            {
                "errors": self.errors,
                "title": "Invalid Request",
                "detail": "One or more parameters to your request was invalid.",
                "type": PROBLEMS + "invalid-request",
            },
            400,
        )


def generic_problem(status: int, title: str) -> Response:
    return json_response(
        {"title": title, "type": "about:blank", "status": status, "detail": title},
        status,
        PROBLEM_JSON,
    )


def unauthorized() -> Response:
    """Bad, expired or revoked OAuth 2.0 token (docs/x-api.md §2.8, application/problem+json)."""
    return generic_problem(401, "Unauthorized")


def forbidden() -> Response:
    """A user token without the endpoint's scopes (UNCERTAIN: body not captured)."""
    return generic_problem(403, "Forbidden")


USER_CONTEXT = "OAuth 1.0a User Context, OAuth 2.0 User Context"
APP_ONLY = "OAuth 2.0 Application-Only"


def unsupported_authentication(used: str, supported: str) -> Response:
    """403 for the wrong kind of token: app-only on a user endpoint (docs/x-api.md §2.1,
    bookmarks-search #10) or a user token on an app-only one (§9: mironal/TwitterAPIKit, twigpui).
    """
    return json_response(
        {
            "title": "Unsupported Authentication",
            "detail": f"Authenticating with {used} is forbidden for this endpoint.  Supported "
            f"authentication types are [{supported}].",
            "type": PROBLEMS + "unsupported-authentication",
            "status": 403,
        },
        403,
        PROBLEM_JSON,
    )


def too_many_requests() -> Response:
    return generic_problem(429, "Too Many Requests")


def rate_limit_exceeded_v1() -> Response:
    """The 429 shape X's rate-limit page documents (docs/x-api.md §2.8)."""
    return v1_error(429, 88, "Rate limit exceeded")


def service_unavailable() -> Response:
    return generic_problem(503, "Service Unavailable")


def internal_server_error() -> Response:
    return generic_problem(500, "Internal Server Error")


def usage_capped(period: str, account_id: str) -> Response:
    """429 UsageCapExceeded (xdk #25): the rate-limit headers still show quota left."""
    scope = "Product"
    return json_response(
        {
            "account_id": account_id,
            "product_name": "pay-per-use",
            "title": "UsageCapExceeded",
            "period": period,
            "scope": scope,
            "detail": f"Usage cap exceeded: {period} {scope.lower()} cap",
            "type": LEGACY_PROBLEMS + "usage-capped",
        },
        429,
        PROBLEM_JSON,
    )


def credits_depleted(account_id: str) -> Response:
    """402 CreditsDepleted; the body seen in 2026 reports (exact shape UNCERTAIN,
    docs/x-api.md §2.8)."""
    return json_response(
        {
            "title": "CreditsDepleted",
            "detail": f"Your enrolled account [{account_id}] does not have any credits to fulfill "
            "this request.",
            "type": LEGACY_PROBLEMS + "credits",
        },
        402,
        JSON,
    )


def client_forbidden(client_id: str) -> Response:
    """403 client-not-enrolled: a developer app outside a Project or without the access the
    endpoint needs (docs/x-api.md §2.8, X's response-codes page; spec 2.166
    ClientForbiddenProblem)."""
    return json_response(
        {
            "client_id": client_id,
            "required_enrollment": "Appropriate Level of API Access",
            "registration_url": "https://developer.x.com/en/portal/product",
            "title": "Client Forbidden",
            "detail": "This request must be made using an approved developer account that is "
            "enrolled in the requested endpoint. Learn more by visiting our documentation.",
            "reason": "client-not-enrolled",
            "type": PROBLEMS + "client-forbidden",
        },
        403,
        JSON,
    )


def v1_error(status: int, code: int, message: str) -> Response:
    """The v1.1 shape OAuth 1.0a failures use: {"errors":[{"code":32,"message":…}]}."""
    return json_response({"errors": [{"code": code, "message": message}]}, status)


def could_not_authenticate() -> Response:
    return v1_error(401, 32, "Could not authenticate you.")


def invalid_or_expired_token() -> Response:
    return v1_error(401, 89, "Invalid or expired token.")


def timestamp_out_of_bounds() -> Response:
    return v1_error(401, 135, "Timestamp out of bounds.")


def bad_authentication_data() -> Response:
    return v1_error(400, 215, "Bad Authentication data.")


def callback_not_approved() -> Response:
    return v1_error(
        403,
        415,
        "Callback URL not approved for this client application. Approved callback URLs can be "
        "adjusted in your application settings",
    )


def page_does_not_exist() -> Response:
    return v1_error(404, 34, "Sorry, that page does not exist.")


def token_error(error: str, description: str, status: int = 400) -> Response:
    """OAuth 2.0 token and revoke endpoint errors (docs/x-api.md §3)."""
    return json_response({"error": error, "error_description": description}, status)


def field_authorization_error(
    resource_type: str, resource_id: str, field: str, parameter: str, section: str
) -> dict[str, str]:
    """One partial error per private sub-field the token may not see (docs/x-api.md §1.3)."""
    label = {"tweet": "Tweet", "media": "Media"}[resource_type]
    return {
        "resource_type": resource_type,
        "field": field,
        "parameter": parameter,
        "resource_id": resource_id,
        "title": "Field Authorization Error",
        "section": section,
        "detail": f"Sorry, you are not authorized to access '{field}' on the {label} with "
        f"{parameter} : [{resource_id}].",
        "value": resource_id,
        "type": PROBLEMS + "not-authorized-for-field",
    }


def not_found_error(resource_type: str, resource_id: str, parameter: str) -> dict[str, str]:
    """A missing Post or user in a 200 answer (docs/x-api.md §2.3, §2.4)."""
    return {
        "value": resource_id,
        "detail": f"Could not find {resource_type} with {parameter}: [{resource_id}].",
        "title": "Not Found Error",
        "resource_type": resource_type,
        "parameter": parameter,
        "resource_id": resource_id,
        "type": PROBLEMS + "resource-not-found",
    }
