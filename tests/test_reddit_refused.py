"""A 401 with several threads' requests in flight (issue 12: a 401 refreshes the token
once): the token is fetched again once, each thread's first request is refused once,
not once with each token, and the crawl says so in one line with no credential.

Through the console script (a subprocess, every log line at DEBUG), by the spider
(all its first requests signed at once, with the same token) and by the direct loop
(one request at a time).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import rows, run_linkthread
from tests.redditapi import (
    CLIENT_SECRET,
    JSON,
    PASSWORD,
    Asked,
    Cut,
    RedditAPI,
    env,
    make_thread,
)
from tests.reddithostile import TIMEOUT, WAYS
from tests.server import Reply, SiteServer, serve

pytestmark = pytest.mark.e2e

IDS = ("abc12", "def34", "ghi56", "jkl78", "mno90")
REFRESHING = "HTTP 401; fetching a new token and asking once more"
REFUSED = ("Error: reddit: the API refused a fresh token too (HTTP 401): check that the "
           "app is approved and the credentials are its own")


class Revoked(RedditAPI):
    """The stand-in with its first token revoked: a request signed with it is a 401,
    one signed with a later token is answered."""

    def respond(self, asked: Asked) -> Reply | None:
        if asked.headers.get("authorization") == "bearer token-1":
            self.refused.append(asked.target)
            return Reply(json.dumps({"message": "Unauthorized", "error": 401}), status=401,
                         content_type=JSON)
        return super().respond(asked)


@pytest.fixture
def api() -> Iterator[RedditAPI]:
    with serve(SiteServer()) as site:
        api = Revoked(site, cut=Cut(top=5, kids=3, depth=50))
        for k, sid in enumerate(IDS):
            api.threads[sid] = make_thread(8, seed=50 + k, story_id=sid,
                                           first=10_000 * (k + 1))  # fmt: skip
        yield api


def crawl(api: RedditAPI, db: Path, way: str) -> tuple[int, list[str]]:
    spider = ("-s", "LOG_LEVEL=DEBUG") if way == "spider" else ()
    result = run_linkthread("crawl", "reddit", *IDS, *spider, "--log-level", "DEBUG",
                            "--db", str(db), env=env(api), timeout=TIMEOUT)  # fmt: skip
    out = result.stderr + result.stdout
    assert "Traceback" not in out
    # No secret of the client's, and no token, in anything the crawl printed.
    for secret in (CLIENT_SECRET, PASSWORD, *api.tokens):
        assert secret not in out
    assert "bearer" not in out.lower()
    return result.returncode, out.splitlines()


def thread_urls(refused: list[str]) -> Counter[str]:
    return Counter(t.split("?")[0].removeprefix("/comments/") for t in refused)


@WAYS
def test_every_request_refused_refreshes_once_and_asks_each_thread_once(
        api: RedditAPI, tmp_path: Path, way: str) -> None:
    api.refuse_always = True
    code, lines = crawl(api, tmp_path / "r.db", way)
    assert code != 0
    assert api.grants == ["password", "password"]  # the first token and one refresh
    asked = thread_urls(api.refused)
    assert set(asked) <= set(IDS)
    if way == "spider":
        # Each thread asked once with the first token; one of them once more, with the
        # fresh one (was: every thread twice, once with each token).
        assert sorted(asked.values()) == [1] * (len(IDS) - 1) + [2]
    else:
        assert asked == Counter({IDS[0]: 2})  # one thread at a time: the first, twice
    assert [line for line in lines if line.startswith("Error:")] == [REFUSED]
    assert sum(REFRESHING in line for line in lines) == 1
    assert rows(tmp_path / "r.db", "SELECT count(*) FROM comments") == [(0,)]


@WAYS
def test_a_revoked_token_is_fetched_again_once_and_every_thread_archived(
        api: RedditAPI, tmp_path: Path, way: str) -> None:
    code, lines = crawl(api, tmp_path / "r.db", way)
    assert code == 0, "\n".join(lines)
    assert api.grants == ["password", "password"]
    # Each thread refused once at most, with the revoked token (the spider's: each,
    # all signed before the first answer came); its requests held meanwhile went on.
    asked = thread_urls(api.refused)
    assert set(asked.values()) == {1}
    assert len(asked) == (len(IDS) if way == "spider" else 1)
    assert sum(REFRESHING in line for line in lines) == 1
    assert not [line for line in lines if line.startswith("Error:")]
    stored = rows(tmp_path / "r.db", "SELECT story_id, count(*) FROM comments"
                                     " GROUP BY story_id ORDER BY story_id")  # fmt: skip
    assert stored == [(sid, len(api.threads[sid].order())) for sid in sorted(IDS)]


def test_more_threads_than_requests_in_flight_refresh_once_too(api: RedditAPI,
                                                               tmp_path: Path) -> None:
    """Beyond the downloader's 16 requests at a time, the later threads' requests are
    signed with the new token: refused, they are its verdict, not a 401 of a token to
    fetch again (was: 4 tokens fetched and each thread asked twice, for 40 threads)."""
    many = tuple(f"x{k:04d}" for k in range(40))
    for k, sid in enumerate(many):
        api.threads[sid] = make_thread(3, seed=k, story_id=sid, first=1_000 * (k + 1))
    api.refuse_always = True
    result = run_linkthread("crawl", "reddit", *many, "-s", "LOG_LEVEL=INFO", "--db",
                            str(tmp_path / "r.db"), env=env(api), timeout=TIMEOUT)  # fmt: skip
    assert result.returncode != 0
    lines = result.stderr.splitlines()
    assert api.grants == ["password", "password"]
    asked = thread_urls(api.refused)
    # Each asked thread refused once, one of them once more (the new token's trial);
    # the threads not asked before the verdict are not asked at all.
    assert set(asked) <= set(many) and sorted(asked.values())[:-1] == [1] * (len(asked) - 1)
    assert sum(asked.values()) <= len(asked) + 1 < len(many)
    assert [line for line in lines if line.startswith("Error:")] == [REFUSED]
    assert sum(REFRESHING in line for line in lines) == 1
