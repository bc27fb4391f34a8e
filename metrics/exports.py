"""CSV files of the selector rows: the same rows the pages chart, written column by column.

- UTF-8 with a byte order mark, so that spreadsheets pick the right encoding;
- `csv` module quoting; an empty cell is a metric X did not report (never 0);
- a text cell that begins with = + - @, a tab, CR or LF gets a leading single quote, so a
  spreadsheet shows it as text instead of running it as a formula (OWASP "CSV injection").
  Only text columns are touched: numbers, negative gains included, stay numbers;
- written in chunks of about 64 KB from a row iterator, so memory stays flat however many rows.
"""

import csv
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from metrics.models import MEDIA_COUNTS, POST_COUNTS
from metrics.selectors import (
    AFTER_30_CONTEXT,
    MEDIA_METRICS,
    POST_METRIC_COLUMNS,
    POST_METRICS,
    POST_TABLE_COLUMNS,
    VIDEO_METRIC_COLUMNS,
    MetricInfo,
)

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


def _context_columns(metrics: dict[str, MetricInfo], source: str, prefix="") -> list[Column]:
    """One column per metric and context that X reports it in."""
    columns = []
    for metric, info in metrics.items():
        for context in info.contexts:
            header = f"{prefix}{metric}_{AFTER_30_CONTEXT if context == 'after_30' else context}"
            columns.append(
                Column(
                    header,
                    lambda row, m=metric, c=context: getattr(getattr(row, source)[m], c),
                )
            )
    return columns


POST_COLUMNS: list[Column] = [
    Column("post_id", lambda r: r.x_post_id, text=True),  # X ids exceed spreadsheet precision
    Column("url", lambda r: r.url, text=True),
    Column("account", lambda r: r.account, text=True),
    Column("created_at", lambda r: r.created_at),
    Column("text", lambda r: r.text, text=True),
    Column("is_reply", lambda r: r.is_reply),
    Column("promoted", lambda r: r.promoted, text=True),
    Column("deleted", lambda r: r.deleted),
    Column("engagement_rate", lambda r: r.engagement_rate),
    *_context_columns(POST_METRICS, "metrics"),
    Column("media_keys", lambda r: " ".join(r.media_keys), text=True),
    *_context_columns(MEDIA_METRICS, "video", prefix="video_"),
    # A video shared by several Posts counts once, on the row of its first carrier here.
    Column("video_counted_on", lambda r: " ".join(map(str, r.video_counted_on)), text=True),
]

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


def post_csv_chunks(table: Iterable[list[tuple]]) -> Iterator[bytes]:
    """The Posts CSV from `selectors.post_table` chunks: the cells `POST_COLUMNS` would write
    for the same rows (a test holds them equal), without building a typed row per Post."""
    assert POST_TABLE_COLUMNS[10 : 10 + len(POST_METRIC_COLUMNS)] == POST_METRIC_COLUMNS
    assert [c.header for c in POST_COLUMNS[9 : 9 + len(POST_METRIC_COLUMNS)]] == list(
        POST_METRIC_COLUMNS_HEADERS
    )
    metrics_end = 10 + len(POST_METRIC_COLUMNS)
    yes_no = ("no", "yes")

    def line(row: tuple) -> tuple:
        return (
            str(row[1]), _inert(row[2]), _inert(row[3]), row[4].isoformat(), _inert(row[5]),
            yes_no[row[6]], _inert(row[7]), yes_no[row[8]], row[9], *row[10:metrics_end],
            _inert(row[metrics_end]), *row[metrics_end + 1 :],
        )  # fmt: skip

    return _csv_file([c.header for c in POST_COLUMNS], (map(line, chunk) for chunk in table))


POST_METRIC_COLUMNS_HEADERS = tuple(
    c.replace("_after_30", f"_{AFTER_30_CONTEXT}") for c in POST_METRIC_COLUMNS
)
assert len(VIDEO_METRIC_COLUMNS) == len(POST_COLUMNS) - 11 - len(POST_METRIC_COLUMNS)


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
    import psycopg
    from django.db import connection

    def yes_no(column: str) -> str:
        return f"CASE WHEN {column} THEN 'yes' ELSE 'no' END"

    names = [f"c{n}" for n in range(len(POST_TABLE_COLUMNS))]
    keys_at = 10 + len(POST_METRIC_COLUMNS)
    cells = [
        f"t.{names[1]}::text", _sql_inert(f"t.{names[2]}"), _sql_inert(f"t.{names[3]}"),
        _sql_iso(f"t.{names[4]}"), _sql_inert(f"t.{names[5]}"), yes_no(f"t.{names[6]}"),
        _sql_inert(f"t.{names[7]}"), yes_no(f"t.{names[8]}"), f"t.{names[9]}",
        *(f"t.{n}" for n in names[10:keys_at]), _sql_inert(f"t.{names[keys_at]}"),
        *(f"t.{n}" for n in names[keys_at + 1 :]),
    ]  # fmt: skip
    connection.ensure_connection()
    raw = connection.connection
    # The inner query's %s placeholders become literals first; then the time zone is bound.
    inner = psycopg.ClientCursor(raw).mogrify(sql, params).replace("%", "%%")
    query = f"SELECT {', '.join(cells)} FROM ({inner}) AS t ({', '.join(names)})"  # noqa: S608
    bound = psycopg.ClientCursor(raw).mogrify(query, {"tz": time_zone})
    # Lines end as the database ends them (LF), the header's too: one ending in the whole file.
    yield (BOM + ",".join(c.header for c in POST_COLUMNS) + "\n").encode()
    with raw.cursor() as cursor, cursor.copy(f"COPY ({bound}) TO STDOUT (FORMAT csv)") as copy:
        # PostgreSQL sends a row per message: gathered into ~64 KB chunks, as the Python writer
        # sends them, the response takes a few dozen writes instead of one per row.
        buffer = bytearray()
        for block in copy:
            buffer += block
            if len(buffer) >= CHUNK_CHARS:
                yield bytes(buffer)
                buffer.clear()
        if buffer:
            yield bytes(buffer)
