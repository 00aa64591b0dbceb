"""Hacker News: fetch whole threads, following every continuation page.

The spider only decides what to request; reading pages is the parser's job. A thread
spanning several pages is carried from request to request and handed to the pipeline
only when its last page has been read, so an interrupted crawl never stores half a
thread.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any, TypeVar
from urllib.parse import parse_qs, urlsplit

import scrapy
from scrapy.crawler import Crawler
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure
from w3lib.url import canonicalize_url

from archive.models import FetchedPage, Listing
from scraper.bounds import Refused, offsite_reason
from scraper.items import FailedPage
from scraper.middlewares import setting_or_env
from scraper.parsers import hn
from scraper.parsers.errors import NoSuchItem, ParseError, ThrottledPage, TruncatedPage
from scraper.parsers.pages import ItemPage
from scraper.parsers.tree import assemble_thread
from scraper.politeness import RobotsForbidden

logger = logging.getLogger(__name__)

T = TypeVar("T")
_ID = re.compile(r"[1-9][0-9]{0,11}")
HN_HOST = "news.ycombinator.com"
DEFAULT_BASE_URL = f"https://{HN_HOST}"
# A guard against a site bug (or a hostile page) sending us round a loop of "More" links.
DEFAULT_MAX_PAGES = 200


def base_url_from_env() -> str:
    return os.environ.get("LINKTHREAD_HN_BASE_URL") or DEFAULT_BASE_URL


def item_id(target: str, *, base_url: str | None = None) -> str:
    """An HN item id from an id or an item URL on HN's host or the base URL's host
    (``base_url``, else LINKTHREAD_HN_BASE_URL); a URL may leave out its scheme.
    ValueError for anything else."""
    target = target.strip()
    if _ID.fullmatch(target):
        return target
    # "news.ycombinator.com/item?id=5", as a browser's address bar shows it.
    url = target if "://" in target else f"https://{target}"
    parts = urlsplit(url)
    base = urlsplit(base_url or base_url_from_env())
    places = {(HN_HOST, "/item"), (base.hostname, base.path.rstrip("/") + "/item")}
    ids = parse_qs(parts.query).get("id", [])
    if parts.scheme.lower() in ("http", "https") and parts.hostname is not None \
            and (parts.hostname, parts.path) in places and ids and _ID.fullmatch(ids[0]):
        return ids[0]
    raise ValueError(f"{target!r} is not a Hacker News item id or item URL "
                     f"(an item URL is on {HN_HOST} or the base URL's host)")


LISTINGS = ("front", "news", "newest", "ask", "show", "jobs", "best")
_DAY = re.compile(r"front\?day=(\d{4}-\d{2}-\d{2})")
_USER = re.compile(r"[A-Za-z0-9_-]{2,15}")


def _real_day(target: str) -> bool:
    match = _DAY.fullmatch(target)
    if match is None:
        return False
    try:
        date.fromisoformat(match.group(1))
    except ValueError:  # 2026-13-01, 2026-02-30
        return False
    return True


def listing_path(target: str) -> str:
    """The path of a listing target: "front" is the front page (/news); "front?day=D" is
    that day's front page (D a real date); ValueError for anything else."""
    target = target.strip()
    if target == "front":
        return "news"
    if target in LISTINGS or _real_day(target):
        return target
    raise ValueError(f"{target!r} is not a Hacker News listing "
                     f"({', '.join(LISTINGS)}, front?day=YYYY-MM-DD)")


def user_name(target: str) -> str:
    if not _USER.fullmatch(target.strip()):
        raise ValueError(f"{target!r} is not a Hacker News user name")
    return target.strip()


def _split(value: str) -> list[str]:
    return list(dict.fromkeys(t.strip() for t in value.split(",") if t.strip()))


