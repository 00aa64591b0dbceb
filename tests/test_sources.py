"""Every row knows how it was observed (archive.sources, migration 0008_source)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
import sqlite_utils

from archive import sources
from archive.db import open_db
from archive.models import User
from archive.store import save_thread, save_user
from tests.test_store import T0, T1, make_comment, make_thread, table_rows


@pytest.fixture
def db(tmp_path: Path) -> sqlite_utils.Database:
    return open_db(tmp_path / "s.db")


def test_union_is_a_sorted_set() -> None:
    assert sources.union(None, "html") == "html"
    assert sources.union("html", "html") == "html"
    assert sources.union("html", "api") == "api,html"
    assert sources.union("api,html", "html") == "api,html"
    assert sources.union("api,html", "dump") == "api,dump,html"


def test_an_unknown_source_is_refused_before_anything_is_written(db: sqlite_utils.Database) -> None:
    with pytest.raises(ValueError, match="unknown source 'web'"):
        save_thread(db, replace(make_thread(), source="web"))
    assert table_rows(db, "comments") == []


def test_rows_keep_every_source_and_versions_their_own(db: sqlite_utils.Database) -> None:
    save_thread(db, replace(make_thread(), source="api"))
    edited = replace(make_thread(), fetched_at=T1, comments=(
        make_comment("1", text="Changed", text_html="<p>Changed</p>"),
        make_comment("2", parent="1", depth=1),
        make_comment("3", position=1, dead=True),
    ))
    save_thread(db, edited)  # a crawl of the page, which also edits comment 1

    assert [(r["id"], r["source"]) for r in table_rows(db, "comments")] == [
        ("1", "api,html"), ("2", "api,html"), ("3", "api,html")]
    assert [r["source"] for r in table_rows(db, "stories")] == ["api,html"]
    assert [(r["comment_id"], r["change"], r["source"])
            for r in table_rows(db, "comment_versions")] == [
        ("1", "added", "api"), ("1", "edited", "html")]  # fmt: skip
    assert [(r["source"], r["via"]) for r in table_rows(db, "story_snapshots")] == [
        ("thread", "api")]  # the same score and count: no second snapshot


def test_a_resave_from_the_same_source_writes_no_row(db: sqlite_utils.Database) -> None:
    save_thread(db, make_thread())
    conn = db.conn
    before = conn.total_changes
    save_thread(db, make_thread())
    # The same observation again: the thread's own bookkeeping rows only, no comment.
    assert [r["source"] for r in table_rows(db, "comments")] == ["html"] * 3
    assert conn.total_changes - before < 5


def test_users_keep_their_sources(db: sqlite_utils.Database) -> None:
    save_user(db, User(site="hn", id="pg", karma=1), fetched_at=T0)
    save_user(db, User(site="hn", id="pg", karma=2, source="api"), fetched_at=T1)
    assert [r["source"] for r in table_rows(db, "users")] == ["api,html"]
    assert [r["via"] for r in table_rows(db, "user_snapshots")] == ["html", "api"]


def test_a_thread_read_in_part_marks_nothing_gone(db: sqlite_utils.Database) -> None:
    save_thread(db, make_thread())
    part = replace(make_thread(), fetched_at=T1, unexpanded=2,
                   comments=(make_comment("1"),))  # the rest behind stubs not expanded
    assert save_thread(db, part).gone == 0
    assert [r["gone_at"] for r in table_rows(db, "comments")] == [None, None, None]
    whole = replace(make_thread(), fetched_at=T1 + (T1 - T0), comments=(make_comment("1"),))
    assert save_thread(db, whole).gone == 2  # read whole, the others are gone
