"""End to end: `linkthread crawl reddit ID|URL...` of threads alone, which runs on a
plain asyncio loop without Scrapy (scraper/direct/reddit.py), against the OAuth API
stand-in (tests/redditapi.py).

The spider's crawl of the same threads (`-s NAME=VALUE` sends a crawl to the spider)
is the reference: the archives the two leave are compared table by table, whole, and
the requests they make one by one."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.clirun import forked
from tests.conftest import LINKTHREAD, ROOT, rows
from tests.redditapi import JSON, RedditAPI, env, make_thread
from tests.server import Reply, SiteServer, serve
from tests.test_hn_api_crawl_e2e import archive_rows
from tests.test_reddit_crawl_e2e import tree_in_order

pytestmark = pytest.mark.e2e

SPIDER = ("-s", "LOG_LEVEL=WARNING")  # any -s sends the crawl to the spider
NO_SCRAPY = ("import sys\nfrom scraper.parsers.reddit import thread\n"
             "calls = []\nadd = thread.ThreadPages.add\n"
             "thread.ThreadPages.add = lambda *a, **k: calls.append(1) or add(*a, **k)\n"
             "from scraper.cli import cli\n"
             "try:\n    cli(sys.argv[1:])\nexcept SystemExit as e:\n    assert not e.code, e\n"
             "print(len(calls), sorted({m.split('.')[0] for m in sys.modules}"
             " & {'scrapy', 'twisted'}))")


@pytest.fixture
def api() -> Iterator[RedditAPI]:
    with serve(SiteServer()) as site:
        yield RedditAPI(site)


def crawl(api: RedditAPI, db: Path, *args: str,
          **extra: str) -> subprocess.CompletedProcess[str]:  # fmt: skip
    """In a child forked from a warm parent (tests/clirun.py), either way; the tests
    of the process itself (no Scrapy loaded, SIGTERM) run the console script."""
    return forked("crawl", "reddit", *args, "--db", str(db), env=env(api, **extra))


def asked(api: RedditAPI) -> list[str]:
    """The requests made since the log was last cleared, the token's apart."""
    return [t for _, t in api.site.log if not t.startswith("/api/v1/")]


def compared(db: Path) -> dict[str, list[tuple]]:
    """Every table's rows (``archive_rows``); of the shared pace, the host and its delay
    (its next turn is a clock time of each crawl)."""
    tables = archive_rows(db)
    tables["host_pace"] = [(host, delay) for host, _, delay in tables["host_pace"]]
    return tables


def errors(result: subprocess.CompletedProcess[str]) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.startswith("Error:")]


def test_the_loop_leaves_the_archive_the_spider_leaves(api: RedditAPI, tmp_path: Path) -> None:
    thread = api.threads["abc12"] = make_thread(150, seed=3, chain=9)
    fast, spider = tmp_path / "loop.db", tmp_path / "spider.db"
    for label in ("first", "unchanged", "edited"):
        if label == "edited":  # one comment of a "load more" stub's, and one at the top
            thread.bodies[thread.tops[-1]] = "Comment, edited"
            thread.bodies[thread.tops[0]] = "The first comment, edited"
        api.site.log.clear()
        a = crawl(api, fast, "https://www.reddit.com/r/test/comments/abc12/a_post/")
        made = asked(api)
        api.site.log.clear()
        b = crawl(api, spider, "abc12", *SPIDER)
        assert a.returncode == b.returncode == 0, (a.stderr[-2000:], b.stderr[-2000:])
        assert a.stdout.replace("loop.db", "spider.db") == b.stdout
        assert made == asked(api), label  # the same requests, in the same order
        assert compared(fast) == compared(spider), label
    assert tree_in_order(fast, "abc12") == thread.order()
    # Several stubs of both kinds, expanded, and never two morechildren calls at once.
    assert len(api.more_served) >= 3 and api.continues_served
    assert any("/_/" in t for t in made) and any("morechildren" in t for t in made)
    assert api.concurrent == 0
    assert rows(fast, "SELECT unchanged FROM thread_crawls ORDER BY crawl_id") == [
        (0,), (1,), (0,)]
    assert rows(fast, "SELECT text FROM comments WHERE id = ?", thread.tops[0]) == [
        ("The first comment, edited",)]


def test_threads_one_after_another_never_overlap_morechildren(api: RedditAPI,
                                                              tmp_path: Path) -> None:
    for k, sid in enumerate(("aaa11", "bbb22", "ccc33")):
        api.threads[sid] = make_thread(120, seed=k, story_id=sid, first=10_000 + 1000 * k)
    api.morechildren_delay = 0.2  # a long answer: room for an overlap to show
    db = tmp_path / "r.db"
    result = crawl(api, db, "aaa11", "bbb22", "ccc33")
    assert result.returncode == 0, result.stderr
    assert api.concurrent == 0 and api.morechildren_calls >= 3
    for sid, t in api.threads.items():
        assert tree_in_order(db, sid) == t.order()


