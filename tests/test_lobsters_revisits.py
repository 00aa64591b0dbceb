"""Lobsters re-crawls that find a story's JSON unchanged (scraper.spiders.lobsters,
archive.revisits): nothing parsed, O(1) rows written, and the same history, whole
tables, as a crawl that parses every page (LINKTHREAD_REPARSE=1).

The spider's own callback reads each answer as a crawl does (with a fixed fetch time,
so two archives can be compared row for row) and the pipeline stores what it yields.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import pytest
import scrapy
import sqlite_utils
from scrapy.http import TextResponse
from scrapy.utils.test import get_crawler

from archive import revisits, store
from archive.crawls import Target
from archive.db import open_db
from archive.models import FetchedPage
from scraper.items import MergedStories, SeenUsers, UnchangedThread
from scraper.parsers import lobsters as parsers
from scraper.pipelines import ArchivePipeline
from scraper.spiders import lobsters as spider_module
from scraper.spiders.lobsters import LobstersSpider
from tests.lobsterspages import Node, story_json
from tests.test_store import T0, table_rows

BASE = "http://lobsters.test"
URL = f"{BASE}/s/abc123.json"
MERGED = f"{BASE}/s/old111.json"  # redirected to URL: merged into abc123


def nodes(n: int, *, edited: str | None = None, drop: str | None = None) -> list[Node]:
    out = [Node(f"c{i:05d}", user=f"u{i % 7}", text=f"Comment {i}") for i in range(n)]
    out = [replace(c, text="Edited") if c.id == edited else c for c in out]
    return [c for c in out if c.id != drop]


def with_profiles(body: str) -> str:
    """The 2018-23 form of the same story: every user an object with karma and about."""
    obj = json.loads(body)

    def profile(name: str) -> dict[str, Any]:
        return {"username": name, "created_at": "2019-01-02T03:04:05.000-06:00",
                "karma": 10 + len(name), "about": f"About {name}"}  # fmt: skip

    obj["submitter_user"] = profile(obj["submitter_user"])
    for c in obj["comments"]:
        c["commenting_user"] = profile(c["commenting_user"])
    return json.dumps(obj)


V1 = story_json(nodes(12))
V2 = story_json(nodes(12, edited="c00003", drop="c00007"))
OLD_FORM = with_profiles(V1)
OLD_FORM_2 = with_profiles(V2)
# (asked URL, body, parsed on the fast path?)
OBSERVATIONS = (
    (URL, V1, True),
    (URL, V1, False),
    (MERGED, V1, False),  # a merged story's redirect, the body as stored
    (URL, V2, True),  # one comment edited, one gone
    (URL, V2, False),
    (MERGED, V1, True),  # back as it was, through the redirect
    (URL, OLD_FORM, True),
    (URL, OLD_FORM, True),  # profiles in it: parsed every time
    (URL, OLD_FORM_2, True),
    (URL, V2, True),
    (URL, V2, False),
)
TIMES = [T0 + timedelta(hours=h) for h in range(len(OBSERVATIONS))]


class Crawl:
    """One archive, read as a crawl reads it: the spider's callback, then the pipeline."""

    def __init__(self, path: Path, *, reparse: bool) -> None:
        self.db = open_db(path)
        crawler = get_crawler(LobstersSpider, {"LINKTHREAD_LOBSTERS_BASE_URL": BASE})
        self.spider = LobstersSpider.from_crawler(crawler, items="abc123")
        assert isinstance(self.spider, LobstersSpider)
        crawler.spider = self.spider
        self.spider.reparse = reparse
        self.spider.stored_pages = partial(revisits.last_page_set, self.db, "lobsters")
        self.pipeline = ArchivePipeline(str(path))
        self.pipeline.crawler = crawler
        self.pipeline.db = self.db

    def visit(self, asked: str, body: str, at: datetime) -> list[Any]:
        asked_id = asked.rsplit("/", 1)[-1].removesuffix(".json")
        self.pipeline.crawl_id = store.start_crawl(
            self.db, command="crawl lobsters", args={"items": [asked_id]},
            targets=[Target("lobsters", "thread", asked_id)])  # fmt: skip
        request = scrapy.Request(asked)
        if asked != URL:
            request.meta["redirect_urls"] = [asked]
        response = TextResponse(URL, body=body.encode(), encoding="utf-8", request=request)
        self.spider.fetched = lambda r: FetchedPage(  # type: ignore[method-assign]
            site="lobsters", url=r.url, fetched_at=at, status=200, body=r.body)
        items = list(self.spider.parse_thread_page(response, label=f"lobsters item {asked_id}",
                                                   story_id=asked_id, done=()))
        for item in items:
            self.pipeline.store(item)
        store.finish_crawl(self.db, self.pipeline.crawl_id, status="finished", pages=1,
                           threads=1, comments=0, errors=0, message=None)  # fmt: skip
        return items


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every story JSON the spider parses, by URL."""
    seen: list[str] = []
    parse = parsers.parse_story

    def counting(text: str, **kw: Any) -> Any:
        seen.append(kw["url"])
        return parse(text, **kw)

    monkeypatch.setattr(spider_module.lobsters, "parse_story", counting)
    return seen


TABLES = ("stories", "comments", "comment_versions", "comment_scores", "story_snapshots",
          "pages", "page_visits", "crawls", "crawl_targets", "users", "user_snapshots")  # fmt: skip


def state(db: sqlite_utils.Database) -> dict[str, list[dict]]:
    drop = ("started_at", "finished_at", "host", "pid", "updated_at")
    out = {t: table_rows(db, t, drop=drop) for t in TABLES}
    out["thread_crawls"] = table_rows(db, "thread_crawls", drop=("unchanged",))
    out["thread_latest"] = db.conn.execute("SELECT * FROM thread_latest ORDER BY 1, 2").fetchall()
    return out


def observe(path: Path, *, reparse: bool) -> Iterator[tuple[list[Any], bool]]:
    crawl = Crawl(path, reparse=reparse)
    for (asked, body, parsed), at in zip(OBSERVATIONS, TIMES, strict=True):
        yield crawl.visit(asked, body, at), parsed


def test_unchanged_visits_parse_nothing_and_give_the_history_a_full_parse_gives(
        tmp_path: Path, parses: list[str]) -> None:
    for items, parsed in observe(tmp_path / "fast.db", reparse=False):
        kinds = [type(i).__name__ for i in items]
        if parsed:
            assert "UnchangedThread" not in kinds
        else:
            assert kinds[-1] == "UnchangedThread" and "Thread" not in kinds
    assert len(parses) == sum(1 for *_, parsed in OBSERVATIONS if parsed)
    parses.clear()
    list(observe(tmp_path / "full.db", reparse=True))
    assert len(parses) == len(OBSERVATIONS)

    fast, full = open_db(tmp_path / "fast.db"), open_db(tmp_path / "full.db")
    assert state(fast) == state(full)
    assert [r[0] for r in fast.conn.execute("SELECT unchanged FROM thread_crawls"
                                            " ORDER BY seen_at")] == [
        0 if parsed else 1 for *_, parsed in OBSERVATIONS]
    # The merged story's row, and the users the old form described, as a parse left them.
    assert fast.conn.execute("SELECT id, merged_into FROM stories ORDER BY id").fetchall() == [
        ("abc123", None), ("old111", "abc123")]
    assert fast.conn.execute("SELECT count(*) FROM users").fetchone() == (8,)


def test_a_redirected_unchanged_story_is_recorded_as_merged(tmp_path: Path,
                                                            parses: list[str]) -> None:
    crawl = Crawl(tmp_path / "a.db", reparse=False)
    crawl.visit(URL, V1, TIMES[0])
    items = crawl.visit(MERGED, V1, TIMES[1])
    assert parses == [URL]
    assert [type(i) for i in items] == [MergedStories, UnchangedThread]
    assert crawl.db.conn.execute("SELECT target, state FROM crawl_targets WHERE crawl_id = 2"
                                 ).fetchall() == [("old111", "done")]  # fmt: skip


def test_profiles_are_parsed_every_time(tmp_path: Path, parses: list[str]) -> None:
    crawl = Crawl(tmp_path / "a.db", reparse=False)
    for at in TIMES[:2]:
        items = crawl.visit(URL, OLD_FORM, at)
        assert isinstance(items[0], SeenUsers)
    assert len(parses) == 2
    # Each profile's last sighting is the second visit's.
    assert crawl.db.conn.execute("SELECT DISTINCT last_seen_at FROM users").fetchall() == [
        (TIMES[1].strftime("%Y-%m-%dT%H:%M:%SZ"),)]


@pytest.mark.parametrize("size", [10, 400])
def test_an_unchanged_visit_writes_the_same_few_rows_whatever_the_thread(
        tmp_path: Path, size: int) -> None:
    crawl = Crawl(tmp_path / "a.db", reparse=False)
    body = story_json(nodes(size))
    crawl.visit(URL, body, TIMES[0])
    crawl.pipeline.crawl_id = store.start_crawl(crawl.db, command="crawl lobsters", args={})
    before = crawl.db.conn.total_changes
    request = scrapy.Request(URL)
    response = TextResponse(URL, body=body.encode(), encoding="utf-8", request=request)
    crawl.spider.fetched = lambda r: FetchedPage(  # type: ignore[method-assign]
        site="lobsters", url=r.url, fetched_at=TIMES[1], status=200, body=r.body)
    for item in crawl.spider.parse_thread_page(response, label="lobsters item abc123",
                                               story_id="abc123", done=()):
        assert isinstance(item, UnchangedThread)
        crawl.pipeline.store(item)
    # A thread_crawls row that keeps its page's visit (0020) and its thread_latest
    # summary, the story's seen-time: the same for 10 comments as for 400.
    assert crawl.db.conn.total_changes - before == 3
