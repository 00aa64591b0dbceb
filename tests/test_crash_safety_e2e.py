"""Crash safety end to end: SIGKILL at random moments, `crawl --resume`, and a reader
querying throughout a crawl. Real console script, real local server, real SQLite.

Every moment is pinned through the server, never found by sleeping: a crawl is killed
while the server holds a page it asked for, so the kill comes in the middle of a crawl
whatever the machine's speed, and the reader looks at each state of the archive while
the server holds the crawl's next thread back."""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from archive.query import run_query
from tests import hnpages
from tests.conftest import LINKTHREAD, rows, run_linkthread, wait_until
from tests.server import SiteServer

pytestmark = pytest.mark.e2e

STORY_COLUMNS = "site, id, title, url, author, score, comment_count, kind, archived_count"
COMMENT_COLUMNS = (
    "site, id, story_id, parent_id, depth, position, author, created_at, created_at_raw,"
    " text_html, text, dead, flagged, deleted, colour, synthetic_id"
)


def serve_threads(site: SiteServer, count: int) -> dict[str, int]:
    """``count`` generated threads (some over several pages); returns each thread's
    comment count."""
    sizes: dict[str, int] = {}
    rng = random.Random(5)
    for k in range(count):
        story_id = str(20_000_000 + k * 10_000)
        thread = hnpages.random_thread(rng.randint(10, 160), seed=k, story_id=story_id)
        per_page = 50 if k % 3 == 0 else 10**9
        site.routes.update(hnpages.site_pages(thread, per_page=per_page))
        sizes[story_id] = len(thread.comments)
    return sizes


def pages_of(site: SiteServer, story_id: str) -> list[str]:
    """The paths of a thread's pages, in the order the crawl follows them."""
    first = f"/item?id={story_id}"
    return sorted((p for p in site.routes if p == first or p.startswith(first + "&")),
                  key=lambda p: (len(p), p))


def archive_state(db: Path) -> tuple[list[tuple], list[tuple]]:
    return (rows(db, f"SELECT {STORY_COLUMNS} FROM stories ORDER BY id"),
            rows(db, f"SELECT {COMMENT_COLUMNS} FROM comments ORDER BY site, id"))  # fmt: skip


def assert_whole(db: Path, sizes: dict[str, int]) -> int:
    """Integrity is ok and every stored thread has all its comments; returns how many."""
    assert rows(db, "PRAGMA integrity_check") == [("ok",)]
    stored = rows(db, "SELECT s.id, s.archived_count, count(c.id) FROM stories s"
                      " LEFT JOIN comments c ON c.site = s.site AND c.story_id = s.id"
                      " GROUP BY s.site, s.id")  # fmt: skip
    for story_id, archived, count in stored:
        assert archived == count == sizes[story_id], f"thread {story_id} is half-written"
    return len(stored)


def count(db: Path, sql: str) -> int:
    """A count from the archive, 0 while it is not there or not yet migrated."""
    try:
        return int(rows(db, sql)[0][0]) if db.exists() else 0
    except sqlite3.OperationalError:
        return 0


