"""The Posts CSV kept per account: merged back from each account's rows, it is byte for byte the
file PostgreSQL writes of the whole scope, and a sync of one account rewrites only its rows."""

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from metrics import exports, selectors
from metrics.models import Post
from metrics.selectors import Period, PostSort, Scope
from tests.metrics.factories import sync_ran
from tests.metrics.histories import seed_synced_team

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="COPY is PostgreSQL's"),
]

SORTS = ["", "created_at", "url_link_clicks.organic", "engagement_rate", "like_count.promoted"]


@pytest.fixture
def synced(team):
    return seed_synced_team(team)


def _scope(team, days=28):
    accounts = tuple(selectors.team_accounts(team=team))  # as stored now: their sync state
    return Scope(team, accounts, Period.last(days, today=selectors.team_today(team)))


def _written_whole(scope, sort) -> bytes:
    sql, params = selectors.post_table_sql(scope=scope, sort=sort)
    return b"".join(exports.post_csv_copy_chunks(sql, params, scope.team.time_zone))


def _merged(scope, sort) -> bytes:
    return b"".join(exports.cached_post_csv_chunks(scope, sort))


@pytest.mark.parametrize("sort", SORTS)
def test_the_file_merged_from_each_accounts_rows_is_the_whole_scopes_byte_for_byte(synced, sort):
    scope, order = _scope(synced.team), PostSort.parse(sort)
    whole = _written_whole(scope, order)

    assert _merged(scope, order) == whole  # written account by account
    assert _merged(scope, order) == whole  # then read from the cache
    assert whole.count(b"\n") > len(synced.accounts)


def test_a_sync_of_one_account_rewrites_its_rows_and_no_other_accounts(synced):
    brand, _ = synced.accounts
    _merged(_scope(synced.team), PostSort())
    # Texts change on both accounts without a sync (it never happens: it shows what is read
    # again); then one account syncs.
    Post.objects.filter(account__team=synced.team).update(text="changed")
    sync_ran(brand, timezone.now() - timedelta(seconds=1))

    merged = _merged(_scope(synced.team), PostSort()).decode("utf-8-sig")

    brand_lines = [line for line in merged.splitlines() if ",brand," in line]
    small_lines = [line for line in merged.splitlines() if ",smallco," in line]
    assert brand_lines and all(",changed," in line for line in brand_lines)
    assert small_lines and not any(",changed," in line for line in small_lines)


def test_a_scope_too_large_to_merge_in_memory_is_written_whole(synced, monkeypatch):
    monkeypatch.setattr(exports, "CACHED_ROWS", len(synced.posts) - 1)

    def merge(*args):
        raise AssertionError("merged in memory")

    monkeypatch.setattr(exports, "cached_post_csv_chunks", merge)
    scope = _scope(synced.team)

    assert b"".join(exports.posts_csv(scope, PostSort(), None)) == _written_whole(scope, PostSort())