def test_an_unchanged_thread_is_not_parsed_and_no_scrapy_is_loaded(
        api: RedditAPI, tmp_path: Path) -> None:
    api.threads["abc12"] = make_thread(150, seed=3, chain=9)
    db = tmp_path / "a.db"
    full = {**os.environ, "LINKTHREAD_DOWNLOAD_DELAY": "0", "LINKTHREAD_MIN_DELAY": "0",
            **env(api)}

    def loaded() -> tuple[int, str]:
        api.site.log.clear()
        result = subprocess.run([sys.executable, "-c", NO_SCRAPY, "crawl", "reddit", "abc12",
                                 "--db", str(db)], cwd=ROOT, env=full, capture_output=True,
                                text=True, check=False)  # fmt: skip
        assert result.returncode == 0, result.stderr[-3000:]
        return len(asked(api)), result.stdout.splitlines()[-1]

    requests, first = loaded()
    assert first == f"{requests} []"  # every answer placed once; no Scrapy, no Twisted
    tables = ("comments", "comment_versions", "story_snapshots", "pages")
    before = {t: rows(db, f"SELECT count(*) FROM {t}") for t in tables}
    assert loaded() == (requests, "0 []")  # the same answers again: none placed
    assert {t: rows(db, f"SELECT count(*) FROM {t}") for t in tables} == before
    assert "/robots.txt" not in [urlsplit(t).path for _, t in api.site.log]


@pytest.mark.parametrize("way", [(), SPIDER], ids=["direct", "spider"])
def test_no_requests_left_is_waited_out_until_the_reset(api: RedditAPI, tmp_path: Path,
                                                        way: tuple[str, ...]) -> None:
    thread = api.threads["abc12"] = make_thread(40, seed=2)

    def budget(n: int, target: str) -> dict[str, str]:
        left = "0" if n == 1 else "500"  # the first answer spends the window
        return {"X-Ratelimit-Used": str(n), "X-Ratelimit-Remaining": left,
                "X-Ratelimit-Reset": "1" if n == 1 else "600"}

    api.ratelimit = budget
    db = tmp_path / "r.db"
    result = crawl(api, db, "abc12", *way)
    assert result.returncode == 0, result.stderr
    # The server's own arrival times: the second request came after the reset, whichever
    # way the crawl ran (the spider's pace is archive.pace's too, read from the headers
    # by its own middleware).
    signed = [at for at, t in api.site.log if not t.startswith("/api/v1/")]
    assert len(signed) >= 2 and signed[1] - signed[0] >= 1 - 0.05
    assert tree_in_order(db, "abc12") == thread.order()


def test_a_401_fetches_a_new_token_once_and_twice_is_the_spiders_line(
        api: RedditAPI, tmp_path: Path) -> None:
    thread = api.threads["abc12"] = make_thread(30, seed=5)
    api.refuse_once = True
    result = crawl(api, tmp_path / "a.db", "abc12")
    assert result.returncode == 0, result.stderr
    assert api.tokens == ["token-1", "token-2"] and api.grants == ["password", "password"]
    assert api.refused == ["/comments/abc12?raw_json=1&sort=confidence"]
    assert tree_in_order(tmp_path / "a.db", "abc12") == thread.order()

    api.tokens.clear()
    api.refuse_always = True
    a = crawl(api, tmp_path / "b.db", "abc12")
    assert len(api.tokens) == 2  # one refresh, no more
    b = crawl(api, tmp_path / "c.db", "abc12", *SPIDER)
    assert a.returncode == b.returncode == 1
    assert errors(a) == errors(b) == [
        "Error: reddit: the API refused a fresh token too (HTTP 401): check that the app "
        "is approved and the credentials are its own"]
    assert rows(tmp_path / "b.db", "SELECT count(*) FROM comments") == [(0,)]


