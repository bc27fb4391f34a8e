"""Seed a dashboard-sized history into a PostgreSQL benchmark database, fast.

50 accounts of 3,200 Posts (160,000), created over a year, with 90 days of history: readings
every 6 hours in a Post's first two days, daily until day 30 (public, non-public, organic and,
for one Post in ten, promoted), then public only every third day; one Post in ten carries a
video (a few videos are carried by two Posts); a sync every 15 minutes per account, and a
two-day deferral for one account in ten (no readings then: a gap).

The rows are generated inside PostgreSQL (`INSERT … SELECT` over `generate_series`), which is
much faster than sending them; the rollups are derived from the snapshots as the sync writes
them (end-of-day values, the gain between two readings split over the days in between and
marked estimated, 0 before the Post existed, unknown when first seen later). BENCH_SCALE
(default 1) scales the number of accounts.
"""

import os
import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta

POSTS_PER_ACCOUNT = 3200
FULL_ACCOUNTS = 50
HISTORY_DAYS = 90
CREATION_SPAN_DAYS = 360  # within a 366-day custom range, so one export holds them all
TIME_ZONE = "America/New_York"


@dataclass(frozen=True)
class Seeded:
    team_slug: str
    accounts: int
    posts: int
    snapshots: int
    dailies: int
    media_snapshots: int
    sync_runs: int
    seconds: float


def scale() -> float:
    return float(os.environ.get("BENCH_SCALE", "1"))


# Metric values of a Post at instant `ts`, in SQL. R is the Post's reach, from its id.
_AGE_H = "(extract(epoch from (o.ts - p.created_at)) / 3600.0)"
_REACH = "(300 + mod(p.id * 7919, 30000))"
_ORGANIC = f"floor({_REACH} * (1 - exp(-{_AGE_H} / 30)) + {_REACH} * 0.004 * floor({_AGE_H} / 24))"
_PROMOTED = (
    f"CASE WHEN p.promoted = 'yes' THEN floor(0.6 * {_REACH} "
    f"* (1 - exp(-greatest({_AGE_H} - 24, 0) / 40))) ELSE 0 END"
)


def _run(cursor, label: str, sql: str, params=()) -> int:
    started = time.perf_counter()
    cursor.execute(sql, params)
    print(
        f"  {label}: {cursor.rowcount:,} rows in {time.perf_counter() - started:.1f}s", flush=True
    )
    return cursor.rowcount


def seed() -> Seeded:
    """Create the team, its accounts and their whole history; return what was made."""
    from django.db import connection
    from django.utils import timezone

    from accounts.models import Team, XAccount

    started = time.perf_counter()
    accounts = max(2, round(FULL_ACCOUNTS * scale()))
    now = timezone.now()
    team = Team.objects.create(name="Bench Marketing", slug="bench", time_zone=TIME_ZONE)
    XAccount.objects.bulk_create(
        XAccount(
            team=team,
            x_user_id=str(10_000 + n),
            username=f"brand{n:02d}",
            name=f"Brand {n}",
            auth_method=XAccount.AuthMethod.OAUTH2,
            connected_at=now - timedelta(days=HISTORY_DAYS + 1),
            last_synced_at=now - timedelta(minutes=3 + n % 10),
            next_sync_at=now + timedelta(minutes=12),
            post_count=POSTS_PER_ACCOUNT,
        )
        for n in range(accounts)
    )
    params = {
        "team": team.pk,
        "tz": TIME_ZONE,
        "posts": POSTS_PER_ACCOUNT,
        "span": CREATION_SPAN_DAYS,
        "history": HISTORY_DAYS,
    }
    with connection.cursor() as cursor:
        cursor.execute("SET work_mem = '256MB'")
        cursor.execute("SET maintenance_work_mem = '512MB'")
        posts = _posts(cursor, params)
        _media(cursor, params)
        with _indexes_built_after(cursor, BIG_TABLES):
            snapshots = _post_snapshots(cursor, params)
            dailies = _post_rollups(cursor, params)
            media_snapshots = _media_history(cursor, params)
            _account_sums(cursor, params)
            runs = _sync_runs(cursor, params)
        sums = ("metrics_accountdaily", "metrics_accountmediadaily")
        for table in ("metrics_post", "metrics_media", "metrics_postmedia", *BIG_TABLES, *sums):
            cursor.execute(f"VACUUM ANALYZE {table}")
    return Seeded(
        team_slug=team.slug,
        accounts=accounts,
        posts=posts,
        snapshots=snapshots,
        dailies=dailies,
        media_snapshots=media_snapshots,
        sync_runs=runs,
        seconds=time.perf_counter() - started,
    )


