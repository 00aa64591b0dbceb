"""The one pipeline: hands finished records to the archive. No SQL here.

A record the archive cannot take (a full disk, an I/O error, a record it refuses)
fails its target with one line and the crawl goes on with the others. At the end
the pipeline closes the crawl and leaves in the crawl's stats what ``crawl`` reports:
``linkthread/failures`` (every target not stored, once each, with why) and
``linkthread/stored`` (one line per listing or profile stored).
"""

from __future__ import annotations

import logging
import sqlite3
from functools import partial
from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.http import Response
from twisted.python.failure import Failure

from archive import revisits, store
from archive.crawls import Target, crawl_targets, target_label
from archive.db import open_writer
from archive.errors import ArchiveError
from archive.health import Health
from archive.models import Listing, Thread, User
from scraper.closing import close_crawl
from scraper.items import FailedPage, MergedStories, SeenUsers, UnchangedThread
from scraper.spiders.interface import CrawlingSpider

logger = logging.getLogger(__name__)

# Scrapy's close reasons, as the crawls table names them.
_STATUS = {"finished": "finished", "shutdown": "interrupted", "cancelled": "interrupted"}


class ArchivePipeline:
    crawler: Crawler

    def __init__(self, db_path: str) -> None:
        self.db_path = db_path
        self.db: Any = None
        self.crawl_id: int | None = None
        self.pages = self.threads = self.comments = 0
        self.listings: dict[str, list[int]] = {}  # "hn news" -> [pages, entries] stored
        self.users: list[str] = []
        self.unstored: list[Target] = []  # to do again: the archive could not take them
        self.health = Health()  # what the pages gave, for the markup-drift alarm

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArchivePipeline:
        pipeline = cls(crawler.settings.get("LINKTHREAD_DB"))
        pipeline.crawler = crawler
        # The close reason is known only to this signal, which comes after close_spider.
        crawler.signals.connect(pipeline.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(pipeline.spider_error, signal=signals.spider_error)
        return pipeline

    def spider(self) -> CrawlingSpider:
        spider = self.crawler.spider
        if not isinstance(spider, CrawlingSpider):
            raise TypeError(f"the archive pipeline runs site spiders only, not {spider!r}")
        return spider

    def open_spider(self) -> None:
        self.db = open_writer(self.db_path)
        spider = self.spider()
        resume = spider.resume
        self.crawl_id = store.start_crawl(
            self.db, command=f"crawl {spider.name}", args=spider.crawl_args,
            targets=spider.targets(), resume=spider.site if resume else None,
        )  # fmt: skip
        if self.crawler.stats is not None:
            self.crawler.stats.set_value("linkthread/crawl_id", self.crawl_id)
        # A thread whose pages come back as stored is not parsed again.
        spider.stored_pages = partial(revisits.last_page_set, self.db, spider.site,
                                      source=spider.page_source)
        if resume:
            # Exactly what this crawl took over, read back from the same archive.
            for t in crawl_targets(self.db, self.crawl_id):
                spider.adopt(t.kind, t.target)

    def process_item(self, item: Any) -> Any:
        target = self.target(item)
        try:
            self.store(item)
        except (sqlite3.Error, ArchiveError, ValueError) as e:
            # ValueError: a record that contradicts itself, which save_* refuses whole.
            label = target_label(target) if target else f"{_site(item)} {_url(item)}"
            self.spider().fail(label, f"could not store it in {self.db_path}: {e}")
            if target is not None and isinstance(e, sqlite3.OperationalError):
                self.unstored.append(target)
        return item

    def store(self, item: Any) -> None:
        if isinstance(item, Thread):
            result = store.save_thread(self.db, item, crawl_id=self.crawl_id)
            self.health.thread(item)
            self.count_thread(len(item.comments), len(item.pages))
            logger.info(
                "archived %s %s: %d comments (%d new, %d changed)", item.story.site,
                item.story.id, len(item.comments), result.new_comments, result.updated_comments,
            )
        elif isinstance(item, UnchangedThread):
            seen = revisits.save_unchanged_thread(
                self.db, site=item.site, story_id=item.story_id, pages=item.pages,
                crawl_id=self.crawl_id)  # fmt: skip
            self.count_thread(seen, len(item.pages))
            logger.info("archived %s %s: %d comments, unchanged since its last crawl",
                        item.site, item.story_id, seen)
        elif isinstance(item, Listing):
            spider = self.spider()
            path = spider.listing_target(item.url)
            entries = store.save_listing(
                self.db, item, crawl_id=self.crawl_id,
                target=path if path in spider.listings else None, follow=spider.threads,
            )  # fmt: skip
            self.pages += 1
            self.health.listing(item)
            counts = self.listings.setdefault(f"{item.site} {item.name}", [0, 0])
            counts[0] += 1
            counts[1] += entries
            logger.info("archived %s %s page %d: %d entries", item.site, item.name, item.page,
                        len(item.entries))
        elif isinstance(item, User):
            store.save_user(self.db, item, crawl_id=self.crawl_id)
            self.pages += 1
            self.users.append(f"{item.site} user {item.id}")
        elif isinstance(item, MergedStories):
            store.save_merged_stories(self.db, item.stories, fetched_at=item.fetched_at,
                                      crawl_id=self.crawl_id)
        elif isinstance(item, SeenUsers):
            for user in item.users:
                store.save_user(self.db, user, crawl_id=self.crawl_id, fetched_at=item.fetched_at)
        elif isinstance(item, FailedPage):
            store.save_failed_page(
                self.db, item.page, error=item.error, crawl_id=self.crawl_id,
                story_id=item.story_id,
            )
            if item.kind is not None:
                self.health.failed(item.page.site, item.kind)

    def count_thread(self, comments: int, pages: int) -> None:
        self.threads += 1
        self.comments += comments
        self.pages += pages
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value("linkthread/threads")
            self.crawler.stats.inc_value("linkthread/comments", comments)

    def target(self, item: Any) -> Target | None:
        """The crawl target an item completes, if it completes one."""
        if isinstance(item, Thread):
            return Target(item.story.site, "thread", item.story.id)
        if isinstance(item, UnchangedThread):
            return Target(item.site, "thread", item.story_id)
        if isinstance(item, Listing):
            return Target(item.site, "listing", self.spider().listing_target(item.url))
        if isinstance(item, User):
            return Target(item.site, "user", item.id)
        return None

    def spider_error(self, failure: Failure, response: Response | Failure,
                     spider: Spider) -> None:  # fmt: skip
        # A callback that raised (a parser bug, an unforeseen page) fails its target;
        # Scrapy's traceback is logged at DEBUG (scraper/logs.py).
        request = getattr(response, "request", None)
        url = request.url if request is not None else "?"
        label = request.cb_kwargs.get("label", url) if request is not None else url
        self.spider().fail(label, f"could not read {url}: {type(failure.value).__name__}: "
                                  f"{failure.getErrorMessage()}")

    def mark_interrupted(self) -> None:
        """Record the crawl as interrupted now, at the first stop signal: a second
        signal ends the process at once, and the row must still be right then.
        ``spider_closed`` writes the final counts over it."""
        if self.db is None or self.crawl_id is None:
            return  # before the crawl row exists, or after it was closed
        failures = list(self.spider().failures)
        store.finish_crawl(
            self.db, self.crawl_id, status="interrupted", pages=self.pages,
            threads=self.threads, comments=self.comments, errors=len(failures),
            message="; ".join(failures) or None, failures=failures, unstored=self.unstored,
        )  # fmt: skip

    def spider_closed(self, spider: Spider, reason: str) -> None:
        failures = list(self.spider().failures)
        drift: list[str] = []
        if self.db is not None and self.crawl_id is not None:
            try:
                failures, drift = close_crawl(
                    self.db, self.crawl_id, db_path=self.db_path,
                    status=_STATUS.get(reason, "failed"), pages=self.pages,
                    threads=self.threads, comments=self.comments, failures=failures,
                    unstored=self.unstored, health=self.health,
                    halted=self.spider().halted is not None,
                )  # fmt: skip
            finally:
                self.db.close()
                self.db = None
        if self.crawler.stats is not None:
            self.crawler.stats.set_value("linkthread/failures", failures)
            self.crawler.stats.set_value("linkthread/drift", drift)
            self.crawler.stats.set_value("linkthread/stored", [
                *(f"{name}: {entries} entries on {pages} page{'s' * (pages != 1)}"
                  for name, (pages, entries) in self.listings.items()),
                *(f"{name}: profile stored" for name in self.users),
            ])


def _site(item: Any) -> str:
    return item.page.site if isinstance(item, FailedPage) else "?"


def _url(item: Any) -> str:
    return item.page.url if isinstance(item, FailedPage) else type(item).__name__

