"""Integers past SQLite's 64 bits in what is imported (a broken or hostile answer, page or
dump line): read as no value and kept whole in the row's ``extra``, never an OverflowError
that stops the save; counts and depths past any thread's size read as the page's own."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from scraper.parsers.integers import COUNT_MAX, HIGH, LOW, keep_beyond, stored_int, stub_count
from scraper.parsers.values import signed
from tests.lobsterspages import chain, story_json
from tests.redditdump import comment, ndjson, submission
from tests.redditpages import Cut, comments_page, generate_thread
from tests.test_import import FETCHED, run_import, write

BIG = 10**20


def rows(db: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql).fetchall()


def test_stored_int_takes_what_sqlite_holds() -> None:
    for value in (0, -1, LOW, HIGH, 7):
        assert stored_int(value) == value
    for value in (LOW - 1, HIGH + 1, BIG, -BIG, True, False, 1.0, "3", None):
        assert stored_int(value) is None
    assert keep_beyond(None, score=BIG, n=3) == {"score": BIG}
    kept = {"a": 1}
    assert keep_beyond(kept, score=5) is kept
    assert keep_beyond(kept, score=-BIG) == {"a": 1, "score": -BIG} and kept == {"a": 1}
    assert [stub_count(v) for v in (0, COUNT_MAX, COUNT_MAX + 1, -1, True)] == \
        [0, COUNT_MAX, None, None, None]


@pytest.mark.parametrize(("shown", "value"), [
    ("18", 18), (" -2 ", -2), ("--5", None), ("-", None), ("\u00b2", None), ("\u0663", None),
    ("9" * 5000, None), ("-" + "9" * 30, None), ("~", None), ("", None), ("1 2", None)])
def test_a_shown_number_never_raises(shown: str, value: int | None) -> None:
    assert signed(shown) == value


def test_a_dump_with_counts_past_64_bits_imports_whole(tmp_path: Path) -> None:
    path = write(tmp_path / "big_comments.ndjson", ndjson([
        comment("c1", score=BIG), comment("c2", "c1", score=-BIG), comment("c3", "c2")]))
    posts = write(tmp_path / "big_submissions.ndjson", ndjson([
        submission("post", score=BIG, num_comments=BIG)]))
    db = tmp_path / "a.db"
    result = run_import(path, posts, "--db", db)
    assert result.exit_code == 0, result.output
    got = rows(db, "SELECT id, score, extra FROM comments ORDER BY id")
    assert [(cid, score) for cid, score, _ in got] == [("c1", None), ("c2", None), ("c3", 1)]
    assert [json.loads(extra or "{}").get("score") for _, _, extra in got] == [BIG, -BIG, None]
    [(score, count, extra)] = rows(db, "SELECT score, comment_count, extra FROM stories")
    assert (score, count) == (None, None)
    assert (json.loads(extra)["score"], json.loads(extra)["num_comments"]) == (BIG, BIG)


def _bumped(obj: object, keys: set[str]) -> None:
    """Every integer under one of ``keys`` set to BIG, through the whole answer."""
    if isinstance(obj, dict):
        for k, v in obj.items():
            if k in keys and type(v) is int:
                obj[k] = BIG
            else:
                _bumped(v, keys)
    elif isinstance(obj, list):
        for v in obj:
            _bumped(v, keys)


def test_a_reddit_answer_with_counts_past_64_bits_imports(tmp_path: Path) -> None:
    g = generate_thread(60, seed=7)
    answer = json.loads(comments_page(g, Cut(top_limit=20)))
    _bumped(answer, {"score", "num_comments", "count", "depth"})
    path = write(tmp_path / "thread.json", json.dumps(answer))
    db = tmp_path / "a.db"
    result = run_import(path, "--db", db, "--fetched-at", FETCHED)
    assert result.exit_code == 0, result.output
    got = rows(db, "SELECT score, depth, extra FROM comments")
    assert got and all(score is None for score, _, _ in got)
    assert all(json.loads(extra)["score"] == BIG for _, _, extra in got)
    # The depths the answer gave are damage: each comment's nesting says where it stands.
    assert max(depth for _, depth, _ in got) < 60
    [(declared,)] = rows(db, "SELECT declared FROM thread_crawls")
    assert declared is None or declared < COUNT_MAX * 1000


def test_a_lobsters_story_with_counts_past_64_bits_imports(tmp_path: Path) -> None:
    story = json.loads(story_json([chain(4)]))
    _bumped(story, {"score", "comment_count"})
    story["submitter_user"] = {"username": "sub", "created_at": "2020-01-01T00:00:00.000-05:00",
                               "karma": BIG, "about": ""}
    path = write(tmp_path / "story-abc123.json", json.dumps(story))
    db = tmp_path / "a.db"
    result = run_import(path, "--db", db, "--fetched-at", FETCHED)
    assert result.exit_code == 0, result.output
    got = rows(db, "SELECT score, extra FROM comments")
    assert len(got) == 4 and all(s is None and json.loads(e)["score"] == BIG for s, e in got)
    [(score, count, extra)] = rows(db, "SELECT score, comment_count, extra FROM stories")
    assert (score, count, json.loads(extra)["score"]) == (None, None, BIG)
    [(karma, user_extra)] = rows(db, "SELECT karma, extra FROM users WHERE id = 'sub'")
    assert (karma, json.loads(user_extra)["karma"]) == (None, BIG)
