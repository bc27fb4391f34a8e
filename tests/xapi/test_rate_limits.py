"""Rate limits are obeyed, not discovered: the last headers per endpoint say what X would refuse."""

import json
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.xapi.fake_x import Canned
from xapi import Endpoint, MetricGroup, OAuth2UserAuth, RateLimited, RateLimitState, XClient
from xapi.ratelimit import RateLimitWindow

NOW = datetime(2024, 1, 16, 15, 0, tzinfo=UTC)
RESET = NOW + timedelta(minutes=10)


def limit_headers(*, limit=900, remaining, reset=RESET):
    return {
        "x-rate-limit-limit": str(limit),
        "x-rate-limit-remaining": str(remaining),
        "x-rate-limit-reset": str(int(reset.timestamp())),
    }


def client(endpoints, http, rate_limits=None, now=NOW):
    return XClient(
        auth=OAuth2UserAuth(get_access_token=lambda: "access"),
        endpoints=endpoints,
        http=http,
        rate_limits=rate_limits,
        clock=lambda: now,
    )


def test_headers_are_recorded_under_the_route_template(fake_x, endpoints, http):
    fake_x.on(
        "GET /2/users/42/tweets",
        Canned(body={"meta": {"result_count": 0}}, headers=limit_headers(remaining=899)),
    )

    with client(endpoints, http) as x:
        list(x.iter_timeline(user_id="42", metrics=MetricGroup.PUBLIC))

    assert x.rate_limits.window("GET /2/users/:id/tweets") == RateLimitWindow(
        limit=900, remaining=899, reset_at=RESET
    )
    assert x.rate_limits.reset_at(Endpoint.USER_POSTS) == RESET
    assert x.requests_sent == {"GET /2/users/:id/tweets": 1}


def test_a_spent_window_stops_the_next_request_before_it_is_sent(fake_x, endpoints, http):
    fake_x.on("GET /2/tweets", Canned(body={"data": []}, headers=limit_headers(remaining=0)))

    with client(endpoints, http) as x:
        x.lookup_posts(ids=["1"], metrics=MetricGroup.PUBLIC)
        with pytest.raises(RateLimited) as raised:
            x.lookup_posts(ids=["2"], metrics=MetricGroup.PUBLIC)

    assert len(fake_x.requests) == 1
    assert raised.value.refused_before_sending is True
    assert raised.value.reset_at == RESET
    assert raised.value.permanent is False


def test_a_window_only_blocks_its_own_endpoint(fake_x, endpoints, http):
    fake_x.on("GET /2/tweets", Canned(body={"data": []}, headers=limit_headers(remaining=0)))
    fake_x.on("GET /2/users/me", Canned(body={"data": {"id": "1", "username": "u", "name": "n"}}))

    with client(endpoints, http) as x:
        x.lookup_posts(ids=["1"], metrics=MetricGroup.PUBLIC)
        x.get_me()

    assert len(fake_x.requests) == 2


def test_after_a_429_the_client_waits_for_the_reset_even_without_headers(fake_x, endpoints, http):
    fake_x.on("GET /2/tweets", Canned.sample("error_429_rate_limit_v1"))

    with client(endpoints, http) as x:
        with pytest.raises(RateLimited):
            x.lookup_posts(ids=["1"], metrics=MetricGroup.PUBLIC)
        with pytest.raises(RateLimited) as refused:
            x.lookup_posts(ids=["1"], metrics=MetricGroup.PUBLIC)

    assert len(fake_x.requests) == 1
    assert refused.value.reset_at == NOW + timedelta(minutes=15)


def test_a_stored_state_is_obeyed_by_a_new_client(fake_x, endpoints, http):
    stored = {"GET /2/users/me": {"limit": 75, "remaining": 0, "reset": int(RESET.timestamp())}}
    state = RateLimitState.from_json(json.loads(json.dumps(stored)))

    with client(endpoints, http, rate_limits=state) as x, pytest.raises(RateLimited):
        x.get_me()

    assert fake_x.requests == []


def test_once_the_window_has_reset_the_request_is_sent(fake_x, endpoints, http):
    fake_x.on("GET /2/users/me", Canned(body={"data": {"id": "1", "username": "u", "name": "n"}}))
    state = RateLimitState({Endpoint.USERS_ME: RateLimitWindow(75, 0, RESET)})

    with client(endpoints, http, rate_limits=state, now=RESET + timedelta(seconds=1)) as x:
        x.get_me()

    assert len(fake_x.requests) == 1


