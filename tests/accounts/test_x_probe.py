"""python manage.py x_probe: five questions to X, each answered beside what Quartile assumes.

Against the sandbox over HTTP (tests never run it against X), whose behaviour is what the product
assumes, so every question answered there agrees; the readings that would disagree are checked on
X's possible answers, built by hand.
"""

import os
import re
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta
from io import StringIO
from pathlib import Path

import pytest
import requests
from django.core.management import CommandError, call_command

import xapi
from accounts import probe as probes
from accounts.x_settings import DEMO_BEARER_TOKEN, x_app_only_auth, x_bearer_token
from sandbox import SandboxConfig
from tests.connecting import BRAND, SMALL, connected_account
from tests.sandbox.flows import a_video_post, bearer
from xapi.parsing import parse_posts_response

ROOT = Path(__file__).resolve().parents[2]

NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)


@pytest.fixture
def bearer_token(settings):
    settings.X_BEARER_TOKEN = SandboxConfig().app_bearer_token


@pytest.fixture
def connect(x_sandbox, frozen, team, admin, client_for):
    return lambda username=BRAND: connected_account(client_for(admin), team, "oauth2", username)


@pytest.fixture
def brand(connect, bearer_token):
    return connect(BRAND)


def probe(*args: str, stdin: str | None = None) -> str:
    out = StringIO()
    extra = {"stdin": StringIO(stdin)} if stdin is not None else {}
    call_command("x_probe", *args, stdout=out, **extra)
    return out.getvalue()


def answers(output: str) -> dict[int, tuple[str, str]]:
    """Each question's (finding, agrees) as printed."""
    found = re.findall(
        r"^(\d)\. .*\n +Found: +(.*)\n +Assumed: .*\n +Agrees: +(\w+)$", output, re.M
    )
    return {int(number): (text, agrees) for number, text, agrees in found}


def post_reads(sandbox) -> list[dict]:
    """The sandbox ledger's requests that read Posts (not the connection's, nor usage)."""
    return [
        entry
        for entry in sandbox.ledger()["requests"]
        if entry["endpoint"] in ("GET /2/tweets", "GET /2/users/:id/tweets")
    ]


def delete_posts(sandbox, username: str, *, older: bool) -> None:
    """Its author deletes every Post older (or younger) than 30 days, in the sandbox."""
    user_id = sandbox.user(username)["id"]
    page = requests.get(
        sandbox.url(f"/2/users/{user_id}/tweets"),
        params={"max_results": 100, "tweet.fields": "created_at"},
        headers=bearer(sandbox.mint_token(username)),
    ).json()
    now = datetime.fromisoformat(sandbox.clock()["now"])
    for post in page["data"]:
        age = now - datetime.fromisoformat(post["created_at"])
        if (age > timedelta(days=29)) == older:
            sandbox.delete_post(post["id"])


# -- the run against the sandbox ---------------------------------------------------------------


def test_it_says_what_it_may_spend_and_reads_nothing_unless_told_yes(brand, x_sandbox):
    output = probe(stdin="n\n")

    assert f"It reads at most {probes.max_post_reads()} Posts: at most $0.155 at $0.005" in output
    assert "X's usage counts can lag" in output
    assert output.rstrip().endswith("Nothing was read.")
    assert post_reads(x_sandbox) == []
    assert not [e for e in x_sandbox.ledger()["requests"] if e["path"] == "/2/usage/tweets"]


def test_on_the_sandbox_every_answered_question_agrees_with_the_product(brand, x_sandbox):
    video = a_video_post(x_sandbox)["id"]  # of another account
    carrier = x_sandbox.add_post(BRAND, "Look at this one", media_from=video)

    output = probe("--usage-wait", "0", stdin="y\n")

    found = answers(output)
    assert {number: agrees for number, (_, agrees) in found.items()} == dict.fromkeys(
        range(1, 6), "yes"
    )
    assert "X dropped Post" in found[1][0] and "Field Authorization Errors" in found[1][0]
    assert "(31 days old)" in found[1][0]
    assert "promoted_metrics.impression_count" in found[2][0]
    assert f"on Post {carrier}" in found[3][0] and "playback_0_count" in found[3][0]
    assert "left out: url_link_clicks" in found[4][0]
    assert found[5][0].endswith("billed once.")


def test_it_spends_no_more_than_it_said_and_reports_what_x_returned(brand, x_sandbox):
    output = probe("--yes", "--usage-wait", "0", "--scan", "10")

    reads = post_reads(x_sandbox)
    returned = sum(len(entry["results"]) for entry in reads)
    billed = sum(entry["billed_post_reads"] for entry in reads)
    assert billed <= returned <= probes.max_post_reads(scan=10)
    assert f"{len(reads)} requests as @{BRAND}" in output
    assert f"X returned {returned} Posts, so at most {returned} Post reads" in output
    assert f"X's usage counts moved by {billed} Post reads meanwhile" in output
    # One page of each timeline window, and only lookups of a few Posts each.
    assert Counter(entry["endpoint"] for entry in reads)["GET /2/users/:id/tweets"] == 2
    assert all(len(entry["ids"]) <= probes.PRIVATE_BATCH for entry in reads if entry["ids"][1:])


