"""Chromium through Playwright, one browser for the whole session, against `live_server`.

The pages are tested on "a team with synced data": the `synced_team` fixture. Here it is seeded
with factories; an end-to-end suite can override it (same name, in its own conftest or module)
with a team that connected a demo account through the sandbox and waited for its first sync.
"""

import os
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from accounts.models import Role
from tests.factories import PASSWORD, MembershipFactory
from tests.metrics.histories import SyncedTeam, seed_synced_team

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
# Collects Content-Security-Policy violations before any page script runs.
CSP_PROBE = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push({directive: e.effectiveDirective, blocked: e.blockedURI,
                               sample: e.sample, source: e.sourceFile});
});
"""


@pytest.fixture(scope="package", autouse=True)
def _orm_beside_playwright():
    """Playwright's sync API runs an event loop in this thread; the tests' ORM calls are still
    synchronous, made between browser steps. Only for this package: the variable must not leak
    into the rest of the suite (`check --deploy` refuses it)."""
    before = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    yield
    if before is None:
        del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = before


@pytest.fixture(scope="package")
def browser(_orm_beside_playwright) -> Browser:
    """One Chromium for all the browser tests, stopped after them: while Playwright's sync API
    runs, its event loop is this thread's, which Django's ORM refuses outside these tests."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def synced_team(team) -> SyncedTeam:
    """A team with two weeks of synced history (override for an end-to-end run)."""
    return seed_synced_team(team)


@pytest.fixture
def marketer(synced_team):
    return MembershipFactory(
        team=synced_team.team, role=Role.MEMBER, user__email="marketer@example.com"
    ).user


def sign_in(page: Page, base_url: str, email: str) -> None:
    """Through the real sign-in form."""
    page.goto(f"{base_url}/auth/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_url(lambda url: "/auth/login" not in url)


@pytest.fixture
def page_factory(browser, live_server):
    """New pages (one context each, downloads allowed) that record console errors and CSP."""
    contexts = []

    def make(*, width: int = 1280, height: int = 900) -> Page:
        context = browser.new_context(
            viewport={"width": width, "height": height}, accept_downloads=True
        )
        contexts.append(context)
        context.add_init_script(CSP_PROBE)
        page = context.new_page()
        page.console_errors = []
        page.on(
            "console",
            lambda message: (
                page.console_errors.append(message.text) if message.type == "error" else None
            ),
        )
        return page

    yield make
    for context in contexts:
        context.close()


def csp_violations(page: Page) -> list[dict]:
    return page.evaluate("window.__cspViolations")


def screenshot(page: Page, name: str) -> None:
    """The whole page, and what fits on the first screen, into test-artifacts/."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}-first-screen.png"))
