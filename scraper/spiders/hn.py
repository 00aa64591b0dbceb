"""Hacker News: what to request for a target and which parser reads it.

The crawl mechanics (continuation pages carried until a thread is whole, failures,
resume) are the base's (``base.py``); the grammar and URL forms are the registry's
(``archive.sites.HN``).

``via`` says how a thread is read (``crawl hn --via``, LINKTHREAD_HN_VIA): "html" its
item page(s); "api" the official API's tree alone (``hn_api``), no page requested;
"both" (the default) the tree and the page(s), merged (``parsers.hn.both``). A thread
request in "api" mode is an :class:`ApiThreadRequest`, which never reaches Scrapy: the
callbacks that would yield it await the API's tree instead and yield the thread.
Listing pages are always read as pages: they are the source of ranks.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterable
from typing import Any

import scrapy
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.http import Response

from archive import sites
from archive.models import FetchedPage, Listing, Thread, User
from scraper.parsers import hn
from scraper.parsers.hn.both import merge_thread
from scraper.parsers.pages import ItemPage
from scraper.parsers.tree import assemble_thread
from scraper.spiders.base import DEFAULT_MAX_PAGES, Done, SiteSpider
from scraper.spiders.hn_api import DEFAULT_VIA, VIA_SETTING, VIAS, ApiFailed, ApiTrees

__all__ = ["DEFAULT_MAX_PAGES", "LISTINGS", "HnSpider", "item_id", "listing_path",
           "user_name"]

LISTINGS = sites.HN.listings


def item_id(target: str, *, base_url: str | None = None) -> str:
    """An HN item id from an id or an item URL on HN's host or the base URL's host
    (``base_url``, else LINKTHREAD_HN_BASE_URL). ValueError for anything else."""
    return sites.HN.item_id(target, base_url=base_url)


def listing_path(target: str) -> str:
    """The path of a listing target: "front" is the front page (/news)."""
    return sites.HN.listing_path(target.strip())


def user_name(target: str) -> str:
    return sites.HN.user_name(target)


class ApiThreadRequest(scrapy.Request):
    """A thread to read from the API alone: turned into the thread by the callback that
    made it (``HnSpider.through_api``), never scheduled."""


class HnSpider(SiteSpider):
    name = "hn"
    site_def = sites.HN

    def __init__(self, *args: Any, via: str = "", api_url: str | None = None,
                 api_concurrency: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.via = (via or os.environ.get(VIA_SETTING) or DEFAULT_VIA).strip().lower()
        if self.via not in VIAS:
            raise ValueError(f"--via {self.via!r}: one of {', '.join(VIAS)}")
        self.crawl_args["via"] = self.via
        # The API's origin, for scraper.bounds; None when only pages are read.
        self.api_url = None if self.via == "html" else self.site_def.configured_api_url(api_url)
        # --ignore-robots covers the API host's robots.txt too.
        self.trees = (ApiTrees(self.api_url, int(api_concurrency) if api_concurrency else None,
                               robots=not self.ignore_robots)
                      if self.api_url else None)  # fmt: skip

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> HnSpider:
        kwargs.setdefault("api_url", crawler.settings.get(sites.HN.api_url_setting or ""))
        # The connection bound: LINKTHREAD_HN_API_CONCURRENCY, read by the client.
        spider = super().from_crawler(crawler, *args, **kwargs)
        assert isinstance(spider, HnSpider)
        crawler.signals.connect(spider.close_api, signal=signals.spider_closed)
        return spider

    async def close_api(self) -> None:
        if self.trees is not None:
            await self.trees.close()

    # -- threads through the API -------------------------------------------------------

    def thread_request(self, url: str, story_id: str, done: Done) -> scrapy.Request:
        if self.trees is not None and not done:
            self.trees.start(story_id)  # the tree is fetched while the page waits its turn
            if self.via == "api":
                return ApiThreadRequest(url, cb_kwargs={"story_id": story_id})
        return super().thread_request(url, story_id, done)

    async def through_api(self, results: Iterable[Any]) -> AsyncIterator[Any]:
        """``results`` with each ApiThreadRequest replaced by its thread. Read whole
        first, so that every tree they name is fetched at once, not one after another."""
        for result in list(results):
            if isinstance(result, ApiThreadRequest):
                thread = await self.api_thread(result.cb_kwargs["story_id"])
                if thread is not None:
                    yield thread
            else:
                yield result

    async def api_thread(self, story_id: str) -> Thread | None:
        assert self.trees is not None
        try:
            return await self.trees.thread(story_id)
        except ApiFailed as e:
            self.fail(f"{self.site} item {story_id}", str(e))
            return None

    async def start(self) -> AsyncIterator[Any]:
        if self.trees is not None:
            for story_id in self.item_ids:
                self.trees.start(story_id)  # every tree at once
        async for request in super().start():
            async for result in self.through_api((request,)):
                yield result

    async def parse_listing(  # type: ignore[override]
        self, response: Response, label: str, page: int, name: str | None = None,
    ) -> AsyncIterator[Any]:  # fmt: skip
        async for result in self.through_api(super().parse_listing(response, label, page,
                                                                   name)):
            yield result

    def listing_url(self, path: str) -> str:
        return f"{self.base_url}/{path}"  # the path as given: "front?day=..." included

    def read_listing(self, response: Response, fetched: FetchedPage, page: int) -> Listing:
        return hn.parse_listing(response.text, url=response.url,
                                fetched_at=fetched.fetched_at, known_page=page)

    def read_user(self, response: Response, fetched: FetchedPage) -> User:
        return hn.parse_user(response.text, url=response.url, fetched_at=fetched.fetched_at)

    def soft_error(self, response: Response) -> str | None:
        text = response.text if hasattr(response, "text") else ""
        if hn.is_throttle_page(text):
            return "throttled"
        if not text.strip():
            return "empty body"
        if not hn.looks_complete(text):
            return "truncated"
        return None

    def read_thread_page(self, text: str, fetched: FetchedPage, story_id: str) -> ItemPage:
        return hn.parse_item_page(text, url=fetched.url, fetched_at=fetched.fetched_at,
                                  story_id=story_id)

    async def parse_thread_page(  # type: ignore[override]
        self, response: Response, label: str, story_id: str, done: Done,
    ) -> AsyncIterator[Any]:  # fmt: skip
        for result in self.thread_page(label, story_id, done, self.fetched(response),
                                       response.text, assemble_thread):
            if isinstance(result, Thread) and self.trees is not None:
                # --via both: the page's thread, with what the API's tree adds.
                api = await self.api_thread(story_id)
                if api is not None:
                    result = merge_thread(api, result)
            yield result
