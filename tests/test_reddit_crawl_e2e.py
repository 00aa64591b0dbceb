"""`linkthread crawl reddit ...` end to end, against the OAuth API stand-in on 127.0.0.1
(tests/redditapi.py): whole threads from their stubs, one morechildren call at a time,
the rate-limit budget, the token refreshed on a 401, no request without credentials,
a capped expansion recorded as a gap, listings ranked, and a kill mid-expansion."""

from __future__ import annotations

import json
import os
import signal
import subprocess
from collections.abc import Iterator
from importlib.metadata import version
from itertools import pairwise
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.clirun import forked, in_process
from tests.conftest import LINKTHREAD, rows
from tests.redditapi import JSON, Cut, RedditAPI, env, make_thread
from tests.server import Reply, SiteServer, serve

pytestmark = pytest.mark.e2e


@pytest.fixture
def api() -> Iterator[RedditAPI]:
    with serve(SiteServer()) as site:
        yield RedditAPI(site)


def crawl(api: RedditAPI, db: Path, *args: str, **extra: str):  # type: ignore[no-untyped-def]
    """In a child forked from a warm parent (tests/clirun.py): the console script's start
    (~1 s of CPU a crawl) is not what these test; the kill below keeps the script."""
    return forked("crawl", "reddit", *args, "--db", str(db), env=env(api, **extra))


def paths(api: RedditAPI) -> list[str]:
    return [urlsplit(t).path for _, t in api.site.log]


def stored_tree(db: Path, story_id: str) -> list[tuple[str, str | None, int]]:
    return rows(db, "SELECT id, parent_id, position FROM comments WHERE story_id = ?"
                    " ORDER BY rowid", story_id)


def tree_in_order(db: Path, story_id: str) -> list[tuple[str, str | None, int]]:
    """The stored comments in display order (depth first, by position)."""
    found = rows(db, "SELECT id, parent_id, position FROM comments WHERE story_id = ?",
                 story_id)
    kids: dict[str | None, list[tuple[str, str | None, int]]] = {}
    for row in found:
        kids.setdefault(row[1], []).append(row)
    out: list[tuple[str, str | None, int]] = []

    def walk(parent: str | None) -> None:
        for row in sorted(kids.get(parent, []), key=lambda r: r[2]):
            out.append(row)
            walk(row[0])
    walk(None)
    return out


def test_a_thread_with_more_stubs_and_continue_threads_is_archived_whole(
        api: RedditAPI, tmp_path: Path) -> None:
    thread = api.threads["abc12"] = make_thread(150, seed=3, chain=9)
    db = tmp_path / "r.db"
    result = crawl(api, db, "https://www.reddit.com/r/test/comments/abc12/a_post/")
    assert result.returncode == 0, result.stderr
    assert "archived 1 of 1 thread(s), 159 comments" in result.stdout
    assert tree_in_order(db, "abc12") == thread.order()
    asked = paths(api)
    assert asked[:2] == ["/api/v1/access_token", "/comments/abc12"]
    first = api.answer("/comments/abc12", {})
    assert first is not None
    stubs = str(first.body).count('"kind": "more"')
    assert stubs >= 5 and str(first.body).count('"id": "_"') >= 1  # several stubs ...
    # ... expanded in fewer calls: one may ask for the ids of several stubs.
    assert 1 <= asked.count("/api/morechildren") < stubs
    assert any(p.startswith("/comments/abc12/_/") for p in asked)  # ... and continue-threads
    assert "/robots.txt" not in asked  # the API is not crawled as pages
    assert api.concurrent == 0
    assert rows(db, "SELECT declared, archived, unexpanded FROM thread_crawls") == [
        (159, 159, 0)]
    assert rows(db, "SELECT DISTINCT source FROM comments") == [("api",)]
    assert rows(db, "SELECT source FROM stories") == [("api",)]
    (args,) = rows(db, "SELECT args FROM crawls")[0]
    assert json.loads(args)["sort"] == "confidence"
    assert "secret" not in args and "hunter2" not in args
    assert api.agents == {f"python:linkthread:{version('linkthread')} (by /u/archivist)"}
    assert api.tokens == ["token-1"]  # one token, kept for its lifetime