def test_without_another_accounts_video_question_3_says_it_cannot_answer(brand):
    found = answers(probe("--yes", "--usage-wait", "0"))

    text, agrees = found[3]
    assert text.startswith("Cannot answer: none of the newest 20 own Posts under 30 days carries")
    assert "--video-post" in text
    assert agrees == "unknown"
    assert {found[n][1] for n in (1, 2, 4, 5)} == {"yes"}


def test_a_video_post_can_be_named_and_is_checked(brand, x_sandbox):
    carrier = x_sandbox.add_post(BRAND, "Seen this?", media_from=a_video_post(x_sandbox)["id"])
    for _ in range(6):  # the carrier is no longer among the newest 5
        x_sandbox.add_post(BRAND, "Plain news")

    named = answers(probe("--yes", "--usage-wait", "0", "--scan", "5", "--video-post", carrier))
    plain = x_sandbox.add_post(BRAND, "Not a video")
    wrong = answers(probe("--yes", "--usage-wait", "0", "--video-post", plain))

    assert named[3][1] == "yes" and f"on Post {carrier}" in named[3][0]
    assert wrong[3] == (
        f"Cannot answer: Post {plain} is not this account's, under 30 days, carrying another "
        "account's video",
        "unknown",
    )


def test_without_a_bearer_token_question_5_is_not_asked(connect, x_sandbox):
    connect(BRAND)

    output = probe("--yes", "--usage-wait", "0")

    assert "X_BEARER_TOKEN is not set: question 5 (billing) will not be asked." in output
    assert answers(output)[5] == (
        "Cannot answer: no Bearer token: X_BEARER_TOKEN is not set",
        "unknown",
    )
    assert answers(output)[1][1] == "yes"
    assert not [e for e in x_sandbox.ledger()["requests"] if e["path"] == "/2/usage/tweets"]


def test_without_posts_past_day_31_question_1_cannot_be_answered(connect, bearer_token, x_sandbox):
    connect(SMALL)
    delete_posts(x_sandbox, SMALL, older=True)

    found = answers(probe("--yes", "--usage-wait", "0"))

    assert found[1] == (
        "Cannot answer: no own Post older than 31 days on the timeline (X serves its newest 3,200)",
        "unknown",
    )
    assert found[4][1] == "yes"
    # Deleting them read the timeline today: the probe's pages cost nothing more, and it says so.
    assert found[5][1] == "unknown" and "Some were billed earlier today" in found[5][0]


def test_without_posts_under_30_days_questions_2_to_4_cannot_be_answered(
    connect, bearer_token, x_sandbox
):
    connect(SMALL)
    delete_posts(x_sandbox, SMALL, older=False)

    found = answers(probe("--yes", "--usage-wait", "0"))

    for number in (2, 3, 4):
        assert found[number] == (
            "Cannot answer: no own Post under 30 days among the newest on the timeline",
            "unknown",
        )
    assert found[1][1] == "yes"


def test_xs_errors_are_findings_not_tracebacks(brand, x_sandbox):
    x_sandbox.fault("503", count=10, path="/2/users/")
    x_sandbox.fault("credits_depleted", count=10, path="/2/usage/")

    found = answers(probe("--yes", "--usage-wait", "0"))

    for number in (1, 2, 3, 4):
        text, agrees = found[number]
        assert text.startswith("Cannot answer: reading the timeline"), text
        assert "GET /2/users/:id/tweets: HTTP 503 Service Unavailable" in text
        assert agrees == "unknown"
    assert found[5][0].startswith("Cannot answer: GET /2/usage/tweets failed:")
    assert "HTTP 402 CreditsDepleted" in found[5][0]


def test_a_lookup_x_refuses_is_a_finding_too(brand, x_sandbox):
    x_sandbox.fault("429", count=10, path="/2/tweets")

    found = answers(probe("--yes", "--usage-wait", "0"))

    # The first lookup meets X's 429; the client then holds the others back until X's reset.
    assert found[5][0] == (
        "Cannot answer: GET /2/tweets failed: GET /2/tweets: HTTP 429 Too Many Requests"
    )
    for number in (1, 2, 3, 4):
        assert found[number][0] == (
            "Cannot answer: GET /2/tweets failed: GET /2/tweets: not sent: the rate-limit window "
            "is spent"
        ), number


