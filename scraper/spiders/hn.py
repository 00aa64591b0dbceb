"""Hacker News: fetch whole threads, following every continuation page.

The spider only decides what to request; reading pages is the parser's job. A thread
spanning several pages is carried from request to request and handed to the pipeline
only when its last page has been read, so an interrupted crawl never stores half a
thread.
"""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import scrapy
from scrapy.crawler import Crawler
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from archive.models import FetchedPage, ItemPage
from scraper.items import FailedPage
from scraper.parsers import hn
from scraper.parsers.errors import NoSuchItem, ParseError, ThrottledPage, TruncatedPage
from scraper.parsers.tree import assemble_thread

logger = logging.getLogger(__name__)

_ID = re.compile(r"[1-9][0-9]{0,11}")
MAX_PAGES = 200  # a guard against a site bug sending us round a loop of "More" links


def item_id(target: str) -> str:
    """An HN item id from an id or an item URL; ValueError for anything else."""
    target = target.strip()
    if _ID.fullmatch(target):
        return target
    parts = urlsplit(target)
    ids = parse_qs(parts.query).get("id", [])
    if parts.scheme in ("http", "https") and parts.path.endswith("/item") and ids \
            and _ID.fullmatch(ids[0]):
        return ids[0]
    raise ValueError(f"{target!r} is not a Hacker News item id or item URL")


class HnSpider(scrapy.Spider):
    name = "hn"
    site = hn.SITE

    def __init__(self, items: str = "", *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.item_ids = list(dict.fromkeys(item_id(t) for t in items.split(",") if t.strip()))
        if not self.item_ids:
            raise ValueError("give at least one item: -a items=ID[,ID...]")
        self.base_url = "https://news.ycombinator.com"
        self.failures: list[str] = []
        self.crawl_args = {"items": self.item_ids}

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> HnSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.base_url = crawler.settings.get("LINKTHREAD_HN_BASE_URL").rstrip("/")
        return spider

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for story_id in self.item_ids:
            yield self.page_request(f"{self.base_url}/item?id={story_id}", story_id, ())

    def page_request(
        self, url: str, story_id: str, done: tuple[tuple[ItemPage, FetchedPage], ...]
    ) -> scrapy.Request:
        return scrapy.Request(
            url,
            callback=self.parse_page,
            errback=self.fetch_failed,
            # One-shot /x?fnid= links and re-crawls must never be dropped as duplicates.
            dont_filter=True,
            cb_kwargs={"story_id": story_id, "done": done},
            meta={"soft_errors": True},
        )

    def soft_error(self, response: Response) -> str | None:
        """What makes a status-200 response worth fetching again, or None."""
        text = response.text if hasattr(response, "text") else ""
        if hn.is_throttle_page(text):
            return "throttled"
        if not text.strip():
            return "empty body"
        if not hn.looks_complete(text):
            return "truncated"
        return None

    def parse_page(
        self, response: Response, story_id: str,
        done: tuple[tuple[ItemPage, FetchedPage], ...],
    ) -> Iterator[Any]:
        fetched = FetchedPage(
            site=self.site, url=response.url, fetched_at=datetime.now(UTC),
            status=response.status, body=response.body,
        )
        try:
            page = hn.parse_item_page(
                response.text, url=response.url, fetched_at=fetched.fetched_at,
                story_id=story_id,
            )
        except NoSuchItem:
            self.fail(story_id, "no such item")
            return
        except (ThrottledPage, TruncatedPage) as e:
            self.fail(story_id, f"gave up after retries: {e.reason}")
            return
        except ParseError as e:
            self.fail(story_id, e.reason)
            yield FailedPage(page=fetched, error=str(e), story_id=story_id)
            return
        done = (*done, (page, fetched))
        if page.next_url and len(done) < MAX_PAGES:
            yield self.page_request(page.next_url, story_id, done)
            return
        try:
            thread = assemble_thread([p for p, _ in done])
        except ParseError as e:
            self.fail(story_id, e.reason)
            for _, f in done:
                yield FailedPage(page=f, error=str(e), story_id=story_id)
            return
        yield replace(thread, pages=tuple(f for _, f in done))

    def fetch_failed(self, failure: Failure) -> None:
        request = failure.request  # type: ignore[attr-defined]
        story_id = request.cb_kwargs.get("story_id", "?")
        error = failure.value
        if isinstance(error, HttpError):
            reason = f"HTTP {error.response.status}"
        else:
            reason = failure.getErrorMessage()
        self.fail(story_id, f"could not fetch {request.url}: {reason}")

    def fail(self, story_id: str, reason: str) -> None:
        message = f"hn item {story_id}: {reason}"
        self.failures.append(message)
        logger.error(message)
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value("linkthread/errors")