BIG_TABLES = (
    "metrics_postsnapshot", "metrics_postdaily", "metrics_postmetrics", "metrics_mediasnapshot",
    "metrics_mediadaily", "metrics_mediametrics", "metrics_syncrun",
)  # fmt: skip


@contextmanager
def _indexes_built_after(cursor, tables):
    """Drop the tables' unique constraints and secondary indexes, and build them again once the
    rows are in: one sort per index instead of millions of index insertions."""
    cursor.execute(
        "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid::regclass::text = ANY(%s) AND contype = 'u'",
        [list(tables)],
    )
    constraints = cursor.fetchall()
    cursor.execute(
        "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = ANY(%s) "
        "AND indexname NOT LIKE '%%_pkey' AND NOT (indexname = ANY(%s))",
        [list(tables), [name for _, name, _ in constraints]],
    )
    indexes = cursor.fetchall()
    for table, name, _ in constraints:
        cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    for name, _ in indexes:
        cursor.execute(f'DROP INDEX "{name}"')
    yield
    started = time.perf_counter()
    for _, definition in indexes:
        cursor.execute(definition)
    for table, name, definition in constraints:
        cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
    print(f"  indexes: {time.perf_counter() - started:.1f}s", flush=True)


def _posts(cursor, p) -> int:
    return _run(
        cursor,
        "posts",
        """
        INSERT INTO metrics_post (account_id, x_post_id, text, created_at, is_reply, promoted,
            first_seen_at, public_refreshed_at, private_refreshed_at, last_read_on, deleted_at)
        SELECT a.id, 1800000000000000000 + a.id * 100000 + n,
            'Post ' || n || ' of @' || a.username || ': ' ||
                (ARRAY['Launch day, finally', 'Webinar: "what counts"', 'A thread 🧵',
                       'Behind the scenes video', '=tips for marketers'])[1 + n %% 5],
            now() - (n::float / %(posts)s * %(span)s) * interval '1 day'
                  - (a.id %% 7) * interval '1 hour',
            n %% 9 = 0,
            CASE WHEN n %% 10 = 3 THEN 'yes' ELSE 'no' END,
            now() - %(history)s * interval '1 day', now(), now(), current_date, NULL
        FROM accounts_xaccount a CROSS JOIN generate_series(0, %(posts)s - 1) AS n
        WHERE a.team_id = %(team)s
        """,
        p,
    )


def _media(cursor, p) -> None:
    _run(
        cursor,
        "videos",
        """
        INSERT INTO metrics_media (account_id, media_key, type, duration_ms, preview_image_url)
        SELECT account_id, '13_' || x_post_id, 'video', 15000 + (id %% 90) * 1000, ''
        FROM metrics_post
        WHERE account_id IN (SELECT id FROM accounts_xaccount WHERE team_id = %(team)s)
          AND x_post_id %% 10 = 5
        """,
        p,
    )
    _run(
        cursor,
        "post-video links",
        """
        INSERT INTO metrics_postmedia (post_id, media_id)
        SELECT p.id, m.id FROM metrics_media m
        JOIN metrics_post p ON m.media_key = '13_' || p.x_post_id AND p.account_id = m.account_id
        UNION ALL  -- one video in a hundred is carried again by the next Post
        SELECT p2.id, m.id FROM metrics_media m
        JOIN metrics_post p ON m.media_key = '13_' || p.x_post_id AND p.account_id = m.account_id
        JOIN metrics_post p2 ON p2.account_id = p.account_id AND p2.x_post_id = p.x_post_id + 1
        WHERE p.x_post_id %% 100 = 5
        """,
        p,
    )