def test_would_exceed_only_when_nothing_remains_before_the_reset():
    state = RateLimitState(
        {
            "GET /2/tweets": RateLimitWindow(5000, 0, RESET),
            "GET /2/tweets/:id": RateLimitWindow(900, 1, RESET),
        }
    )

    assert state.would_exceed("GET /2/tweets", now=NOW)
    assert not state.would_exceed("GET /2/tweets", now=RESET)
    assert not state.would_exceed("GET /2/tweets/:id", now=NOW)
    assert not state.would_exceed("GET /2/users/me", now=NOW)
    assert state.reset_at("GET /2/users/me") is None


def test_the_json_form_is_plain_and_entries_that_do_not_parse_are_dropped():
    state = RateLimitState.from_json(
        {
            "GET /2/tweets": {"limit": 5000, "remaining": 12, "reset": 1705420800},
            "GET /2/users/me": {"limit": "x"},
            "GET /2/tweets/:id": None,
        }
    )

    assert state.to_json() == {
        "GET /2/tweets": {"limit": 5000, "remaining": 12, "reset": 1705420800}
    }


@given(
    st.dictionaries(
        st.sampled_from(list(Endpoint)),
        st.tuples(st.integers(0, 100_000), st.integers(0, 100_000), st.integers(0, 4_000_000_000)),
    )
)
def test_the_state_survives_a_json_round_trip(windows):
    state = RateLimitState(
        {
            endpoint: RateLimitWindow(limit, remaining, datetime.fromtimestamp(reset, tz=UTC))
            for endpoint, (limit, remaining, reset) in windows.items()
        }
    )

    assert RateLimitState.from_json(json.loads(json.dumps(state.to_json()))) == state


def test_windows_are_judged_by_xs_clock_from_the_date_header(fake_x, endpoints, http):
    # X's clock runs a day behind ours: its reset instant is in X's future but in our past.
    x_now = datetime.now(UTC) - timedelta(days=1)
    fake_x.on(
        "GET /2/users/me",
        Canned(
            body={"data": {"id": "1", "username": "u", "name": "n"}},
            headers={
                "Date": format_datetime(x_now, usegmt=True),
                "x-rate-limit-limit": "75",
                "x-rate-limit-remaining": "0",
                "x-rate-limit-reset": str(int((x_now + timedelta(minutes=15)).timestamp())),
            },
        ),
    )
    with XClient(
        auth=OAuth2UserAuth(get_access_token=lambda: "a"), endpoints=endpoints, http=http
    ) as client:
        client.get_me()
        assert abs(client.server_now() - x_now) < timedelta(seconds=2)
        with pytest.raises(RateLimited) as refused:
            client.get_me()
    assert refused.value.refused_before_sending


def day_limit_headers(who: str, *, limit: int, remaining: int, reset: datetime) -> dict:
    """The 24-hour window some answers carry (`who`: "user" or "app")."""
    prefix = f"x-{who}-limit-24hour"
    values = {"limit": limit, "remaining": remaining, "reset": int(reset.timestamp())}
    return {f"{prefix}-{part}": str(value) for part, value in values.items()}


def test_a_spent_24_hour_window_outlasts_the_15_minute_one(fake_x, endpoints, http):
    """Some answers carry 24-hour limits too; when one is spent, its reset decides."""
    tomorrow = NOW + timedelta(hours=20)
    day_limit = day_limit_headers("user", limit=1000, remaining=0, reset=tomorrow)
    fake_x.on(
        "GET /2/tweets",
        Canned(status=429, body={"title": "Too Many Requests"},
               headers={**limit_headers(remaining=0), **day_limit}),
    )  # fmt: skip

    with client(endpoints, http) as x:
        with pytest.raises(RateLimited) as raised:
            x.lookup_posts(ids=["1"], metrics=MetricGroup.PUBLIC)
        with pytest.raises(RateLimited) as refused:
            x.lookup_posts(ids=["1"], metrics=MetricGroup.PUBLIC)

    assert raised.value.reset_at == refused.value.reset_at == tomorrow
    assert len(fake_x.requests) == 1


def test_a_24_hour_window_with_room_left_does_not_hold_back_the_15_minute_one(
    fake_x, endpoints, http
):
    later = NOW + timedelta(hours=20)
    day_limit = day_limit_headers("app", limit=10000, remaining=9000, reset=later)
    fake_x.on(
        "GET /2/tweets",
        Canned(body={"data": []}, headers={**limit_headers(remaining=5), **day_limit}),
    )

    with client(endpoints, http) as x:
        x.lookup_posts(ids=["1"], metrics=MetricGroup.PUBLIC)

    assert x.rate_limits.window("GET /2/tweets") == RateLimitWindow(900, 5, RESET)
