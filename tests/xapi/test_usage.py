"""GET /2/usage/tweets: the app's Bearer token in, X's count of billed Post reads out, whatever
shape X answers in (docs/x-api.md §9)."""

from datetime import date
from http import HTTPStatus

import pytest

from tests.xapi.fake_x import Canned, load_sample
from xapi import AppOnlyAuth, AppUsage, Forbidden, MalformedResponse, Usage, UsageDay, XClient
from xapi.parsing import parse_usage_response

ENDPOINT = "GET /2/usage/tweets"


def parse(sample_name):
    return parse_usage_response(load_sample(sample_name)["body"], endpoint=ENDPOINT)


@pytest.fixture
def app_client(endpoints, http):
    with XClient(auth=AppOnlyAuth(bearer_token="app-bearer"), endpoints=endpoints, http=http) as x:
        yield x


def test_the_default_fields_are_read_from_xs_numeric_strings():
    usage = parse("usage_200_default_fields")

    assert usage == Usage(
        project_id="1281043626347900822499",
        project_cap=2_000_000,
        project_usage=2007,
        cap_reset_day=10,
    )
    assert usage.project_reads_on(date(2023, 11, 1)) is None  # no daily figures were sent


def test_the_daily_figures_of_the_project_and_of_each_app_are_read_per_utc_day():
    usage = parse("usage_200_optional_fields")

    assert usage.project_days == (UsageDay(day=date(2023, 11, 1), post_reads=200),)
    assert usage.apps == (
        AppUsage(
            client_app_id="101111140", days=(UsageDay(day=date(2023, 11, 1), post_reads=200),)
        ),
    )
    assert usage.project_reads_on(date(2023, 11, 1)) == 200
    assert (usage.project_usage, usage.cap_reset_day) == (200, 5)


def test_the_pay_per_use_pages_shape_gives_the_same_record():
    usage = parse("usage_200_pay_per_use_page")

    assert usage.project_days == (UsageDay(day=date(2024, 1, 15), post_reads=15420),)
    assert usage.apps == (
        AppUsage(
            client_app_id="12345678", days=(UsageDay(day=date(2024, 1, 15), post_reads=15420),)
        ),
    )
    assert (usage.project_id, usage.project_cap, usage.project_usage) == ("1234567890", 10**7, None)


def test_what_x_leaves_out_or_sends_unreadable_stays_unknown():
    body = {
        "data": {
            "project_id": 42,
            "project_usage": "lots",
            "daily_project_usage": {
                "usage": [
                    {"date": "2026-03-26T00:00:00.000Z", "usage": "100"},
                    {"date": "yesterday", "usage": "7"},
                    {"date": "2026-03-25T00:00:00.000Z"},
                ]
            },
            "daily_client_app_usage": "not a list",
        }
    }

    usage = parse_usage_response(body, endpoint=ENDPOINT)

    assert usage.project_id == "42"
    assert usage.project_usage is None
    assert usage.project_days == (  # oldest first, the undated entry left out
        UsageDay(day=date(2026, 3, 25), post_reads=None),
        UsageDay(day=date(2026, 3, 26), post_reads=100),
    )
    assert usage.apps == ()
    assert parse_usage_response({}, endpoint=ENDPOINT) == Usage()


def test_a_day_of_the_pay_per_use_shape_with_an_unreadable_app_count_has_no_total():
    body = {"data": {"daily_project_usage": [
        {"date": "2024-01-15", "usage": [{"app_id": "1", "tweets_consumed": 3},
                                         {"app_id": "2", "tweets_consumed": "?"}]},
    ]}}  # fmt: skip

    usage = parse_usage_response(body, endpoint=ENDPOINT)

    assert usage.project_reads_on(date(2024, 1, 15)) is None
    assert [app.days[0].post_reads for app in usage.apps] == [3, None]


def test_it_asks_with_the_apps_bearer_token_for_every_field(fake_x, app_client):
    fake_x.on(ENDPOINT, Canned.sample("usage_200_optional_fields"))

    usage = app_client.get_usage(days=2)

    (request,) = fake_x.requests
    assert request.headers["authorization"] == "Bearer app-bearer"
    assert request.query == {
        "days": "2",
        "usage.fields": "cap_reset_day,daily_client_app_usage,daily_project_usage,project_cap,"
        "project_id,project_usage",
    }
    assert usage.project_usage == 200


def test_a_user_token_is_refused_with_xs_403(fake_x, client):
    fake_x.on(ENDPOINT, Canned.sample("error_403_unsupported_authentication_app_only"))

    with pytest.raises(Forbidden, match="Unsupported Authentication") as refused:
        client.get_usage()

    assert refused.value.problem.type_suffix == "unsupported-authentication"


@pytest.mark.parametrize("days", [0, 91, True])
def test_days_out_of_xs_range_are_refused_before_any_request(fake_x, app_client, days):
    with pytest.raises(ValueError, match="days must be 1-90"):
        app_client.get_usage(days=days)

    assert fake_x.requests == []


def test_a_malformed_answer_is_an_error_not_a_record(fake_x, app_client):
    fake_x.on(ENDPOINT, Canned(status=HTTPStatus.OK, body=["not", "an", "object"]))

    with pytest.raises(MalformedResponse, match="not a JSON object"):
        app_client.get_usage()
