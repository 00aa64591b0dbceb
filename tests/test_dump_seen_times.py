"""A dump line's times outside what a clock shows (past 64 bits, hundreds of digits,
NaN, infinity, past the year 9999) are no time: the line imports, seen at the next time
it gives, never an OverflowError that stops the import."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from scraper.importers.reddit_dump_rows import seen
from tests.redditdump import comment, ndjson, submission
from tests.test_import import run_import, write

ODD = [10**20, -(10**20), 10**4000, 1e300, float("inf"), float("nan"), "9" * 5000,
       253_402_300_800, -62_135_596_801]


@pytest.mark.parametrize("odd", ODD, ids=lambda v: repr(v)[:16])
def test_an_odd_retrieved_on_falls_back_to_the_creation(odd: object) -> None:
    assert seen({"retrieved_on": odd, "created_utc": 1_600_000_000}) == "2020-09-13T12:26:40Z"
    assert seen({"retrieved_on": odd}) == "1970-01-01T00:00:00Z"


def test_seen_keeps_the_years_1_to_9999() -> None:
    assert seen({"retrieved_on": -1.5}) == "1969-12-31T23:59:58Z"
    assert seen({"retrieved_on": -62_135_596_800}) == "0001-01-01T00:00:00Z"
    assert seen({"retrieved_on": 253_402_300_799.5}) == "9999-12-31T23:59:59Z"


def test_a_dump_of_odd_times_imports_every_line(tmp_path: Path) -> None:
    odd = [10**20, 10**4000, 1e300, "9" * 5000]
    lines = [comment(f"c{i}", created_utc=v, retrieved_on=v, edited=v) for i, v in enumerate(odd)]
    path = write(tmp_path / "odd_comments.ndjson", ndjson(lines))
    posts = write(tmp_path / "odd_submissions.ndjson",
                  ndjson([submission("post", created_utc=10**20, retrieved_on=1e300)]))
    db = tmp_path / "a.db"
    result = run_import(path, posts, "--db", db)
    assert result.exit_code == 0, result.output
    with sqlite3.connect(db) as conn:
        got = conn.execute("SELECT id, created_at FROM comments ORDER BY id").fetchall()
        stories = conn.execute("SELECT id, created_at FROM stories").fetchall()
    assert got == [(f"c{i}", None) for i in range(len(odd))]
    assert stories == [("post", None)]
