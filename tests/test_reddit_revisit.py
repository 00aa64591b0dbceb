"""A Reddit re-crawl that finds a thread's answers as its latest crawl read them
(scraper/spiders/reddit_revisit.py): it asks for the same URLs, places none of the
answers, and stores O(1) rows; an answer that differs midway has the ones before it
placed as a crawl would have placed them, and the history is the one a crawl that
parses every answer gives (LINKTHREAD_REPARSE=1), whole tables.

The spider's callbacks are driven with the stand-in's answers (tests/redditapi.py, no
server) at fixed times, and the pipeline stores what they yield."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import scrapy
import sqlite_utils
from scrapy.http import TextResponse
from scrapy.utils.test import get_crawler

from archive import revisits, store
from archive.crawls import Target
from archive.db import open_db
from archive.models import FetchedPage, Thread
from scraper.items import UnchangedThread
from scraper.parsers.reddit import thread as reddit_thread
from scraper.pipelines import ArchivePipeline
from scraper.spiders.reddit import RedditSpider
from tests.redditapi import Cut, RedditAPI, make_thread
from tests.server import SiteServer
from tests.test_lobsters_revisits import TABLES
from tests.test_store import T0, table_rows

BASE = "http://reddit.test"


class Site:
    """The stand-in's answers, with some comments' text edited."""

    def __init__(self, *, cut: Cut) -> None:
        self.api = RedditAPI(SiteServer(), cut=cut)
        self.api.morechildren_delay = 0.0
        self.api.threads["abc12"] = make_thread(400, seed=21, chain=10)
        self.edited: set[str] = set()

    def answer(self, url: str) -> str:
        parts = urlsplit(url)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        reply = self.api.answer(parts.path, query)
        assert reply is not None, url
        text = reply.body.decode() if isinstance(reply.body, bytes) else str(reply.body)
        for cid in self.edited:
            text = text.replace(f'"Comment {cid}"', f'"Edited {cid}"').replace(
                f"Comment {cid}&lt;", f"Edited {cid}&lt;")
        return text


class Archive:
    """One archive, crawled as a crawl does: the spider's callbacks, then the pipeline."""

    def __init__(self, path: Path, *, reparse: bool, **args: str) -> None:
        self.db = open_db(path)
        crawler = get_crawler(RedditSpider, {"LINKTHREAD_REDDIT_API_URL": BASE})
        spider = RedditSpider.from_crawler(crawler, items="abc12", **args)
        assert isinstance(spider, RedditSpider)
        crawler.spider = self.spider = spider
        spider.reparse = reparse
        spider.stored_pages = partial(revisits.last_page_set, self.db, "reddit",
                                      source=spider.page_source)  # as the pipeline does
        self.pipeline = ArchivePipeline(str(path))
        self.pipeline.crawler = crawler
        self.pipeline.db = self.db

    def crawl(self, site: Site, at: datetime) -> tuple[list[Any], list[str]]:
        """What the crawl yielded, and the URLs it asked for."""
        self.pipeline.crawl_id = store.start_crawl(
            self.db, command="crawl reddit", args={"items": ["abc12"]},
            targets=[Target("reddit", "thread", "abc12")])  # fmt: skip
        self.spider.fetched = lambda r: FetchedPage(  # type: ignore[method-assign]
            site="reddit", url=r.url, fetched_at=at, status=200, body=r.body)
        spider = self.spider
        queue = [spider.request(spider.thread_url("abc12"), spider.parse_thread_page,
                                label="reddit item abc12", story_id="abc12", done=())]
        items: list[Any] = []
        asked: list[str] = []
        while queue:
            request = queue.pop(0)
            asked.append(request.url)
            response = TextResponse(request.url, body=site.answer(request.url).encode(),
                                    encoding="utf-8", request=request)  # fmt: skip
            for out in request.callback(response, **request.cb_kwargs):
                (queue if isinstance(out, scrapy.Request) else items).append(out)
        for item in items:
            self.pipeline.store(item)
        store.finish_crawl(self.db, self.pipeline.crawl_id, status="finished", pages=0,
                           threads=1, comments=0, errors=0, message=None)  # fmt: skip
        return items, asked


