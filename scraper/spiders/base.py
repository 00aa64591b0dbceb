"""What every site's spider shares: the crawl mechanics, apart from the crawl strategy.

A site's spider (``hn.py``, ``lobsters.py``) says what to request for a target and
which parser reads which response; this base owns the rest: requests through the
politeness layer (``meta["soft_errors"]`` and one errback), failing one target with
one line, a thread's pages carried from request to request until it is whole (never
half a thread stored), page caps, loops and off-origin links refused, resumed targets
adopted, and what the pipeline reads (``targets()``, ``crawl_args``, ``failures``).

A thread whose pages come back with the bodies its latest crawl read is not parsed
again (:meth:`SiteSpider.thread_page`): each page's sha256 is checked against the
page set the archive holds for it (``stored_pages``, one indexed lookup per thread,
installed by the pipeline), the next page is the one read after it then, and once the
last one matches the thread is an :class:`UnchangedThread`. The first page that
differs has every page of the thread parsed, so the tree is whole.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import partial
from typing import Any, ClassVar, TypeVar
from urllib.parse import urlsplit

import scrapy
from scrapy.crawler import Crawler
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure
from w3lib.url import canonicalize_url

from archive.crawls import Target
from archive.models import FetchedPage, Listing, Thread, User
from archive.revisits import PageSet
from archive.sites import Site
from scraper.bounds import Refused, offsite_reason
from scraper.items import FailedPage, UnchangedThread
from scraper.middlewares import setting_or_env
from scraper.parsers.errors import ParseError
from scraper.politeness import RobotsForbidden
from scraper.spiders.args import attempt, flag, split_args

logger = logging.getLogger(__name__)

T = TypeVar("T")
# A guard against a site bug (or a hostile page) sending us round a loop of "More" links.
DEFAULT_MAX_PAGES = 200
# Pages of a thread read so far, each with what its parser read from it (or Unread).
Done = tuple[tuple[Any, FetchedPage], ...]


@dataclass(frozen=True, slots=True)
class Unread:
    """A thread page not parsed: its body is the one the thread's latest crawl read."""

    text: str