class HnSpider(scrapy.Spider):
    name = "hn"
    site = hn.SITE

    def __init__(self, items: str = "", listings: str = "", users: str = "", pages: str = "1",
                 threads: str = "0", resume: str = "0", *args: Any,
                 base_url: str = DEFAULT_BASE_URL, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.base_url = base_url.rstrip("/")
        self.item_ids = [item_id(t, base_url=self.base_url) for t in _split(items)]
        self.listings = [listing_path(t) for t in _split(listings)]
        self.users = [user_name(t) for t in _split(users)]
        # Also take over what stopped crawls left queued (`crawl --resume`): the
        # pipeline claims them when it records this crawl, then calls adopt().
        self.resume = resume.lower() in ("1", "true", "yes")
        if not (self.item_ids or self.listings or self.users or self.resume):
            raise ValueError("give something to crawl: -a items=ID[,ID...], "
                             "-a listings=front[,newest...], -a users=NAME[,NAME...] "
                             "or -a resume=1")
        self.pages = max(1, int(pages))  # listing pages to read, from the first
        self.threads = threads.lower() in ("1", "true", "yes")  # and every thread on them
        self.max_pages = DEFAULT_MAX_PAGES
        self.failures: list[str] = []
        self.scheduled: set[str] = set(self.item_ids)
        self.crawl_args = {"items": self.item_ids, "listings": self.listings,
                           "users": self.users, "pages": self.pages, "threads": self.threads,
                           "resume": self.resume}

    def adopt(self, kind: str, target: str) -> None:
        """Add a target the crawl took over; called before the first request leaves."""
        known = {"thread": self.item_ids, "listing": self.listings, "user": self.users}[kind]
        if target not in known:
            known.append(target)
            if kind == "thread":
                self.scheduled.add(target)

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> HnSpider:
        kwargs["base_url"] = crawler.settings.get("LINKTHREAD_HN_BASE_URL")
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.max_pages = int(setting_or_env(crawler, "LINKTHREAD_MAX_PAGES", DEFAULT_MAX_PAGES))
        if spider.max_pages < 1:
            raise ValueError("LINKTHREAD_MAX_PAGES must be 1 or more")
        return spider

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for path in self.listings:
            yield self.request(f"{self.base_url}/{path}", self.parse_listing,
                               label=f"hn {path}", page=1)
        for name in self.users:
            yield self.request(f"{self.base_url}/user?id={name}", self.parse_user,
                               label=f"hn user {name}")
        for story_id in self.item_ids:
            yield self.page_request(f"{self.base_url}/item?id={story_id}", story_id, ())

    def request(self, url: str, callback: Any, **cb_kwargs: Any) -> scrapy.Request:
        return scrapy.Request(url, callback=callback, errback=self.fetch_failed,
                              dont_filter=True, cb_kwargs=cb_kwargs,
                              meta={"soft_errors": True})

    def fetched(self, response: Response) -> FetchedPage:
        return FetchedPage(site=self.site, url=response.url, fetched_at=datetime.now(UTC),
                           status=response.status, body=response.body)

    def attempt(
        self, label: str, page: FetchedPage, parse: Callable[[], T]
    ) -> T | FailedPage | None:
        """What ``parse`` read, or else the failure recorded: a FailedPage to keep the raw
        body of a page that could not be read, None when there is nothing to keep."""
        try:
            return parse()
        except NoSuchItem as e:
            self.fail(label, e.reason)
        except (ThrottledPage, TruncatedPage) as e:
            self.fail(label, f"gave up after retries: {e.reason}")
        except ParseError as e:
            self.fail(label, e.reason)
            return FailedPage(page=page, error=str(e))
        return None

    def parse_listing(self, response: Response, label: str, page: int,
                      name: str | None = None) -> Iterator[Any]:
        fetched = self.fetched(response)
        listing = self.attempt(label, fetched, lambda: hn.parse_listing(
            response.text, url=response.url, fetched_at=fetched.fetched_at, known_page=page))
        if not isinstance(listing, Listing):
            if listing is not None:
                yield listing
            return
        if name is not None:
            # Old one-shot /x?fnid= pages do not say which listing they continue; we know.
            listing = replace(listing, name=name)
        yield listing
        if self.threads:
            for entry in listing.entries:
                if entry.story_id not in self.scheduled:
                    self.scheduled.add(entry.story_id)
                    yield self.page_request(f"{self.base_url}/item?id={entry.story_id}",
                                            entry.story_id, ())
        if listing.next_url and page < self.pages:
            refused = offsite_reason(listing.next_url, self.base_url)
            if refused is not None:
                self.fail(label, refused)
                return
            yield self.request(listing.next_url, self.parse_listing, label=label, page=page + 1,
                               name=listing.name)

    def parse_user(self, response: Response, label: str) -> Iterator[Any]:
        fetched = self.fetched(response)
        user = self.attempt(label, fetched, lambda: hn.parse_user(
            response.text, url=response.url, fetched_at=fetched.fetched_at))
        if user is not None:
            yield user

    def page_request(
        self, url: str, story_id: str, done: tuple[tuple[ItemPage, FetchedPage], ...]
    ) -> scrapy.Request:
        # dont_filter (in request()): one-shot /x?fnid= links and re-crawls must never be
        # dropped as duplicates.
        return self.request(url, self.parse_page, label=f"hn item {story_id}",
                            story_id=story_id, done=done)

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
        self, response: Response, label: str, story_id: str,
        done: tuple[tuple[ItemPage, FetchedPage], ...],
    ) -> Iterator[Any]:
        fetched = self.fetched(response)
        page = self.attempt(label, fetched, lambda: hn.parse_item_page(
            response.text, url=response.url, fetched_at=fetched.fetched_at, story_id=story_id))
        if not isinstance(page, ItemPage):
            if page is not None:
                yield replace(page, story_id=story_id)
            return
        done = (*done, (page, fetched))
        if page.next_url:
            refused = self.unfollowable(page.next_url, done)
            if refused is None:
                yield self.page_request(page.next_url, story_id, done)
            else:
                yield from self.abandon(label, refused, story_id, done)
            return
        try:
            thread = assemble_thread([p for p, _ in done])
        except ParseError as e:
            self.fail(label, e.reason)
            for _, f in done:
                yield FailedPage(page=f, error=str(e), story_id=story_id)
            return
        yield replace(thread, pages=tuple(f for _, f in done))

    def unfollowable(
        self, next_url: str, done: tuple[tuple[ItemPage, FetchedPage], ...]
    ) -> str | None:
        """Why a thread's continuation link must not be followed, or None: it leaves the
        site, it leads back to a page already read, or the thread is at the page cap."""
        refused = offsite_reason(next_url, self.base_url)
        if refused is not None:
            return refused
        if canonicalize_url(next_url) in {canonicalize_url(f.url) for _, f in done}:
            return (f"the continuation link {next_url} leads back to a page already read "
                    f"after {len(done)} page(s); not following a loop")
        if len(done) >= self.max_pages:
            return (f"stopped at the page cap of {self.max_pages} pages (LINKTHREAD_MAX_PAGES)"
                    f" with more to read at {next_url}; the thread is not complete")
        return None

    def abandon(self, label: str, reason: str, story_id: str | None,
                done: tuple[tuple[ItemPage, FetchedPage], ...]) -> Iterator[FailedPage]:
        """Fail a thread part-read: never stored as a thread, its pages kept raw."""
        self.fail(label, reason)
        for _, f in done:
            yield FailedPage(page=f, error=f"{label}: {reason}", story_id=story_id)

    def fetch_failed(self, failure: Failure) -> Iterator[FailedPage]:
        request = failure.request  # type: ignore[attr-defined]
        label = request.cb_kwargs.get("label", f"hn {request.url}")
        error = failure.value
        if isinstance(error, (RobotsForbidden, Refused)):
            # Not a fetch that failed but one we must not make or a body we must not
            # keep; the message says why.
            reason = str(error)
        elif isinstance(error, HttpError):
            reason = f"could not fetch {request.url}: HTTP {error.response.status}"
        else:
            reason = f"could not fetch {request.url}: {failure.getErrorMessage()}"
        # The pages of a thread read before this one are kept raw, never lost.
        yield from self.abandon(label, reason, request.cb_kwargs.get("story_id"),
                                request.cb_kwargs.get("done", ()))

    def fail(self, label: str, reason: str) -> None:
        message = f"{label}: {reason}"
        self.failures.append(message)
        # INFO, not ERROR: the crawl's summary prints each failure once, as "Error: ...".
        logger.info(message)
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value("linkthread/errors")