def test_concurrent_morechildren_are_never_sent_whatever_the_settings(
        api: RedditAPI, tmp_path: Path) -> None:
    for k, sid in enumerate(("aaa11", "bbb22", "ccc33")):
        api.threads[sid] = make_thread(120, seed=k, story_id=sid, first=10_000 + 1000 * k)
    db = tmp_path / "r.db"
    result = crawl(api, db, "aaa11", "bbb22", "ccc33", "-s", "CONCURRENT_REQUESTS=8",
                   "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=8")
    assert result.returncode == 0, result.stderr
    assert api.concurrent == 0
    for sid, t in api.threads.items():
        assert tree_in_order(db, sid) == t.order()


def test_no_ids_call_asks_for_more_than_100(tmp_path: Path) -> None:
    with serve(SiteServer()) as site:
        api = RedditAPI(site, cut=Cut(top=2, kids=2, depth=50))
        thread = api.threads["abc12"] = make_thread(400, seed=9)
        db = tmp_path / "r.db"
        result = crawl(api, db, "abc12")
        assert result.returncode == 0, result.stderr
        sizes = [len(parse_qs(urlsplit(t).query)["children"][0].split(","))
                 for _, t in site.log if t.startswith("/api/morechildren")]
        assert max(sizes) == 100 and all(s <= 100 for s in sizes)
        assert tree_in_order(db, "abc12") == thread.order()


def test_the_budget_spreads_requests_over_the_window(api: RedditAPI, tmp_path: Path) -> None:
    api.threads["abc12"] = make_thread(60, seed=4)
    api.ratelimit = lambda n, target: {"X-Ratelimit-Used": str(n),
                                       "X-Ratelimit-Remaining": "10",
                                       "X-Ratelimit-Reset": "3"}  # 0.3 s a request
    db = tmp_path / "r.db"
    result = crawl(api, db, "abc12")
    assert result.returncode == 0, result.stderr
    signed = [at for at, t in api.site.log if not t.startswith("/api/v1/")]
    assert len(signed) >= 3
    # Arrival times: one request can reach a loaded machine's server late and the next
    # on time, so each gap has slack; on average the pace is the budget's.
    assert all(b - a >= 0.3 - 0.15 for a, b in pairwise(signed))
    assert (signed[-1] - signed[0]) / (len(signed) - 1) >= 0.3 - 0.02
    # The pace every crawl of the archive shares: the budget's, not the default's.
    assert rows(db, "SELECT host, delay FROM host_pace") == [("127.0.0.1", 0.3)]


def test_a_401_fetches_a_new_token_once(api: RedditAPI, tmp_path: Path) -> None:
    thread = api.threads["abc12"] = make_thread(30, seed=5)
    api.refuse_once = True
    db = tmp_path / "r.db"
    result = crawl(api, db, "abc12")
    assert result.returncode == 0, result.stderr
    assert api.tokens == ["token-1", "token-2"] and api.grants == ["password", "password"]
    assert api.refused == ["/comments/abc12?raw_json=1&sort=confidence"]
    assert tree_in_order(db, "abc12") == thread.order()


def test_a_client_refused_again_after_a_new_token_is_one_line(api: RedditAPI,
                                                              tmp_path: Path) -> None:
    api.threads["abc12"] = make_thread(5, seed=5)
    api.refuse_always = True
    db = tmp_path / "r.db"
    result = crawl(api, db, "abc12", "r/test")
    assert result.returncode != 0
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert errors == ["Error: reddit: the API refused a fresh token too (HTTP 401): check "
                      "that the app is approved and the credentials are its own"]
    assert len(api.tokens) == 2  # one refresh, no more


def test_wrong_credentials_are_one_line_and_no_api_request(api: RedditAPI,
                                                           tmp_path: Path) -> None:
    db = tmp_path / "r.db"
    result = crawl(api, db, "abc12", LINKTHREAD_REDDIT_PASSWORD="wrong")
    assert result.returncode != 0
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and "invalid_grant" in errors[0], result.stderr
    assert "wrong" not in result.stderr and "hunter2" not in result.stderr
    assert paths(api) == ["/api/v1/access_token"]


