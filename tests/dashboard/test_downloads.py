"""CSV downloads: every role may download the rows of its pages, streamed, audited, inert."""

import csv
import io
from http import HTTPStatus

import pytest
from django.urls import reverse

from accounts.models import AuditEvent, Membership, Role
from metrics import selectors
from metrics.exports import (
    BOM,
    CHUNK_CHARS,
    DAILY_COLUMNS,
    SNAPSHOT_COLUMNS,
    VIDEO_COLUMNS,
    cell,
    post_csv_chunks,
)
from metrics.selectors import Period, Scope
from tests.factories import MembershipFactory, TeamFactory
from tests.metrics.factories import PostFactory
from tests.metrics.histories import WORKED_EXAMPLE_DAYS, seed_synced_team, seed_worked_example

pytestmark = pytest.mark.django_db

KINDS = ["posts", "daily", "videos", "snapshots"]
INJECTIONS = [
    "<script>alert(1)</script>",
    '=HYPERLINK("http://x","y")',
    "+1",
    "-1",
    "@SUM(A1:A2)",
    "\tstarts with a tab",
    "\rstarts with CR",
    "\nstarts with LF",
]


def _url(team, kind: str, query: str = "") -> str:
    return reverse(f"team_export_{kind}", args=[team.slug]) + (f"?{query}" if query else "")


def _rows(response) -> list[dict]:
    body = b"".join(response.streaming_content)
    assert body.startswith(BOM.encode())
    return list(csv.DictReader(io.StringIO(body.decode("utf-8")[1:], newline="")))


@pytest.fixture
def synced(team):
    return seed_synced_team(team)


@pytest.mark.parametrize("kind", KINDS)
def test_a_download_is_a_streamed_attachment_that_is_not_cached(kind, synced, member, client_for):
    response = client_for(member).get(_url(synced.team, kind, "range=7"))

    assert response.status_code == HTTPStatus.OK
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Cache-Control"] == "no-store"
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment; filename=")
    assert f"quartile-acme-{kind}-" in disposition and disposition.endswith('-activity.csv"')
    assert len(_rows(response)) > 0


@pytest.mark.parametrize("persona", ["owner", "admin", "member"])
def test_every_role_may_download(persona, synced, personas, client_for):
    response = client_for(personas[persona]).get(_url(synced.team, "posts"))

    assert response.status_code == HTTPStatus.OK
    assert _rows(response)


@pytest.mark.parametrize("kind", KINDS)
def test_outsiders_get_404_and_anonymous_people_sign_in_first(kind, synced, outsider, client_for):
    assert client_for(outsider).get(_url(synced.team, kind)).status_code == HTTPStatus.NOT_FOUND
    anonymous = client_for(None).get(_url(synced.team, kind))
    assert anonymous.status_code == HTTPStatus.FOUND
    assert anonymous.url.startswith(reverse("account_login"))


def test_each_download_is_written_to_the_audit_log_with_its_filters(synced, member, client_for):
    brand = synced.brand
    response = client_for(member).get(
        _url(synced.team, "daily", f"range=7&mode=created&account={brand.pk}")
    )
    _rows(response)

    event = AuditEvent.objects.get(verb=AuditEvent.Verb.EXPORT_DOWNLOADED)
    assert event.team == synced.team and event.actor == member
    assert event.target.startswith("quartile-acme-daily-") and event.target.endswith("created.csv")
    assert event.data["mode"] == "created" and event.data["accounts"] == ["brand"]


def test_a_member_removed_before_the_stream_starts_gets_nothing(synced, member, client_for):
    response = client_for(member).get(_url(synced.team, "posts"))
    Membership.objects.filter(user=member, team=synced.team).delete()

    assert b"".join(response.streaming_content) == b""
    assert not AuditEvent.objects.filter(verb=AuditEvent.Verb.EXPORT_DOWNLOADED).exists()


ROWS_AND_COLUMNS = {
    "daily": (selectors.daily_series_rows, DAILY_COLUMNS),
    "videos": (selectors.video_rows, VIDEO_COLUMNS),
    "snapshots": (selectors.snapshot_rows, SNAPSHOT_COLUMNS),
}


@pytest.mark.parametrize("kind", KINDS)
def test_each_download_equals_the_selector_rows(kind, synced, member, client_for):
    scope = Scope(
        synced.team,
        tuple(synced.accounts),
        Period.last(28, today=selectors.team_today(synced.team)),
    )
    if kind == "posts":  # on PostgreSQL the download is COPY's: held to the Python writer's
        written = b"".join(post_csv_chunks(selectors.post_table(scope=scope)))
        expected = list(csv.DictReader(io.StringIO(written.decode("utf-8-sig"))))
    else:
        rows, columns = ROWS_AND_COLUMNS[kind]
        expected = [
            {c.header: str(cell(c.value(row), text=c.text)) for c in columns}
            for row in rows(scope=scope)
        ]

    downloaded = _rows(client_for(member).get(_url(synced.team, kind, "range=28")))

    assert len(downloaded) == len(expected)
    for got, want in zip(downloaded, expected, strict=True):
        assert got == want, {k: (got[k], want[k]) for k in got if got[k] != want[k]}
    assert len(downloaded) > (len(synced.posts) if kind == "posts" else 1) - 1