# -- which account -----------------------------------------------------------------------------


def test_it_reads_as_the_only_connected_account_or_the_one_named(connect, bearer_token):
    with pytest.raises(CommandError, match="No connected X account: connect one"):
        probe("--yes")
    connect(BRAND)
    connect(SMALL)

    with pytest.raises(CommandError, match="Several connected X accounts: @quartile_brand"):
        probe("--yes")
    with pytest.raises(CommandError, match="No connected X account @nobody"):
        probe("--yes", "--account", "@nobody")
    assert "X probe of @quartile_small" in probe("--account", "@Quartile_Small", stdin="")


@pytest.mark.parametrize(
    ("args", "message"),
    [(("--scan", "4"), "--scan must be 5-100"), (("--video-post", "x1"), "must be a Post id")],
)
def test_bad_options_are_refused_before_anything_is_read(brand, x_sandbox, args, message):
    with pytest.raises(CommandError, match=message):
        probe("--yes", *args)

    assert post_reads(x_sandbox) == []


# -- question 5's comparison, with X's usage counts scripted ------------------------------------


class ScriptedUsage:
    """An app client whose usage counts follow a script (each call takes the next)."""

    def __init__(self, *counts: int) -> None:
        self.counts = list(counts)
        self.requests_sent: Counter[str] = Counter()

    def get_usage(self, *, days: int) -> xapi.Usage:
        self.requests_sent["GET /2/usage/tweets"] += 1
        count = self.counts.pop(0) if len(self.counts) > 1 else self.counts[0]
        return xapi.Usage(project_usage=count)

    def server_now(self) -> datetime:
        return datetime.now(UTC)


def run_probe(sandbox, usage: ScriptedUsage, **options) -> tuple[probes.Probe, dict]:
    token = sandbox.mint_token(BRAND)["access_token"]
    client = xapi.XClient(
        auth=xapi.OAuth2UserAuth(get_access_token=lambda: token),
        endpoints=xapi.XEndpoints.under_one_base(sandbox.base_url),
    )
    run = probes.Probe(
        client=client, user_id=sandbox.user(BRAND)["id"], app_client=usage, **options
    )
    with client:
        return run, {f.number: f for f in run.run()}


def test_a_second_bill_for_the_post_read_again_disagrees(x_sandbox, frozen):
    pages = 20 + 5  # the sandbox fills both pages
    usage = ScriptedUsage(100, 100 + pages, 100 + pages + 1)

    _, found = run_probe(x_sandbox, usage, usage_wait=0)

    assert found[5].agrees is probes.Agreement.NO
    assert found[5].finding.endswith("and X's usage moved by 1: billed twice.")


def test_lagging_usage_counts_are_waited_for_then_read_as_billed_once(x_sandbox, frozen):
    waits = []
    usage = ScriptedUsage(100, 100, 100, 125, 125)  # the pages show after two waits

    _, found = run_probe(x_sandbox, usage, usage_wait=60, poll_every=20, sleep=waits.append)

    assert found[5].agrees is probes.Agreement.YES
    # Two waits for the pages to show, then the whole minute for a move that never comes.
    assert waits == [20] * 5


def test_counts_that_never_match_the_pages_leave_question_5_unknown(x_sandbox, frozen):
    usage = ScriptedUsage(100, 110)  # ten of the 25 Posts were billed earlier today, say

    _, found = run_probe(x_sandbox, usage, usage_wait=0)

    assert found[5].agrees is probes.Agreement.UNKNOWN
    assert "X's usage moved by 10" in found[5].finding
    assert "pause the syncs" in found[5].finding


# -- readings that would disagree, on answers X might give -------------------------------------


POST = xapi.Post(id="1", text="t", created_at=NOW - timedelta(days=40), author_id="9")
YOUNG = xapi.Post(id="2", text="t", created_at=NOW - timedelta(days=2), author_id="9")


def field_errors(resource_id, *names, resource_type="tweet"):
    return tuple(
        xapi.PartialError(
            type_suffix="not-authorized-for-field",
            title="Field Authorization Error",
            resource_type=resource_type,
            resource_id=resource_id,
            field=name,
        )
        for name in names
    )


def test_private_metrics_returned_past_day_30_disagree():
    returned = xapi.Post(
        id="1", text="t", non_public_metrics=xapi.PostNonPublicMetrics(50, 1, 2, 3)
    )

    seen = probes.read_old_post(POST, xapi.Page(posts=(returned,)), NOW)
    silent = probes.read_old_post(POST, xapi.Page(posts=(xapi.Post(id="1", text="t"),)), NOW)
    dropped = probes.read_old_post(
        POST, xapi.Page(errors=field_errors("1", "organic_metrics.x")), NOW
    )

    assert seen.agrees is probes.Agreement.NO
    assert "X returned the private metrics of Post 1 (40 days old)" in seen.finding
    assert "impression_count 50" in seen.finding
    assert silent.agrees is probes.Agreement.NO and "and no error" in silent.finding
    assert dropped.agrees is probes.Agreement.YES