@pytest.fixture
def placed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The URL of every answer the parser places."""
    seen: list[str] = []
    add = reddit_thread.ThreadPages.add

    def counting(self: reddit_thread.ThreadPages, text: str, *, url: str) -> Any:
        seen.append(url)
        return add(self, text, url=url)

    monkeypatch.setattr(reddit_thread.ThreadPages, "add", counting)
    return seen


def state(db: sqlite_utils.Database) -> dict[str, Any]:
    drop = ("started_at", "finished_at", "host", "pid", "updated_at")
    out: dict[str, Any] = {t: table_rows(db, t, drop=drop) for t in TABLES}
    out["thread_crawls"] = table_rows(db, "thread_crawls", drop=("unchanged",))
    out["thread_latest"] = db.conn.execute("SELECT * FROM thread_latest ORDER BY 1, 2").fetchall()
    return out


def midway(site: Site, asked: list[str]) -> str:
    """A comment that only a later answer (a morechildren one, midway) holds."""
    later = site.answer(asked[len(asked) // 2])
    first = site.answer(asked[0])
    return next(c for c in re.findall(r'"id": "(c\w+)"', later) if f'"{c}"' not in first)


def observe(path: Path, *, reparse: bool, placed: list[str]) -> list[tuple[str, int]]:
    """Five crawls: changed, unchanged, changed midway, unchanged, changed back; for
    each, what it yielded and how many answers it placed."""
    site = Site(cut=Cut(top=10, kids=3, depth=6))
    archive = Archive(path, reparse=reparse)
    placed.clear()
    out = []
    times = [T0 + timedelta(hours=h) for h in range(5)]
    items, asked = archive.crawl(site, times[0])
    out.append((type(items[-1]).__name__, len(placed)))
    cid = midway(site, asked)
    for i, edit in enumerate((set(), {cid}, {cid}, set()), 1):
        site.edited = edit
        placed.clear()
        items, _ = archive.crawl(site, times[i])
        out.append((type(items[-1]).__name__, len(placed)))
    return out


def test_unchanged_answers_are_not_placed_and_the_history_is_a_full_parse(
        tmp_path: Path, placed: list[str]) -> None:
    fast = observe(tmp_path / "fast.db", reparse=False, placed=placed)
    full = observe(tmp_path / "full.db", reparse=True, placed=placed)
    pages = full[0][1]
    assert pages > 10
    assert [kind for kind, _ in fast] == ["Thread", "UnchangedThread", "Thread",
                                          "UnchangedThread", "Thread"]
    assert [n for kind, n in fast if kind == "UnchangedThread"] == [0, 0]
    assert all(n == pages for _, n in full)
    a, b = open_db(tmp_path / "fast.db"), open_db(tmp_path / "full.db")
    assert state(a) == state(b)
    assert [r[0] for r in a.conn.execute("SELECT unchanged FROM thread_crawls"
                                         " ORDER BY seen_at")] == [0, 1, 0, 1, 0]
    assert a.conn.execute("SELECT DISTINCT change FROM comment_versions WHERE change"
                          " <> 'added'").fetchall() == [("edited",)]  # fmt: skip


def test_an_unchanged_crawl_writes_the_same_few_rows(tmp_path: Path) -> None:
    site = Site(cut=Cut(top=10, kids=3, depth=6))
    archive = Archive(tmp_path / "a.db", reparse=False)
    _, asked = archive.crawl(site, T0)
    before = archive.db.conn.total_changes
    items, again = archive.crawl(site, T0 + timedelta(hours=1))
    assert again == asked  # the same URLs, in the same order
    assert [type(i) for i in items] == [UnchangedThread]
    # The crawl's own rows (its row and its target, each written and finished) and the
    # thread's (a thread_crawls row that keeps every answer's visit, 0020, and its
    # summary, the story's seen-time): none per answer, none per comment.
    assert len(asked) > 1
    assert archive.db.conn.total_changes - before == 8


def test_a_capped_crawl_is_read_again(tmp_path: Path, placed: list[str]) -> None:
    site = Site(cut=Cut(top=10, kids=3, depth=6))
    archive = Archive(tmp_path / "a.db", reparse=False, max_requests="3")
    for at in (T0, T0 + timedelta(hours=1)):
        placed.clear()
        items, asked = archive.crawl(site, at)
        assert isinstance(items[-1], Thread) and len(placed) == len(asked) == 4
    # Its stubs left, the latest crawl has no page set to follow: a crawl may read more.
    assert revisits.last_page_set(archive.db, "reddit", "abc12", source="api") is None
    rows = archive.db.conn.execute("SELECT unexpanded > 0 FROM thread_crawls").fetchall()
    assert rows == [(1,), (1,)]