# The instants a sync read a Post: every 6 hours for two days, daily to day 30, then every
# third day; none on the deferred days of one account in ten.
_OBSERVATIONS = """
    WITH days AS (
        SELECT d::date AS day
        FROM generate_series((now() AT TIME ZONE %(tz)s)::date - (%(history)s - 1),
                             (now() AT TIME ZONE %(tz)s)::date, interval '1 day') AS d
    ),
    o AS (
        SELECT p.id AS post_id, p.account_id, days.day,
               ((days.day + make_interval(hours => h)) AT TIME ZONE %(tz)s) AS ts
        FROM metrics_post p
        JOIN accounts_xaccount a ON a.id = p.account_id AND a.team_id = %(team)s
        CROSS JOIN days
        CROSS JOIN (VALUES (5), (11), (17), (23)) AS hours(h)
        WHERE days.day >= (p.created_at AT TIME ZONE %(tz)s)::date
          AND ((days.day + make_interval(hours => h)) AT TIME ZONE %(tz)s) >= p.created_at
          AND NOT (a.id %% 10 = 0 AND days.day BETWEEN (now() AT TIME ZONE %(tz)s)::date - 21
                                                   AND (now() AT TIME ZONE %(tz)s)::date - 20)
          AND CASE
                WHEN days.day - (p.created_at AT TIME ZONE %(tz)s)::date < 2 THEN true
                WHEN days.day - (p.created_at AT TIME ZONE %(tz)s)::date < 30 THEN h = 11
                ELSE h = 11 AND (days.day - (p.created_at AT TIME ZONE %(tz)s)::date) %% 3 = 0
              END
    )
"""


def _post_snapshots(cursor, p) -> int:
    window = "o.ts < p.created_at + interval '30 days'"
    likes = "floor(({v}) * 0.02)"
    return _run(
        cursor,
        "post snapshots",
        _OBSERVATIONS
        + f"""
        INSERT INTO metrics_postsnapshot (post_id, context, captured_at, impression_count,
            like_count, reply_count, retweet_count, quote_count, bookmark_count,
            url_link_clicks, user_profile_clicks, engagements)
        SELECT o.post_id, c.context, o.ts,
            CASE c.context WHEN 'organic' THEN v.org WHEN 'promoted' THEN v.pro
                 ELSE v.org + v.pro END,
            CASE c.context WHEN 'non_public' THEN NULL WHEN 'organic' THEN {likes.format(v="v.org")}
                 WHEN 'promoted' THEN {likes.format(v="v.pro")}
                 ELSE {likes.format(v="v.org")} + {likes.format(v="v.pro")} END,
            CASE WHEN c.context = 'non_public' THEN NULL ELSE floor((CASE c.context
                 WHEN 'organic' THEN v.org WHEN 'promoted' THEN v.pro ELSE v.org + v.pro END)
                 * 0.002) END,
            CASE WHEN c.context = 'non_public' THEN NULL ELSE floor((CASE c.context
                 WHEN 'organic' THEN v.org WHEN 'promoted' THEN v.pro ELSE v.org + v.pro END)
                 * 0.004) END,
            CASE WHEN c.context = 'public' THEN floor(v.org * 0.001) END,
            CASE WHEN c.context = 'public' THEN floor((v.org + v.pro) * 0.005) END,
            CASE WHEN c.context = 'public' THEN NULL ELSE floor((CASE c.context
                 WHEN 'organic' THEN v.org WHEN 'promoted' THEN v.pro ELSE v.org + v.pro END)
                 * 0.012) END,
            CASE WHEN c.context = 'public' THEN NULL ELSE floor((CASE c.context
                 WHEN 'organic' THEN v.org WHEN 'promoted' THEN v.pro ELSE v.org + v.pro END)
                 * 0.006) END,
            CASE WHEN c.context = 'non_public' THEN floor((v.org + v.pro) * 0.04) END
        FROM o
        JOIN metrics_post p ON p.id = o.post_id
        CROSS JOIN LATERAL (SELECT {_ORGANIC} AS org, {_PROMOTED} AS pro) v
        JOIN (VALUES ('public'), ('non_public'), ('organic'), ('promoted')) AS c(context)
          ON c.context = 'public'
          OR ({window} AND (c.context <> 'promoted' OR p.promoted = 'yes'))
        WHERE o.ts <= now()
        """,
        p,
    )


