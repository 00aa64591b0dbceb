"""A fault storm: 50 threads crawled from a site that answers about a third of the requests
badly (503 and 429 with and without Retry-After, HN's throttle page, half a page, a
connection dropped before or during the answer, a slow answer) must archive exactly what
a crawl of the same site on a good day archives, and store none of the bad answers."""

from __future__ import annotations

import collections
import random
import threading
import time
import zlib
from dataclasses import replace
from pathlib import Path

import pytest

from scraper.parsers import hn
from tests import hnpages
from tests.conftest import rows, run_linkthread
from tests.server import Reply, SiteServer, serve

pytestmark = pytest.mark.e2e

SEED = 20260114
FAULT_SHARE = 0.3
# Columns the page decides; times of the crawl, crawl ids, and created_at (old markup's
# "3 hours ago" is resolved against the fetch time) differ between two crawls.
NOT_CONTENT = {"created_at", "first_seen_at", "last_seen_at", "last_crawl_id"}


def storm_site() -> dict[str, str]:
    """50 threads of 0 to 150 comments, both markups, a third of them over several pages."""
    rng = random.Random(SEED)
    routes: dict[str, str] = {}
    for i in range(50):
        size = rng.choice((0, 1, 3, 8, 20, 45, 80, 150))
        thread = hnpages.random_thread(size, seed=SEED + i, story_id=str(100_000 + 1000 * i))
        routes.update(hnpages.site_pages(
            thread, era="old" if i % 5 == 0 else "modern",
            per_page=10 if i % 3 == 0 else 10**9))
    return routes


class Storm:
    """Decides each answer from (seed, target, attempt) alone, so the storm is the same
    whatever order the crawler asks in; counts what it served."""

    def __init__(self) -> None:
        self.served: collections.Counter[str] = collections.Counter()
        self._lock = threading.Lock()

    def __call__(self, target: str, asked: int, reply: Reply) -> Reply:
        rng = random.Random(f"{SEED}:{target}:{asked}")
        if target == "/robots.txt" or rng.random() >= FAULT_SHARE:
            return reply
        kind = rng.choice(("503", "503", "429", "throttle", "half", "drop", "cut", "slow"))
        with self._lock:
            self.served[kind] += 1
        body = reply.body
        if kind in ("503", "429"):
            wait = rng.choice((None, "0", "0", "1"))
            return Reply("try later", status=int(kind), content_type="text/plain",
                         headers={} if wait is None else {"Retry-After": wait})
        if kind == "throttle":
            return Reply(hnpages.THROTTLE_PAGE)
        if kind == "half":  # a whole answer, of half a page: no footer
            return replace(reply, body=body[: len(body) // 2])
        if kind == "drop":
            return replace(reply, drop=True)
        if kind == "cut":  # Content-Length promises the page, half of it arrives
            return replace(reply, truncate=True)
        return replace(reply, delay=0.3)


def crawl(site: SiteServer, db: Path, story_ids: list[str]) -> float:
    started = time.monotonic()
    result = run_linkthread(
        "crawl", "hn", *story_ids, "--db", str(db), "-s", "RETRY_TIMES=12",
        base_url=site.base_url, env={"LINKTHREAD_SOFT_RETRIES": "12"}, timeout=180)
    assert result.returncode == 0, result.stderr[-4000:]
    assert f"archived {len(story_ids)} of {len(story_ids)} thread(s)" in result.stdout
    return time.monotonic() - started


def content(db: Path, table: str) -> list[tuple]:
    columns = [c[1] for c in rows(db, f"pragma table_info({table})") if c[1] not in NOT_CONTENT]
    return rows(db, f"select {', '.join(columns)} from {table} order by site, id")


def test_a_fault_storm_archives_exactly_what_a_good_day_does(tmp_path: Path) -> None:
    routes = storm_site()
    story_ids = sorted({p.split("=")[1] for p in routes if p.startswith("/item?id=")
                        and "&" not in p})
    assert len(story_ids) == 50
    clean_db, storm_db = tmp_path / "clean.db", tmp_path / "storm.db"
    storm = Storm()
    with serve(SiteServer(routes=dict(routes))) as good:
        crawl(good, clean_db, story_ids)
    with serve(SiteServer(routes=dict(routes), fault=storm)) as bad:
        seconds = crawl(bad, storm_db, story_ids)

    # The storm was one: every kind of fault, many times over.
    assert set(storm.served) == {"503", "429", "throttle", "half", "drop", "cut", "slow"}
    asked = len(bad.log) - bad.hits("/robots.txt")
    assert sum(storm.served.values()) >= 0.2 * asked, (storm.served, asked)
    print(f"storm: {asked} requests for {len(routes)} pages, {dict(storm.served)}, "
          f"{seconds:.1f} s")

    stories = content(storm_db, "stories")
    assert stories == content(clean_db, "stories")
    assert content(storm_db, "comments") == content(clean_db, "comments")
    # No thread fell short of what its page declares.
    assert [(s, d, a) for s, d, a in rows(storm_db, "select id, comment_count, archived_count "
                                                    "from stories") if d != a] == []
    assert rows(storm_db, "select count(*) from comments")[0][0] > 1000

    # Only good answers were kept as pages: one per page of the site, each whole.
    assert rows(storm_db, "select count(*), count(error), min(status), max(status) "
                          "from pages") == [(len(routes), 0, 200, 200)]
    bodies = [zlib.decompress(b).decode() for (b,) in rows(storm_db, "select body from pages")]
    assert not [b for b in bodies if hn.is_throttle_page(b) or not hn.looks_complete(b)]
    assert rows(storm_db, "select sha256 from pages order by sha256") == rows(
        clean_db, "select sha256 from pages order by sha256")
