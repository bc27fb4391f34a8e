"""`GET /2/usage/tweets`: the app's billed Post reads, from the ledger that bills them.

Shape and strings as X's reference page shows them (docs/x-api.md §9,
https://developer.twitter.com/en/docs/twitter-api/usage/tweets/api-reference/get-usage-tweets):
without `usage.fields` only `cap_reset_day`, `project_cap`, `project_id` and `project_usage`;
counts as numeric strings, dates as UTC midnights. Each sandbox app is a Project of its own with
one client app. Chosen where X is not documented (UNCERTAIN, sandbox/README.md): the billing cycle
is the calendar month (`cap_reset_day` 1, "the day of the month when the Tweet cap is reset" on
X's page), daily lists name only the days with reads, and the counts show every read at once (X's
lag, sometimes minutes).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sandbox import fields
from sandbox.http import Request, Response, json_response
from sandbox.problems import InvalidRequest

USAGE_FIELDS = [
    "cap_reset_day",
    "daily_client_app_usage",
    "daily_project_usage",
    "project_cap",
    "project_id",
    "project_usage",
]
DEFAULT_FIELDS = frozenset({"cap_reset_day", "project_cap", "project_id", "project_usage"})
PARAMETERS = ["days", "usage.fields"]
MAX_DAYS = 90
# Post reads a billing cycle allows: 3,000,000 a month on pay-per-use (docs/x-api.md §9), the
# legacy tiers' monthly Post caps (§2.6).
PROJECT_CAPS = {"pay_per_use": 3_000_000, "basic": 15_000, "free": 100}


def usage_answer(
    request: Request,
    *,
    billed: dict[date, int],
    now: datetime,
    project_cap: int,
    project_id: str,
    client_app_id: str,
) -> Response:
    """The answer for one app, whose billed reads per UTC day are `billed`."""
    fields.check_parameter_names(request, PARAMETERS)
    days = _days(request.query_value("days"))
    wanted = DEFAULT_FIELDS | fields.list_parameter(request, "usage.fields", USAGE_FIELDS)
    today = now.date()
    cycle_start = today.replace(day=1)
    window = [
        {"date": f"{day.isoformat()}T00:00:00.000Z", "usage": str(billed[day])}
        for day in sorted(billed)
        if today - timedelta(days=days) < day <= today
    ]
    data: dict = {
        "cap_reset_day": 1,
        "project_cap": str(project_cap),
        "project_id": project_id,
        "project_usage": str(sum(n for day, n in billed.items() if cycle_start <= day <= today)),
    }
    # X's lists hold at least one item (spec 2.166 minItems): no reads, no list.
    listed = {"usage": window} if window else {}
    if "daily_project_usage" in wanted:
        data["daily_project_usage"] = {"project_id": project_id, **listed}
    if "daily_client_app_usage" in wanted:
        data["daily_client_app_usage"] = [
            {"client_app_id": client_app_id, **listed, "usage_result_count": len(window)}
        ]
    return json_response({"data": {name: data[name] for name in USAGE_FIELDS if name in data}})


def _days(value: str | None) -> int:
    if value is None:
        return 7
    if not value.isdigit() or not 1 <= int(value) <= MAX_DAYS:
        raise InvalidRequest(
            "days",
            [value],
            f"The `days` query parameter value [{value}] is not between 1 and {MAX_DAYS}",
        )
    return int(value)
