"""End to end: `linkthread crawl hn ID --via api` of threads alone, which runs on a plain
asyncio loop without Scrapy (scraper/hnapi/crawl.py), against the Firebase stand-in.

The spider's crawl of the same threads (`-s NAME=VALUE` sends a crawl to the spider) is
the reference: the archives the two leave are compared table by table, whole."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import hnpages
from tests.conftest import LINKTHREAD, ROOT, rows, run_linkthread
from tests.firebase import ROBOTS_PATH, Firebase, items_of_thread, serve_firebase

pytestmark = pytest.mark.e2e

# Columns that say when a crawl ran, or which process ran it: never the same twice.
VOLATILE = ("started_at", "finished_at", "first_seen_at", "last_seen_at", "seen_at",
            "updated_at", "pid", "fetched_at", "checked_at", "created")  # fmt: skip


@pytest.fixture
def api() -> Iterator[Firebase]:
    with serve_firebase() as stand_in:
        yield stand_in


def crawl(db: Path, *targets: str, api: Firebase, extra: tuple[str, ...] = (),
          ok: bool = True) -> subprocess.CompletedProcess[str]:  # fmt: skip
    # No HTML server: a page host that answers nothing, so a page asked for would fail.
    result = run_linkthread("crawl", "hn", *targets, "--via", "api", *extra, "--db", str(db),
                            base_url="http://127.0.0.1:9",
                            env={"LINKTHREAD_HN_API_URL": api.base_url})  # fmt: skip
    assert (result.returncode == 0) is ok, result.stderr[-3000:]
    return result


def archive_rows(db: Path) -> dict[str, list[tuple]]:
    """Every table's rows but the migrations', without the columns of VOLATILE."""
    conn = sqlite3.connect(db)
    try:
        tables = [r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name != '_migrations'"
            " AND name NOT LIKE '%fts%' ORDER BY name")]  # fmt: skip
        out = {}
        for table in tables:
            columns = [r[1] for r in conn.execute(f"PRAGMA table_info({table})")
                       if not r[1].endswith(VOLATILE)]  # fmt: skip
            # thread_crawls.visits (0020) pairs each page with its fetch time: the pages.
            listed = ", ".join(f'"{c}"' if c != "visits" else
                               "(SELECT json_group_array(json_extract(v.value, '$[0]'))"
                               " FROM json_each(visits) v)" for c in columns)  # fmt: skip
            out[table] = sorted(conn.execute(f"SELECT {listed} FROM {table}").fetchall(),
                                key=repr)  # fmt: skip
        return out
    finally:
        conn.close()


def test_the_loop_leaves_the_archive_the_spider_leaves(api: Firebase, tmp_path: Path) -> None:
    threads = [hnpages.random_thread(300, seed=60 + k, story_id=str(8000 + 1000 * k))
               for k in range(2)]  # fmt: skip
    for t in threads:
        items = items_of_thread(t)
        items[int(t.roots[1].id)] = None  # a shortfall against descendants: a gap
        api.add(items)
    ids = [t.story_id for t in threads]

    fast = crawl(tmp_path / "loop.db", *ids, api=api)
    asked = api.requests
    spider = crawl(tmp_path / "spider.db", *ids, api=api, extra=("-s", "LOG_LEVEL=WARNING"))

    assert fast.stdout.replace("loop.db", "spider.db") == spider.stdout
    assert fast.stdout.startswith("archived 2 of 2 thread(s), ")
    loop_rows, spider_rows = archive_rows(tmp_path / "loop.db"), archive_rows(
        tmp_path / "spider.db")
    assert loop_rows == spider_rows
    assert len(loop_rows["comments"]) > 500 and len(loop_rows["thread_latest"]) == 2
    # Each item of each tree asked once by each crawl (the nulls included), and
    # robots.txt once per crawl.
    assert asked == api.requests - asked
    assert {n for path, n in api.served.items() if "/item/" in path} == {2}
    assert api.served[ROBOTS_PATH] == 2


def test_no_scrapy_is_imported_unless_the_spider_crawls(api: Firebase, tmp_path: Path) -> None:
    thread = hnpages.random_thread(20, seed=61, edge_cases=False)
    api.add(items_of_thread(thread))
    code = ("import sys\nfrom scraper.cli import cli\n"
            "try:\n    cli(sys.argv[1:])\nexcept SystemExit as e:\n    assert not e.code, e\n"
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'scrapy', 'twisted'}))")
    env = {**os.environ, "LINKTHREAD_HN_API_URL": api.base_url}

    def loaded(*extra: str) -> str:
        result = subprocess.run([sys.executable, "-c", code, "crawl", "hn", thread.story_id,
                                 "--via", "api", *extra, "--db", str(tmp_path / "a.db")],
                                cwd=ROOT, env=env, capture_output=True, text=True,
                                check=False)  # fmt: skip
        assert result.returncode == 0, result.stderr[-3000:]
        return result.stdout.splitlines()[-1]

    assert loaded() == "[]"
    # The reference of the test above: -s sends the crawl to the spider.
    assert loaded("-s", "LOG_LEVEL=WARNING") == "['scrapy', 'twisted']"
    assert rows(tmp_path / "a.db", "select count(*) from comments") == [(20,)]


def test_robots_txt_that_forbids_the_api_is_obeyed(api: Firebase, tmp_path: Path) -> None:
    thread = hnpages.random_thread(10, seed=62, edge_cases=False)
    api.add(items_of_thread(thread))
    api.robots = "User-agent: *\nDisallow: /v0/item/\n"

    result = crawl(tmp_path / "a.db", thread.story_id, api=api, ok=False)

    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error: ")]
    assert errors == [f"Error: hn item {thread.story_id}: the API did not give the thread: "
                      f"robots.txt of {api.base_url.removesuffix('/v0')} forbids "
                      f"/v0/item/{thread.story_id}.json for linkthread; not asking for it"]
    assert api.requests == 0 and api.served[ROBOTS_PATH] == 1
    assert rows(tmp_path / "a.db", "select status, errors from crawls") == [("failed", 1)]


def test_sigterm_stops_it_and_resume_finishes_it(api: Firebase, tmp_path: Path) -> None:
    done, held = (hnpages.random_thread(30, seed=63 + k, story_id=str(6000 + 100 * k),
                                        edge_cases=False) for k in range(2))  # fmt: skip
    api.add(items_of_thread(done))
    api.add(items_of_thread(held))
    deep = api.item_path(int(held.roots[0].id))
    api.hold(deep)  # the second thread cannot finish until released
    db = tmp_path / "a.db"
    env = {**os.environ, "LINKTHREAD_HN_API_URL": api.base_url}
    cmd = [str(LINKTHREAD)] if LINKTHREAD.exists() else [sys.executable, "-m", "scraper.cli"]
    proc = subprocess.Popen([*cmd, "crawl", "hn", done.story_id, held.story_id, "--via", "api",
                             "--log-level", "INFO", "--db", str(db)], env=env, cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    try:
        assert proc.stderr is not None
        stored = f"archived hn {done.story_id}: 30 comments"
        for line in iter(proc.stderr.readline, ""):  # the crawl's log, as it is written
            if stored in line:
                break
        else:
            raise AssertionError("the crawl ended without storing the first thread")
        api.wait_asked(deep)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 130, err[-3000:]
    assert f"interrupted: 1 of 2 targets done; finish with: linkthread crawl hn --resume " \
           f"--db {db}" in err
    assert rows(db, "select status, threads from crawls") == [("interrupted", 1)]
    assert rows(db, "select target, state from crawl_targets order by target") == [
        (done.story_id, "done"), (held.story_id, "queued")]
    assert rows(db, "select count(*) from comments where story_id = ?", held.story_id) == [(0,)]

    api.release()
    result = run_linkthread("crawl", "hn", "--resume", "--via", "api", "--db", str(db),
                            base_url="http://127.0.0.1:9",
                            env={"LINKTHREAD_HN_API_URL": api.base_url})  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    assert rows(db, "select story_id, count(*) from comments group by story_id"
                    " order by story_id") == [(done.story_id, 30), (held.story_id, 30)]


def test_a_tree_that_cannot_be_read_fails_its_thread_alone(api: Firebase,
                                                           tmp_path: Path) -> None:
    good, bad = (hnpages.random_thread(15, seed=64 + k, story_id=str(5000 + 100 * k),
                                       edge_cases=False) for k in range(2))  # fmt: skip
    api.add(items_of_thread(good))
    broken = items_of_thread(bad)
    first = broken[int(bad.roots[0].id)]
    assert first is not None
    del first["id"]  # no item the API serves lacks it: the client refuses the answer
    api.add(broken)

    result = crawl(tmp_path / "a.db", good.story_id, bad.story_id, api=api, ok=False)

    errors = [line for line in result.stderr.splitlines() if line.startswith("Error: ")]
    assert errors == [f"Error: hn item {bad.story_id}: the API did not give the thread: "
                      f"{api.base_url}/item/{bad.roots[0].id}.json: an answer for item "
                      f"'None', not {bad.roots[0].id}"]
    assert rows(tmp_path / "a.db", "select story_id, count(*) from comments group by 1") == [
        (good.story_id, 15)]
    assert rows(tmp_path / "a.db", "select status, threads, errors from crawls") == [
        ("finished", 1, 1)]