class SiteSpider(scrapy.Spider):
    """The base of every site's spider; also the interface the pipeline reads."""

    site_def: ClassVar[Site]
    # Options of `crawl` beyond the shared ones that this site's spider takes (its
    # keyword arguments: "sort", "max_requests"); `crawl` refuses them for the others.
    options: ClassVar[frozenset[str]] = frozenset()
    page_source: ClassVar[str] = "html"  # its rows' source: what stored_pages asks about

    def __init__(self, items: str = "", listings: str = "", users: str = "", pages: str = "1",
                 threads: str = "0", resume: str = "0", *args: Any,
                 base_url: str | None = None, ignore_robots: str = "0",
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        site = self.site_def
        self.site: str = site.name
        self.base_url = (base_url or site.base_url).rstrip("/")
        self.item_ids = [site.item_id(t, base_url=self.base_url) for t in split_args(items)]
        self.listings = [site.listing_path(t) for t in self.split_listings(listings)]
        self.users = [site.user_name(t) for t in split_args(users)]
        # Also take over what stopped crawls left queued (`crawl --resume`): the
        # pipeline claims them when it records this crawl, then calls adopt().
        self.resume = flag(resume)
        self.ignore_robots = flag(ignore_robots)
        if not (self.item_ids or self.listings or self.users or self.resume
                or self.has_other_targets()):
            raise ValueError("give something to crawl: -a items=ID[,ID...], "
                             "-a listings=NAME[,NAME...], -a users=NAME[,NAME...] "
                             "or -a resume=1")
        self.pages = max(1, int(pages))  # listing pages to read, from the first
        self.threads = flag(threads)  # and every thread on them
        self.max_pages = DEFAULT_MAX_PAGES
        # story id -> the pages its latest crawl read; None: parse every page.
        self.stored_pages: Callable[[str], PageSet | None] | None = None
        self.expected: dict[str, PageSet | None] = {}
        self.reparse = False
        self.failures: list[str] = []
        # A failure of the whole crawl (robots.txt forbids the site): it stands for every
        # target left, so the report is that one line.
        self.halted: str | None = None
        self.scheduled: set[str] = set(self.item_ids)
        self.crawl_args: dict[str, Any] = {
            "items": self.item_ids, "listings": self.listings, "users": self.users,
            "pages": self.pages, "threads": self.threads, "resume": self.resume}
        if self.ignore_robots:
            self.crawl_args["ignore_robots"] = True

    def split_listings(self, value: str) -> list[str]:
        """The listing names of the comma-separated ``listings`` argument."""
        return split_args(value)

    def has_other_targets(self) -> bool:
        """Targets of the site's own kinds beyond items, listings and users."""
        return False

    @classmethod
    def preflight(cls) -> str | None:
        """Why a crawl of the site cannot start (no credentials), as one line, or None.
        Asked before anything is opened or requested."""
        return None

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> SiteSpider:
        kwargs["base_url"] = crawler.settings.get(cls.site_def.base_url_setting)
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.max_pages = int(setting_or_env(crawler, "LINKTHREAD_MAX_PAGES", DEFAULT_MAX_PAGES))
        if spider.max_pages < 1:
            raise ValueError("LINKTHREAD_MAX_PAGES must be 1 or more")
        # Parse every page, also one whose body is the one stored (after a parser fix).
        spider.reparse = bool(setting_or_env(crawler, "LINKTHREAD_REPARSE", 0))
        return spider

    # -- what the pipeline reads ---------------------------------------------------

    def targets(self) -> list[Target]:
        return [*(Target(self.site, "thread", i) for i in self.item_ids),
                *(Target(self.site, "listing", p) for p in self.listings),
                *(Target(self.site, "user", u) for u in self.users)]

    def listing_target(self, url: str) -> str:
        """The listing target a listing page's URL completes, as ``listings`` names it:
        its path and query ("news", "front?day=2026-01-14"); a later page completes none."""
        parts = urlsplit(url)
        return parts.path.lstrip("/") + (f"?{parts.query}" if parts.query else "")

    def adopt(self, kind: str, target: str) -> None:
        """Add a target the crawl took over; called before the first request leaves."""
        known = {"thread": self.item_ids, "listing": self.listings, "user": self.users}[kind]
        if target not in known:
            known.append(target)
            if kind == "thread":
                self.scheduled.add(target)

    # -- the strategy: what a site's spider says -------------------------------------

    def thread_url(self, story_id: str) -> str:
        return self.site_def.item_url(story_id, base_url=self.base_url,
                                      json=self.site_def.json_pages)

    def listing_url(self, path: str) -> str:
        return self.site_def.listing_url(path, base_url=self.base_url,
                                         json=self.site_def.json_pages)

    def user_url(self, name: str) -> str:
        return self.site_def.user_url(name, base_url=self.base_url,
                                      json=self.site_def.json_pages)

    def read_listing(self, response: Response, fetched: FetchedPage, page: int) -> Listing:
        raise NotImplementedError

    def read_user(self, response: Response, fetched: FetchedPage) -> Any:
        raise NotImplementedError

    def parse_thread_page(self, response: Response, label: str, story_id: str,
                          done: Done) -> Iterator[Any]:
        raise NotImplementedError

    def read_thread_page(self, text: str, fetched: FetchedPage, story_id: str) -> Any:
        """What the site's parser reads of one page of a thread (for thread_page)."""
        raise NotImplementedError

    def soft_error(self, response: Response) -> str | None:
        """What makes a status-200 response worth fetching again, or None."""
        text = response.text if hasattr(response, "text") else ""
        return None if text.strip() else "empty body"

    # -- requests --------------------------------------------------------------------

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for path in self.listings:
            yield self.request(self.listing_url(path), self.parse_listing,
                               label=f"{self.site} {path}", page=1)
        for name in self.users:
            yield self.request(self.user_url(name), self.parse_user,
                               label=f"{self.site} user {name}")
        for story_id in self.item_ids:
            yield self.thread_request(self.thread_url(story_id), story_id, ())
        for request in self.other_requests():
            yield request

    def other_requests(self) -> Iterator[scrapy.Request]:
        return iter(())

    def request(self, url: str, callback: Any, **cb_kwargs: Any) -> scrapy.Request:
        # dont_filter: one-shot /x?fnid= links and re-crawls must never be dropped as
        # duplicates.
        return scrapy.Request(url, callback=callback, errback=self.fetch_failed,
                              dont_filter=True, cb_kwargs=cb_kwargs,
                              meta={"soft_errors": True})

    def thread_request(self, url: str, story_id: str, done: Done) -> scrapy.Request:
        return self.request(url, self.parse_thread_page, label=f"{self.site} item {story_id}",
                            story_id=story_id, done=done)

    def schedule_thread(self, story_id: str) -> Iterator[scrapy.Request]:
        """A request for a thread, unless this crawl has one already."""
        if story_id not in self.scheduled:
            self.scheduled.add(story_id)
            yield self.thread_request(self.thread_url(story_id), story_id, ())

    def fetched(self, response: Response) -> FetchedPage:
        return FetchedPage(site=self.site, url=response.url, fetched_at=datetime.now(UTC),
                           status=response.status, body=response.body)

    # -- reading ---------------------------------------------------------------------

    def attempt(
        self, label: str, page: FetchedPage, parse: Callable[[], T], kind: str = "thread"
    ) -> T | FailedPage | None:
        """What ``parse`` read, or else the failure recorded (``args.attempt``)."""
        return attempt(label, page, parse, self.fail, kind)

    def parse_listing(self, response: Response, label: str, page: int,
                      name: str | None = None) -> Iterator[Any]:
        fetched = self.fetched(response)
        listing = self.attempt(label, fetched, lambda: self.read_listing(response, fetched, page),
                               "listing")
        if not isinstance(listing, Listing):
            if listing is not None:
                yield listing
            return
        if name is not None:
            # Old one-shot /x?fnid= pages do not say which listing they continue; we know.
            listing = replace(listing, name=name)
        yield replace(listing, pages=(fetched,))  # every body kept
        if self.threads:
            for entry in listing.entries:
                yield from self.schedule_thread(entry.story_id)
        if listing.next_url and page < self.pages:
            refused = offsite_reason(listing.next_url, self.base_url)
            if refused is not None:
                self.fail(label, refused)
                return
            yield self.request(listing.next_url, self.parse_listing, label=label, page=page + 1,
                               name=listing.name)

    def parse_user(self, response: Response, label: str) -> Iterator[Any]:
        fetched = self.fetched(response)
        user = self.attempt(label, fetched, lambda: self.read_user(response, fetched), "user")
        if isinstance(user, User):
            user = replace(user, pages=(fetched,))  # every body kept
        if user is not None:
            yield user

    def thread_page(self, label: str, story_id: str, done: Done, fetched: FetchedPage,
                    text: str, finish: Callable[[Sequence[Any]], Thread]) -> Iterator[Any]:
        """One page of a thread, read with :meth:`read_thread_page` (whose result has a
        ``next_url``) unless the thread so far is the one the archive holds."""
        if len(done) == 0 and self.stored_pages is not None and not self.reparse:
            self.expected[story_id] = self.stored_pages(story_id)
        expected = self.expected.get(story_id)
        i = len(done)
        if (expected is not None and i < len(expected)
                and expected[i] == (fetched.url, fetched.sha256)
                and all(isinstance(p, Unread) for p, _ in done)):
            done = (*done, (Unread(text), fetched))
            if i + 1 < len(expected):
                yield from self.carry(label, story_id, done, expected[i + 1][0], finish)
            else:
                yield UnchangedThread(site=self.site, story_id=story_id,
                                      pages=tuple(f for _, f in done))
            return
        read: list[tuple[Any, FetchedPage]] = []
        # The pages skipped so far, then this one: a changed page needs the whole tree.
        for unread, page in (*done, (Unread(text), fetched)):
            if not isinstance(unread, Unread):
                read.append((unread, page))
                continue
            parsed = self.attempt(label, page,
                                  partial(self.read_thread_page, unread.text, page, story_id))
            if parsed is None or isinstance(parsed, FailedPage):
                if parsed is not None:
                    yield replace(parsed, story_id=story_id)
                return
            read.append((parsed, page))
        yield from self.carry(label, story_id, tuple(read), read[-1][0].next_url, finish)

    def carry(self, label: str, story_id: str, done: Done, next_url: str | None,
              finish: Callable[[Sequence[Any]], Thread]) -> Iterator[Any]:
        """After a page of a thread: the request for its next page, or the whole thread
        ``finish`` builds from every page's reading, or the pages kept raw on failure."""
        if next_url:
            refused = self.unfollowable(next_url, done)
            if refused is None:
                yield self.thread_request(next_url, story_id, done)
            else:
                yield from self.abandon(label, refused, story_id, done)
            return
        try:
            thread = finish([p for p, _ in done])
        except ParseError as e:
            self.fail(label, e.reason)
            for _, f in done:
                yield FailedPage(page=f, error=str(e), story_id=story_id, kind="thread")
            return
        yield replace(thread, pages=tuple(f for _, f in done))

    def unfollowable(self, next_url: str, done: Done) -> str | None:
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

    # -- failing ---------------------------------------------------------------------

    def abandon(self, label: str, reason: str, story_id: str | None,
                done: Done) -> Iterator[FailedPage]:
        """Fail a thread part-read: never stored as a thread, its pages kept raw."""
        self.fail(label, reason)
        for _, f in done:
            yield FailedPage(page=f, error=f"{label}: {reason}", story_id=story_id)

    def fetch_failed(self, failure: Failure) -> Iterator[FailedPage]:
        request = failure.request  # type: ignore[attr-defined]
        label = request.cb_kwargs.get("label", f"{self.site} {request.url}")
        error = failure.value
        if isinstance(error, RobotsForbidden) and self.site_def.politeness.robots_forbids:
            self.robots_halt(error)
            return
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

    def robots_halt(self, error: RobotsForbidden) -> None:
        """A site whose robots.txt forbids unnamed crawlers everything: the crawl stops
        at the first refusal, with one line saying what the user can do instead."""
        self.halt(f"{self.site}: {error.reason}. {self.site_def.label} asks not to be "
                  "crawled: import pages you saved with `linkthread import PATH`, or, "
                  f"with the site's permission, `linkthread crawl {self.site} ... "
                  "--ignore-robots`")

    def halt(self, message: str) -> None:
        """A failure of the whole crawl (robots.txt forbids the site, no token): one
        line standing for every target left, said once."""
        if self.halted is not None:
            return
        self.halted = message
        self.failures.append(self.halted)
        logger.info(self.halted)
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value("linkthread/errors")
        # No need to stop the engine: every other request is refused the same way
        # before it leaves, and each refusal lands here.

    def fail(self, label: str, reason: str) -> None:
        message = f"{label}: {reason}"
        self.failures.append(message)
        # INFO, not ERROR: the crawl's summary prints each failure once, as "Error: ...".
        logger.info(message)
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value("linkthread/errors")
