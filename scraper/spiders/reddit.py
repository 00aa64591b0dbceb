"""Reddit through its official OAuth API: what to request for a target, and a thread's
expansion until nothing of it is left unread.

A thread is ``GET /comments/ID`` (in the ``sort`` asked for, ``confidence`` by
default), then every stub that page and the later ones hold, largest first, as PRAW's
``replace_more`` takes them: a "load more comments" stub is ``GET /api/morechildren``
with at most 100 of its ids (the rest stays a stub of its own), a "continue this
thread" stub (count 0, id ``_``) is ``GET /comments/ID/_/PARENT``. Reddit refuses
concurrent morechildren calls from one client, so the spider sends one at a time,
whatever the download settings: the others wait in ``_more_waiting``. Each answer is
decoded once, when it comes, and placed in the thread so far (``ThreadPages``), which
gives the stubs it holds; an answer it refuses leaves the thread as it was, its stub a
gap. When nothing is left, or ``max_requests`` is spent, the placed answers are one
Thread saved in one transaction; what stayed unexpanded is its ``unexpanded`` count
(``linkthread gaps``). A crawl stopped mid-expansion has stored nothing of the thread
and its target stays queued: ``--resume`` reads it again from the first page. A
re-crawl whose answers come back with the bodies its latest crawl read places none of
them: it is an ``UnchangedThread`` (reddit_revisit.py).

The API is reached with the user's own approved client under Reddit's API terms, not
as a crawler of www.reddit.com: its requests carry ``dont_obey_robotstxt`` (Reddit's
robots.txt forbids every crawler, its API terms are what governs a client) and keep
the published limit instead, 100 requests a minute (``Politeness.min_delay``), and the
``X-Ratelimit-*`` budget each answer states (scraper/ratelimit.py).
"""

from __future__ import annotations

import contextlib
import logging
from collections import deque
from collections.abc import Iterator
from dataclasses import replace
from typing import Any, ClassVar
from urllib.parse import parse_qsl, urlencode, urlsplit

import scrapy
from scrapy.http import Response
from scrapy.settings import BaseSettings
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from archive import sites
from archive.models import FetchedPage, Listing, User
from archive.revisits import page_set
from scraper import __version__
from scraper.items import FailedPage
from scraper.parsers.errors import ParseError
from scraper.parsers.reddit import listing as reddit_listing
from scraper.parsers.reddit.errors import check_text, read_json
from scraper.parsers.reddit.thread import More, ThreadPages
from scraper.spiders import reddit_revisit as revisit
from scraper.spiders.args import retry_reason, split_args
from scraper.spiders.base import SiteSpider
from scraper.spiders.reddit_auth import (
    REFUSED_AGAIN,
    CredentialsMissing,
    Unauthorized,
    load_credentials,
    user_agent,
)
from scraper.spiders.reddit_stubs import Expansion, held, largest_first, next_call

logger = logging.getLogger(__name__)

SORTS = ("confidence", "top", "new", "controversial", "old", "qa")
# Every row this spider stores came through the official API (archive.sources): what
# Reddit's API terms on deleted content apply to.
SOURCE = "api"
# Statuses whose body says what went wrong (quarantined, private, not found): read
# them, rather than let Scrapy drop them as a bare "HTTP 403".
ERROR_BODIES = [400, 403, 404, 413]
# Every API request: signed with the token, not robots.txt's to pace (the API is not a
# crawl of pages) but the published limit's (scraper.politeness.SiteLimitsMiddleware).
API_META = {"oauth": True, "api": True, "dont_obey_robotstxt": True,
            "handle_httpstatus_list": ERROR_BODIES}


