"""Benchmark of the Posts CSV export of every Post, against PostgreSQL's own COPY.

The download is streamed through Django's test client in this process, as a browser would
read it: time to first byte, total time, rows per second, and the growth of this process's
resident memory while streaming (target: <= 50 MB). In the same run, `COPY (…) TO STDOUT` of the
same rows (the export's query, without its CSV cell formatting) gives the database's own speed
(target: the export at >= 50 % of COPY's rows per second). On PostgreSQL the export itself is
a COPY of that query with the cells formatted in SQL; `BENCH_EXPORT_PYTHON=1` measures the
Python writer instead (what SQLite uses).

    python -m bench export           (BENCH_SCALE=0.1 for a quick run)
"""

import os
import time

from bench.dashboard_seed import member_client, prepare
from bench.setup import rss_mb, table

MEMORY_TARGET_MB = 50
THROUGHPUT_TARGET = 0.5


def stream_export(client, url: str) -> dict:
    import gc

    gc.collect()
    before = peak = rss_mb()
    started = time.perf_counter()
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    first_byte = None
    rows = size = 0
    for n, chunk in enumerate(response.streaming_content):
        if first_byte is None:
            first_byte = time.perf_counter() - started
        rows += chunk.count(b"\n")
        size += len(chunk)
        if n % 16 == 0:
            peak = max(peak, rss_mb())
    response.close()
    seconds = time.perf_counter() - started
    return {
        "ttfb": first_byte,
        "seconds": seconds,
        "rows": rows - 1,
        "mb": size / 2**20,
        "memory": max(peak, rss_mb()) - before,
    }


def copy_same_rows(scope, sort) -> dict:
    """PostgreSQL's COPY of the export's rows: the same query (`post_table_sql`: Posts, their
    metrics and their videos' sums), without the export's cell formatting."""
    import psycopg
    from django.db import connection

    from metrics import selectors

    sql, params = selectors.post_table_sql(scope=scope, sort=sort)
    connection.ensure_connection()
    raw = connection.connection
    query = psycopg.ClientCursor(raw).mogrify(sql, params)
    started = time.perf_counter()
    first_byte = None
    rows = size = 0
    copy_sql = f"COPY ({query}) TO STDOUT WITH (FORMAT csv, HEADER)"
    with raw.cursor() as cursor, cursor.copy(copy_sql) as copy:
        for data in copy:
            if first_byte is None:
                first_byte = time.perf_counter() - started
            rows += bytes(data).count(b"\n")
            size += len(data)
    return {
        "ttfb": first_byte,
        "seconds": time.perf_counter() - started,
        "rows": rows - 1,
        "mb": size / 2**20,
    }


def main() -> None:
    info = prepare()
    team, client = member_client(info)
    from django.urls import reverse

    from metrics import selectors
    from metrics.selectors import Period, PeriodMode, PostSort, Scope

    today = selectors.team_today(team)
    period = Period.last(366, today=today)
    url = reverse("team_export_posts", args=[team.slug])
    query = f"range=custom&start={period.start}&end={period.end}&mode=created"

    if os.environ.get("BENCH_EXPORT_PYTHON") == "1":
        from metrics import exports

        exports.DATABASE_WRITES_CSV = False
    export = stream_export(client, f"{url}?{query}")
    scope = Scope(team, tuple(selectors.team_accounts(team=team)), period, PeriodMode.CREATED)
    copy = copy_same_rows(scope, PostSort())
    activity = stream_export(client, f"{url}?range=90")

    ratio = (export["rows"] / export["seconds"]) / (copy["rows"] / copy["seconds"])
    rows = [
        (
            "export, every Post (created, 366 days)",
            export["rows"], f"{export['ttfb'] * 1000:.0f}", f"{export['seconds']:.2f}",
            f"{export['rows'] / export['seconds']:,.0f}", f"{export['mb']:.1f}",
            f"{export['memory']:.1f}",
        ),
        (
            "COPY of the same rows (unformatted)",
            copy["rows"], f"{copy['ttfb'] * 1000:.0f}", f"{copy['seconds']:.2f}",
            f"{copy['rows'] / copy['seconds']:,.0f}", f"{copy['mb']:.1f}", "",
        ),
        (
            "export, activity in the last 90 days",
            activity["rows"], f"{activity['ttfb'] * 1000:.0f}", f"{activity['seconds']:.2f}",
            f"{activity['rows'] / activity['seconds']:,.0f}", f"{activity['mb']:.1f}",
            f"{activity['memory']:.1f}",
        ),
    ]  # fmt: skip
    print(f"\nPosts CSV export: {info['posts']:,} Posts in {info['accounts']} accounts")
    print(table(["", "rows", "TTFB ms", "seconds", "rows/s", "MB", "memory growth MB"], rows))
    memory_ok = max(export["memory"], activity["memory"]) <= MEMORY_TARGET_MB
    print(
        f"export throughput = {ratio:.0%} of COPY (target >= {THROUGHPUT_TARGET:.0%}: "
        f"{'ok' if ratio >= THROUGHPUT_TARGET else 'UNDER'}); memory growth "
        f"{'ok' if memory_ok else 'OVER'} (target <= {MEMORY_TARGET_MB} MB)"
    )


if __name__ == "__main__":
    main()
