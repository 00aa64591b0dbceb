"""End to end: `linkthread crawl lobsters ID...` of stories alone, which runs on a plain
asyncio loop without Scrapy (scraper/direct/), against the stand-in Lobsters.

The spider's crawl of the same stories (`-s NAME=VALUE` sends a crawl to the spider) is
the reference: the archives the two leave are compared table by table, whole."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import LINKTHREAD, ROOT, rows, run_linkthread
from tests.lobsterspages import Node, chain
from tests.server import Reply, SiteServer, serve
from tests.test_hn_api_crawl_e2e import archive_rows
from tests.test_lobsters_crawl_e2e import JSON, story

pytestmark = pytest.mark.e2e

SPIDER = ("-s", "LOG_LEVEL=WARNING")  # any -s sends the crawl to the spider


@pytest.fixture
def lobsters() -> Iterator[SiteServer]:
    with serve(SiteServer()) as s:
        yield s


def crawl(site: SiteServer, db: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return run_linkthread("crawl", "lobsters", *args, "--db", str(db),
                          env={"LINKTHREAD_LOBSTERS_BASE_URL": site.base_url, **env})


def stories(site: SiteServer, edited: str = "") -> list[str]:
    """Three stories (one merged into another, one a deep chain) served by ``site``."""
    first = [Node("c00001", children=[Node("c00002", user="bob", score=7),
                                      Node("c00003", text=f"third{edited}")]),
             Node("c00004", user="carol")]
    site.routes["/s/abc123.json"] = story("abc123", *first)
    site.routes["/s/def456.json"] = story("def456", chain(30))
    site.routes["/s/old111.json"] = Reply("", status=302, headers={"Location": "/s/def456.json"})
    return ["abc123", "def456", "old111"]


def errors(result: subprocess.CompletedProcess[str]) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.startswith("Error:")]


def test_the_loop_leaves_the_archive_the_spider_leaves(lobsters: SiteServer,
                                                       tmp_path: Path) -> None:
    stories(lobsters)
    fast, spider = tmp_path / "loop.db", tmp_path / "spider.db"
    for label, extra in (("first", ()), ("unchanged", ()), ("edited", ())):
        if label == "edited":
            stories(lobsters, edited=" (edited)")
        # The merged story first (its redirect), its thread by its own id later: a page
        # fetched twice in one second makes one visit row, so timing would decide it.
        asked = ["abc123", "old111"] if label == "first" else ["abc123", "def456"]
        a = crawl(lobsters, fast, *asked, *extra)
        b = crawl(lobsters, spider, *asked, *SPIDER)
        assert a.returncode == b.returncode == 0, (a.stderr[-2000:], b.stderr[-2000:])
        assert a.stdout.replace("loop.db", "spider.db") == b.stdout
        assert archive_rows(fast) == archive_rows(spider), label
    assert rows(fast, "SELECT unchanged, count(*) FROM thread_crawls GROUP BY unchanged") == [
        (0, 3), (1, 3)]


def test_an_unchanged_story_is_not_parsed_and_no_scrapy_is_loaded(
        lobsters: SiteServer, tmp_path: Path) -> None:
    ids = stories(lobsters)
    db = tmp_path / "a.db"
    code = ("import sys\nfrom scraper.parsers import lobsters\n"
            "calls = []\nparse = lobsters.parse_story\n"
            "lobsters.parse_story = lambda *a, **k: calls.append(1) or parse(*a, **k)\n"
            "from scraper.cli import cli\n"
            "try:\n    cli(sys.argv[1:])\nexcept SystemExit as e:\n    assert not e.code, e\n"
            "print(len(calls), sorted({m.split('.')[0] for m in sys.modules}"
            " & {'scrapy', 'twisted'}))")
    env = {**os.environ, "LINKTHREAD_LOBSTERS_BASE_URL": lobsters.base_url,
           "LINKTHREAD_DOWNLOAD_DELAY": "0"}

    def loaded() -> str:
        result = subprocess.run([sys.executable, "-c", code, "crawl", "lobsters", *ids,
                                 "--db", str(db)], cwd=ROOT, env=env, capture_output=True,
                                text=True, check=False)  # fmt: skip
        assert result.returncode == 0, result.stderr[-3000:]
        return result.stdout.splitlines()[-1]

    assert loaded() == "2 []"  # two stories parsed (old111 is def456's thread)
    tables = ("comments", "comment_versions", "story_snapshots")
    before = {t: rows(db, f"SELECT count(*) FROM {t}") for t in tables}
    assert loaded() == "0 []"  # unchanged: nothing parsed
    assert {t: rows(db, f"SELECT count(*) FROM {t}") for t in before} == before
    assert rows(db, "SELECT story_id, unchanged FROM thread_crawls WHERE crawl_id = 2"
                " ORDER BY story_id") == [("abc123", 1), ("def456", 1)]


def test_robots_refusal_and_crawl_delay_as_the_spider(lobsters: SiteServer,
                                                      tmp_path: Path) -> None:
    ids = stories(lobsters)
    lobsters.robots = "User-agent: *\nDisallow: /\nCrawl-delay: 1\n"
    a, b = crawl(lobsters, tmp_path / "a.db", *ids), crawl(lobsters, tmp_path / "b.db",
                                                           *ids, *SPIDER)
    assert a.returncode == b.returncode == 1
    assert errors(a) == errors(b) and len(errors(a)) == 1
    assert [p for _, p in lobsters.log] == ["/robots.txt", "/robots.txt"]
    assert archive_rows(tmp_path / "a.db") == archive_rows(tmp_path / "b.db")

    # Allowed, with a Crawl-delay: each crawl's requests keep it, through host_pace.
    lobsters.robots = "User-agent: *\nAllow: /\nCrawl-delay: 0.5\n"
    lobsters.log.clear()
    a = crawl(lobsters, tmp_path / "c.db", "abc123", "def456")
    assert a.returncode == 0, a.stderr[-2000:]
    times = [t for t, p in lobsters.log if p != "/robots.txt"]
    assert len(times) == 2 and times[1] - times[0] >= 0.5 - 0.05
    assert rows(tmp_path / "c.db", "SELECT host, delay FROM host_pace") == [
        ("127.0.0.1", 0.5)]


def test_back_off_soft_errors_and_failures_as_the_spider(lobsters: SiteServer,
                                                         tmp_path: Path) -> None:
    expected: list[str] = []
    for db, extra in ((tmp_path / "a.db", ()), (tmp_path / "b.db", SPIDER)):
        lobsters.routes.clear()
        lobsters.routes["/s/abc123.json"] = [
            Reply("Throttled", status=429, content_type="text/plain",
                  headers={"Retry-After": "0"}),
            Reply("", content_type=JSON),  # an empty body: a soft error, retried
            story("abc123", Node("c00001"))]
        lobsters.routes["/s/bad222.json"] = Reply("oops", status=500)
        lobsters.routes["/s/cut333.json"] = Reply('{"short_id": "cut333", "comm',
                                                  content_type=JSON)
        result = crawl(lobsters, db, "abc123", "bad222", "cut333", "gone44", *extra)
        assert result.returncode == 1
        if extra:
            # The spider's order is its downloader's; the loop's the targets'.
            assert sorted(errors(result)) == expected
        else:
            expected = sorted(errors(result))
    assert len(expected) == 3 and any("HTTP 500" in e for e in expected), expected
    a, b = archive_rows(tmp_path / "a.db"), archive_rows(tmp_path / "b.db")
    a.pop("crawls"), b.pop("crawls")
    # A page's row id is the order it was stored in: the spider's retried request goes
    # back into its queue, behind the others.
    for tables in (a, b):
        tables["pages"] = sorted((r[1:] for r in tables["pages"]), key=repr)
    assert a == b
    # The crawl's row: its message lists the failures in the order they happened.
    query = "SELECT command, args, status, pages, threads, comments, errors, message FROM crawls"
    (*same, message), = rows(tmp_path / "a.db", query)
    (*reference, spider_message), = rows(tmp_path / "b.db", query)
    assert same == reference
    assert sorted(message.split("; ")) == sorted(spider_message.split("; "))


def test_sigterm_stops_it_and_resume_finishes_it(lobsters: SiteServer, tmp_path: Path) -> None:
    lobsters.routes["/s/abc123.json"] = story("abc123", Node("c00001"))
    lobsters.routes["/s/def456.json"] = story("def456", Node("c00002"))
    lobsters.hold("/s/def456.json")  # the second story cannot come until released
    db = tmp_path / "a.db"
    env = {**os.environ, "LINKTHREAD_LOBSTERS_BASE_URL": lobsters.base_url,
           "LINKTHREAD_DOWNLOAD_DELAY": "0"}
    cmd = [str(LINKTHREAD)] if LINKTHREAD.exists() else [sys.executable, "-m", "scraper.cli"]
    proc = subprocess.Popen([*cmd, "crawl", "lobsters", "abc123", "def456", "--db", str(db)],
                            env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)  # fmt: skip
    try:
        assert lobsters.next_held() == "/s/def456.json"  # abc123 was stored before it
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 130, err[-3000:]
    assert f"interrupted: 1 of 2 targets done; finish with: linkthread crawl lobsters " \
           f"--resume --db {db}" in err
    assert rows(db, "SELECT status, threads FROM crawls") == [("interrupted", 1)]
    assert rows(db, "SELECT target, state FROM crawl_targets ORDER BY target") == [
        ("abc123", "done"), ("def456", "queued")]

    lobsters.release()
    result = crawl(lobsters, db, "--resume")
    assert result.returncode == 0, result.stderr[-3000:]
    assert rows(db, "SELECT story_id, id FROM comments ORDER BY id") == [
        ("abc123", "c00001"), ("def456", "c00002")]


def test_a_redirect_off_the_site_is_refused_not_followed(lobsters: SiteServer,
                                                         tmp_path: Path) -> None:
    with serve(SiteServer()) as elsewhere:
        elsewhere.routes["/s/abc123.json"] = story("abc123", Node("c00001"))
        lobsters.routes["/s/abc123.json"] = Reply(
            "", status=302, headers={"Location": f"{elsewhere.base_url}/s/abc123.json"})
        lobsters.routes["/s/def456.json"] = story("def456", Node("c00002"))
        result = crawl(lobsters, tmp_path / "a.db", "abc123", "def456")
        assert elsewhere.hits("/s/abc123.json") == 0
    assert result.returncode == 1, result.stderr[-3000:]
    assert any("refused" in e and "not on the site's base URL" in e
               for e in errors(result)), result.stderr[-3000:]
    # The other story is archived all the same, and nothing from the other host.
    assert rows(tmp_path / "a.db", "SELECT story_id, id FROM comments") == [("def456", "c00002")]


@pytest.mark.parametrize("status", [503, 500, 429])
def test_robots_txt_answered_by_an_error_forbids_everything_as_the_spider(
        lobsters: SiteServer, tmp_path: Path, status: int) -> None:
    ids = stories(lobsters)
    lobsters.fault = lambda target, asked, reply: (
        Reply("<h1>Service Unavailable</h1>", status=status) if target == "/robots.txt"
        else reply)
    a, b = crawl(lobsters, tmp_path / "a.db", *ids), crawl(lobsters, tmp_path / "b.db",
                                                           *ids, *SPIDER)
    assert a.returncode == b.returncode == 1
    assert errors(a) == errors(b) and len(errors(a)) == 1  # one line for the site
    assert f"robots.txt of {lobsters.base_url} could not be read (HTTP {status})" in errors(a)[0]
    assert "RFC 9309" in errors(a)[0] and "--ignore-robots" in errors(a)[0]
    # No story was asked for, by either crawl; robots.txt itself was retried as a page is.
    assert {p for _, p in lobsters.log} == {"/robots.txt"}
    assert archive_rows(tmp_path / "a.db") == archive_rows(tmp_path / "b.db")
    assert rows(tmp_path / "a.db", "SELECT count(*) FROM comments") == [(0,)]