class RedditSpider(SiteSpider):
    name = "reddit"
    site_def = sites.REDDIT
    page_source = SOURCE
    options: ClassVar[frozenset[str]] = frozenset({"sort", "max_requests"})

    def __init__(self, *args: Any, comments: str = "", sort: str = "confidence",
                 max_requests: str = "", **kwargs: Any) -> None:
        self.comment_ids = split_args(comments)
        super().__init__(*args, **kwargs)
        if sort not in SORTS:
            raise ValueError(f"--sort {sort!r}: Reddit sorts comments by {', '.join(SORTS)}")
        self.sort = sort
        self.max_requests = int(max_requests) if max_requests != "" else None
        self.crawl_args.update(comments=self.comment_ids, sort=sort)
        if self.max_requests is not None:
            self.crawl_args["max_requests"] = self.max_requests
        self._more_busy = False
        self._more_waiting: deque[scrapy.Request] = deque()

    @classmethod
    def preflight(cls) -> str | None:
        try:
            load_credentials()
        except CredentialsMissing as e:
            return str(e)
        return None

    @classmethod
    def update_settings(cls, settings: BaseSettings) -> None:
        super().update_settings(settings)
        # The project's middlewares and the signing one, for this spider only.
        middlewares = dict(settings.getdict("DOWNLOADER_MIDDLEWARES"))
        middlewares["scraper.spiders.reddit_auth.OAuthMiddleware"] = 587
        settings.set("DOWNLOADER_MIDDLEWARES", middlewares, priority="spider")
        # Without credentials `crawl` has refused already; the middleware says it again.
        with contextlib.suppress(CredentialsMissing):
            settings.set("USER_AGENT", user_agent(load_credentials(), __version__),
                         priority="spider")

    def has_other_targets(self) -> bool:
        return bool(self.comment_ids)

    # -- where -----------------------------------------------------------------

    def api(self, path: str, **params: str) -> str:
        query = urlencode({"raw_json": "1", **params})
        return f"{self.base_url}/{path.lstrip('/')}{'&' if '?' in path else '?'}{query}"

    def thread_url(self, story_id: str) -> str:
        return self.api(f"comments/{story_id}", sort=self.sort)

    def listing_url(self, path: str) -> str:
        return self.api(path, limit="100")

    def user_url(self, name: str) -> str:
        return self.api(f"user/{name}/about")

    def listing_target(self, url: str) -> str:
        """``r/SUB/hot`` or ``r/SUB/top?t=week`` for a first page; a later page (one with
        ``after``) completes no target."""
        parts = urlsplit(url)
        query = [(k, v) for k, v in parse_qsl(parts.query) if k not in ("raw_json", "limit")]
        path = parts.path.removeprefix(urlsplit(self.base_url).path).lstrip("/")
        return path + (f"?{urlencode(query)}" if query else "")

    def request(self, url: str, callback: Any, **cb_kwargs: Any) -> scrapy.Request:
        request = super().request(url, callback, **cb_kwargs)
        request.meta.update(API_META)
        return request

    def other_requests(self) -> Iterator[scrapy.Request]:
        for comment_id in self.comment_ids:
            yield self.request(self.api("api/info", id=f"t1_{comment_id}"), self.parse_comment,
                               label=f"{self.site} comment {comment_id}")

    # -- reading ---------------------------------------------------------------

    def soft_error(self, response: Response) -> str | None:
        """A 200 that is no answer (an empty or cut body, the throttle page, a 5xx page
        or a RATELIMIT error in a small JSON body): fetched again after a back-off."""
        text = response.text if hasattr(response, "text") else ""
        # Error objects are small: a thread's answer is not decoded twice.
        check = read_json if len(text) < 4096 else check_text
        return retry_reason(lambda: check(text, url=response.url))

    def refused(self, response: Response, label: str) -> bool:
        """An error answer (403 quarantined or private, 404, ...): its one line, once."""
        if response.status < 400:
            return False
        try:
            read_json(response.text, url=response.url)
            reason = f"HTTP {response.status}"
        except ParseError as e:
            reason = e.reason
        self.fail(label, reason)
        return True

    def parse_listing(self, response: Response, label: str, page: int,
                      name: str | None = None) -> Iterator[Any]:
        if self.refused(response, label):
            return
        for item in super().parse_listing(response, label, page, name):
            if isinstance(item, Listing) and reddit_listing.reached_cap(item):
                logger.warning("%s: Reddit lists no more than %d items; this listing "
                               "ended there", label, reddit_listing.LISTING_CAP)
            yield item

    def read_listing(self, response: Response, fetched: FetchedPage, page: int) -> Listing:
        return reddit_listing.parse_listing(response.text, url=response.url,
                                            fetched_at=fetched.fetched_at, source=SOURCE)

    def parse_user(self, response: Response, label: str) -> Iterator[Any]:
        if self.refused(response, label):
            return
        yield from super().parse_user(response, label)
        if self.threads:  # and the threads of their comments, --pages pages of them
            name = urlsplit(response.url).path.rstrip("/").split("/")[-2]
            yield self.request(self.api(f"user/{name}/comments", limit="100"),
                               self.parse_user_comments, label=label, name=name, page=1)

    def parse_user_comments(self, response: Response, label: str, name: str,
                            page: int) -> Iterator[Any]:
        """A user's comments: each one's thread is crawled whole (a comment is stored
        in its place in its tree, never alone)."""
        if self.refused(response, label):
            return
        try:
            data = read_json(response.text, url=response.url)["data"]
            links = [c["data"]["link_id"] for c in data["children"] if c["kind"] == "t1"]
        except ParseError as e:
            self.fail(label, e.reason)
            return
        except (KeyError, TypeError):
            self.fail(label, f"{response.url} is not a listing of comments")
            return
        for link in dict.fromkeys(links):
            yield from self.schedule_thread(str(link).removeprefix("t3_"))
        after = data.get("after")
        if isinstance(after, str) and after and page < self.pages:
            yield self.request(self.api(f"user/{name}/comments", limit="100", after=after),
                               self.parse_user_comments, label=label, name=name,
                               page=page + 1)

    def read_user(self, response: Response, fetched: FetchedPage) -> User:
        return reddit_listing.parse_user(response.text, url=response.url,
                                         fetched_at=fetched.fetched_at, source=SOURCE)

    def parse_comment(self, response: Response, label: str) -> Iterator[Any]:
        """A comment's thread, from the ``link_id`` /api/info gives for it."""
        if self.refused(response, label):
            return
        try:
            found = read_json(response.text, url=response.url)
            link = found["data"]["children"][0]["data"]["link_id"]
        except ParseError as e:
            self.fail(label, e.reason)
            return
        except (KeyError, IndexError, TypeError):
            self.fail(label, f"{response.url} names no comment of that id")
            return
        yield from self.schedule_thread(str(link).removeprefix("t3_"))

    # -- a thread: the first page, then every stub ------------------------------

    def parse_thread_page(self, response: Response, label: str, story_id: str,
                          done: Any) -> Iterator[Any]:
        if self.refused(response, label):
            return
        fetched = self.fetched(response)
        expected = revisit.expected_pages(self, story_id)
        if expected is not None and expected[0] == page_set((fetched,))[0]:
            yield from revisit.follow(self, Expansion(
                story_id=story_id, label=label, pages=(fetched,), expected=expected,
                unread=(response.text,)))
            return
        built = ThreadPages()
        stubs = self.attempt(label, fetched,
                             lambda: tuple(built.add(response.text, url=response.url)))
        if not isinstance(stubs, tuple):
            if stubs is not None:
                yield stubs
            return
        state = Expansion(story_id=story_id, label=label, pages=(fetched,),
                          stubs=largest_first(stubs), built=built)
        yield from self.expand(state)

    def expand(self, state: Expansion) -> Iterator[Any]:
        """The next stub's request, or the whole thread once none is left to ask for."""
        capped = self.max_requests is not None and state.requests >= self.max_requests
        call, state = (None, state) if capped else next_call(state, sort=self.sort)
        if call is None:
            yield from self.finish(state)
            return
        yield from self.send(self.expansion_request(self.api(call.path, **call.params), state,
                                                    call.stub, call.morechildren))

    def expansion_request(self, url: str, state: Expansion, stub: More | None,
                          morechildren: bool) -> scrapy.Request:
        kwargs = {"label": state.label, "state": state, "stub": stub}
        return scrapy.Request(url, callback=self.parse_expansion, errback=self.expansion_failed,
                              dont_filter=True, cb_kwargs=kwargs,
                              meta={"soft_errors": True, **API_META, "morechildren": morechildren})

    def send(self, request: scrapy.Request) -> Iterator[scrapy.Request]:
        """A request, unless it is a morechildren call while another is out: then it
        waits for that one's answer (``sent``)."""
        if request.meta["morechildren"]:
            if self._more_busy:
                self._more_waiting.append(request)
                return
            self._more_busy = True
        yield request

    def sent(self, request: scrapy.Request) -> Iterator[scrapy.Request]:
        """A stub's request has its answer: the next morechildren call may go."""
        if request.meta.get("morechildren"):
            self._more_busy = False
            if self._more_waiting:
                yield from self.send(self._more_waiting.popleft())

    def parse_expansion(self, response: Response, label: str, state: Expansion,
                        stub: More | None) -> Iterator[Any]:
        yield from self.sent(response.request) if response.request else iter(())
        if state.expected is not None or stub is None:
            yield from revisit.followed(self, response, state)
            return
        if response.status >= 400:
            yield from self.give_up(state, stub, f"HTTP {response.status}")
            return
        fetched = self.fetched(response)
        # Placed as it comes, so its body is decoded once. An error object or a
        # RATELIMIT answer, or an answer that does not fit the thread, is a ParseError
        # that leaves the thread as it was: one line, its stub a gap.
        try:
            found = tuple(state.built.add(response.text, url=response.url))
        except ParseError as e:
            yield FailedPage(page=fetched, error=str(e), story_id=state.story_id)
            yield from self.give_up(state, stub, e.reason)
            return
        yield from self.expand(replace(state, pages=(*state.pages, fetched),
                                       stubs=largest_first((*state.stubs, *found))))

    def expansion_failed(self, failure: Failure) -> Iterator[Any]:
        request = failure.request  # type: ignore[attr-defined]
        yield from self.sent(request)
        if isinstance(failure.value, Unauthorized):
            self.halt(f"{self.site}: {failure.value}")
            return
        error = failure.value
        why = (f"HTTP {error.response.status}" if isinstance(error, HttpError)
               else failure.getErrorMessage())
        kwargs = request.cb_kwargs
        if kwargs["stub"] is None:  # following the latest crawl's answers
            yield from revisit.followed(self, None, kwargs["state"])
            return
        yield from self.give_up(kwargs["state"], kwargs["stub"], why)

    def give_up(self, state: Expansion, stub: More, why: str) -> Iterator[Any]:
        """A stub that could not be expanded stays a gap; the rest goes on."""
        logger.warning("%s: could not expand a stub of %d comment(s) (%s); it is kept as "
                       "a gap", state.label, held([stub]), why)
        yield from self.expand(replace(state, failed=(*state.failed, stub)))

    def finish(self, state: Expansion) -> Iterator[Any]:
        try:
            thread = state.built.thread(fetched_at=state.pages[0].fetched_at, sort=self.sort)
        except ParseError as e:
            self.fail(state.label, e.reason)
            for f in state.pages:
                yield FailedPage(page=f, error=str(e), story_id=state.story_id)
            return
        # What this crawl did not ask for, or asked for in vain; the stubs' own counts
        # (split stubs their share), which the parser's placement does not keep.
        left = (*state.stubs, *state.failed)
        gap = held(left)
        if gap:
            cap = (f"--max-requests {self.max_requests}" if state.stubs else "errors")
            logger.warning("%s: stored with %d comment(s) in %d stub(s) left unexpanded "
                           "(%s); `linkthread gaps` lists it", state.label, gap, len(left), cap)
        yield replace(thread, pages=state.pages, unexpanded=gap,
                      source=SOURCE)

    # -- failing ---------------------------------------------------------------

    def fetch_failed(self, failure: Failure) -> Iterator[FailedPage]:
        error = failure.value
        if isinstance(error, Unauthorized):
            self.halt(f"{self.site}: {error}")
            return iter(())
        if isinstance(error, HttpError) and error.response.status == 401:
            self.halt(f"{self.site}: {REFUSED_AGAIN}")
            return iter(())
        return super().fetch_failed(failure)
