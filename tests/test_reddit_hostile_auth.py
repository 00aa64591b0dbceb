"""The OAuth API stand-in's rate-limit headers garbled, absent or asking for days,
its token endpoint answering junk, and a client the API refuses for good: through the
direct loop and the spider, the crawl goes on, or stops with one clear line, never
loops and never sleeps for days."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.redditapi import AUTH_PATH, JSON, RedditAPI, make_thread
from tests.reddithostile import WAYS, crawl, errors, gaps, stand_in
from tests.server import Reply
from tests.test_reddit_crawl_e2e import tree_in_order

pytestmark = pytest.mark.e2e

@pytest.fixture
def api() -> Iterator[RedditAPI]:
    with stand_in() as api:
        yield api


def api_requests(api: RedditAPI) -> list[str]:
    return [t for _, t in api.site.log if not t.startswith("/api/v1/")]


GARBLED = {
    "words": {"X-Ratelimit-Used": "some", "X-Ratelimit-Remaining": "plenty",
              "X-Ratelimit-Reset": "soon"},
    "negative": {"X-Ratelimit-Used": "-4", "X-Ratelimit-Remaining": "-3",
                 "X-Ratelimit-Reset": "-10"},
    "floats": {"X-Ratelimit-Used": "1.5", "X-Ratelimit-Remaining": "598.0",
               "X-Ratelimit-Reset": "0.25"},
    "fraction-left": {"X-Ratelimit-Remaining": "0.4", "X-Ratelimit-Reset": "0.05"},
    "nan-inf": {"X-Ratelimit-Remaining": "nan", "X-Ratelimit-Reset": "inf"},
    "empty": {"X-Ratelimit-Remaining": "", "X-Ratelimit-Reset": ""},
    "absent": {},
}


@WAYS
@pytest.mark.parametrize("name", list(GARBLED))
def test_garbled_ratelimit_headers_do_not_stop_the_crawl(api: RedditAPI, tmp_path: Path,
                                                         way: str, name: str) -> None:
    thread = api.threads["abc12"] = make_thread(60, seed=31)
    api.ratelimit = lambda n, target: dict(GARBLED[name])
    db = tmp_path / "r.db"
    result = crawl(api, db, way, "abc12", real=name == "absent")  # one by the console script
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert tree_in_order(db, "abc12") == thread.order()
    assert gaps(db) == []


@WAYS
@pytest.mark.parametrize("reset", ["864000", "9999999999", "1e15"])
@pytest.mark.parametrize("left", ["0", "1"])
def test_a_reset_days_away_is_capped_and_said(api: RedditAPI, tmp_path: Path, way: str,
                                              reset: str, left: str) -> None:
    thread = api.threads["abc12"] = make_thread(40, seed=32)
    # Only the first answer asks for days; the cap (a fraction of a second here, 600 s
    # by default) is what the crawl waits.
    api.ratelimit = lambda n, target: (
        {"X-Ratelimit-Remaining": left, "X-Ratelimit-Reset": reset} if n == 1 else
        {"X-Ratelimit-Remaining": "1000", "X-Ratelimit-Reset": "1"})
    db = tmp_path / "r.db"
    result = crawl(api, db, way, "abc12", LINKTHREAD_MAX_RATELIMIT_WAIT="0.3")
    assert result.returncode == 0, result.stderr
    assert "waiting 0.3 s at most" in result.stderr, result.stderr
    assert tree_in_order(db, "abc12") == thread.order()


def token_answer(api: RedditAPI, reply: Reply) -> None:
    api.site.fault = lambda target, n, due: reply if target.startswith(AUTH_PATH) else due


REFUSED_TOKENS = {
    "not-json": (Reply("<html>upstream error</html>", content_type="text/html"),
                 "not a token"),
    "a-list": (Reply("[1, 2]", content_type=JSON), "not a token"),
    "no-access-token": (Reply(json.dumps({"token_type": "bearer", "expires_in": 3600}),
                              content_type=JSON), "without an access_token"),
    "access-token-not-text": (Reply(json.dumps({"access_token": 12345, "expires_in": 3600}),
                                    content_type=JSON), "without an access_token"),
    "error": (Reply(json.dumps({"error": "invalid_grant"}), content_type=JSON),
              "refused the credentials (invalid_grant)"),
    "401": (Reply(json.dumps({"message": "Unauthorized", "error": 401}), status=401,
                  content_type=JSON), "refused the client id or secret"),
    "500": (Reply("oops", status=500, content_type="text/plain"), "HTTP 500"),
}


@WAYS
@pytest.mark.parametrize("name", list(REFUSED_TOKENS))
def test_a_token_answer_that_is_no_token_is_one_line_and_no_api_request(
        api: RedditAPI, tmp_path: Path, way: str, name: str) -> None:
    reply, said = REFUSED_TOKENS[name]
    api.threads["abc12"] = make_thread(10, seed=33)
    token_answer(api, reply)
    db = tmp_path / "r.db"
    result = crawl(api, db, way, "abc12", "def34")
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    (line,) = errors(result)
    assert said in line, line
    assert api_requests(api) == []
    # Asked once for the whole crawl, not once for each thread.
    assert [t for _, t in api.site.log if t.startswith(AUTH_PATH)] == [AUTH_PATH]


@WAYS
@pytest.mark.parametrize("lifetime", ['"soon"', "null", "-5", "0", '"nan"', "1e300", "true"])
def test_a_junk_lifetime_keeps_one_token(api: RedditAPI, tmp_path: Path, way: str,
                                         lifetime: str) -> None:
    thread = api.threads["abc12"] = make_thread(60, seed=34)

    def junk(target: str, n: int, due: Reply) -> Reply:
        if not target.startswith(AUTH_PATH) or due.status != 200:
            return due
        text = due.body if isinstance(due.body, str) else due.body.decode()
        return Reply(text.replace('"expires_in": 3600', f'"expires_in": {lifetime}'),
                     content_type=JSON)
    api.site.fault = junk
    db = tmp_path / "r.db"
    result = crawl(api, db, way, "abc12")
    assert result.returncode == 0, result.stderr
    assert "the token is kept for 3600 s instead" in result.stderr
    assert tree_in_order(db, "abc12") == thread.order()
    assert [t for _, t in api.site.log if t.startswith(AUTH_PATH)] == [AUTH_PATH]


@WAYS
def test_a_401_for_good_refreshes_once_then_one_line(api: RedditAPI, tmp_path: Path,
                                                     way: str) -> None:
    for k, sid in enumerate(("abc12", "def34", "ghi56")):
        api.threads[sid] = make_thread(20, seed=35 + k, story_id=sid, first=10_000 * (k + 1))
    api.refuse_always = True
    db = tmp_path / "r.db"
    result = crawl(api, db, way, "abc12", "def34", "ghi56", real=True)
    assert result.returncode != 0
    (line,) = errors(result)
    assert "refused a fresh token too (HTTP 401)" in line, line
    assert api.grants == ["password", "password"]  # the first token and one refresh
    # No loop: each thread asked at most twice (the spider asks for all three at once).
    assert len(api.refused) <= 6
    assert gaps(db) == []
