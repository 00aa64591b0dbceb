"""End to end: Ctrl-C stops `linkthread crawl` at once, even in a 30 s Crawl-delay or a
long back-off, stores no half thread, leaves the crawl row 'interrupted' (a second
Ctrl-C too), says how to finish, and exits 130."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests import hnpages
from tests.conftest import LINKTHREAD, ROOT, rows
from tests.server import Reply, SiteServer

pytestmark = pytest.mark.e2e

# Ample for a stop that waits nothing out; short of the 30 s the next request is due.
STOPPED_WITHIN = 20.0
WAIT = 120.0  # the longest the test waits on anything the crawl is expected to do


def serve(site: SiteServer, *ids: str, per_page: int = 10**9) -> dict[str, int]:
    sizes = {}
    for n, story_id in enumerate(ids, start=10):
        thread = hnpages.random_thread(n, seed=n, story_id=story_id)
        pages = hnpages.site_pages(thread, per_page=per_page)
        assert per_page > n or len(pages) > 1  # a thread of several pages, as asked
        site.routes.update(pages)
        sizes[story_id] = n
    return sizes


def start(site: SiteServer, db: Path, *args: str, env: dict[str, str] | None = None,
          ) -> subprocess.Popen[str]:
    full_env = {**os.environ, "LINKTHREAD_DOWNLOAD_DELAY": "0",
                "LINKTHREAD_HN_BASE_URL": site.base_url, **(env or {})}
    full_env.pop("LINKTHREAD_DB", None)
    cmd = [str(LINKTHREAD)] if LINKTHREAD.exists() else [sys.executable, "-m", "scraper.cli"]
    return subprocess.Popen([*cmd, "crawl", "hn", *args, "--db", str(db)], env=full_env,
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


def wait_for(wait: Callable[[], object], what: str, proc: subprocess.Popen[str]) -> None:
    """Run the server's ``wait``; if it fails, end the crawl and fail with its stderr."""
    try:
        wait()
    except AssertionError as e:
        proc.kill()
        _, err = proc.communicate()
        pytest.fail(f"{what} never happened ({e}); stderr: {err[-2000:]}")


def finish(proc: subprocess.Popen[str]) -> tuple[str, str]:
    """Its stdout and stderr once it ended; killed (and the test failed) if it never does."""
    try:
        return proc.communicate(timeout=WAIT)
    except subprocess.TimeoutExpired:
        proc.kill()
        _, err = proc.communicate()
        pytest.fail(f"the crawl did not end; stderr: {err[-2000:]}")


def crawl_rows(db: Path) -> list[tuple]:
    return rows(db, "SELECT status, threads, comments, errors, message FROM crawls")


def test_one_sigint_in_a_30_s_crawl_delay_stops_the_crawl_at_once(site: SiteServer,
                                                                  tmp_path: Path) -> None:
    site.robots = "User-agent: *\nCrawl-delay: 30\n"
    # Two pages of item 1000: its first page read, the second queued behind the delay.
    sizes = serve(site, "1000", "2000", "3000", "4000", per_page=2)
    db = tmp_path / "hn.db"
    proc = start(site, db, *sizes)
    wait_for(lambda: site.wait_served("/item?id=1000", timeout=WAIT), "the first item page",
             proc)

    stopped_at = time.monotonic()
    proc.send_signal(signal.SIGINT)
    out, err = finish(proc)
    took = time.monotonic() - stopped_at

    assert proc.returncode == 130, err[-3000:]
    assert took < STOPPED_WITHIN, f"it waited the Crawl-delay out ({took:.1f} s)"
    assert [t for _, t in site.log] == ["/robots.txt", "/item?id=1000"]
    # Item 1000 was being read: none of it is stored, and it stays queued with the rest.
    assert rows(db, "SELECT count(*) FROM stories") == [(0,)]
    assert rows(db, "SELECT count(*) FROM comments") == [(0,)]
    assert crawl_rows(db) == [("interrupted", 0, 0, 0, None)]
    assert rows(db, "SELECT target, state FROM crawl_targets ORDER BY target") == [
        (i, "queued") for i in sorted(sizes)]
    assert err.splitlines()[-1] == (
        f"interrupted: 0 of 4 targets done; finish with: linkthread crawl hn --resume"
        f" --db {db}")
    assert "Error:" not in err and "Traceback" not in err, err[-3000:]
    assert out == f"archived 0 of 4 thread(s), 0 comments, into {db}\n"


