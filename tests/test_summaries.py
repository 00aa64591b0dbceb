"""The summary tables of migration 0014 (archive/summaries.py) against a recount.

Seeded random histories: threads saved, re-saved with authors and times changed,
comments moved to another thread, gone from a re-crawl (rows stay: still counted),
older fetches re-saved; then ``snapshot --as-of``, which deletes rows. After each step
top_authors must equal 0004's view, which counted the comments every time, whole rows.
"""

from __future__ import annotations

import random
from datetime import timedelta
from pathlib import Path

import pytest
import sqlite_utils

from archive.db import open_db
from archive.history import gaps, unarchived
from archive.models import Comment, Listing, ListingEntry
from archive.redact import redact
from archive.snapshot import snapshot
from archive.store import save_listing, save_thread
from archive.views import TOP_AUTHORS
from tests.test_store import T0, make_comment, make_story, make_thread

# 0004's top_authors, an aggregate over every comment: the answer the summaries keep.
RECOUNT = TOP_AUTHORS.split(" AS\n", 1)[1]
THREADS_RECOUNT = (
    "SELECT site, story_id, author, count(*), min(created_at), max(created_at) FROM comments"
    " WHERE author IS NOT NULL GROUP BY site, story_id, author ORDER BY 1, 2, 3"
)


# gaps as it read before 0014: the latest crawl of every thread by a GROUP BY, and the
# never-archived stories by a scan of all stories.
GAPS_SCAN = (
    "SELECT t.site, t.story_id, s.title, t.seen_at, t.declared, t.archived, t.dead,"
    " t.deleted, t.unexpanded, t.declared - (t.archived + t.dead + t.deleted) AS shortfall"
    " FROM thread_crawls t"
    " JOIN (SELECT site, story_id, max(seen_at) AS seen_at FROM thread_crawls"
    "       GROUP BY site, story_id) latest USING (site, story_id, seen_at)"
    " LEFT JOIN stories s ON s.site = t.site AND s.id = t.story_id"
    " WHERE t.declared > t.archived + t.dead + t.deleted"
    " ORDER BY shortfall DESC, t.site, t.story_id"
)
UNARCHIVED_SCAN = (
    "SELECT s.site, s.id, s.title, s.last_seen_at, s.comment_count, 0, 0, 0, NULL,"
    " s.comment_count"
    " FROM stories s WHERE s.comment_count > 0"
    " AND NOT EXISTS (SELECT 1 FROM thread_crawls t WHERE t.site = s.site AND t.story_id = s.id)"
    " AND NOT EXISTS (SELECT 1 FROM comments c WHERE c.site = s.site AND c.story_id = s.id)"
    " ORDER BY s.comment_count DESC, s.site, s.id"
)


def assert_recounted(conn: sqlite_utils.Database | object) -> None:
    c = conn.conn if isinstance(conn, sqlite_utils.Database) else conn
    assert c.execute("SELECT * FROM top_authors").fetchall() == c.execute(RECOUNT).fetchall()
    assert c.execute("SELECT * FROM author_threads ORDER BY 1, 2, 3").fetchall() == \
        c.execute(THREADS_RECOUNT).fetchall()  # fmt: skip
    assert [tuple(r.values()) for r in gaps(c)] == c.execute(GAPS_SCAN).fetchall()
    assert [tuple(r.values()) for r in unarchived(c)] == c.execute(UNARCHIVED_SCAN).fetchall()


AUTHORS = ["ann", "bob", "cy", "dee", None]


def random_comments(rng: random.Random, story_id: str, ids: list[str]) -> tuple[Comment, ...]:
    out = []
    for k, cid in enumerate(ids):
        out.append(make_comment(
            cid, story_id=story_id, position=k, author=rng.choice(AUTHORS),
            created_at=T0 + timedelta(minutes=rng.randrange(-500, 500))
            if rng.random() < 0.9 else None,
        ))  # fmt: skip
    return tuple(out)