def _rollups(cursor, label, owner, snapshot, daily, latest, counts, born, p) -> int:
    """Rollups of one kind from its snapshots, as the sync writes them (metrics.lifeline): the
    end-of-day values and the day's gain; the gain between two readings on different days is
    split over the days in between (in proportion to time here, not by an age curve: the
    benchmark needs the rows' shape, not the split's accuracy) and marked estimated; 0 before
    the object existed, unknown when first seen later."""
    values = ", ".join(counts)
    span = "coalesce(day - prev_day, 1)"
    at = (
        "CASE WHEN prev_day IS NULL THEN {c} ELSE prev_{c} + ({c} - prev_{c}) * ({k}) / "
        + span
        + " END"
    )
    interpolated = ", ".join(at.format(c=c, k="g.k") for c in counts)
    gain = (
        "CASE WHEN prev_day IS NOT NULL THEN ("
        + at.format(c="{c}", k="g.k")
        + ") - ("
        + at.format(c="{c}", k="g.k - 1")
        + ") WHEN day = born_on THEN {c} END"
    )
    gains = ", ".join(gain.format(c=c) for c in counts)
    estimated = ", ".join(
        f"CASE WHEN {span} > 1 THEN {gain.format(c=c)} WHEN {c} IS NOT NULL THEN 0 END"
        for c in counts
    )
    lags = ", ".join(f"lag({c}) OVER w AS prev_{c}" for c in counts)
    rows = _run(
        cursor,
        f"{label} rollups",
        f"""
        INSERT INTO {daily} ({owner}_id, account_id, day, context, {values},
            {", ".join(f"{c}_gain" for c in counts)}, {", ".join(f"{c}_estimated" for c in counts)})
        SELECT {owner}_id, account_id, coalesce(prev_day, day - 1) + g.k, context,
            {interpolated}, {gains}, {estimated}
        FROM (
            SELECT eod.*, lag(day) OVER w AS prev_day, {lags}
            FROM (
                SELECT DISTINCT ON (s.{owner}_id, s.context,
                                    (s.captured_at AT TIME ZONE %(tz)s)::date)
                    s.*, (s.captured_at AT TIME ZONE %(tz)s)::date AS day,
                    b.account_id, b.born_on
                FROM {snapshot} s JOIN ({born}) b ON b.id = s.{owner}_id
                ORDER BY s.{owner}_id, s.context, (s.captured_at AT TIME ZONE %(tz)s)::date,
                         s.captured_at DESC
            ) eod
            WINDOW w AS (PARTITION BY {owner}_id, context ORDER BY day)
        ) ranked
        CROSS JOIN LATERAL generate_series(1, {span}) AS g(k)
        """,
        p,
    )
    _run(
        cursor,
        f"{label} latest values",
        f"""
        INSERT INTO {latest} ({owner}_id, context, observed_at, day, baseline, {values})
        SELECT DISTINCT ON ({owner}_id, context) {owner}_id, context, captured_at,
               (captured_at AT TIME ZONE %(tz)s)::date, NULL, {values}
        FROM {snapshot} ORDER BY {owner}_id, context, captured_at DESC
        """,
        p,
    )
    return rows


def _post_rollups(cursor, p) -> int:
    from metrics.models import POST_COUNTS  # the models' own list: a removed column fails here

    born = (
        "SELECT id, account_id, (created_at AT TIME ZONE %(tz)s)::date AS born_on FROM metrics_post"
    )
    return _rollups(
        cursor, "post", "post", "metrics_postsnapshot", "metrics_postdaily",
        "metrics_postmetrics", POST_COUNTS, born, p,
    )  # fmt: skip


