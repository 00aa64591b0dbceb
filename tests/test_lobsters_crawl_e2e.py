"""Crawling Lobsters end to end: the real console script against a stand-in Lobsters on
127.0.0.1 that serves generated JSON at the site's own paths."""

from __future__ import annotations

import json
from itertools import pairwise
from pathlib import Path

import pytest

from tests import lobsterspages as lp
from tests.conftest import rows, run_linkthread
from tests.server import Reply, SiteServer

pytestmark = pytest.mark.e2e

JSON = "application/json"
# Lobsters' robots.txt since late 2025, less the search engines it names.
LOBSTERS_ROBOTS = "User-agent: *\nDisallow: /\nCrawl-delay: 1\n"
PACE = 0.5  # the published limit (9 s) lowered for the stand-in, as a test may


def thread(sid: str) -> list[lp.Node]:
    return [lp.Node(id=f"{sid[:4]}a1", children=[lp.Node(id=f"{sid[:4]}a2", user="bob")]),
            lp.Node(id=f"{sid[:4]}a3", user="carol")]


def serve_story(site: SiteServer, sid: str) -> list[lp.Node]:
    nodes = thread(sid)
    site.routes[f"/s/{sid}.json"] = Reply(lp.story_json(nodes, sid=sid), content_type=JSON)
    return nodes


def crawl(site: SiteServer, db: Path, *args: str) -> tuple[int, str, str]:
    env = {"LINKTHREAD_LOBSTERS_BASE_URL": site.base_url, "LINKTHREAD_MIN_DELAY": str(PACE)}
    result = run_linkthread("crawl", "lobsters", *args, "--db", str(db), env=env)
    return result.returncode, result.stdout, result.stderr


def stored_tree(db: Path, sid: str) -> list[tuple]:
    return rows(db, "SELECT id, parent_id, depth, position, author, score FROM comments"
                    " WHERE site = 'lobsters' AND story_id = ? ORDER BY id", sid)


def test_a_story_is_archived_whole_with_its_tree(site: SiteServer, tmp_path: Path) -> None:
    serve_story(site, "abc123")
    db = tmp_path / "l.db"
    code, out, err = crawl(site, db, "https://lobste.rs/s/abc123/a_story")

    assert code == 0, err[-3000:]
    assert "archived 1 of 1 thread(s), 3 comments" in out
    assert stored_tree(db, "abc123") == [
        ("abc1a1", None, 0, 0, "alice", 3), ("abc1a2", "abc1a1", 1, 0, "bob", 3),
        ("abc1a3", None, 0, 1, "carol", 3)]
    assert rows(db, "SELECT site, id, title, comment_count FROM stories") == [
        ("lobsters", "abc123", "A story", 3)]
    assert rows(db, "SELECT tag FROM story_tags ORDER BY tag") == [("meta",), ("programming",)]


def test_a_listing_with_threads_and_a_user(site: SiteServer, tmp_path: Path) -> None:
    listed = []
    for sid in ("aaa111", "bbb222"):
        serve_story(site, sid)
        story = json.loads(site.routes[f"/s/{sid}.json"].body)  # type: ignore[union-attr]
        story.pop("comments")
        listed.append(story)
    site.routes["/hottest.json"] = Reply(json.dumps(listed), content_type=JSON)
    site.routes["/~alice.json"] = Reply(json.dumps({
        "username": "alice", "created_at": "2020-01-02T03:04:05.000-06:00", "karma": 42,
        "about": "<p>hi</p>", "is_admin": False, "is_moderator": False}), content_type=JSON)
    db = tmp_path / "l.db"
    code, out, err = crawl(site, db, "hottest", "--threads", "user", "alice")

    assert code == 0, err[-3000:]
    assert rows(db, "SELECT listing, rank, story_id FROM listing_snapshots ORDER BY rank") == [
        ("hottest", 1, "aaa111"), ("hottest", 2, "bbb222")]
    assert [len(stored_tree(db, sid)) for sid in ("aaa111", "bbb222")] == [3, 3]
    assert rows(db, "SELECT site, id, karma FROM users") == [("lobsters", "alice", 42)]
    assert "profile stored" in out


def test_robots_txt_forbidding_everything_stops_the_crawl_in_one_line(
        site: SiteServer, tmp_path: Path) -> None:
    serve_story(site, "abc123")
    site.robots = LOBSTERS_ROBOTS
    code, _, err = crawl(site, tmp_path / "l.db", "abc123")

    assert code == 1
    assert [t for _, t in site.log] == ["/robots.txt"]  # no request beyond robots.txt
    errors = [line for line in err.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1
    assert "'Disallow: /' (user-agent *)" in errors[0]
    assert "linkthread import" in errors[0] and "--ignore-robots" in errors[0]
    assert "Traceback" not in err


def test_ignore_robots_keeps_the_pace_is_recorded_and_waits_out_a_429(
        site: SiteServer, tmp_path: Path) -> None:
    for sid in ("aaa111", "bbb222", "ccc333"):
        serve_story(site, sid)
    site.routes["/s/bbb222.json"] = [
        Reply("slow down", status=429, content_type="text/plain",
              headers={"Retry-After": "2"}),
        site.routes["/s/bbb222.json"]]  # type: ignore[list-item]
    site.robots = LOBSTERS_ROBOTS
    db = tmp_path / "l.db"
    code, _, err = crawl(site, db, "aaa111", "bbb222", "ccc333", "--ignore-robots")

    assert code == 0, err[-3000:]
    assert "Warning: ignoring robots.txt of Lobsters (--ignore-robots)" in err
    asked = [(t, at) for at, t in site.log if t != "/robots.txt"]
    gaps = [b - a for (_, a), (_, b) in pairwise(asked)]
    assert len(asked) == 4 and min(gaps) >= PACE * 0.95, asked
    # The 429 asked for 2 s: the same story was not asked again sooner.
    again = [at for t, at in asked if t == "/s/bbb222.json"]
    assert again[1] - again[0] >= 2 * 0.95
    assert [len(stored_tree(db, sid)) for sid in ("aaa111", "bbb222", "ccc333")] == [3, 3, 3]
    [(args,)] = rows(db, "SELECT args FROM crawls")
    assert json.loads(args)["ignore_robots"] is True