def test_no_credentials_make_no_request(api: RedditAPI, tmp_path: Path) -> None:
    db = tmp_path / "r.db"
    bare = {k: "" for k in ("LINKTHREAD_REDDIT_CLIENT_ID", "LINKTHREAD_REDDIT_CLIENT_SECRET",
                            "LINKTHREAD_REDDIT_USERNAME", "LINKTHREAD_REDDIT_PASSWORD")}
    result = crawl(api, db, "abc12", **bare)
    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == [
        "Error: Reddit needs your own approved API client: create a 'script' app at "
        "https://www.reddit.com/prefs/apps (and have it approved under Reddit's "
        "Responsible Builder Policy), then set LINKTHREAD_REDDIT_CLIENT_ID and "
        "LINKTHREAD_REDDIT_CLIENT_SECRET with LINKTHREAD_REDDIT_USERNAME and "
        "LINKTHREAD_REDDIT_PASSWORD (or LINKTHREAD_REDDIT_REFRESH_TOKEN), or put them in "
        "/nonexistent/reddit.ini"]
    assert api.site.log == []
    assert not db.exists()


def test_max_requests_leaves_a_gap_that_gaps_reports_then_a_crawl_fills(
        tmp_path: Path) -> None:
    with serve(SiteServer()) as site:
        # No continue-threads: every comment left out is counted by a stub.
        api = RedditAPI(site, cut=Cut(top=4, kids=2, depth=50))
        thread = api.threads["abc12"] = make_thread(200, seed=6)
        db = tmp_path / "r.db"
        result = crawl(api, db, "abc12", "--max-requests", "1")
        assert result.returncode == 0, result.stderr
        assert "left unexpanded" in result.stderr
        ((stored,),) = rows(db, "SELECT count(*) FROM comments")
        assert 0 < stored < 200
        gaps = json.loads(in_process("gaps", "--json", "--db", str(db)).stdout)
        assert gaps == [{"kind": "short", "site": "reddit", "story_id": "abc12",
                         "title": "Post abc12", "seen_at": gaps[0]["seen_at"],
                         "declared": 200, "archived": stored, "dead": 0, "deleted": 0,
                         "unexpanded": 200 - stored, "shortfall": 200 - stored}]

        again = crawl(api, db, "abc12")
        assert again.returncode == 0, again.stderr
        assert tree_in_order(db, "abc12") == thread.order()
        assert json.loads(in_process("gaps", "--json", "--db", str(db)).stdout) == []


