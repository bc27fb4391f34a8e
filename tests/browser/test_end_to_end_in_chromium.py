"""End to end in Chromium: an owner signs in, connects one demo X account through the sandbox's
consent page with OAuth 2.0 and another with OAuth 1.0a, a real Celery worker process runs
their first syncs, and the pages chart what the selectors return, with X's hostile Post text
inert. Then one account is disconnected and its token is revoked at the sandbox."""

import copy
import os
from datetime import UTC, datetime

import pytest
from django.urls import reverse

from accounts.models import Role, XAccount
from metrics import selectors
from metrics.models import Post
from metrics.selectors import DAILY_CHART_METRICS, Period, PeriodMode, Scope
from tests.browser.conftest import csp_violations, screenshot, sign_in
from tests.factories import MembershipFactory
from tests.metrics.syncing import worker_env
from tests.workers import celery_worker, client_app, wait_until

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

TRACES = """(id) => document.getElementById(id).data.map((t) => ({name: t.name, y: t.y}))"""
ALL_DRAWN = """() => Array.from(document.querySelectorAll("[data-figure]")).every(
  (c) => c.dataset.drawn === "true" && c.querySelector("svg.main-svg"))"""


@pytest.fixture
def wired(x_sandbox, live_server, settings, tmp_path, monkeypatch):
    """The site points at the sandbox with the live server's callbacks; a worker consumes the
    queue the site enqueues on."""
    settings.X_CALLBACK_BASE_URL = live_server.url
    # Browsers hold the redirect after a form POST to form-action: the consent page is here.
    policy = copy.deepcopy(settings.CONTENT_SECURITY_POLICY)
    policy["DIRECTIVES"]["form-action"].append(x_sandbox.base_url)
    settings.CONTENT_SECURITY_POLICY = policy
    for method in ("oauth2", "oauth1"):
        x_sandbox.register_callback(f"{live_server.url}/connect/x/{method}/callback/")
    x_sandbox.set_clock(datetime.now(UTC).replace(microsecond=0))
    env = worker_env(x_sandbox, "filesystem", tmp_path)
    if os.environ.get("REDIS_URL"):
        env["REDIS_URL"] = os.environ["REDIS_URL"]
    else:
        # The embedded broker is a folder: give this test a folder of its own, so a worker of
        # another run on this machine cannot take its messages (the same messages, elsewhere).
        queue = client_app("filesystem", tmp_path)
        monkeypatch.setattr(
            "metrics.receivers.enqueue_sync",
            lambda account_id, claim: queue.send_task(
                "metrics.tasks.sync_account", args=[account_id, claim]
            ),
        )
    log = tmp_path / "worker.log"
    with celery_worker(env, log, name="e2e"):
        yield log


def _connect(page, live_server, slug: str, method: str, username: str) -> None:
    page.goto(f"{live_server.url}{reverse('team_x_accounts', args=[slug])}")
    page.click(f"button[name=method][value={method}]")
    page.wait_for_url("**/authorize**")  # the sandbox's consent page
    page.check(f"input[value={username}]")
    page.click("button[value=authorize]")
    page.wait_for_url(f"**{reverse('team_x_accounts', args=[slug])}")
    assert page.locator(f"tr[data-account={username}] .badge").first.inner_text() in (
        "Active", "Syncing",
    )  # fmt: skip


def test_connect_two_accounts_watch_them_sync_and_see_the_charts(
    wired, x_sandbox, page_factory, live_server, team
):
    owner = MembershipFactory(team=team, role=Role.OWNER, user__email="owner@example.com").user
    page = page_factory()
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    sign_in(page, live_server.url, owner.email)

    _connect(page, live_server, team.slug, "oauth2", "quartile_brand")
    _connect(page, live_server, team.slug, "oauth1", "quartile_small")
    wait_until(
        lambda: XAccount.objects.filter(team=team, last_synced_at__isnull=False).count() == 2,
        timeout=90,
        log=wired,
    )
    screenshot(page, "e2e-accounts")

    # Every chart of the overview, drawn with the selectors' numbers.
    page.goto(f"{live_server.url}{reverse('team_home', args=[team.slug])}?range=28&mode=created")
    page.wait_for_function(ALL_DRAWN)
    accounts = tuple(XAccount.objects.filter(team=team).order_by("pk"))
    scope = Scope(
        team, accounts, Period.last(28, today=selectors.team_today(team)), PeriodMode.CREATED
    )
    expected = selectors.overview(scope=scope)
    for metric in DAILY_CHART_METRICS:
        traces = {t["name"]: t for t in page.evaluate(TRACES, f"figure-{metric}-plot")}
        rows = expected.series(metric)
        assert traces["Organic"]["y"] == [r.parts and r.parts.organic for r in rows]
        assert traces["Promoted"]["y"] == [r.parts and r.parts.promoted for r in rows]
    funnel = {t["name"]: t for t in page.evaluate(TRACES, "figure-funnel-plot")}
    assert funnel["Organic"]["y"] == [s.counts.organic for s in expected.funnel]
    assert any(funnel["Organic"]["y"]), "the synced videos fill the funnel"
    assert page.locator("table.posts-table a.post-link").count() > 0
    screenshot(page, "e2e-overview")

    # The Post whose text is a script: shown as text, never run.
    hostile = Post.objects.get(account__team=team, text="<script>alert(1)</script>")
    page.goto(f"{live_server.url}{reverse('team_post_detail', args=[team.slug, hostile.pk])}")
    page.wait_for_function(ALL_DRAWN)
    assert page.get_by_text("<script>alert(1)</script>").count() >= 1
    screenshot(page, "e2e-hostile-post")

    # The Posts CSV of what the page shows.
    page.goto(f"{live_server.url}{reverse('team_home', args=[team.slug])}?range=28&mode=created")
    page.wait_for_function(ALL_DRAWN)
    page.locator("details.exports summary").click()
    with page.expect_download() as download:
        page.locator("details.exports a", has_text="Posts").first.click()
    lines = download.value.path().read_text(encoding="utf-8").splitlines()
    assert len(lines) - 1 == len(list(selectors.post_rows(scope=scope)))

    # Disconnect the OAuth 1.0a account: gone here, revoked at X.
    page.goto(f"{live_server.url}{reverse('team_x_accounts', args=[team.slug])}")
    page.locator("tr[data-account=quartile_small] button", has_text="Disconnect").click()
    page.wait_for_load_state()
    small = XAccount.objects.get(team=team, username="quartile_small")
    assert small.status == XAccount.Status.DISCONNECTED
    revoked = [e for e in x_sandbox.ledger()["requests"] if "invalidate_token" in e["path"]]
    assert revoked and revoked[-1]["status"] == 200

    assert dialogs == []
    assert [v for v in csp_violations(page) if v["directive"].startswith("script")] == []
