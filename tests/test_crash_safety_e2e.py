"""Crash safety end to end: SIGKILL at random moments, `crawl --resume`, and a reader
querying throughout a crawl. Real console script, real local server, real SQLite."""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

from archive.query import run_query
from tests import hnpages
from tests.conftest import LINKTHREAD, rows, run_linkthread
from tests.server import Reply, SiteServer

STORY_COLUMNS = "site, id, title, url, author, score, comment_count, kind, archived_count"
COMMENT_COLUMNS = (
    "site, id, story_id, parent_id, depth, position, author, created_at, created_at_raw,"
    " text_html, text, dead, flagged, deleted, colour, synthetic_id"
)


def serve_threads(site: SiteServer, count: int, *, delay: float) -> dict[str, int]:
    """``count`` generated threads (some over several pages), each page answered after
    ``delay`` seconds; returns each thread's comment count."""
    sizes: dict[str, int] = {}
    rng = random.Random(5)
    for k in range(count):
        story_id = str(20_000_000 + k * 10_000)
        thread = hnpages.random_thread(rng.randint(10, 160), seed=k, story_id=story_id)
        per_page = 50 if k % 3 == 0 else 10**9
        for path, body in hnpages.site_pages(thread, per_page=per_page).items():
            site.routes[path] = Reply(body, delay=delay)
        sizes[story_id] = len(thread.comments)
    return sizes


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
    sizes = serve_threads(site, 30, delay=0.1)
    ids = list(sizes)
    clean = tmp_path / "clean.db"
    result = run_linkthread("crawl", "hn", *ids, "--db", str(clean), base_url=site.base_url)
    assert result.returncode == 0, result.stderr[-2000:]

    db = tmp_path / "killed.db"
    rng = random.Random(11)
    mid_crawl = 0
    for _ in range(4):
        queued = count(db, "SELECT count(*) FROM crawl_targets") > 0
        proc = start(site, db, "--resume") if queued else start(site, db, *ids)
        time.sleep(rng.uniform(1.2, 3.0))
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=30)
        if db.exists():
            assert_whole(db, sizes)
            # Killed outright, the crawl stays 'running' until a later start finds its
            # process gone.
            mid_crawl += rows(db, "SELECT count(*) FROM crawls WHERE status = 'running'")[0][0]
    assert mid_crawl >= 2, "fewer than two kills came in the middle of a crawl"

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
    sizes = serve_threads(site, 6, delay=0)
    slow = "/item?id=20030000"
    site.routes[slow] = Reply(site.routes[slow].body, delay=30)  # type: ignore[union-attr]
    db = tmp_path / "hn.db"
    # Two at a time, so the slow page holds up only itself.
    proc = start(site, db, *sizes, "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=2")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not (
        site.hits(slow) and count(db, "SELECT count(*) FROM stories") == 5
    ):
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=30)

    assert rows(db, "SELECT state, target FROM crawl_targets WHERE state = 'queued'") == [
        ("queued", "20030000")
    ]
    site.routes[slow] = Reply(site.routes[slow].body)  # type: ignore[union-attr]
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
    sizes = serve_threads(site, 30, delay=0.02)
    db = tmp_path / "hn.db"
    proc = start(site, db, *sizes)
    reads = cli_reads = 0
    sql = "SELECT story_id, count(*) FROM comments GROUP BY story_id"
    seen_counts: set[int] = set()
    while proc.poll() is None:
        if not db.exists():
            time.sleep(0.05)
            continue
        # The library behind `linkthread query`, as fast as it goes...
        try:
            result = run_query(db, sql)
        except Exception as e:  # the archive may not be migrated yet on the first tries
            assert "locked" not in str(e), e
            continue
        for story_id, count in result.rows:
            assert count == sizes[story_id], f"read a half thread {story_id}"
        seen_counts.add(len(result.rows))
        reads += 1
        # ...and now and then the command itself.
        if reads % 25 == 0:
            out = run_linkthread("query", sql, "--db", str(db))
            assert out.returncode == 0, out.stderr
            assert "locked" not in out.stderr
            for row in json.loads(out.stdout):
                assert row["count(*)"] == sizes[row["story_id"]]
            cli_reads += 1
    assert proc.returncode == 0, proc.stderr.read() if proc.stderr else ""
    assert reads >= 50 and cli_reads >= 1
    assert len(seen_counts) > 2, "the reader never saw the crawl in progress"