def test_a_listing_pages_by_after_with_ranks_across_pages(api: RedditAPI,
                                                          tmp_path: Path) -> None:
    ids = [f"p{k:04d}" for k in range(250)]
    api.listings["r/test/hot"] = ids
    db = tmp_path / "r.db"
    result = crawl(api, db, "r/test", "--pages", "3")
    assert result.returncode == 0, result.stderr
    assert rows(db, "SELECT page, rank, story_id FROM listing_snapshots ORDER BY rank") == [
        (1 + k // 100, k + 1, sid) for k, sid in enumerate(ids)]
    assert rows(db, "SELECT kind, target, state FROM crawl_targets") == [
        ("listing", "r/test/hot", "done")]
    assert rows(db, "SELECT DISTINCT source FROM stories") == [("api",)]
    pages = [urlsplit(t) for _, t in api.site.log][1:]
    assert [p.path for p in pages] == ["/r/test/hot"] * 3
    assert [parse_qs(p.query).get("after") for p in pages] == [
        None, ["t3_p0099"], ["t3_p0199"]]


def test_the_1000_item_cap_is_said(api: RedditAPI, tmp_path: Path) -> None:
    api.listings["r/test/new"] = [f"p{k:04d}" for k in range(1000)]
    db = tmp_path / "r.db"
    result = crawl(api, db, "r/test/new", "--pages", "12")
    assert result.returncode == 0, result.stderr
    assert "Reddit lists no more than 1000 items" in result.stderr
    assert rows(db, "SELECT max(rank) FROM listing_snapshots") == [(1000,)]


def test_a_kill_mid_expansion_then_resume_ends_whole(api: RedditAPI, tmp_path: Path) -> None:
    thread = api.threads["abc12"] = make_thread(150, seed=7, chain=6)
    api.hold_call = 2
    db = tmp_path / "r.db"
    cmd = [str(LINKTHREAD)] if LINKTHREAD.exists() else ["python", "-m", "scraper.cli"]
    full = {**os.environ, "LINKTHREAD_DOWNLOAD_DELAY": "0", "LINKTHREAD_MIN_DELAY": "0",
            **env(api)}
    proc = subprocess.Popen([*cmd, "crawl", "reddit", "abc12", "--db", str(db)], env=full,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        assert api.holding.wait(120), "the crawl never reached its second morechildren call"
        proc.send_signal(signal.SIGKILL)
        proc.wait(60)
    finally:
        api.go_on.set()
        if proc.poll() is None:
            proc.kill()
    assert rows(db, "SELECT count(*) FROM comments") == [(0,)]  # nothing half-stored
    api.hold_call = None
    result = crawl(api, db, "--resume")
    assert result.returncode == 0, result.stderr
    assert tree_in_order(db, "abc12") == thread.order()
    assert rows(db, "SELECT count(*), count(DISTINCT id) FROM comments") == [(156, 156)]
    assert rows(db, "SELECT state FROM crawl_targets WHERE target = 'abc12' ORDER BY crawl_id"
                ) == [("resumed",), ("done",)]


def test_a_comment_permalink_or_fullname_archives_the_whole_thread(
        api: RedditAPI, tmp_path: Path) -> None:
    thread = api.threads["abc12"] = make_thread(20, seed=8)
    other = api.threads["def34"] = make_thread(10, seed=9, story_id="def34", first=20_000)
    cid, oid = thread.tops[1], other.tops[0]
    db = tmp_path / "r.db"
    result = crawl(api, db, f"https://old.reddit.com/r/test/comments/abc12/a_post/{cid}/",
                   f"t1_{oid}")
    assert result.returncode == 0, result.stderr
    assert tree_in_order(db, "abc12") == thread.order()
    assert tree_in_order(db, "def34") == other.order()
    assert f"/api/info?raw_json=1&id=t1_{oid}" in [t for _, t in api.site.log]


def test_errors_are_one_line_each(api: RedditAPI, tmp_path: Path) -> None:
    api.site.routes["/r/ferguson/hot?raw_json=1&limit=100"] = Reply(json.dumps(
        {"reason": "quarantined", "message": "Forbidden", "error": 403}), status=403,
        content_type=JSON)
    api.site.routes["/comments/zzz99?raw_json=1&sort=confidence"] = Reply(json.dumps(
        {"message": "Not Found", "error": 404}), status=404, content_type=JSON)
    db = tmp_path / "r.db"
    result = crawl(api, db, "r/ferguson", "zzz99")
    assert result.returncode != 0
    errors = sorted(line for line in result.stderr.splitlines() if line.startswith("Error:"))
    assert len(errors) == 2, result.stderr
    assert errors[0].startswith("Error: reddit item zzz99: HTTP 404") and \
        "no such post" in errors[0]
    assert errors[1].startswith("Error: reddit r/ferguson/hot: HTTP 403") and \
        "quarantined" in errors[1]
    assert rows(db, "SELECT count(*) FROM stories") == [(0,)]


def test_a_user_profile(api: RedditAPI, tmp_path: Path) -> None:
    api.users["someone"] = 1234
    db = tmp_path / "r.db"
    result = crawl(api, db, "user", "someone")
    assert result.returncode == 0, result.stderr
    assert "reddit user someone: profile stored" in result.stdout
    assert rows(db, "SELECT site, id, karma, source FROM users") == [
        ("reddit", "someone", 1241, "api")]


def test_a_user_with_threads_archives_the_threads_of_their_comments(
        api: RedditAPI, tmp_path: Path) -> None:
    one = api.threads["abc12"] = make_thread(40, seed=1)
    two = api.threads["def34"] = make_thread(40, seed=2, story_id="def34", first=20_000)
    api.threads["ghi56"] = make_thread(3, seed=3, story_id="ghi56", first=30_000)
    # user13 wrote comments in the first two threads only (ids are the stand-in's).
    authors = {t.id: {f"user{int(c[1:], 36) % 97}" for c in t.nodes}
               for t in api.threads.values()}
    name = next(iter(sorted((authors["abc12"] & authors["def34"]) - authors["ghi56"])))
    api.users[name] = 5
    db = tmp_path / "r.db"
    result = crawl(api, db, "user", name, "--threads")
    assert result.returncode == 0, result.stderr
    assert rows(db, "SELECT id FROM users") == [(name,)]
    assert tree_in_order(db, "abc12") == one.order()
    assert tree_in_order(db, "def34") == two.order()
    assert rows(db, "SELECT count(*) FROM comments WHERE story_id = 'ghi56'") == [(0,)]


def test_the_published_limit_holds_by_default(api: RedditAPI, tmp_path: Path) -> None:
    api.threads["abc12"] = make_thread(30, seed=4, recent=5)  # a few stubs: a few calls
    db = tmp_path / "r.db"
    result = crawl(api, db, "abc12", LINKTHREAD_MIN_DELAY="")  # the site's own: 0.6 s
    assert result.returncode == 0, result.stderr
    signed = [at for at, t in api.site.log if not t.startswith("/api/v1/")]
    assert len(signed) >= 3
    # The pace the crawl keeps, as it recorded it for every crawl of the host...
    assert rows(db, "SELECT host, delay FROM host_pace") == [("127.0.0.1", 0.6)]
    # ...and as the server saw it. Arrival times: a loaded machine's server can log one
    # request late and the next on time, so each gap has slack (no pace at all is ~0 s);
    # the mean over them all has little.
    assert all(b - a >= 0.6 - 0.3 for a, b in pairwise(signed)), signed
    assert (signed[-1] - signed[0]) / (len(signed) - 1) >= 0.6 - 0.02, signed


def test_a_top_listing_of_a_period(api: RedditAPI, tmp_path: Path) -> None:
    api.listings["r/test/top"] = ["p0001", "p0002"]
    db = tmp_path / "r.db"
    result = crawl(api, db, "r/test/top", "--time", "week")
    assert result.returncode == 0, result.stderr
    assert [t for _, t in api.site.log][1:] == ["/r/test/top?t=week&raw_json=1&limit=100"]
    assert rows(db, "SELECT listing, rank, story_id FROM listing_snapshots") == [
        ("r/test/top?t=week", 1, "p0001"), ("r/test/top?t=week", 2, "p0002")]
    assert rows(db, "SELECT target, state FROM crawl_targets") == [
        ("r/test/top?t=week", "done")]


def test_a_ratelimit_answer_is_fetched_again_after_a_back_off(api: RedditAPI,
                                                             tmp_path: Path) -> None:
    thread = api.threads["abc12"] = make_thread(40, seed=2)
    api.throttle_once = True
    db = tmp_path / "r.db"
    result = crawl(api, db, "abc12")
    assert result.returncode == 0, result.stderr
    assert tree_in_order(db, "abc12") == thread.order()
    assert rows(db, "SELECT unexpanded FROM thread_crawls") == [(0,)]
    first = next(t for _, t in api.site.log if t.startswith("/api/morechildren"))
    assert [t for _, t in api.site.log].count(first) == 2  # the same call, once more


def test_a_token_is_renewed_when_its_lifetime_ends(tmp_path: Path) -> None:
    with serve(SiteServer()) as site:
        # A 61 s token is kept 1 s (a minute early); the crawl takes longer than that.
        api = RedditAPI(site, cut=Cut(top=2, kids=1, depth=50), lifetime=61)
        thread = api.threads["abc12"] = make_thread(60, seed=4, recent=3)
        api.ratelimit = lambda n, target: {"X-Ratelimit-Remaining": "10",
                                           "X-Ratelimit-Reset": "8"}  # 0.8 s a request
        db = tmp_path / "r.db"
        result = crawl(api, db, "abc12")
        assert result.returncode == 0, result.stderr
        signed = [at for at, t in site.log if not t.startswith("/api/v1/")]
        # A request is signed as it enters the downloader, before its turn's wait.
        assert signed[-2] - signed[0] > 1.0
        assert len(api.tokens) >= 2 and api.refused == []  # renewed before it ran out
        assert tree_in_order(db, "abc12") == thread.order()