def test_promoted_metrics_left_out_or_zero_disagree_and_an_empty_answer_agrees():
    zeros = xapi.PostContextMetrics(0, 0, 0, 0, 0, 0)

    left_out = probes.read_promoted(YOUNG, xapi.Page(posts=(YOUNG,)), NOW)
    zero = probes.read_promoted(
        YOUNG, xapi.Page(posts=(xapi.Post(id="2", text="t", promoted_metrics=zeros),)), NOW
    )
    empty = probes.read_promoted(YOUNG, xapi.Page(), NOW)

    assert (left_out.agrees, zero.agrees, empty.agrees) == (
        probes.Agreement.NO,
        probes.Agreement.NO,
        probes.Agreement.YES,
    )
    assert "left promoted_metrics out" in left_out.finding
    assert "promoted_metrics all 0" in zero.finding
    assert "no Post, no error" in empty.finding


def test_another_accounts_video_refused_disagrees():
    carrier = xapi.Post(id="2", text="t", media_keys=("13_5",))
    media_refused = xapi.Page(
        posts=(carrier,), errors=field_errors("13_5", "non_public_metrics.playback_0_count")
    )
    bare_video = xapi.Page(posts=(carrier,), media={"13_5": xapi.Media("13_5", "video")})

    refused = probes.read_reused_video(YOUNG, "13_5", media_refused, NOW)
    bare = probes.read_reused_video(YOUNG, "13_5", bare_video, NOW)
    dropped = probes.read_reused_video(YOUNG, "13_5", xapi.Page(), NOW)

    assert refused.agrees is probes.Agreement.NO
    assert "left the video 13_5 on Post 2" in refused.finding
    assert bare.agrees is probes.Agreement.NO and "without its private groups" in bare.finding
    assert dropped.agrees is probes.Agreement.NO and "dropped Post 2 itself" in dropped.finding


def _with_groups(body_groups: dict) -> xapi.Page:
    return parse_posts_response(
        {"data": [{"id": "2", "text": "t", **body_groups}]}, endpoint="GET /2/tweets"
    )


def test_zero_counters_sent_or_left_out_of_one_group_only_disagree():
    sent = _with_groups(
        {
            "non_public_metrics": {"impression_count": 9, "url_link_clicks": 0},
            "organic_metrics": {"impression_count": 9, "url_link_clicks": 0},
        }
    )
    uneven = _with_groups(
        {
            "non_public_metrics": {"impression_count": 9, "user_profile_clicks": 3},
            "organic_metrics": {"impression_count": 9},
        }
    )
    left_out = _with_groups(
        {"non_public_metrics": {"impression_count": 9}, "organic_metrics": {"impression_count": 9}}
    )

    assert probes.read_zero_counters(YOUNG, sent, NOW).agrees is probes.Agreement.NO
    odd = probes.read_zero_counters(YOUNG, uneven, NOW)
    assert odd.agrees is probes.Agreement.NO
    assert "X left user_profile_clicks out of one group" in odd.finding
    assert probes.read_zero_counters(YOUNG, left_out, NOW).agrees is probes.Agreement.YES
    assert (
        probes.read_zero_counters(YOUNG, _with_groups({}), NOW).agrees is probes.Agreement.UNKNOWN
    )


# -- where the Bearer token comes from ---------------------------------------------------------


def test_the_bearer_token_is_a_setting_that_demo_mode_defaults_to_the_sandboxs(settings):
    settings.X_BEARER_TOKEN = ""
    assert x_bearer_token() == "" and x_app_only_auth() is None
    settings.X_BEARER_TOKEN = "from-the-environment"
    assert x_app_only_auth().bearer_token == "from-the-environment"


def test_the_bearer_token_setting_reads_the_environment_and_defaults_in_demo_mode():
    def read(**env):
        OURS = {"DEMO_MODE", "X_BEARER_TOKEN", "DEBUG"}
        done = subprocess.run(
            [sys.executable, "manage.py", "shell", "--no-imports", "-c",
             "from django.conf import settings; print(settings.X_BEARER_TOKEN)"],
            cwd=ROOT, capture_output=True, text=True, timeout=120,
            env={**{k: v for k, v in os.environ.items() if k not in OURS}, **env},
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        return done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""

    assert read(DEMO_MODE="true") == DEMO_BEARER_TOKEN == SandboxConfig().app_bearer_token
    assert read(DEMO_MODE="true", X_BEARER_TOKEN="mine") == "mine"
    assert read(DEMO_MODE="false", DEBUG="true") == ""
