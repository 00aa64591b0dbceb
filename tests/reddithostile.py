"""Hostile and broken answers of the OAuth API stand-in (tests/redditapi.py), for the
``tests/test_reddit_hostile_*`` files: an answer of one path rewritten or replaced,
a crawl run through the direct loop or through the spider, and what it left."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.clirun import forked, in_process
from tests.conftest import rows, run_linkthread
from tests.redditapi import JSON, Cut, RedditAPI, env
from tests.server import Reply, SiteServer, serve

# The two ways of one crawl: the direct loop (threads alone) and the spider (any -s).
PATHS = {"direct": (), "spider": ("-s", "LOG_LEVEL=WARNING")}
WAYS = pytest.mark.parametrize("way", list(PATHS))
# Far below the default: a crawl that loops is a failure, not a hang of the suite.
TIMEOUT = 120
# Every crawl through the real console script, as before tests/clirun.py: for a check
# that the cheaper ways change no outcome.
SUBPROCESS = os.environ.get("LINKTHREAD_TEST_SUBPROCESS", "") == "1"

# (path, query, the stand-in's answer) -> the answer sent instead, or None to keep it
Change = Callable[[str, dict[str, str], Reply], Reply | None]


@contextmanager
def stand_in() -> Iterator[RedditAPI]:
    """The stand-in with no continue-threads: every comment left out is in a "load
    more" stub."""
    with serve(SiteServer()) as site:
        yield RedditAPI(site, cut=Cut(top=5, kids=3, depth=50))


def rewrite(api: RedditAPI, change: Change) -> None:
    """Every signed answer goes through ``change``; 401s and the token's are kept."""
    def fault(target: str, asked: int, reply: Reply) -> Reply:
        parts = urlsplit(target)
        if reply.status == 401 or parts.path.startswith("/api/v1/"):
            return reply
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        new = change(parts.path, query, reply)
        if new is None:
            return reply
        new.headers = {**reply.headers, **new.headers}
        return new
    api.site.fault = fault


def things_of(reply: Reply) -> list[dict]:
    return json.loads(reply.body)["json"]["data"]["things"]


def with_things(things: list[dict]) -> Reply:
    return Reply(json.dumps({"json": {"errors": [], "data": {"things": things}}}),
                 content_type=JSON)


def t1(cid: str, parent: str, story: str = "abc12", **extra: object) -> dict:
    """A comment thing as the API gives it, under ``parent`` (a fullname)."""
    return {"kind": "t1", "data": {
        "id": cid, "name": f"t1_{cid}", "link_id": f"t3_{story}", "parent_id": parent,
        "author": "someone", "body": f"Comment {cid}",
        "body_html": f"&lt;div class=\"md\"&gt;&lt;p&gt;Comment {cid}&lt;/p&gt;&lt;/div&gt;",
        "created_utc": 1_700_000_000.0, "edited": False, "score": 1, "replies": "",
        **extra}}


def crawl(api: RedditAPI, db: Path, way: str, *args: str, real: bool = False,
          **extra: str) -> subprocess.CompletedProcess[str]:  # fmt: skip
    """The crawl through ``way``: the real console script if ``real`` (each class of
    problem keeps some), else the direct loop in this process and the spider in a
    forked child (tests/clirun.py), which the console script's start would cost ~0.4 s
    and ~1.4 s more each."""
    argv = ("crawl", "reddit", *args, *PATHS[way], "--db", str(db))
    if real or SUBPROCESS:
        return run_linkthread(*argv, env=env(api, **extra), timeout=TIMEOUT)
    run = in_process if way == "direct" else forked
    return run(*argv, env=env(api, **extra), timeout=TIMEOUT)


def errors(result: subprocess.CompletedProcess[str]) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.startswith("Error:")]


def gaps(db: Path) -> list[dict]:
    result = in_process("gaps", "--json", "--db", str(db))
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def stored_ids(db: Path, story_id: str = "abc12") -> set[str]:
    return {cid for (cid,) in rows(db, "SELECT id FROM comments WHERE story_id = ?",
                                   story_id)}
