"""Shapes of Reddit's real answers (PRAW's recorded exchanges) that the generated ones
lacked: each generated here, read by the parsers and through ``linkthread import``.

* the newer error objects: no ``error`` number, the status's phrase as ``message``, a
  code as ``reason``, often an ``explanation`` and ``fields``;
* a 403 of a user's own listings (saved, hidden, upvoted, downvoted), not a subreddit's;
* listings of comments (``r/SUB/comments``, a user's comments, overview and saved
  pages): t1 rows, or t1 and t3 rows mixed."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from scraper.parsers.errors import NoSuchItem, ParseError
from scraper.parsers.reddit.errors import ApiError, error_status, read_json
from scraper.parsers.reddit.listing import parse_listing
from tests.test_import import run_import, write

NOW = datetime(2026, 1, 2, tzinfo=UTC)


def coded(message: str, reason: str, **more: object) -> str:
    return json.dumps({"message": message, "reason": reason, **more})


@pytest.mark.parametrize(("body", "status", "kind", "said"), [
    (coded("Bad Request", "USER_DOESNT_EXIST", explanation="that user is gone",
           fields=["id"]), 400, ApiError, "HTTP 400 Bad Request: that user is gone "
                                          "(USER_DOESNT_EXIST)"),
    (coded("Not Found", "PAGE_NOT_FOUND"), 404, NoSuchItem,
     "HTTP 404 Not Found: PAGE_NOT_FOUND"),
    (coded("Forbidden", "INVALID_CSS", explanation="%(css_error)s"), 403, ApiError,
     "HTTP 403 Forbidden: %(css_error)s (INVALID_CSS)"),
    (coded("Bad Request", "SUBMIT_VALIDATION_ERROR", error_type="X", fields=["title"]),
     400, ApiError, "HTTP 400 Bad Request: SUBMIT_VALIDATION_ERROR"),
])
def test_an_error_object_without_its_number_is_one_line(body: str, status: int,
                                                        kind: type, said: str) -> None:
    assert error_status(json.loads(body)) == status
    with pytest.raises(kind) as raised:
        read_json(body, url="https://oauth.reddit.com/r/x/about")
    assert said in str(raised.value)
    if isinstance(raised.value, ApiError):
        assert raised.value.status == status


@pytest.mark.parametrize("body", [
    coded("Forbidden", "x", data={}),  # a key no error object has
    json.dumps({"message": "Hello there", "reason": "x"}),  # no status's phrase
    json.dumps({"message": "Not Found"}),  # no code
    json.dumps({"kind": "t2", "data": {"name": "a"}}),
])
def test_other_objects_are_no_error(body: str) -> None:
    assert error_status(json.loads(body)) is None


def test_a_403_of_a_users_own_listing_says_so() -> None:
    body = json.dumps({"message": "Forbidden", "error": 403})
    with pytest.raises(ApiError) as user:
        read_json(body, url="https://oauth.reddit.com/user/someone/saved?limit=100")
    assert "saved, hidden, upvoted and downvoted listings are theirs alone" in str(user.value)
    with pytest.raises(ApiError) as sub:
        read_json(body, url="https://oauth.reddit.com/r/some/hot")
    assert "quarantined" in str(sub.value) and "saved" not in str(sub.value)


def listing(*kinds: str) -> str:
    rows = [{"kind": kind, "data": {"id": f"x{i}", "name": f"{kind}_x{i}",
                                    "link_id": "t3_p1", "title": "a post",
                                    "body": "a comment", "created_utc": 1.7e9}}
            for i, kind in enumerate(kinds)]
    return json.dumps({"kind": "Listing", "data": {"after": None, "children": rows}})


@pytest.mark.parametrize(("kinds", "held"), [
    (("t1", "t1", "t1"), "3 comment(s))"),
    (("t3", "t1", "t1", "t3"), "2 comment(s) and 2 post(s)"),
])
def test_a_listing_of_comments_is_refused_in_one_line(kinds: tuple[str, ...],
                                                      held: str) -> None:
    with pytest.raises(ParseError) as raised:
        parse_listing(listing(*kinds), url="https://oauth.reddit.com/user/a/overview",
                      fetched_at=NOW)
    assert f"a listing of comments ({held}" in str(raised.value)
    assert "its thread is what to archive" in str(raised.value)


@pytest.mark.parametrize("url", ["https://oauth.reddit.com/r/a/comments/?limit=100",
                                 "https://www.reddit.com/user/a/overview.json"])
def test_an_empty_page_of_a_listing_of_comments_is_no_listing_of_posts(url: str) -> None:
    with pytest.raises(ParseError) as raised:
        parse_listing(listing(), url=url, fetched_at=NOW)
    assert "a listing of comments (0 comment(s))" in str(raised.value)


def test_a_listing_of_posts_still_reads() -> None:
    read = parse_listing(listing("t3", "t3"), url="https://oauth.reddit.com/r/a/new",
                         fetched_at=NOW)
    assert [e.story_id for e in read.entries] == ["x0", "x1"]
    empty = parse_listing(listing(), url="https://oauth.reddit.com/user/a/submitted",
                          fetched_at=NOW)
    assert empty.entries == ()


def test_saved_answers_of_these_shapes_import_as_their_one_line(tmp_path: Path) -> None:
    host = tmp_path / "www.reddit.com"
    comments = write(host / "user" / "a" / "comments.json", listing("t1", "t1"))
    mixed = write(host / "user" / "a" / "overview.json", listing("t1", "t3"))
    error = write(host / "user" / "gone" / "about.json",
                  coded("Not Found", "USER_DOESNT_EXIST", explanation="no such user"))
    result = run_import(comments, mixed, error, "--db", tmp_path / "a.db")
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert "not a page of a site" not in result.output
    assert result.output.count("a listing of comments (") == 2
    assert "HTTP 404 Not Found: no such user (USER_DOESNT_EXIST)" in result.output