def test_the_daily_download_sums_to_the_charted_rows(synced, member, client_for):
    scope = Scope(
        synced.team,
        tuple(synced.accounts),
        Period.last(7, today=selectors.team_today(synced.team)),
    )
    charted = {
        (r.day.isoformat(), r.parts.organic)
        for r in selectors.overview(scope=scope).series("impression_count")
        if r.parts is not None
    }

    rows = _rows(client_for(member).get(_url(synced.team, "daily", "range=7")))

    organic: dict[str, int] = {}
    for row in rows:
        if row["metric"] == "impression_count" and row["context"] == "organic" and row["gain"]:
            organic[row["day"]] = organic.get(row["day"], 0) + int(row["gain"])
    assert {(day, organic.get(day, 0)) for day, _ in charted} == charted


def test_the_worked_example_downloads_exactly_as_designed(client_for):
    team = TeamFactory(slug="acme-ny", time_zone="America/New_York")
    owner = MembershipFactory(team=team, role=Role.OWNER).user
    seed_worked_example(team)
    mon, _, wed = WORKED_EXAMPLE_DAYS
    query = f"range=custom&start={mon}&end={wed}"

    daily = _rows(client_for(owner).get(_url(team, "daily", query)))
    posts = _rows(client_for(owner).get(_url(team, "posts", query)))

    assert [
        (r["day"], r["context"], r["gain"], r["gain_estimated"], r["basis"], r["end_of_day_value"])
        for r in daily
    ] == [
        ("2026-03-02", "organic", "271", "171", "estimated", "271"),
        ("2026-03-02", "promoted", "143", "143", "estimated", "143"),
        ("2026-03-03", "organic", "172", "172", "estimated", "443"),
        ("2026-03-03", "promoted", "257", "257", "estimated", "400"),
        ("2026-03-04", "organic", "57", "57", "estimated", "500"),
        ("2026-03-04", "promoted", "200", "200", "estimated", "600"),
    ]
    (post,) = posts
    assert (post["impression_count_organic"], post["impression_count_promoted"]) == ("500", "600")


def test_text_that_could_run_as_a_formula_stays_inert(synced, member, client_for):
    for text in INJECTIONS:
        PostFactory(account=synced.brand, text=text)

    rows = _rows(client_for(member).get(_url(synced.team, "posts", "mode=created&range=7")))

    texts = {row["text"] for row in rows}
    assert "<script>alert(1)</script>" in texts  # harmless in a spreadsheet, written as is
    for text in INJECTIONS[1:]:
        assert "'" + text in texts
        assert text not in texts
    assert all(not row["impression_count_public"].startswith("'") for row in rows)


def test_a_post_download_has_that_post_only_and_another_team_post_is_404(
    synced, member, client_for
):
    post = synced.posts[0]
    other = PostFactory()

    rows = _rows(client_for(member).get(_url(synced.team, "posts", f"post={post.pk}")))
    missing = client_for(member).get(_url(synced.team, "posts", f"post={other.pk}"))

    assert [r["post_id"] for r in rows] == [str(post.x_post_id)]
    assert missing.status_code == HTTPStatus.NOT_FOUND


def test_the_account_filter_of_the_page_applies_to_its_download(synced, member, client_for):
    small = synced.accounts[1]

    rows = _rows(client_for(member).get(_url(synced.team, "snapshots", f"account={small.pk}")))

    assert rows and {r["account"] for r in rows} == {"smallco"}


def test_a_large_download_streams_in_chunks_of_about_64_kb_not_a_write_per_row(
    team, member, client_for
):
    PostFactory.create_batch(600, account__team=team, text="A Post long enough " * 12)

    response = client_for(member).get(_url(team, "posts", "mode=created"))
    chunks = list(response.streaming_content)

    body = b"".join(chunks)
    lines = body.splitlines(keepends=True)
    assert len(lines) == 601, "the header and every Post"
    assert len({line.endswith(b"\r\n") for line in lines}) == 1, "one line ending throughout"
    assert len(body) > 3 * CHUNK_CHARS
    assert all(len(chunk) >= CHUNK_CHARS for chunk in chunks[1:-1]), [len(c) for c in chunks]
    assert len(chunks) <= 2 + len(body) // CHUNK_CHARS
