"""Two sources of one thread in the store: an exact time outlives an approximate one
whatever the order of the saves (rows.exact_time), and what the sources disagree on is
kept (archive.differences) and said by ``changes`` and ``gaps``."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
import sqlite_utils

from archive.db import open_db
from archive.history import all_gaps, comment_changes
from archive.models import Difference
from archive.rows import exact_time
from archive.store import save_thread
from tests.test_store import T0, T0S, T1, T1S, make_comment, make_story, make_thread, table_rows

# An API's time: exact, with nothing lost in parsing it (no raw text beside it).
EXACT = T0 - timedelta(minutes=7, seconds=13)
EXACT_S = "2026-01-14T09:22:47Z"


@pytest.fixture
def db(tmp_path: Path) -> sqlite_utils.Database:
    return open_db(tmp_path / "test.db")


@pytest.mark.parametrize(("at", "raw", "exact"), [
    ("2026-01-14T09:30:00Z", None, True),
    ("2026-01-14T09:30:00Z", "2023-02-21T20:35:07", True),
    ("2026-01-14T09:30:00Z", "2025-05-15T13:56:47 1747317407", True),
    ("2026-01-14T09:30:00Z", "2016-10-05 17:35:45 -0500", True),
    ("2026-01-14T09:30:00Z", "1747317407", True),
    ("2026-01-14T09:30:00Z", "1747317407.0", True),
    ("2026-01-14T09:30:00Z", "17473", False),
    ("2026-01-14T09:30:00Z", "3 hours ago", False),
    ("2026-01-14T09:30:00Z", "on Oct 9, 2006", False),
    (None, None, False),
])  # fmt: skip
def test_exact_time(at: str | None, raw: str | None, exact: bool) -> None:
    assert exact_time(at, raw) is exact


def times(db: sqlite_utils.Database) -> list[tuple[str, str | None, str | None]]:
    return [(r["id"], r["created_at"], r["created_at_raw"]) for r in table_rows(db, "comments")]


def test_a_later_page_age_does_not_replace_an_exact_time(db: sqlite_utils.Database) -> None:
    api = make_comment("1", created_at=EXACT, created_at_raw=None)
    save_thread(db, make_thread((api,), fetched_at=T0))
    page = make_comment("1", created_at=T1 - timedelta(minutes=60), created_at_raw="1 hour ago",
                        text="Comment 1, edited")
    save_thread(db, make_thread((page,), fetched_at=T1))

    # The page's newer text wins as ever; its "1 hour ago" does not.
    row = table_rows(db, "comments")[0]
    assert (row["created_at"], row["created_at_raw"], row["text"]) == (
        EXACT_S, None, "Comment 1, edited")


def test_an_older_exact_time_replaces_an_approximate_one(db: sqlite_utils.Database) -> None:
    page = make_comment("1", created_at=T1 - timedelta(minutes=60), created_at_raw="1 hour ago")
    save_thread(db, make_thread((page,), fetched_at=T1))
    # Re-saving an older API observation: it fills what is missing and, being exact,
    # replaces the approximate time; the rest stays the newer page's.
    api = make_comment("1", created_at=EXACT, created_at_raw=None, text="older text")
    save_thread(db, make_thread((api,), fetched_at=T0))

    assert times(db) == [("1", EXACT_S, None)]
    assert table_rows(db, "comments")[0]["text"] == "Comment 1 about foxes jumping"


def test_two_exact_times_the_newer_wins(db: sqlite_utils.Database) -> None:
    save_thread(db, make_thread((make_comment("1", created_at=EXACT, created_at_raw=None),),
                                fetched_at=T0))
    title = "2026-01-14T09:22:48 1768382568"
    later = make_comment("1", created_at=EXACT + timedelta(seconds=1), created_at_raw=title)
    save_thread(db, make_thread((later,), fetched_at=T1))

    assert times(db) == [("1", "2026-01-14T09:22:48Z", title)]


def test_a_story_keeps_its_exact_time(db: sqlite_utils.Database) -> None:
    save_thread(db, make_thread((), story=make_story(created_at=EXACT, created_at_raw=None,
                                                     comment_count=0), fetched_at=T0))
    save_thread(db, make_thread((), story=make_story(comment_count=0), fetched_at=T1))

    row = table_rows(db, "stories")[0]
    assert (row["created_at"], row["created_at_raw"]) == (EXACT_S, None)


DIFFERENCES = (
    Difference(comment_id="3", kind="only", shown_by="html", other="api"),
    Difference(comment_id="2", kind="parent", shown_by="html", other="api",
               detail={"api": None, "html": "1"}),
)


def test_differences_are_stored_with_the_thread(db: sqlite_utils.Database) -> None:
    save_thread(db, replace(make_thread(fetched_at=T0), differences=DIFFERENCES), crawl_id=None)

    assert table_rows(db, "source_differences") == [
        {"site": "hn", "story_id": "100", "comment_id": "3", "seen_at": T0S, "crawl_id": None,
         "kind": "only", "shown_by": "html", "other": "api", "detail": None},
        {"site": "hn", "story_id": "100", "comment_id": "2", "seen_at": T0S, "crawl_id": None,
         "kind": "parent", "shown_by": "html", "other": "api",
         "detail": '{"api":null,"html":"1"}'},
    ]  # fmt: skip


def test_changes_and_gaps_say_where_sources_disagree(db: sqlite_utils.Database) -> None:
    save_thread(db, replace(make_thread(fetched_at=T0), differences=DIFFERENCES))

    assert comment_changes(db, "hn", "100") == [
        {"seen_at": T0S, "comment_id": "1", "author": "user1", "change": "added",
         "text": "Comment 1 about foxes jumping"},
        {"seen_at": T0S, "comment_id": "2", "author": "user2", "change": "added",
         "text": "Comment 2 about foxes jumping"},
        {"seen_at": T0S, "comment_id": "3", "author": "user3", "change": "added",
         "text": "Comment 3 about foxes jumping"},
        {"seen_at": T0S, "comment_id": "2", "author": "user2", "change": "differs",
         "text": "parent differs: api top level, html 1"},
        {"seen_at": T0S, "comment_id": "3", "author": "user3", "change": "differs",
         "text": "only in html, not in api"},
    ]  # fmt: skip
    assert all_gaps(db, "hn") == [
        {"kind": "disagree", "site": "hn", "story_id": "100", "title": "Show HN: A thing",
         "seen_at": T0S, "declared": 3, "archived": 2, "dead": 1, "deleted": 0,
         "unexpanded": None, "shortfall": 2},
    ]  # fmt: skip


def test_a_later_crawl_that_agrees_leaves_no_disagreement_gap(
    db: sqlite_utils.Database,
) -> None:
    save_thread(db, replace(make_thread(fetched_at=T0), differences=DIFFERENCES))
    save_thread(db, make_thread(fetched_at=T1))

    assert all_gaps(db, "hn") == []
    # The history keeps what the earlier crawl saw.
    assert [r["change"] for r in comment_changes(db, "hn", "100", since=T1S)] == []
    assert len(table_rows(db, "source_differences")) == 2


def test_show_verbose_gives_each_rows_sources(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from archive.cli import cli

    path = tmp_path / "a.db"
    db = open_db(path)
    save_thread(db, replace(make_thread((make_comment("1"),), fetched_at=T0), source="api"))
    save_thread(db, make_thread((make_comment("1"), make_comment("3", position=1)),
                                fetched_at=T1))
    db.close()

    plain = CliRunner().invoke(cli, ["show", "hn", "100", "--db", str(path), "--width", "80"])
    verbose = CliRunner().invoke(cli, ["show", "hn", "100", "-v", "--db", str(path),
                                       "--width", "80"])

    assert "source" not in plain.stdout
    lines = verbose.stdout.splitlines()
    assert lines[2] == ("hn/100 · by alice · 42 points · 2026-01-14T07:30:00Z"
                        " · source api,html")
    assert [line for line in lines if line.startswith("•")] == [
        "• user1 · 2026-01-14T09:29:00Z · #1 · source api,html",
        "• user3 · 2026-01-14T09:27:00Z · #3 · source html",
    ]


def test_exports_carry_each_rows_sources(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from archive.cli import cli

    path = tmp_path / "a.db"
    db = open_db(path)
    save_thread(db, replace(make_thread((make_comment("1"),), fetched_at=T0), source="algolia"))
    db.close()

    def export(fmt: str) -> str:
        result = CliRunner().invoke(cli, ["export", "hn", "100", "--format", fmt, "--db",
                                          str(path)])
        assert result.exit_code == 0, result.output
        return result.stdout

    assert [json.loads(line)["source"] for line in export("jsonl").splitlines()] == ["algolia"]
    assert json.loads(export("json"))["source"] == "algolia"
    assert export("csv").splitlines()[0].endswith(",source,flags")
    html = export("html")
    assert '<details open class="comment" id="c1" data-source="algolia">' in html
    assert '<p class="meta" data-source="algolia">' in html
