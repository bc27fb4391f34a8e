"""After a bulk write the planner learns the tables grew, before the pages read them."""

import pytest
from django.db import connection

from metrics import table_stats
from metrics.models import Post
from tests.factories import XAccountFactory
from tests.metrics.factories import PostFactory
from tests.metrics.syncing import run_sync, sandbox_account

# Committed rows: the statistics count only what other sessions can see.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("planner statistics are PostgreSQL's; SQLite has none to refresh")


def _analyzed(table: str) -> tuple[bool, float]:
    """Whether `table` was ever analyzed by hand, and the row count the planner believes."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT s.last_analyze IS NOT NULL, c.reltuples FROM pg_stat_user_tables s "
            "JOIN pg_class c ON c.oid = s.relid WHERE s.relname = %s",
            [table],
        )
        return cursor.fetchone()


def test_a_table_grown_past_autovacuums_threshold_is_analyzed_once():
    account = XAccountFactory()
    PostFactory.create_batch(120, account=account)  # past autovacuum's 50 rows of an empty table

    first = table_stats.analyze_stale_tables()
    again = table_stats.analyze_stale_tables()

    assert Post._meta.db_table in first
    assert _analyzed(Post._meta.db_table) == (True, 120)
    assert again == [], "nothing changed since: nothing to analyze"


def test_a_few_changes_leave_the_statistics_to_autovacuum():
    table_stats.analyze_stale_tables()  # whatever earlier tests left
    before = _analyzed(Post._meta.db_table)
    PostFactory.create_batch(10)

    assert table_stats.analyze_stale_tables() == []
    assert _analyzed(Post._meta.db_table) == before


def test_a_first_sync_leaves_the_planner_knowing_what_it_wrote(x_sandbox, frozen, team):
    account = sandbox_account(x_sandbox, team, "quartile_brand")

    run_sync(account)

    analyzed, planner_rows = _analyzed(Post._meta.db_table)
    assert analyzed
    assert planner_rows == Post.objects.count() > 50
