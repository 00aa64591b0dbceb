"""The markup-drift alarm (archive.health): quiet across the corpus's own eras read by
today's parser, loud when a parser tuned to one era reads another's pages."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlite_utils

from archive import health
from archive.db import open_db
from archive.store import record_health, start_crawl
from scraper.parsers import ages, hn
from tests.corpus import corpus_text
from tests.test_store import make_comment, make_thread

T = datetime(2026, 1, 14, 12, 0, tzinfo=UTC)
# Thread pages of the corpus, oldest markup first (years as SOURCES.tsv gives them).
OLD = ("item-3412900.html", "item-4992617.html", "item-5002483.html",
       "item-5003980-2014-01.html", "item-7064435.html", "item-7663775.html")
MODERN = ("item-34886766.html", "item-48814952.html")


@pytest.fixture
def db(tmp_path: Path) -> sqlite_utils.Database:
    return open_db(tmp_path / "h.db")


def crawl_of(db: sqlite_utils.Database, seen: health.Health) -> list[str]:
    crawl = start_crawl(db, command="crawl hn", args={})
    return record_health(db, crawl, seen)


def parsed(name: str) -> Any:
    html = corpus_text("hn", name)
    item = name.split("-")[1].split(".")[0]
    return hn.parse_thread(html, url=f"https://news.ycombinator.com/item?id={item}",
                           fetched_at=T)


def seen_pages(names: tuple[str, ...]) -> health.Health:
    seen = health.Health()
    for name in names:
        seen.thread(parsed(name))
    return seen


def test_quiet_across_every_era_read_by_todays_parser(db: sqlite_utils.Database) -> None:
    for names in (OLD[:3], OLD[3:], MODERN, OLD, MODERN):
        assert crawl_of(db, seen_pages(names)) == []


def test_a_parser_tuned_to_the_modern_era_reading_old_pages_raises_it(
        db: sqlite_utils.Database, monkeypatch: pytest.MonkeyPatch) -> None:
    assert crawl_of(db, seen_pages(MODERN)) == []
    # Tuned to the markup since 2018: the time only from the age span's title attribute.
    real = ages.parse_age

    def modern_only(title: str | None, head: str, fetched_at: datetime) -> Any:
        return real(title, head, fetched_at) if title else (None, None)

    monkeypatch.setattr(ages, "parse_age", modern_only)

    [line] = crawl_of(db, seen_pages(OLD))

    assert line.startswith("the markup of hn thread pages seems to have changed since ")
    assert "created_at on 0% of" in line and "was 100%" in line
    [(drift,)] = db.execute("SELECT drift FROM crawls WHERE drift IS NOT NULL").fetchall()
    assert drift == line
    assert db.execute("SELECT site, kind FROM health").fetchall() == [("hn", "thread")]


def rows_thread(n: int, **kw: Any) -> Any:
    comments = tuple(make_comment(str(k), position=k - 1, **kw) for k in range(1, n + 1))
    return make_thread(comments)


def test_thresholds(db: sqlite_utils.Database) -> None:
    first = health.Health()
    first.thread(rows_thread(60))
    assert crawl_of(db, first) == []  # nothing before: no judgement
    few = health.Health()
    few.thread(rows_thread(5, author=None))
    assert crawl_of(db, few) == []  # too few rows to tell
    gone = health.Health()
    gone.thread(rows_thread(30, author=None))
    [line] = crawl_of(db, gone)
    assert "author on 0% of 30 comments, was 92%" in line  # 60 of the 65 before
    # A drifted crawl is no baseline: the next normal crawl compares with the good ones.
    again = health.Health()
    again.thread(rows_thread(30))
    assert crawl_of(db, again) == []
    deleted = health.Health()
    deleted.thread(rows_thread(30, author=None, text=None, text_html=None, deleted=True))
    assert crawl_of(db, deleted) == []  # deleted comments show no author: not counted


def test_pages_that_stop_parsing_raise_it(db: sqlite_utils.Database) -> None:
    good = health.Health()
    for _ in range(4):
        good.thread(rows_thread(10))
    assert crawl_of(db, good) == []
    bad = health.Health()
    bad.thread(rows_thread(10))
    for _ in range(3):
        bad.failed("hn", "thread")
    [line] = crawl_of(db, bad)
    assert "3 of 4 pages did not parse, was 0 of 4" in line


def test_listings_count_their_entries(db: sqlite_utils.Database) -> None:
    from archive.models import Listing, ListingEntry

    def listing(title: str | None) -> Listing:
        entries = tuple(ListingEntry(site="hn", story_id=str(k), rank=k, title=title,
                                     created_at=T if title else None) for k in range(1, 31))
        return Listing(site="hn", name="news", page=1, url="https://x/news", fetched_at=T,
                       entries=entries)

    ok = health.Health()
    ok.listing(listing("A story"))
    assert crawl_of(db, ok) == []
    broken = health.Health()
    broken.listing(replace(listing(None)))
    [line] = crawl_of(db, broken)
    assert line.startswith("the markup of hn listing pages") and "title on 0% of 30 entries" in line