def _media_history(cursor, p) -> int:
    """Video readings follow the first Post carrying the video, at the same instants."""
    from metrics.models import MEDIA_COUNTS

    window = "o.ts < p.created_at + interval '30 days'"
    quartile = "floor(({v}) * 0.3 * {keep})"
    keeps = {0: 1, 25: 0.7, 50: 0.52, 75: 0.37, 100: 0.22}
    columns = ", ".join(
        f"CASE WHEN c.context = 'public' THEN NULL ELSE {quartile.format(v='x.n', keep=k)} END"
        for k in keeps.values()
    )
    rows = _run(
        cursor,
        "video snapshots",
        _OBSERVATIONS
        + f"""
        INSERT INTO metrics_mediasnapshot (media_id, context, captured_at, view_count,
            playback_0_count, playback_25_count, playback_50_count, playback_75_count,
            playback_100_count)
        SELECT m.id, c.context, o.ts,
            CASE WHEN c.context = 'non_public' THEN NULL ELSE floor(x.n * 0.24) END, {columns}
        FROM o
        JOIN metrics_post p ON p.id = o.post_id
        JOIN metrics_media m ON m.media_key = '13_' || p.x_post_id AND m.account_id = p.account_id
        CROSS JOIN LATERAL (SELECT {_ORGANIC} AS org, {_PROMOTED} AS pro) v
        JOIN (VALUES ('public'), ('non_public'), ('organic'), ('promoted')) AS c(context)
          ON c.context = 'public'
          OR ({window} AND (c.context <> 'promoted' OR p.promoted = 'yes'))
        CROSS JOIN LATERAL (SELECT CASE c.context WHEN 'organic' THEN v.org
            WHEN 'promoted' THEN v.pro ELSE v.org + v.pro END AS n) x
        WHERE o.ts <= now()
        """,
        p,
    )
    born = """
        SELECT m.id, m.account_id, min((p.created_at AT TIME ZONE %(tz)s)::date) AS born_on
        FROM metrics_media m JOIN metrics_postmedia pm ON pm.media_id = m.id
        JOIN metrics_post p ON p.id = pm.post_id GROUP BY m.id, m.account_id
    """
    _rollups(
        cursor, "video", "media", "metrics_mediasnapshot", "metrics_mediadaily",
        "metrics_mediametrics", MEDIA_COUNTS, born, p,
    )  # fmt: skip
    return rows


def _account_sums(cursor, p) -> None:
    """What the sync writes beside the rollups: the days past each object's day 30, and each
    account's daily sums of its Posts' and videos' rows (metrics.rollups, in SQL)."""
    from metrics.models import MEDIA_COUNTS, POST_COUNTS

    late = "day >= ((%s + interval '30 days') AT TIME ZONE %%(tz)s)::date"
    _run(
        cursor,
        "post days past day 30",
        f"UPDATE metrics_postdaily d SET after_day_30 = true FROM metrics_post p "
        f"WHERE p.id = d.post_id AND {late % 'p.created_at'}",
        p,
    )
    _run(
        cursor,
        "video days past day 30",
        f"""UPDATE metrics_mediadaily d SET after_day_30 = true FROM (
            SELECT pm.media_id, min(p.created_at) AS born FROM metrics_postmedia pm
            JOIN metrics_post p ON p.id = pm.post_id GROUP BY pm.media_id) b
        WHERE b.media_id = d.media_id AND {late % "b.born"}""",
        p,
    )
    for daily, sums, counts in (
        ("metrics_postdaily", "metrics_accountdaily", POST_COUNTS),
        ("metrics_mediadaily", "metrics_accountmediadaily", MEDIA_COUNTS),
    ):
        parts = [f"{c}_{part}" for c in counts for part in ("gain", "estimated")]
        _run(
            cursor,
            f"account sums of {daily}",
            f"""INSERT INTO {sums} (account_id, day, context, after_day_30, {", ".join(parts)})
            SELECT account_id, day, context, after_day_30, {", ".join(f"sum({c})" for c in parts)}
            FROM {daily} GROUP BY account_id, day, context, after_day_30""",
            p,
        )


def _sync_runs(cursor, p) -> int:
    return _run(
        cursor,
        "sync runs",
        """
        INSERT INTO metrics_syncrun (account_id, team_id, started_at, finished_at, outcome,
            pages_planned, pages_done, requests, posts_read, billed_post_reads, billing_day,
            error)
        SELECT a.id, a.team_id, t, t + interval '40 seconds',
            CASE WHEN deferred THEN 'deferred' ELSE 'succeeded' END,
            4, CASE WHEN deferred THEN 0 ELSE 4 END, '{}'::jsonb, 300, 120,
            (t AT TIME ZONE 'UTC')::date, ''
        FROM accounts_xaccount a
        CROSS JOIN generate_series(now() - %(history)s * interval '1 day', now(),
                                   interval '15 minutes') AS t
        CROSS JOIN LATERAL (SELECT a.id %% 10 = 0 AND (t AT TIME ZONE %(tz)s)::date BETWEEN
            (now() AT TIME ZONE %(tz)s)::date - 21 AND (now() AT TIME ZONE %(tz)s)::date - 20
            AS deferred) d
        WHERE a.team_id = %(team)s
        """,
        p,
    )