def test_sigterm_cuts_a_long_back_off_short(site: SiteServer, tmp_path: Path) -> None:
    sizes = serve(site, "1000", "2000")
    page = site.routes["/item?id=1000"]
    assert isinstance(page, str)
    # The site asks for ten minutes; the first crawl obeys, then is told to stop.
    site.routes["/item?id=1000"] = [Reply("busy", status=429, headers={"Retry-After": "600"}),
                                    Reply(page)]
    site.routes["/item?id=2000"] = [Reply("busy", status=429, headers={"Retry-After": "600"}),
                                    Reply(str(site.routes["/item?id=2000"]))]
    db = tmp_path / "hn.db"
    proc = start(site, db, *sizes)
    wait_for(lambda: site.wait_served("/item?id=1000", timeout=WAIT), "the 429", proc)
    wait_for(lambda: site.wait_served("/item?id=2000", timeout=WAIT), "the second 429", proc)

    stopped_at = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    _, err = finish(proc)

    assert proc.returncode == 130, err[-3000:]
    assert time.monotonic() - stopped_at < STOPPED_WITHIN, "it waited the back-off out"
    assert sorted(t for _, t in site.log) == ["/item?id=1000", "/item?id=2000", "/robots.txt"]
    assert crawl_rows(db) == [("interrupted", 0, 0, 0, None)]
    assert err.splitlines()[-1].startswith("interrupted: 0 of 2 targets done; finish with:")


def test_the_crawl_row_is_interrupted_from_the_first_signal_so_a_second_leaves_it_right(
        site: SiteServer, tmp_path: Path) -> None:
    sizes = serve(site, "1000", "2000", "3000")
    # Every item is held: whichever the crawl asks for first (Scrapy's order is its
    # own) is the transfer in progress, and none is stored before the signal.
    site.hold(*(f"/item?id={i}" for i in sizes))
    db = tmp_path / "hn.db"
    # The page being transferred could hold the first stop up to a minute; the second
    # signal must not wait for it.
    proc = start(site, db, *sizes, "--log-level", "INFO",
                 env={"LINKTHREAD_STOP_GRACE": "60"})
    # Reading its stderr line by line has no timeout of its own.
    watchdog = threading.Timer(WAIT, proc.kill)
    watchdog.start()
    try:
        wait_for(lambda: bool(site.next_held(timeout=WAIT)), "a held item page", proc)
        proc.send_signal(signal.SIGINT)
        assert proc.stderr is not None
        for line in proc.stderr:
            if "stopping the crawl (SIGINT)" in line:
                break
        # Still running (the transfer holds it), and already recorded as stopped.
        assert proc.poll() is None
        assert crawl_rows(db) == [("interrupted", 0, 0, 0, None)]

        proc.send_signal(signal.SIGINT)
        err = proc.stderr.read()  # to its end: the process is gone
        proc.wait(timeout=WAIT)
    finally:
        watchdog.cancel()
        site.release()

    assert proc.returncode == 130, err[-3000:]
    assert "Received SIGINT twice" in err
    assert crawl_rows(db) == [("interrupted", 0, 0, 0, None)]
    assert rows(db, "SELECT count(*) FROM stories") == [(0,)]
    assert rows(db, "SELECT target, state FROM crawl_targets ORDER BY target") == [
        (i, "queued") for i in sorted(sizes)]
    assert err.splitlines()[-1].startswith("interrupted: 0 of 3 targets done; finish with:")
    # What it left, a resume finishes.
    resumed = start(site, db, "--resume")
    _, err = finish(resumed)
    assert resumed.returncode == 0, err[-3000:]
    assert rows(db, "SELECT s.id, count(*) FROM stories s JOIN comments c ON c.story_id = s.id"
                    " GROUP BY 1 ORDER BY 1") == sorted(sizes.items())
