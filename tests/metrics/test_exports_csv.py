"""CSV writing: BOM, quoting, inert formula starts on text columns, numbers left as numbers."""

import csv
import io
from datetime import date

import pytest

from metrics.exports import (
    BOM,
    DAILY_COLUMNS,
    POST_CSV,
    Column,
    cell,
    csv_chunks,
)
from metrics.selectors import POST_METRICS, DailySeriesRow

INJECTIONS = [
    "<script>alert(1)</script>",
    '=HYPERLINK("http://x","y")',
    "+1",
    "-1",
    "@SUM(A1:A2)",
    "\tTAB",
    "\rCR",
    "\nLF",
]


def _read(chunks) -> list[list[str]]:
    data = b"".join(chunks)
    assert data.startswith(BOM.encode())
    return list(csv.reader(io.StringIO(data.decode("utf-8")[1:], newline="")))


@pytest.mark.parametrize("text", INJECTIONS)
def test_a_text_cell_that_could_start_a_formula_is_written_as_text(text):
    (_, row) = _read(csv_chunks([Column("text", lambda r: r, text=True)], [text]))

    if text[0] in "=+-@\t\r\n":
        assert row == ["'" + text]
    else:
        assert row == [text]  # HTML is not special in a CSV


def test_numbers_stay_numbers_even_negative_ones():
    columns = [Column("gain", lambda r: r), Column("label", lambda r: str(r), text=True)]

    (_, row) = _read(csv_chunks(columns, [-3]))

    assert row == ["-3", "'-3"]


def test_unreported_is_an_empty_cell_and_booleans_are_words():
    assert cell(None) == ""
    assert cell(True) == "yes"
    assert cell(date(2026, 3, 2)) == "2026-03-02"
    assert cell(0) == 0


def test_commas_quotes_and_newlines_survive_the_round_trip():
    text = 'He said "hi", then\nleft'

    (_, row) = _read(csv_chunks([Column("text", lambda r: r, text=True)], [text]))

    assert row == [text]


def test_large_files_come_in_chunks_of_about_64_kb():
    rows = [
        DailySeriesRow(date(2026, 3, 2), "brand", "like_count", "public", n, n) for n in range(5000)
    ]

    chunks = list(csv_chunks(DAILY_COLUMNS, rows))

    assert len(chunks) > 2
    assert all(len(c) < 80_000 for c in chunks)
    assert len(_read(chunks)) == 5001


def test_posts_columns_cover_each_metric_in_each_context_x_reports():
    headers = [c.header for c in POST_CSV]

    assert "impression_count_organic" in headers
    assert "impression_count_after_30_days" in headers
    assert "video_playback_100_count_promoted" in headers
    assert "like_count_non_public" not in headers  # X has no such field
    assert len(headers) == len(set(headers))
    for key, info in POST_METRICS.items():
        assert f"{key}_{info.total_context}" in headers
