"""CSV files of the selector rows: the same rows the pages chart, written column by column.

- UTF-8 with a byte order mark, so that spreadsheets pick the right encoding;
- `csv` module quoting; an empty cell is a metric X did not report (never 0);
- a text cell that begins with = + - @, a tab, CR or LF gets a leading single quote, so a
  spreadsheet shows it as text instead of running it as a formula (OWASP "CSV injection").
  Only text columns are touched: numbers, negative gains included, stay numbers;
- written in chunks of about 64 KB from a row iterator, so memory stays flat however many rows.
"""

import csv
import heapq
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from operator import itemgetter

from metrics import selectors
from metrics.models import MEDIA_COUNTS, POST_COUNTS
from metrics.selectors import (
    AFTER_30_CONTEXT,
    MEDIA_METRICS,
    POST_METRIC_COLUMNS,
    POST_TABLE_COLUMNS,
    VIDEO_METRIC_COLUMNS,
    MetricInfo,
    PostSort,
    Scope,
)
from metrics.selectors.cache import _per_account

BOM = "\ufeff"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")
CHUNK_CHARS = 64 * 1024


@dataclass(frozen=True)
class Column:
    header: str
    value: Callable[[object], object]
    text: bool = False  # written by people or X: neutralised if it could start a formula


def cell(value: object, *, text: bool = False) -> object:
    """One CSV cell: None is empty, booleans are yes/no, dates ISO 8601."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime | date):
        return value.isoformat()
    if text:
        return _inert(str(value))
    return value


def _inert(text: str) -> str:
    return "'" + text if text.startswith(FORMULA_STARTS) else text


class _Buffer:
    """A file-like object that keeps what csv.writer writes until it is taken."""

    def __init__(self):
        self.parts: list[str] = []
        self.size = 0

    def write(self, text: str) -> None:
        self.parts.append(text)
        self.size += len(text)

    def take(self) -> str:
        text = "".join(self.parts)
        self.parts.clear()
        self.size = 0
        return text


def _csv_file(header: list[str], batches: Iterable[Iterable[Sequence]]) -> Iterator[bytes]:
    """The whole file, BOM and header first, then each batch of rows, as UTF-8 chunks of
    about 64 KB (a chunk is cut after the batch that fills it)."""
    buffer = _Buffer()
    writer = csv.writer(buffer)
    buffer.write(BOM)
    writer.writerow(header)
    for batch in batches:
        writer.writerows(batch)
        if buffer.size >= CHUNK_CHARS:
            yield buffer.take().encode()
    yield buffer.take().encode()


def csv_chunks(columns: list[Column], rows: Iterable[object]) -> Iterator[bytes]:
    """The whole file of `columns` for `rows`, as UTF-8 chunks of about 64 KB."""
    getters = [(c.value, c.text) for c in columns]
    return _csv_file(
        [c.header for c in columns],
        ([[cell(get(row), text=text) for get, text in getters]] for row in rows),
    )


def _header(column: str, prefix: str = "") -> str:
    return prefix + column.replace("_after_30", f"_{AFTER_30_CONTEXT}")


def _context_columns(metrics: dict[str, MetricInfo], source: str, prefix="") -> list[Column]:
    """One column per metric and context that X reports it in."""
    columns = []
    for metric, info in metrics.items():
        for context in info.contexts:
            header = _header(f"{metric}_{context}", prefix)
            columns.append(
                Column(
                    header,
                    lambda row, m=metric, c=context: getattr(getattr(row, source)[m], c),
                )
            )
    return columns


@dataclass(frozen=True)
class TableColumn:
    """One column of a CSV written from flat rows (`selectors.POST_TABLE_COLUMNS`): its header,
    the row's field it shows, and the kind of cell, which decides how Python and PostgreSQL's
    COPY write it alike."""

    header: str
    field: str
    kind: str = "number"  # number, text (written by people or X), id, yes/no, time


# The Posts CSV: this list drives the Python writer and the PostgreSQL COPY alike.
POST_CSV: tuple[TableColumn, ...] = (
    TableColumn("post_id", "x_post_id", "id"),  # X ids exceed spreadsheet precision
    TableColumn("url", "url", "text"),
    TableColumn("account", "account", "text"),
    TableColumn("created_at", "created_at", "time"),
    TableColumn("text", "text", "text"),
    TableColumn("is_reply", "is_reply", "yes/no"),
    TableColumn("paid_partnership", "paid_partnership", "yes/no"),
    TableColumn("promoted", "promoted", "text"),
    TableColumn("deleted", "deleted", "yes/no"),
    # An earlier version of a Post edited on X: the latest version's id (its text is shown).
    TableColumn("edited_into", "edited_into", "id"),
    TableColumn("engagement_rate", "engagement_rate"),
    *(TableColumn(_header(c), c) for c in POST_METRIC_COLUMNS),
    TableColumn("media_keys", "media_keys", "text"),
    *(TableColumn(_header(c, "video_"), c) for c in VIDEO_METRIC_COLUMNS),
    # A video shared by several Posts counts once, on the row of its first carrier here.
    TableColumn("video_counted_on", "video_counted_on", "text"),
)

DAILY_COLUMNS: list[Column] = [
    Column("day", lambda r: r.day),
    Column("account", lambda r: r.account, text=True),
    Column("metric", lambda r: r.metric, text=True),
    Column("context", lambda r: r.context, text=True),
    Column("gain", lambda r: r.gain),
    Column("gain_estimated", lambda r: r.estimated),
    Column("basis", lambda r: r.basis, text=True),
    Column("end_of_day_value", lambda r: r.end_of_day),
    Column("note", lambda r: r.note, text=True),
]

VIDEO_COLUMNS: list[Column] = [
    Column("media_key", lambda r: r.media_key, text=True),
    Column("account", lambda r: r.account, text=True),
    Column("type", lambda r: r.type, text=True),
    Column("duration_ms", lambda r: r.duration_ms),
    Column("post_ids", lambda r: " ".join(str(p.x_post_id) for p in r.posts), text=True),
    Column("post_urls", lambda r: " ".join(p.url for p in r.posts), text=True),
    Column("completion_rate_total", lambda r: r.completion.total),
    Column("completion_rate_organic", lambda r: r.completion.organic),
    Column("completion_rate_promoted", lambda r: r.completion.promoted),
    *_context_columns(MEDIA_METRICS, "metrics"),
]

SNAPSHOT_COLUMNS: list[Column] = [
    Column("captured_at", lambda r: r.captured_at),
    Column("account", lambda r: r.account, text=True),
    Column("object_type", lambda r: r.object_type, text=True),
    Column("object_id", lambda r: r.object_id, text=True),
    Column("context", lambda r: r.context, text=True),
    *(Column(m, lambda r, m=m: r.counts.get(m)) for m in (*POST_COUNTS, *MEDIA_COUNTS)),
]


_PYTHON_CELLS: dict[str, Callable[[object], object]] = {
    "number": lambda v: v,
    "text": lambda v: _inert(v) if v else v,
    "id": lambda v: "" if v is None else str(v),
    "yes/no": lambda v: "yes" if v else "no",
    "time": lambda v: v.isoformat(),
}


def post_csv_chunks(table: Iterable[list[tuple]]) -> Iterator[bytes]:
    """The Posts CSV (POST_CSV) from `selectors.post_table` chunks, written by Python."""
    at = {name: n for n, name in enumerate(POST_TABLE_COLUMNS)}
    cells = [(at[c.field], _PYTHON_CELLS[c.kind]) for c in POST_CSV]

    def line(row: tuple) -> list:
        return [write(row[n]) for n, write in cells]

    return _csv_file([c.header for c in POST_CSV], (map(line, chunk) for chunk in table))


def snapshot_csv_chunks(table: Iterable[list[tuple]]) -> Iterator[bytes]:
    """The snapshots CSV from `selectors.snapshot_table` chunks (the cells SNAPSHOT_COLUMNS
    would write for the same rows)."""
    return _csv_file(
        [c.header for c in SNAPSHOT_COLUMNS],
        (
            ((r[0].isoformat(), _inert(r[1]), r[2], _inert(r[3]), r[4], *r[5:]) for r in chunk)
            for chunk in table
        ),
    )


def _sql_inert(expression: str) -> str:
    """SQL for `_inert`: a leading quote before a formula start."""
    starts = ", ".join(f"E'{c.encode('unicode_escape').decode()}'" for c in FORMULA_STARTS)
    return (
        f"CASE WHEN left({expression}, 1) IN ({starts}) "
        f"THEN chr(39) || {expression} ELSE {expression} END"
    )


def _sql_iso(expression: str) -> str:
    """SQL for a timestamptz as Python's `isoformat()` writes it in the team's time zone
    (`%(tz)s`): microseconds only when there are some, and the UTC offset as +HH:MM."""
    local = f"({expression} AT TIME ZONE %(tz)s)"
    offset = f"({local} - ({expression} AT TIME ZONE 'UTC'))"
    return (
        f"to_char({local}, 'YYYY-MM-DD\"T\"HH24:MI:SS') "
        f"|| CASE WHEN mod(extract(microseconds FROM {expression})::bigint, 1000000) <> 0 "
        f"THEN to_char({local}, '.US') ELSE '' END "
        f"|| CASE WHEN {offset} < interval '0' THEN '-' ELSE '+' END "
        f"|| to_char(CASE WHEN {offset} < interval '0' THEN -{offset} ELSE {offset} END, "
        f"'HH24:MI')"
    )


def post_csv_copy_chunks(sql: str, params: tuple, time_zone: str) -> Iterator[bytes]:
    """PostgreSQL: the Posts CSV written by the database itself (COPY … TO STDOUT) from
    `selectors.post_table_sql`, with the cells `post_csv_chunks` writes (formula starts made
    inert on text columns, yes/no, ISO 8601 times), streamed block by block."""
    yield _post_csv_header()
    yield from _in_chunks(_copied_rows(sql, params, time_zone))


def cached_post_csv_chunks(scope: Scope, sort: PostSort) -> Iterator[bytes]:
    """PostgreSQL: `post_csv_copy_chunks` of the scope's Posts, written account by account and
    kept per account under its sync state, then merged into the one order. People downloading
    the same view between syncs share the work; a sync of one account rewrites its rows only.
    The merge holds every row at once: only for scopes of up to CACHED_ROWS Posts."""
    parts = (scope.mode, scope.period.start, scope.period.end, str(sort))

    def write(part: Scope) -> dict[int, list[tuple[tuple, bytes]]]:
        sql, params = selectors.post_table_sql(scope=part, sort=sort, keyed=True)
        by_account: dict[int, list[tuple[tuple, bytes]]] = defaultdict(list)
        for row in _copied_rows(sql, params, scope.team.time_zone, keys=len(SORT_KEY_COLUMNS)):
            account_id, post_id, value, line = row.split(b",", 3)
            # The SQL order, DESC NULLS LAST then the newest Post first, as an ascending key.
            rank = (value == b"", -float(value or 0), -int(post_id))
            by_account[int(account_id)].append((rank, line))
        return by_account

    rows = _per_account(scope, "posts-csv", parts, write, empty=[])
    yield _post_csv_header()
    yield from _in_chunks(line for _, line in heapq.merge(*rows.values(), key=itemgetter(0)))


SORT_KEY_COLUMNS = ("account_id", "post_id", "sort_value")  # post_table_sql(keyed=True)
CACHED_ROWS = 50_000  # about 25 MB of rows held by the merge
# PostgreSQL writes the Posts CSV itself; off, Python writes it (bench/export.py compares).
DATABASE_WRITES_CSV = True


def posts_csv(scope: Scope, sort: PostSort, post_ids: Sequence[int] | None) -> Iterator[bytes]:
    """The Posts CSV of a page. PostgreSQL writes it (COPY, several times faster), from the
    per-account cache when the scope is small enough to merge in memory; elsewhere Python
    writes the same cells (tests/dashboard/test_downloads.py holds each to the selector rows)."""
    from django.db import connection

    if DATABASE_WRITES_CSV and connection.vendor == "postgresql":
        if post_ids is None and selectors.posts_in(scope=scope) <= CACHED_ROWS:
            return cached_post_csv_chunks(scope, sort)
        sql, params = selectors.post_table_sql(scope=scope, sort=sort, post_ids=post_ids)
        return post_csv_copy_chunks(sql, params, scope.team.time_zone)
    return post_csv_chunks(selectors.post_table(scope=scope, sort=sort, post_ids=post_ids))


def _post_csv_header() -> bytes:
    # Lines end as the database ends them (LF), the header's too: one ending in the whole file.
    return (BOM + ",".join(c.header for c in POST_CSV) + "\n").encode()


def _copied_rows(sql: str, params: tuple, time_zone: str, keys: int = 0) -> Iterator[bytes]:
    """The CSV lines COPY writes of `post_table_sql`'s rows, the first `keys` columns as they
    are and the rest as POST_CSV cells."""
    import psycopg
    from django.db import connection

    sql_cells: dict[str, Callable[[str], str]] = {  # _PYTHON_CELLS, in SQL
        "number": lambda c: c,
        "text": _sql_inert,
        "id": lambda c: f"{c}::text",
        "yes/no": lambda c: f"CASE WHEN {c} THEN 'yes' ELSE 'no' END",
        "time": _sql_iso,
    }
    names = [f"c{n}" for n in range(len(POST_TABLE_COLUMNS))]
    at = {name: f"t.{names[n]}" for n, name in enumerate(POST_TABLE_COLUMNS)}
    key_names = [f"k{n}" for n in range(keys)]
    cells = [f"t.{k}" for k in key_names] + [sql_cells[c.kind](at[c.field]) for c in POST_CSV]
    connection.ensure_connection()
    raw = connection.connection
    # The inner query's %s placeholders become literals first; then the time zone is bound.
    inner = psycopg.ClientCursor(raw).mogrify(sql, params).replace("%", "%%")
    columns = ", ".join(key_names + names)
    query = f"SELECT {', '.join(cells)} FROM ({inner}) AS t ({columns})"  # noqa: S608
    bound = psycopg.ClientCursor(raw).mogrify(query, {"tz": time_zone})
    with raw.cursor() as cursor, cursor.copy(f"COPY ({bound}) TO STDOUT (FORMAT csv)") as copy:
        yield from map(bytes, copy)  # PostgreSQL sends a row per message


def _in_chunks(lines: Iterable[bytes]) -> Iterator[bytes]:
    """Lines gathered into ~64 KB chunks, as the Python writer sends them: a response of a few
    dozen writes instead of one per row."""
    buffer = bytearray()
    for line in lines:
        buffer += line
        if len(buffer) >= CHUNK_CHARS:
            yield bytes(buffer)
            buffer.clear()
    if buffer:
        yield bytes(buffer)