@pytest.mark.parametrize("seed", range(8))
def test_summaries_equal_a_recount_after_random_saves(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    db = open_db(tmp_path / "a.db")
    threads: dict[str, list[str]] = {sid: [] for sid in ("100", "200", "300")}
    next_id = 1
    for step in range(25):
        story_id = rng.choice(list(threads))
        ids = threads[story_id]
        # Some comments stay, some go (gone: the row stays), some are new, and now and
        # then one moves here from another thread.
        kept = [i for i in ids if rng.random() < 0.8]
        new = [str(next_id + n) for n in range(rng.randrange(0, 6))]
        next_id += len(new)
        others = [i for s, v in threads.items() if s != story_id for i in v]
        moved = [rng.choice(others)] if others and rng.random() < 0.2 else []
        for s in threads:
            if moved and moved[0] in threads[s]:
                threads[s].remove(moved[0])
        shown = kept + new + moved
        threads[story_id] = sorted(set(ids + new + moved))
        # A re-save of an older fetch (re-parsing a kept page) now and then.
        fetched = T0 + timedelta(hours=step if rng.random() < 0.85 else rng.randrange(step + 1))
        # The declared count is sometimes more than the page shows: a gap.
        story = make_story(id=story_id, comment_count=len(shown) + rng.choice([0, 0, 1, 3]))
        thread = make_thread(random_comments(rng, story_id, shown), fetched_at=fetched,
                             story=story)  # fmt: skip
        save_thread(db, thread)
        if rng.random() < 0.3:  # a listing shows a story never crawled, with comments
            listed = str(900 + step)
            save_listing(db, Listing(
                site="hn", name="news", page=1, url="https://news.ycombinator.com/news",
                fetched_at=fetched, entries=(ListingEntry(
                    site="hn", story_id=listed, rank=1, title=f"Story {listed}",
                    comment_count=rng.randrange(0, 9)),),
            ))  # fmt: skip
        assert_recounted(db)
    assert db.conn.execute("SELECT count(*) FROM author_counts").fetchone()[0] > 0
    assert gaps(db) and unarchived(db)
    db.close()
    # As of a time in the middle: rows first seen later are deleted in the copy.
    copy = snapshot(tmp_path / "a.db", tmp_path / "b.db", as_of="2026-01-14T20:00:00Z")
    old = open_db(copy)
    assert_recounted(old)
    old.close()


def test_top_authors_rows(tmp_path: Path) -> None:
    db = open_db(tmp_path / "a.db")
    t = T0.replace(minute=0)
    save_thread(db, make_thread((
        make_comment("1", author="ann", created_at=t),
        make_comment("2", author="bob", created_at=t + timedelta(minutes=5), position=1),
        make_comment("3", author="ann", created_at=t + timedelta(minutes=9), position=2),
        make_comment("4", author=None, position=3),
    )))  # fmt: skip
    save_thread(db, make_thread(
        (make_comment("5", story_id="200", author="bob", created_at=t - timedelta(hours=1)),),
        story=make_story(id="200"),
    ))  # fmt: skip
    expected = [
        ("hn", "ann", 2, 1, "2026-01-14T09:00:00Z", "2026-01-14T09:09:00Z"),
        ("hn", "bob", 2, 2, "2026-01-14T08:00:00Z", "2026-01-14T09:05:00Z"),
    ]
    assert db.conn.execute("SELECT * FROM top_authors").fetchall() == expected
    # bob's comment in 200 now says another author, and thread 100 loses ann's first
    # comment to gone (still counted: the row stays).
    save_thread(db, make_thread(
        (make_comment("5", story_id="200", author="cy", created_at=t - timedelta(hours=1)),),
        story=make_story(id="200"), fetched_at=T0 + timedelta(hours=1),
    ))  # fmt: skip
    assert db.conn.execute("SELECT * FROM top_authors").fetchall() == [
        ("hn", "ann", 2, 1, "2026-01-14T09:00:00Z", "2026-01-14T09:09:00Z"),
        ("hn", "bob", 1, 1, "2026-01-14T09:05:00Z", "2026-01-14T09:05:00Z"),
        ("hn", "cy", 1, 1, "2026-01-14T08:00:00Z", "2026-01-14T08:00:00Z"),
    ]
    assert_recounted(db)


def test_a_redacted_author_leaves_the_summaries(tmp_path: Path) -> None:
    db = open_db(tmp_path / "a.db")
    save_thread(db, make_thread((
        make_comment("1", author="ann"),
        make_comment("2", author="bob", position=1),
        make_comment("3", author="ann", position=2),
    )))  # fmt: skip
    redact(db, site="hn", kind="author", key="ann", reason="asked to be forgotten")
    assert db.conn.execute("SELECT site, author, comments FROM top_authors").fetchall() == [
        ("hn", "bob", 1)
    ]
    assert db.conn.execute("SELECT author FROM author_threads").fetchall() == [("bob",)]
    assert_recounted(db)
