"""Fresh planner statistics after a bulk write.

PostgreSQL plans the pages' and exports' queries from each table's statistics. A first sync
writes thousands of rows at once, and until they are analyzed the planner still believes the
tables nearly empty: it picks plans that rescan a table once per row (measured: the Posts export
of 19,155 Posts took 2.8 s instead of 0.32 s). Autovacuum analyzes a table once its changes
pass `autovacuum_analyze_threshold` + `autovacuum_analyze_scale_factor` times its rows, but only on
its next round (a minute by default) and never where it is turned off. PostgreSQL's manual
advises running ANALYZE after a bulk load ("Populating a Database: Run ANALYZE Afterwards"), so
the sync that did the bulk load runs it, by autovacuum's own rule.
"""

from django.db import connection

from metrics.models import (
    Media,
    MediaDaily,
    MediaMetrics,
    MediaSnapshot,
    Post,
    PostDaily,
    PostMedia,
    PostMetrics,
    PostSnapshot,
)

SYNCED_MODELS = (
    Post, Media, PostMedia, PostSnapshot, PostMetrics, PostDaily, MediaSnapshot, MediaMetrics,
    MediaDaily,
)  # fmt: skip

_STALE = """
    SELECT s.relname
    FROM pg_stat_user_tables s
    JOIN pg_class c ON c.oid = s.relid
    WHERE s.schemaname = current_schema()
      AND s.relname = ANY(%s)
      AND s.n_mod_since_analyze > current_setting('autovacuum_analyze_threshold')::float8
          + current_setting('autovacuum_analyze_scale_factor')::float8 * greatest(c.reltuples, 0)
    ORDER BY s.relname
"""


def analyze_stale_tables() -> list[str]:
    """ANALYZE the synced tables that changed past autovacuum's threshold since their last
    analysis; return their names. PostgreSQL only: SQLite plans without such statistics.

    SKIP_LOCKED: a table that autovacuum or another worker is analyzing right now is left to it.
    """
    if connection.vendor != "postgresql":
        return []
    tables = [model._meta.db_table for model in SYNCED_MODELS]
    with connection.cursor() as cursor:
        if connection.pg_version >= 150000:
            # This connection's own counts reach the shared statistics when it next goes idle,
            # at most once a second unless forced: a sync's last pages may not be counted yet.
            cursor.execute("SELECT pg_stat_force_next_flush()")
        cursor.execute(_STALE, [tables])
        stale = [name for (name,) in cursor.fetchall()]
        if stale:
            names = ", ".join(connection.ops.quote_name(name) for name in stale)
            cursor.execute(f"ANALYZE (SKIP_LOCKED) {names}")
    return stale