def start(site: SiteServer, db: Path, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "LINKTHREAD_HN_BASE_URL": site.base_url,
           "LINKTHREAD_DOWNLOAD_DELAY": "0"}  # fmt: skip
    env.pop("LINKTHREAD_DB", None)
    return subprocess.Popen([str(LINKTHREAD), "crawl", "hn", *args, "--db", str(db)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip


def test_sigkill_at_random_moments_then_resume_equals_an_uninterrupted_run(
    site: SiteServer, tmp_path: Path
) -> None:
    sizes = serve_threads(site, 30)
    ids = list(sizes)
    clean = tmp_path / "clean.db"
    result = run_linkthread("crawl", "hn", *ids, "--db", str(clean), base_url=site.base_url)
    assert result.returncode == 0, result.stderr[-2000:]

    db = tmp_path / "killed.db"
    rng = random.Random(11)
    for kill in range(4):
        # The moment: a random page of a thread not stored yet, first pages and later
        # pages alike. The crawl asks for it (one request at a time: the crawler may still
        # be storing the page before) and waits there until it is killed.
        stored = {i for (i,) in rows(db, "SELECT id FROM stories")} if db.exists() else set()
        moment = rng.choice([p for i in ids if i not in stored for p in pages_of(site, i)])
        site.hold(moment)
        asked = site.hits(moment)
        proc = start(site, db, "--resume") if kill else start(site, db, *ids)
        site.wait_asked(moment, times=asked + 1, timeout=120)
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=30)
        site.release(moment)
        assert_whole(db, sizes)
        # Killed outright, the crawl stays 'running' until a later start finds its
        # process gone (and the earlier killed ones have been found so).
        assert rows(db, "SELECT count(*) FROM crawls WHERE status = 'running'") == [(1,)]
        assert rows(db, "SELECT count(*) FROM crawls") == [(kill + 1,)]
        assert count(db, "SELECT count(*) FROM stories") < len(ids)

    for _ in range(5):
        resumed = run_linkthread("crawl", "hn", "--resume", "--db", str(db),
                                 base_url=site.base_url)  # fmt: skip
        assert resumed.returncode == 0, resumed.stderr[-2000:]
        if "nothing to resume" in resumed.stderr:
            break
    assert_whole(db, sizes)
    assert archive_state(db) == archive_state(clean)
    # Killed ones interrupted, the rest finished: none failed, none left running.
    statuses = {status for (status,) in rows(db, "SELECT DISTINCT status FROM crawls")}
    assert statuses == {"finished", "interrupted"}
    assert rows(db, "SELECT count(*) FROM crawl_targets WHERE state = 'queued'") == [(0,)]
    # Every thread asked for was stored by some crawl (done), none given up on.
    done = rows(db, "SELECT DISTINCT target FROM crawl_targets WHERE state = 'done'")
    assert sorted(t for (t,) in done) == sorted(ids)


def test_a_stopped_crawl_leaves_its_queue_and_resume_finishes_it(
    site: SiteServer, tmp_path: Path
) -> None:
    sizes = serve_threads(site, 6)
    slow = "/item?id=20030000"
    site.hold(slow)
    db = tmp_path / "hn.db"
    # Two at a time, so the held page holds up only itself.
    proc = start(site, db, *sizes, "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=2")
    site.wait_asked(slow, timeout=120)
    wait_until(lambda: count(db, "SELECT count(*) FROM stories") == 5,
               "the five other threads stored", proc)
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=30)
    site.release(slow)

    assert rows(db, "SELECT state, target FROM crawl_targets WHERE state = 'queued'") == [
        ("queued", "20030000")
    ]
    resumed = run_linkthread("crawl", "hn", "--resume", "--db", str(db), base_url=site.base_url)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert "archived 1 of 1 thread(s)" in resumed.stdout
    assert rows(db, "SELECT id, status, message FROM crawls ORDER BY id") == [
        (1, "interrupted", "the crawl process ended without closing the crawl"),
        (2, "finished", None),
    ]
    assert rows(db, "SELECT crawl_id, target, state, detail FROM crawl_targets"
                    " WHERE target = '20030000' ORDER BY crawl_id") == [
        (1, "20030000", "resumed", "by crawl 2"), (2, "20030000", "done", None)]  # fmt: skip
    args = json.loads(rows(db, "SELECT args FROM crawls WHERE id = 2")[0][0])
    assert args["resume_from"] == [1]
    assert assert_whole(db, sizes) == 6
    again = run_linkthread("crawl", "hn", "--resume", "--db", str(db), base_url=site.base_url)
    assert (again.returncode, again.stderr.strip()) == (0, f"nothing to resume in {db}")


def test_a_reader_never_sees_a_half_thread_nor_a_locked_database(
    site: SiteServer, tmp_path: Path
) -> None:
    sizes = serve_threads(site, 12)
    # The last page of every thread waits for the test, and the crawl asks for one page
    # at a time: it stores one thread after another as the test lets each through, and
    # the reader looks at every state in between, during the writes too.
    last_pages = {pages_of(site, i)[-1]: i for i in sizes}
    site.hold(*last_pages)
    db = tmp_path / "hn.db"
    proc = start(site, db, *sizes)
    sql = "SELECT story_id, count(*) FROM comments GROUP BY story_id"
    let_through: list[str] = []
    reads = 0
    for k in range(len(sizes)):
        held = site.next_held(timeout=120)
        let_through.append(last_pages[held])
        site.release(held)
        deadline = time.monotonic() + 120
        while True:
            assert proc.poll() is None and time.monotonic() < deadline, (
                f"thread {let_through[-1]} never showed; the crawl: {proc.poll()}")
            # The library behind `linkthread query`, as fast as it goes, until it sees
            # the thread just let through.
            try:
                result = run_query(db, sql)
            except Exception as e:  # the archive may not be migrated yet on the first tries
                assert "locked" not in str(e), e
                assert reads == 0 and k == 0, e
                continue
            reads += 1
            seen = dict(result.rows)
            for story_id, n in seen.items():
                assert n == sizes[story_id], f"read a half thread {story_id}"
            assert set(seen) <= set(let_through), "stored a thread the server held"
            if set(seen) == set(let_through):
                break
        # ...and at the first, a middle and the last state, the command itself.
        if k in (0, len(sizes) // 2, len(sizes) - 1):
            out = run_linkthread("query", sql, "--db", str(db))
            assert out.returncode == 0, out.stderr
            assert "locked" not in out.stderr
            assert {r["story_id"]: r["count(*)"] for r in json.loads(out.stdout)} == {
                i: sizes[i] for i in let_through}
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err[-2000:]
    assert sorted(let_through) == sorted(sizes)
