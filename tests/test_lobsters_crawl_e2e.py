"""`linkthread crawl lobsters ...` end to end, against a stand-in Lobsters on 127.0.0.1
serving generated JSON at Lobsters' own paths (/s/ID.json, /hottest.json, /~NAME.json)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from itertools import pairwise
from pathlib import Path

import pytest

from tests.conftest import rows, run_linkthread
from tests.lobsterspages import Node, story_json
from tests.server import Reply, SiteServer, serve
from tests.test_politeness_e2e import SLACK

pytestmark = pytest.mark.e2e

JSON = "application/json; charset=utf-8"
# Lobsters' robots.txt since late 2025: named search engines only.
FORBIDDING = ("User-agent: Googlebot\nAllow: /\n\n"
              "User-agent: *\nDisallow: /\nCrawl-delay: 1\n")


@pytest.fixture
def lobsters() -> Iterator[SiteServer]:
    with serve(SiteServer()) as s:
        yield s


def story(sid: str, *comments: Node) -> Reply:
    return Reply(story_json(list(comments), sid=sid), content_type=JSON)


def listing(*sids: str) -> Reply:
    stories = []
    for sid in sids:
        obj = json.loads(story_json([], sid=sid))
        del obj["comments"]
        stories.append(obj)
    return Reply(json.dumps(stories), content_type=JSON)


def crawl(site: SiteServer, db: Path, *args: str, **env: str):  # type: ignore[no-untyped-def]
    return run_linkthread("crawl", "lobsters", *args, "--db", str(db),
                          env={"LINKTHREAD_LOBSTERS_BASE_URL": site.base_url, **env})


def paths(site: SiteServer) -> list[str]:
    return [t for _, t in site.log]


def test_a_story_by_its_url(lobsters: SiteServer, tmp_path: Path) -> None:
    lobsters.routes["/s/abc123.json"] = story(
        "abc123", Node("c00001", children=[Node("c00002", user="bob", score=7)]))
    db = tmp_path / "l.db"
    result = crawl(lobsters, db, f"{lobsters.base_url}/s/abc123/a_story")
    assert result.returncode == 0, result.stderr
    assert "archived 1 of 1 thread(s), 2 comments" in result.stdout
    assert rows(db, "SELECT site, id, title FROM stories") == [("lobsters", "abc123", "A story")]
    assert rows(db, "SELECT id, parent_id, author FROM comments ORDER BY id") == [
        ("c00001", None, "alice"), ("c00002", "c00001", "bob")]
    assert paths(lobsters) == ["/robots.txt", "/s/abc123.json"]
    assert rows(db, "SELECT command, status FROM crawls") == [("crawl lobsters", "finished")]


def test_a_listing_with_its_threads(lobsters: SiteServer, tmp_path: Path) -> None:
    lobsters.routes["/hottest.json"] = listing("abc123", "def456")
    lobsters.routes["/s/abc123.json"] = story("abc123", Node("c00001"))
    lobsters.routes["/s/def456.json"] = story("def456", Node("c00003"), Node("c00004"))
    db = tmp_path / "l.db"
    result = crawl(lobsters, db, "hottest", "--threads")
    assert result.returncode == 0, result.stderr
    assert rows(db, "SELECT listing, rank, story_id FROM listing_snapshots ORDER BY rank") == [
        ("hottest", 1, "abc123"), ("hottest", 2, "def456")]
    assert rows(db, "SELECT story_id, count(*) FROM comments GROUP BY story_id") == [
        ("abc123", 1), ("def456", 2)]
    assert sorted(rows(db, "SELECT kind, target, state FROM crawl_targets")) == [
        ("listing", "hottest", "done"), ("thread", "abc123", "done"),
        ("thread", "def456", "done")]


def test_a_user(lobsters: SiteServer, tmp_path: Path) -> None:
    lobsters.routes["/~alice.json"] = Reply(json.dumps({
        "username": "alice", "created_at": "2020-01-02T03:04:05.000-06:00", "karma": 42,
        "about": "Hi there"}), content_type=JSON)
    db = tmp_path / "l.db"
    result = crawl(lobsters, db, "user", "alice")
    assert result.returncode == 0, result.stderr
    assert rows(db, "SELECT site, id, karma FROM users") == [("lobsters", "alice", 42)]
    assert "lobsters user alice: profile stored" in result.stdout


def test_a_comment_url_crawls_its_story(lobsters: SiteServer, tmp_path: Path) -> None:
    lobsters.routes["/c/c00001.json"] = Reply(json.dumps({
        "short_id": "c00001", "url": "https://lobste.rs/s/abc123/a_story#c_c00001"}),
        content_type=JSON)
    lobsters.routes["/s/abc123.json"] = story("abc123", Node("c00001"))
    db = tmp_path / "l.db"
    result = crawl(lobsters, db, f"{lobsters.base_url}/c/c00001")
    assert result.returncode == 0, result.stderr
    assert rows(db, "SELECT id FROM comments") == [("c00001",)]


def test_a_merged_story_is_recorded_with_the_thread_it_went_into(
        lobsters: SiteServer, tmp_path: Path) -> None:
    # Lobsters redirects a merged story's JSON to the story it was merged into.
    lobsters.routes["/s/old111.json"] = Reply("", status=302,
                                              headers={"Location": "/s/abc123.json"})
    lobsters.routes["/s/abc123.json"] = story("abc123", Node("c00001"))
    db = tmp_path / "l.db"
    result = crawl(lobsters, db, "old111")
    assert result.returncode == 0, result.stderr
    assert rows(db, "SELECT id FROM stories ORDER BY id") == [("abc123",), ("old111",)]
    assert rows(db, "SELECT story_id, id FROM comments") == [("abc123", "c00001")]
    assert rows(db, "SELECT target, state FROM crawl_targets") == [("old111", "done")]


def test_robots_forbidding_everything_stops_the_crawl_with_one_line(
        lobsters: SiteServer, tmp_path: Path) -> None:
    lobsters.robots = FORBIDDING
    lobsters.routes["/s/abc123.json"] = story("abc123")
    db = tmp_path / "l.db"
    result = crawl(lobsters, db, "abc123", "hottest", "user", "alice", "--threads")
    assert result.returncode != 0
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1, result.stderr
    assert "'Disallow: /' (user-agent *)" in errors[0]
    assert "linkthread import" in errors[0] and "--ignore-robots" in errors[0]
    assert paths(lobsters) == ["/robots.txt"]  # nothing beyond it
    assert rows(db, "SELECT count(*) FROM stories") == [(0,)]


def test_ignore_robots_keeps_the_pace_and_is_recorded(
        lobsters: SiteServer, tmp_path: Path) -> None:
    lobsters.robots = FORBIDDING
    lobsters.routes["/hottest.json"] = listing("abc123", "def456")
    lobsters.routes["/s/abc123.json"] = story("abc123", Node("c00001"))
    lobsters.routes["/s/def456.json"] = story("def456", Node("c00002"))
    db = tmp_path / "l.db"
    delay = 0.4  # the site's 9 s, lowered for the test
    result = crawl(lobsters, db, "hottest", "--threads", "--ignore-robots",
                   LINKTHREAD_MIN_DELAY=str(delay))
    assert result.returncode == 0, result.stderr
    assert "Warning: ignoring robots.txt of Lobsters" in result.stderr
    assert sorted(paths(lobsters)) == ["/hottest.json", "/s/abc123.json", "/s/def456.json"]
    times = [t for t, _ in lobsters.log]
    # Arrival times: a request can reach the server later than it left (a new connection,
    # a loaded machine: 0.30 s after one that arrived late, seen), so the next one can
    # arrive sooner after it than it left; an unpaced crawl's arrive together.
    assert all(b - a >= delay - SLACK for a, b in pairwise(times)), times
    (args,) = rows(db, "SELECT args FROM crawls")
    assert json.loads(args[0])["ignore_robots"] is True


def test_a_429_with_retry_after_is_waited_out(lobsters: SiteServer, tmp_path: Path) -> None:
    lobsters.routes["/s/abc123.json"] = [
        Reply("Throttled, sleep(1) between hits", status=429, content_type="text/plain",
              headers={"Retry-After": "1"}),
        story("abc123", Node("c00001"))]
    db = tmp_path / "l.db"
    result = crawl(lobsters, db, "abc123")
    assert result.returncode == 0, result.stderr
    asked = [t for t, path in lobsters.log if path == "/s/abc123.json"]
    assert len(asked) == 2 and asked[1] - asked[0] >= 1.0 - 0.05
    assert rows(db, "SELECT id FROM comments") == [("c00001",)]


ERROR_PAGE = ("<!DOCTYPE html><html><head><title>Lobsters HTTP 502 status: Bad Gateway"
              "</title></head><body><p>The server is restarting.</p></body></html>")


@pytest.mark.parametrize("status", [200, 502])
def test_a_static_error_page_is_retried_never_a_thread(
        lobsters: SiteServer, tmp_path: Path, status: int) -> None:
    lobsters.routes["/s/abc123.json"] = [Reply(ERROR_PAGE, status=status),
                                         story("abc123", Node("c00001"))]
    db = tmp_path / "l.db"
    result = crawl(lobsters, db, "abc123")
    assert result.returncode == 0, result.stderr
    assert lobsters.hits("/s/abc123.json") == 2
    assert rows(db, "SELECT id FROM comments") == [("c00001",)]


def test_an_error_page_that_stays_fails_the_target(
        lobsters: SiteServer, tmp_path: Path) -> None:
    lobsters.routes["/s/abc123.json"] = Reply(ERROR_PAGE, status=200)
    db = tmp_path / "l.db"
    result = crawl(lobsters, db, "abc123", "-s", "LINKTHREAD_SOFT_RETRIES=1")
    assert result.returncode != 0
    assert "Error: lobsters item abc123:" in result.stderr
    assert "HTTP 502" in result.stderr
    assert rows(db, "SELECT count(*) FROM stories") == [(0,)]


def test_a_tag_listing_of_several_tags(lobsters: SiteServer, tmp_path: Path) -> None:
    lobsters.routes["/t/rust,go.json"] = listing("abc123")
    db = tmp_path / "l.db"
    result = crawl(lobsters, db, "t/rust,go")
    assert result.returncode == 0, result.stderr
    assert rows(db, "SELECT listing, story_id FROM listing_snapshots") == [
        ("t/rust,go", "abc123")]
    assert rows(db, "SELECT target, state FROM crawl_targets") == [("t/rust,go", "done")]


def test_an_unchanged_story_is_not_parsed_again(lobsters: SiteServer, tmp_path: Path) -> None:
    lobsters.routes["/s/abc123.json"] = story(
        "abc123", Node("c00001", children=[Node("c00002", user="bob")]))
    lobsters.routes["/s/old111.json"] = Reply("", status=302,
                                              headers={"Location": "/s/abc123.json"})
    db = tmp_path / "l.db"
    for target in ("abc123", "abc123", "old111"):
        result = crawl(lobsters, db, target)
        assert result.returncode == 0, result.stderr
    assert rows(db, "SELECT crawl_id, unchanged, archived FROM thread_crawls ORDER BY crawl_id"
                ) == [(1, 0, 2), (2, 1, 2), (3, 1, 2)]
    assert rows(db, "SELECT DISTINCT last_crawl_id FROM comments") == [(1,)]
    assert rows(db, "SELECT DISTINCT last_crawl_id FROM comments_seen") == [(3,)]
    assert rows(db, "SELECT id, merged_into FROM stories ORDER BY id") == [
        ("abc123", None), ("old111", "abc123")]
    assert rows(db, "SELECT crawl_id, target, state FROM crawl_targets ORDER BY crawl_id") == [
        (1, "abc123", "done"), (2, "abc123", "done"), (3, "old111", "done")]