DATABASE = "quartile_bench_dashboard"
VERSION = 3  # 2: the days past day 30 and the accounts' daily sums; 3: days between readings


def prepare() -> dict:
    """Django on the dashboard benchmark database, seeded once at this scale and then reused
    (by bench/dashboard.py and bench/export.py alike); BENCH_RESEED=1 seeds afresh."""
    import json

    import psycopg

    from bench.setup import bench_database, database_name, database_url, django_setup

    # Production caches in Redis; a database of its own, emptied whenever the data is seeded.
    os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/3")
    name = database_name(DATABASE)
    url = database_url(DATABASE)
    info = None
    if os.environ.get("BENCH_RESEED") != "1":
        try:
            with psycopg.connect(url) as conn:
                row = conn.execute("SELECT info FROM bench_seed").fetchone()
                same = row and row[0]["scale"] == scale() and row[0].get("version") == VERSION
                info = row[0] if same else None
        except psycopg.Error:
            info = None
    if info is None:
        bench_database(DATABASE)  # at `url`, created afresh
    _no_jit(url, name)
    django_setup(url)
    if info is not None:
        print(f"Reusing {name} (seeded at scale {info['scale']}).")
        _migrate()
        _keep_reads(info)
        return info
    print(f"Seeding {name} at scale {scale()}…", flush=True)
    from django.core.cache import cache

    cache.clear()
    seeded = seed()
    info = {"scale": scale(), "version": VERSION, **seeded.__dict__}
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE bench_seed (info jsonb)")
        cursor.execute("INSERT INTO bench_seed VALUES (%s)", [json.dumps(info)])
    _keep_reads(info)
    print(
        f"Seeded {seeded.accounts} accounts, {seeded.posts:,} Posts, "
        f"{seeded.snapshots + seeded.media_snapshots:,} snapshots, {seeded.dailies:,} Post "
        f"rollups, {seeded.sync_runs:,} sync runs in {seeded.seconds:.0f}s."
    )
    return info


def _migrate() -> None:
    """A seed made before the latest migrations gains their tables (empty)."""
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _keep_reads(info: dict) -> None:
    """What each account's last sync leaves besides its rows: its part of the Overview's
    preset views ending today (`warm_reads`). Prepared again for an account whose kept reads
    are for another day or state (a measurement "after a sync" moves its state)."""
    import time

    from accounts.models import Team
    from metrics.models import KeptRead
    from metrics.selectors import account_version, team_accounts, team_today, warm_reads

    team = Team.objects.filter(slug=info["team_slug"]).first()
    if team is None:
        return
    accounts = team_accounts(team=team)  # as pages see them: their sync state
    today = team_today(team).isoformat()
    kept = {
        pk: state
        for pk, state, key in KeptRead.objects.filter(kind="top-posts").values_list(
            "account_id", "sync_state", "key"
        )
        if today in key
    }
    stale = [a for a in accounts if kept.get(a.pk) != account_version(a)]
    started = time.perf_counter()
    for account in stale:
        warm_reads(account=account)
    if stale:
        print(
            f"Kept the page reads of {len(stale)} accounts as their syncs would, in "
            f"{time.perf_counter() - started:.1f}s."
        )


def member_client(info: dict):
    """The seeded team, and Django's test client signed in as a member of it."""
    from django.test import Client

    from accounts.models import Membership, Role, Team, User

    team = Team.objects.get(slug=info["team_slug"])
    user, _ = User.objects.get_or_create(email="bench@example.com")
    Membership.objects.get_or_create(team=team, user=user, defaults={"role": Role.MEMBER})
    client = Client()
    client.force_login(user)
    return team, client


def _no_jit(url: str, name: str) -> None:
    """PostgreSQL's JIT compiles a plan in 0.2-0.5 s whenever its cost estimate is high: a
    loss for queries that run in milliseconds. The project should turn it off for its
    connections (DATABASES OPTIONS "-c jit=off"); the benchmark does it for its database."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'ALTER DATABASE "{name}" SET jit = off')
