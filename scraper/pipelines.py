"""The one pipeline: hands finished records to the archive. No SQL here."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit

from scrapy import Spider, signals
from scrapy.crawler import Crawler

from archive import store
from archive.crawls import Target, crawl_targets
from archive.db import open_db
from archive.models import Listing, Thread, User
from scraper.items import FailedPage

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

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArchivePipeline:
        pipeline = cls(crawler.settings.get("LINKTHREAD_DB"))
        pipeline.crawler = crawler
        # The close reason is known only to this signal, which comes after close_spider.
        crawler.signals.connect(pipeline.spider_closed, signal=signals.spider_closed)
        return pipeline

    def open_spider(self) -> None:
        self.db = open_db(self.db_path)
        spider: Any = self.crawler.spider
        site = getattr(spider, "site", spider.name)
        targets = [
            *(Target(site, "thread", i) for i in getattr(spider, "item_ids", ())),
            *(Target(site, "listing", p) for p in getattr(spider, "listings", ())),
            *(Target(site, "user", u) for u in getattr(spider, "users", ())),
        ]
        resume = getattr(spider, "resume", False)
        self.crawl_id = store.start_crawl(
            self.db, command=f"crawl {spider.name}", args=getattr(spider, "crawl_args", {}),
            targets=targets, resume=site if resume else None,
        )  # fmt: skip
        if resume:
            # Exactly what this crawl took over, read back from the same archive.
            for t in crawl_targets(self.db, self.crawl_id):
                spider.adopt(t.kind, t.target)

    def process_item(self, item: Any) -> Any:
        if isinstance(item, Thread):
            result = store.save_thread(self.db, item, crawl_id=self.crawl_id)
            self.threads += 1
            self.comments += len(item.comments)
            self.pages += len(item.pages)
            if self.crawler.stats is not None:
                self.crawler.stats.inc_value("linkthread/threads")
                self.crawler.stats.inc_value("linkthread/comments", len(item.comments))
            logger.info(
                "archived %s %s: %d comments (%d new, %d changed)", item.story.site,
                item.story.id, len(item.comments), result.new_comments, result.updated_comments,
            )
        elif isinstance(item, Listing):
            spider: Any = self.crawler.spider
            path = _path(item.url)
            store.save_listing(
                self.db, item, crawl_id=self.crawl_id,
                target=path if path in getattr(spider, "listings", ()) else None,
                follow=bool(getattr(spider, "threads", False)),
            )  # fmt: skip
            self.pages += 1
            logger.info("archived %s %s page %d: %d entries", item.site, item.name, item.page,
                        len(item.entries))
        elif isinstance(item, User):
            store.save_user(self.db, item, crawl_id=self.crawl_id)
            self.pages += 1
        elif isinstance(item, FailedPage):
            store.save_failed_page(
                self.db, item.page, error=item.error, crawl_id=self.crawl_id,
                story_id=item.story_id,
            )
        return item

    def spider_closed(self, spider: Spider, reason: str) -> None:
        if self.db is None or self.crawl_id is None:
            return
        failures = getattr(spider, "failures", [])
        store.finish_crawl(
            self.db, self.crawl_id, status=_STATUS.get(reason, "failed"),
            pages=self.pages, threads=self.threads, comments=self.comments,
            errors=len(failures), message="; ".join(failures) or None, failures=failures,
        )
        self.db.close()
        self.db = None


def _path(url: str) -> str:
    # A listing's target as the spider names it: its path and query, "news" or
    # "front?day=2026-01-14" (a later page, "news?p=2", completes no target).
    parts = urlsplit(url)
    return parts.path.lstrip("/") + (f"?{parts.query}" if parts.query else "")
