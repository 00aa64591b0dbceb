"""Broken answers of the OAuth API stand-in: HTML or JSON error bodies with status 200,
cut JSON, empty bodies, a dict where a list is due, a Listing of posts where comments
are due, and the error statuses (403 quarantined / private / banned, 404, 400). For a
thread's first page, a listing and a morechildren answer, through the direct loop and
the spider: one clear line, nothing half-written, a gap where a stub was lost."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import rows
from tests.redditapi import JSON, RedditAPI, listing, make_thread, post
from tests.reddithostile import WAYS, crawl, errors, gaps, rewrite, stand_in, stored_ids
from tests.server import Reply

pytestmark = pytest.mark.e2e

HTML = "text/html; charset=utf-8"
GOOD = json.dumps([listing([]), listing([])])  # only its length is used: a cut point


def bad_body(kind: str, good: str) -> Reply:
    """A broken answer of status 200 in place of ``good``."""
    if kind == "html":
        return Reply("<html><head><title>reddit.com: over capacity</title></head><body>"
                     "<h1>all of our servers are busy right now</h1></body></html>",
                     content_type=HTML)
    if kind == "json-error":
        return Reply(json.dumps({"message": "Internal Server Error", "error": 500}),
                     content_type=JSON)
    if kind == "cut":  # a whole answer as far as HTTP goes, its JSON cut in the middle
        return Reply(good[:len(good) // 2], content_type=JSON)
    if kind == "cut-connection":
        return Reply(good, content_type=JSON, truncate=True)
    if kind == "empty":
        return Reply("", content_type=JSON)
    if kind == "not-json":
        return Reply("{this is not json}", content_type=JSON)
    raise AssertionError(kind)


BODIES = ["html", "json-error", "cut", "cut-connection", "empty", "not-json"]


@pytest.fixture
def api() -> Iterator[RedditAPI]:
    with stand_in() as api:
        yield api


def nothing_stored(db: Path) -> None:
    assert rows(db, "SELECT count(*) FROM stories") == [(0,)]
    assert rows(db, "SELECT count(*) FROM comments") == [(0,)]


@WAYS
@pytest.mark.parametrize("kind", [*BODIES, "dict", "posts-for-comments", "one-listing"])
def test_a_broken_first_page_is_one_line_and_stores_nothing(api: RedditAPI, tmp_path: Path,
                                                            way: str, kind: str) -> None:
    thread = api.threads["abc12"] = make_thread(30, seed=21)

    def broken(path: str, query: dict[str, str], reply: Reply) -> Reply | None:
        if path != "/comments/abc12":
            return None
        text = reply.body if isinstance(reply.body, str) else reply.body.decode()
        if kind == "dict":
            return Reply(json.dumps(listing([post(thread)])), content_type=JSON)
        if kind == "posts-for-comments":
            return Reply(json.dumps([listing([post(thread)]), listing([post(thread)])]),
                         content_type=JSON)
        if kind == "one-listing":
            return Reply(json.dumps([listing([post(thread)])]), content_type=JSON)
        return bad_body(kind, text)
    rewrite(api, broken)
    db = tmp_path / "r.db"
    result = crawl(api, db, way, "abc12", real=kind == "html")  # one by the console script
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    (line,) = errors(result)
    assert line.startswith("Error: reddit item abc12:"), line
    nothing_stored(db)
    assert rows(db, "SELECT target, state FROM crawl_targets") == [("abc12", "failed")]


@WAYS
@pytest.mark.parametrize("kind", [*BODIES, "comments-response-of-another-post", "list"])
def test_a_broken_morechildren_answer_is_a_gap(api: RedditAPI, tmp_path: Path, way: str,
                                               kind: str) -> None:
    thread = api.threads["abc12"] = make_thread(60, seed=22)
    other = make_thread(3, seed=23, story_id="zzz99", first=30_000)

    # Every time: a body a retry may mend (an error object, an empty or cut one) is
    # asked again after a back-off, and stays broken.
    def broken(path: str, query: dict[str, str], reply: Reply) -> Reply | None:
        if path != "/api/morechildren":
            return None
        text = reply.body if isinstance(reply.body, str) else reply.body.decode()
        if kind == "comments-response-of-another-post":
            return Reply(json.dumps([listing([post(other)]), listing([])]), content_type=JSON)
        if kind == "list":
            return Reply(json.dumps([1, 2, 3]), content_type=JSON)
        return bad_body(kind, text)
    rewrite(api, broken)
    db = tmp_path / "r.db"
    result = crawl(api, db, way, "abc12")
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert "could not expand a stub" in result.stderr
    (gap,) = gaps(db)
    assert gap["story_id"] == "abc12" and gap["unexpanded"] > 0
    assert 0 < len(stored_ids(db)) < len(thread.nodes)
    assert rows(db, "SELECT count(*) FROM stories") == [(1,)]  # not zzz99's post


@pytest.mark.parametrize("kind", [*BODIES, "comments-for-posts", "dict-of-nothing"])
def test_a_broken_listing_is_one_line(api: RedditAPI, tmp_path: Path, kind: str) -> None:
    api.listings["r/test/hot"] = ["p0001", "p0002"]

    def broken(path: str, query: dict[str, str], reply: Reply) -> Reply | None:
        if path != "/r/test/hot":
            return None
        text = reply.body if isinstance(reply.body, str) else reply.body.decode()
        if kind == "comments-for-posts":
            t = make_thread(3, seed=24)
            return Reply(json.dumps(listing(api.render(t, t.tops, None, 0))),
                         content_type=JSON)
        if kind == "dict-of-nothing":
            return Reply(json.dumps({"kind": "Listing"}), content_type=JSON)
        return bad_body(kind, text)
    rewrite(api, broken)
    db = tmp_path / "r.db"
    result = crawl(api, db, "spider", "r/test", real=kind == "html")
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    (line,) = errors(result)
    assert line.startswith("Error: reddit r/test/hot:"), line
    assert rows(db, "SELECT count(*) FROM listing_snapshots") == [(0,)]


STATUSES = {
    "quarantined": (403, json.dumps({"reason": "quarantined", "message": "Forbidden",
                                     "error": 403}), JSON, "quarantined"),
    "private": (403, json.dumps({"reason": "private", "message": "Forbidden",
                                 "error": 403}), JSON, "private"),
    "banned": (403, json.dumps({"reason": "banned", "message": "Forbidden", "error": 403}),
               JSON, "banned"),
    "forbidden": (403, json.dumps({"message": "Forbidden", "error": 403}), JSON,
                  "quarantined subreddit not opted into"),
    "missing": (404, json.dumps({"message": "Not Found", "error": 404}), JSON,
                "no such post"),
    "bad-request": (400, "<html><body><h1>400 Bad Request</h1></body></html>", HTML,
                    "HTTP 400"),
}


@WAYS
@pytest.mark.parametrize("name", list(STATUSES))
def test_an_error_status_is_one_line(api: RedditAPI, tmp_path: Path, way: str,
                                     name: str) -> None:
    status, body, content_type, said = STATUSES[name]
    api.threads["abc12"] = make_thread(5, seed=25)

    def refused(path: str, query: dict[str, str], reply: Reply) -> Reply | None:
        return Reply(body, status=status, content_type=content_type) \
            if path == "/comments/abc12" else None
    rewrite(api, refused)
    db = tmp_path / "r.db"
    result = crawl(api, db, way, "abc12")
    assert result.returncode != 0
    (line,) = errors(result)
    assert line.startswith(f"Error: reddit item abc12: HTTP {status}") and said in line, line
    assert [t for _, t in api.site.log if t.startswith("/comments/")] == [
        "/comments/abc12?raw_json=1&sort=confidence"]  # asked once: an answer, not a fault
    nothing_stored(db)


@WAYS
@pytest.mark.parametrize("name", ["private", "missing", "bad-request"])
def test_an_error_status_on_a_stub_is_a_gap(api: RedditAPI, tmp_path: Path, way: str,
                                            name: str) -> None:
    status, body, content_type, _ = STATUSES[name]
    api.threads["abc12"] = make_thread(60, seed=26)
    done: list[int] = []

    def refused(path: str, query: dict[str, str], reply: Reply) -> Reply | None:
        if path != "/api/morechildren" or done:
            return None
        done.append(1)
        return Reply(body, status=status, content_type=content_type)
    rewrite(api, refused)
    db = tmp_path / "r.db"
    result = crawl(api, db, way, "abc12")
    assert result.returncode == 0, result.stderr
    assert f"HTTP {status}" in result.stderr and "kept as a gap" in result.stderr
    (gap,) = gaps(db)
    assert gap["unexpanded"] > 0