def test_no_credentials_make_no_request(api: RedditAPI, tmp_path: Path) -> None:
    db = tmp_path / "r.db"
    bare = {k: "" for k in ("LINKTHREAD_REDDIT_CLIENT_ID", "LINKTHREAD_REDDIT_CLIENT_SECRET",
                            "LINKTHREAD_REDDIT_USERNAME", "LINKTHREAD_REDDIT_PASSWORD")}
    result = crawl(api, db, "abc12", **bare)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "Error: Reddit needs your own approved API client: create a 'script' app at "
        "https://www.reddit.com/prefs/apps (and have it approved under Reddit's "
        "Responsible Builder Policy), then set LINKTHREAD_REDDIT_CLIENT_ID and "
        "LINKTHREAD_REDDIT_CLIENT_SECRET with LINKTHREAD_REDDIT_USERNAME and "
        "LINKTHREAD_REDDIT_PASSWORD (or LINKTHREAD_REDDIT_REFRESH_TOKEN), or put them in "
        "/nonexistent/reddit.ini"]
    assert api.site.log == []
    assert not db.exists()


def test_wrong_credentials_halt_with_one_line_as_the_spider(api: RedditAPI,
                                                             tmp_path: Path) -> None:
    api.threads["abc12"] = make_thread(5, seed=5)
    a = crawl(api, tmp_path / "a.db", "abc12", "abc12", LINKTHREAD_REDDIT_PASSWORD="wrong")
    b = crawl(api, tmp_path / "b.db", "abc12", *SPIDER, LINKTHREAD_REDDIT_PASSWORD="wrong")
    assert a.returncode == b.returncode == 1
    assert errors(a) == errors(b) and len(errors(a)) == 1 and "invalid_grant" in errors(a)[0]
    assert "wrong" not in a.stderr
    assert [urlsplit(t).path for _, t in api.site.log] == ["/api/v1/access_token"] * 2


def test_sigterm_stops_it_and_resume_finishes_it(api: RedditAPI, tmp_path: Path) -> None:
    thread = api.threads["abc12"] = make_thread(150, seed=7, chain=6)
    api.hold_call = 2  # the second morechildren call is held until go_on
    db = tmp_path / "r.db"
    cmd = [str(LINKTHREAD)] if LINKTHREAD.exists() else [sys.executable, "-m", "scraper.cli"]
    full = {**os.environ, "LINKTHREAD_DOWNLOAD_DELAY": "0", "LINKTHREAD_MIN_DELAY": "0",
            **env(api)}
    proc = subprocess.Popen([*cmd, "crawl", "reddit", "abc12", "--db", str(db)], env=full,
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)  # fmt: skip
    try:
        assert api.holding.wait(120), "the crawl never reached its second morechildren call"
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=120)
    finally:
        api.go_on.set()
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 130, err[-3000:]
    assert f"interrupted: 0 of 1 targets done; finish with: linkthread crawl reddit " \
           f"--resume --db {db}" in err
    assert rows(db, "SELECT status, threads FROM crawls") == [("interrupted", 0)]
    assert rows(db, "SELECT count(*) FROM comments") == [(0,)]  # nothing half-stored
    assert rows(db, "SELECT target, state FROM crawl_targets") == [("abc12", "queued")]

    api.hold_call = None
    result = crawl(api, db, "--resume")
    assert result.returncode == 0, result.stderr[-3000:]
    assert tree_in_order(db, "abc12") == thread.order()
    assert rows(db, "SELECT state FROM crawl_targets ORDER BY crawl_id") == [
        ("resumed",), ("done",)]


def test_a_missing_thread_and_a_stub_given_up_as_the_spider(api: RedditAPI,
                                                            tmp_path: Path) -> None:
    api.threads["abc12"] = make_thread(80, seed=2)
    api.site.routes["/comments/zzz99?raw_json=1&sort=confidence"] = Reply(json.dumps(
        {"message": "Not Found", "error": 404}), status=404, content_type=JSON)
    results = []
    for db, extra in ((tmp_path / "a.db", ()), (tmp_path / "b.db", SPIDER)):
        # The first morechildren answer is Reddit's RATELIMIT error, with no retry
        # left: kept raw, its stub a gap, the rest of the thread stored.
        api.throttle_once = True
        results.append(crawl(api, db, "abc12", "zzz99", *extra, LINKTHREAD_SOFT_RETRIES="0"))
    a, b = results
    assert a.returncode == b.returncode == 1
    assert errors(a) == errors(b) and len(errors(a)) == 1, a.stderr[-3000:]
    assert errors(a)[0].startswith("Error: reddit item zzz99: HTTP 404")
    assert a.stdout.replace("a.db", "b.db") == b.stdout
    assert compared(tmp_path / "a.db") == compared(tmp_path / "b.db")
    ((unexpanded,),) = rows(tmp_path / "a.db", "SELECT unexpanded FROM thread_crawls")
    assert unexpanded > 0
    assert rows(tmp_path / "a.db", "SELECT count(*) FROM pages WHERE error IS NOT NULL") == [(1,)]
