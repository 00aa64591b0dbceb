"""Hacker News: what to request for a target and which parser reads it.

The crawl mechanics (continuation pages carried until a thread is whole, failures,
resume) are the base's (``base.py``); the grammar and URL forms are the registry's
(``archive.sites.HN``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from scrapy.http import Response

from archive import sites
from archive.models import FetchedPage, Listing, User
from scraper.parsers import hn
from scraper.parsers.pages import ItemPage
from scraper.parsers.tree import assemble_thread
from scraper.spiders.base import DEFAULT_MAX_PAGES, Done, SiteSpider

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


class HnSpider(SiteSpider):
    name = "hn"
    site_def = sites.HN

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

    def parse_thread_page(self, response: Response, label: str, story_id: str,
                          done: Done) -> Iterator[Any]:
        yield from self.thread_page(label, story_id, done, self.fetched(response),
                                    response.text, assemble_thread)
