"""`linkthread import` of saved Reddit files (scraper/importers/reddit.py): generated
answers always run; the corpus cases skip when the corpus is absent."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from scraper.parsers.reddit.thread import parse_thread_pages
from tests.corpus import corpus_file
from tests.redditpages import Cut, comments_page, generate_thread
from tests.test_import import FETCHED, run_import, write

AT = datetime.fromisoformat(FETCHED).astimezone(UTC)


def comment_rows(db: Path) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT id, parent_id, depth, position, author, text, deleted,"
                            " removed, edited, score, source FROM comments ORDER BY id"
                            ).fetchall()


def test_a_saved_comments_response_imports_as_its_parser_reads_it(tmp_path: Path) -> None:
    g = generate_thread(120, seed=4)
    text = comments_page(g, Cut(top_limit=50))
    path = write(tmp_path / "saved" / "thread.json", text)
    db = tmp_path / "a.db"
    result = run_import(path, "--db", db, "--fetched-at", FETCHED)
    assert result.exit_code == 0, result.output
    thread = parse_thread_pages([("x", text)], fetched_at=AT)
    assert comment_rows(db) == sorted(
        (c.id, c.parent_id, c.depth, c.position, c.author, c.text, int(c.deleted),
         int(c.removed), int(c.edited), c.score, "import") for c in thread.comments)
    with sqlite3.connect(db) as conn:
        story = conn.execute("SELECT site, id, title, comment_count, source FROM stories"
                             ).fetchall()
        pages = conn.execute("SELECT url FROM pages").fetchall()
    assert story == [("reddit", g.story_id, g.title, 120, "import")]
    assert pages == [(f"https://www.reddit.com/comments/{g.story_id}.json",)]
    before = comment_rows(db)
    again = run_import(path, "--db", db, "--fetched-at", FETCHED)
    assert again.exit_code == 0 and comment_rows(db) == before  # importing again adds nothing


def test_a_listing_needs_its_url_and_a_morechildren_answer_its_thread(tmp_path: Path) -> None:
    listing = {"kind": "Listing", "data": {"after": None, "children": [
        {"kind": "t3", "data": {"id": "abc", "title": "T", "author": "a", "score": 1,
                                "num_comments": 0, "created_utc": 1.7e9, "url": "https://e.org/",
                                "is_self": False}}]}}
    path = write(tmp_path / "hot.json", json.dumps(listing))
    more = write(tmp_path / "more.json", json.dumps({"json": {"errors": [],
                                                             "data": {"things": []}}}))
    db = tmp_path / "a.db"
    result = run_import(path, more, "--db", db)
    assert result.exit_code == 1
    assert "does not say which listing it is" in result.output
    assert "a /api/morechildren answer is a piece of a thread" in result.output
    ok = run_import(path, "--db", db, "--url", "https://www.reddit.com/r/Python/new.json")
    assert ok.exit_code == 0, ok.output
    assert "reddit r/python/new page 1: 1 entries" in ok.output


def test_a_saved_error_answer_is_its_one_line(tmp_path: Path) -> None:
    path = write(tmp_path / "err.json", '{"reason": "private", "message": "Forbidden", '
                                        '"error": 403}')
    result = run_import(path, "--db", tmp_path / "a.db")
    assert result.exit_code == 1
    assert "HTTP 403 Forbidden: the subreddit is private" in result.output
    assert "Traceback" not in result.output


def test_the_corpus_pages_import(tmp_path: Path) -> None:
    names = ["comments-fo7p5b.json", "old-comments-8dyrb3.html",
             "newreddit-comments-awx46q.html", "old-listing-r-programming-2016.html"]
    paths = [corpus_file("reddit", n) for n in names]
    db = tmp_path / "a.db"
    result = run_import(*paths, "--db", db, "--fetched-at", FETCHED)
    assert result.exit_code == 0, result.output
    with sqlite3.connect(db) as conn:
        counts = conn.execute("SELECT story_id, count(*) FROM comments GROUP BY story_id"
                              " ORDER BY story_id").fetchall()
        listed = conn.execute("SELECT count(*) FROM listing_snapshots").fetchone()
    assert counts == [("8dyrb3", 197), ("awx46q", 197), ("fo7p5b", 492)]
    assert listed == (25,)
