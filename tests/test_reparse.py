"""`linkthread reparse`: a parser fixed after the fact gives the archive what a fresh
crawl with it would have; a dry run writes nothing; a second run changes nothing."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from scraper import cli as _registers_commands  # noqa: F401
from scraper.parsers import hn
from scraper.parsers.errors import ParseError
from tests import hnpages
from tests.conftest import rows
from tests.test_warc import dump as rows_of
from tests.test_warc import invoke, save_page, save_pages

T0 = datetime(2026, 1, 14, 12, 0, tzinfo=UTC)
# Pages and their visits as every reader sees them (pages_seen, page_visits): whether a
# visit is a row of its own or kept in its crawl's thread_crawls row may differ.
TABLES = ("stories", "comments", "comment_versions", "story_snapshots", "thread_crawls",
          "listing_snapshots", "users", "user_snapshots", "pages_seen", "page_visits")
# Which crawl wrote a row, and the pages' own row ids, are what may differ.
DIFFER = {"crawl_id", "last_crawl_id", "id", "visits"}
today = hn.parse_item_page


def dump(db: Path, tables: tuple[str, ...] = TABLES) -> dict[str, list[tuple]]:
    return rows_of(db, tables, DIFFER)


def shallow(text: str, **kw: Any) -> Any:
    """An older parser that missed every reply deeper than one level."""
    page = today(text, **kw)
    return replace(page, comments=tuple(c for c in page.comments if c.depth <= 1))


def broken(text: str, **kw: Any) -> Any:
    raise ParseError("hn", kw["url"], "the comment tree is not where it was")


@pytest.fixture
def saved(tmp_path: Path) -> Path:
    """A three-page thread and a listing, as a mirror saved them."""
    thread = hnpages.random_thread(60, seed=21, story_id="6100", max_depth=4)
    save_pages(tmp_path / "saved", hnpages.site_pages(thread, per_page=25))
    stories = [hnpages.GenStory(id=str(6200 + k), title=f"S{k}", score=k, comments=k)
               for k in range(4)]
    save_page(tmp_path / "saved", "/news", hnpages.listing_page(stories))
    return tmp_path / "saved"


def import_twice(folder: Path, db: Path) -> None:
    for at in (T0, T0 + timedelta(hours=1)):
        result = invoke("import", folder, "--fetched-at", at.isoformat(), "--db", db)
        assert result.exit_code in (0, 1), result.output


@pytest.fixture
def fresh(saved: Path, tmp_path: Path) -> Path:
    db = tmp_path / "fresh.db"
    import_twice(saved, db)
    return db


def test_reparse_after_a_parser_fix_equals_a_fresh_crawl(
        saved: Path, fresh: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "old.db"
    with monkeypatch.context() as m:
        m.setattr(hn, "parse_item_page", shallow)
        import_twice(saved, db)
    assert dump(db) != dump(fresh)  # the old parser lost the deep replies
    deep = rows(fresh, "select count(*) from comments where depth > 1")[0][0]
    assert deep > 0

    result = invoke("reparse", "--db", db)

    assert result.exit_code == 0, result.output
    assert f"{deep} comment(s) added, 0 changed" in result.output
    assert dump(db) == dump(fresh)
    assert rows(db, "select command, status from crawls where command = 'reparse'") == [
        ("reparse", "finished")]


def test_reparse_of_failed_pages_stores_their_threads(
        saved: Path, fresh: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "failed.db"
    with monkeypatch.context() as m:
        m.setattr(hn, "parse_item_page", broken)
        import_twice(saved, db)
    assert rows(db, "select count(*) from comments") == [(0,)]
    assert rows(db, "select count(*) from pages where error is not null") == [(3,)]

    assert "0 thread(s):" in invoke("reparse", "--db", db).output  # parsed pages only
    result = invoke("reparse", "--failed", "--db", db)

    assert result.exit_code == 0, result.output
    assert result.output.count("now parses: https://news.ycombinator.com/item?id=6100") == 3
    assert dump(db) == dump(fresh)


def test_a_dry_run_writes_nothing_and_a_second_run_changes_nothing(
        saved: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "old.db"
    with monkeypatch.context() as m:
        m.setattr(hn, "parse_item_page", shallow)
        import_twice(saved, db)
    everything = (*TABLES, "pages", "page_fetches", "crawls", "crawl_targets")
    before = dump(db, everything)

    dry = invoke("reparse", "--dry-run", "--db", db)

    assert dry.exit_code == 0, dry.output
    assert "comment(s) would be added" in dry.output
    assert "dry run: nothing was written" in dry.output
    assert dump(db, everything) == before
    assert invoke("reparse", "--db", db).exit_code == 0
    after = dump(db)

    again = invoke("reparse", "--db", db)

    assert "0 comment(s) added, 0 changed" in again.output
    assert dump(db) == after


def test_a_page_that_no_longer_parses_is_kept_and_named(
        saved: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "a.db"
    import_twice(saved, db)
    comments = dump(db, ("comments",))
    monkeypatch.setattr(hn, "parse_item_page", broken)

    result = invoke("reparse", "--site", "hn", "--db", db)

    assert "no longer parses: https://news.ycombinator.com/item?id=6100" in result.stderr
    assert dump(db, ("comments",)) == comments  # nothing lost
    assert rows(db, "select count(*) from pages where error is not null") == [(3,)]


def test_a_bad_since_is_one_line(fresh: Path) -> None:
    result = invoke("reparse", "--since", "yesterday", "--db", fresh)
    assert result.exit_code == 1
    assert "--since 'yesterday' is not a date or time" in result.stderr



def test_a_missing_archive_is_one_line_and_stays_missing(tmp_path: Path) -> None:
    missing = tmp_path / "typo.db"
    result = invoke("reparse", "--db", missing)
    assert result.exit_code == 1
    assert f"no archive at {missing}" in result.stderr
    assert not missing.exists()
