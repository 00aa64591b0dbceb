"""Pages of one site asked for as politely as the spider asks, without Scrapy.

What the spider's middlewares do for its thread requests, over http.client
(:mod:`scraper.direct.fetch`):

* robots.txt read once per origin, before anything else, and obeyed; its Crawl-delay
  (for the honest user agent) kept, or LINKTHREAD_CRAWL_DELAY instead, never below
  LINKTHREAD_DOWNLOAD_DELAY; one answered by a 5xx or a 429 (after the retries a page
  gets) forbids everything, as RFC 9309 asks and the spider's middleware does
  (``robots_rules.unreachable``); a 4xx is no file, nothing forbidden; with no answer
  at all the pages are asked, at the delay it asked for before
  (``sites.known_crawl_delays``), and fail on their own if the host is down;
* every request takes its turn in the archive's ``host_pace`` (``archive.pace``), the
  pace every crawl of one archive shares, keyed by host name as Scrapy's slots are;
* one request at a time (CONCURRENT_REQUESTS_PER_DOMAIN = 1), in the crawl's own
  thread: the GET, the pace and its waits (which a stop, ``scraper.direct.stop``, cuts
  short) run where the answer is read;
* 429 and 503, and a status-200 body the site's check calls a soft error (a throttle
  page, a cut body), back off the host (LINKTHREAD_BACKOFF_BASE doubling per strike, up
  to LINKTHREAD_BACKOFF_MAX, at least what Retry-After or a spent RateLimit asks) and
  are retried, LINKTHREAD_SOFT_RETRIES times in all; Scrapy's retried 5xx codes are
  retried at once (RETRY_TIMES); a good answer whose RateLimit is spent holds the host
  until its reset.

Out of retries, a soft error's body is handed back (the parser then says what it is),
and an HTTP error is :class:`FetchFailed` with the spider's words.

An API's client (Reddit's, ``scraper.direct.reddit``) asks with ``robots=False`` (its
terms govern it, not robots.txt: the spider's ``dont_obey_robotstxt``) and
``min_delay`` (the site's published limit, as SiteLimitsMiddleware keeps it),
``budget=True`` (each answer's X-Ratelimit budget spread over its window, as
RateBudgetMiddleware does), ``answers`` (statuses whose body it reads itself: error
objects, a 401 for a new token) and a header of its own on each request.
"""

from __future__ import annotations

import functools
import logging
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from archive import sites
from archive.pace import Claims
from scraper.direct.fetch import Http, HttpFailed
from scraper.direct.stop import Stop
from scraper.headers import budget_delay, env_float, ratelimit_wait, retry_after
from scraper.settings import (
    DEFAULT_MAX_BODY,
    RETRY_HTTP_CODES,
    RETRY_TIMES,
    USER_AGENT,
)

if TYPE_CHECKING:
    from protego import Protego  # imported where robots.txt is read: an API client never

BACK_OFF_STATUSES = (429, 503)
TIMEOUT = 180.0  # Scrapy's DOWNLOAD_TIMEOUT

# The turn of a request in the archive's host_pace: (host, delay, known) -> seconds.
Turn = Callable[[str, float, bool], float]
logger = logging.getLogger(__name__)
SoftError = Callable[[bytes, str, str], "str | None"]  # (body, encoding, url) -> reason


class FetchFailed(Exception):
    """A page that could not be had, in the spider's words."""


class RobotsRefused(Exception):
    """robots.txt forbids the URL; ``reason`` quotes the rule."""

    def __init__(self, reason: str) -> None:
        from scraper.robots_rules import OVERRIDE_HINT

        super().__init__(f"{reason}. {OVERRIDE_HINT}")
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Page:
    url: str  # where it came from, after a redirect
    status: int
    body: bytes
    content_type: str
    encoding: str
    headers: Any = None  # for Retry-After and RateLimit

    def text(self) -> str:
        from w3lib.encoding import html_to_unicode  # what Scrapy's TextResponse decodes with

        return html_to_unicode(self.content_type or None, self.body)[1]


class PageClient:
    """One site's pages, asked for one at a time; use it as ``with``. A stop ends the
    request in flight (``Http.abort``) and every later one with ``Stopped``."""

    def __init__(self, turn: Turn, soft_error: SoftError, *, user_agent: str = USER_AGENT,
                 stop: Stop | None = None, robots: bool = True,
                 min_delay: float = 0.0, budget: bool = False,
                 answers: tuple[int, ...] = ()) -> None:  # fmt: skip
        self.turn = turn
        self.soft_error = soft_error
        self.user_agent = user_agent
        self.stop = stop or Stop()
        self.robots = robots
        self.budget = budget
        self.answers = answers
        # Never below the site's published limit where robots.txt is not what paces.
        self.download_delay = max(env_float("LINKTHREAD_DOWNLOAD_DELAY", 1.0) or 0.0,
                                  min_delay)
        self.override = env_float("LINKTHREAD_CRAWL_DELAY", None)
        self.base = env_float("LINKTHREAD_BACKOFF_BASE", 10.0) or 0.0
        self.ceiling = env_float("LINKTHREAD_BACKOFF_MAX", 600.0) or 0.0
        self.soft_retries = int(env_float("LINKTHREAD_SOFT_RETRIES", 8) or 0)
        self.max_body = int(env_float("LINKTHREAD_MAX_BODY", DEFAULT_MAX_BODY) or 0)
        self.requests = 0
        self._robots: dict[str, tuple[Protego | None, str | None]] = {}
        # origin -> why none of it is asked for (a Crawl-delay not kept, robots.txt
        # unreachable)
        self._refused: dict[str, str] = {}
        self._delays: dict[str, float] = {}
        self._floors: dict[str, float] = {}  # a host's delay before any budget set it
        self._strikes: dict[str, int] = {}
        self._resume_at: dict[str, float] = {}
        self._http = Http(user_agent=user_agent, timeout=TIMEOUT, max_body=self.max_body)
        self._open = False

    def __enter__(self) -> PageClient:
        self._open = True
        self.stop.on_stop(self._http.abort)
        return self

    def __exit__(self, *exc: object) -> None:
        self._open = False
        self._http.close()
        if isinstance(self.turn, SharedPace):
            self.turn.release()

    def get(self, url: str, headers: dict[str, str] | None = None) -> Page:
        """The page at ``url``: RobotsRefused, FetchFailed, or a page to read (a status
        200 or one of ``answers``, or a soft error out of retries)."""
        if self.robots:
            self._obey(url)
        host = urlsplit(url).hostname or ""
        retries = 0
        while True:
            page = self._fetch(url, host, known=True, headers=headers)
            if page.status in self.answers:  # read by the caller, paced as a good one
                self._strikes.pop(host, None)
                self._hold(host, ratelimit_wait(page.headers) or 0.0)
                return page
            if page.status in BACK_OFF_STATUSES:
                waits = [w for w in (retry_after(page.headers.get("Retry-After")),
                                     ratelimit_wait(page.headers)) if w is not None]
                reason: str | None = f"HTTP {page.status}"
                asked = max(waits) if waits else None
            elif page.status in RETRY_HTTP_CODES:
                if retries >= RETRY_TIMES:
                    raise FetchFailed(f"could not fetch {url}: HTTP {page.status}")
                retries += 1
                continue
            elif page.status != 200:
                raise FetchFailed(f"could not fetch {url}: HTTP {page.status}")
            else:
                reason = self.soft_error(page.body, page.encoding, page.url)
                asked = None
            if reason is None:
                self._strikes.pop(host, None)
                self._hold(host, ratelimit_wait(page.headers) or 0.0)
                return page
            strikes = self._strikes[host] = self._strikes.get(host, 0) + 1
            self._hold(host, max(min(self.ceiling, self.base * 2 ** min(strikes - 1, 64)),
                                 asked or 0.0))
            if retries >= self.soft_retries:
                if page.status != 200:
                    raise FetchFailed(f"could not fetch {url}: HTTP {page.status}")
                return page
            retries += 1

    def _hold(self, host: str, wait: float) -> None:
        if wait > 0:
            self._resume_at[host] = max(self._resume_at.get(host, 0.0), time.monotonic() + wait)

    def _obey(self, url: str) -> None:
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        if origin not in self._robots:
            self._robots[origin] = self._read_robots(origin, parts.hostname or "")
        parser, text = self._robots[origin]
        if origin in self._refused:
            raise RobotsRefused(self._refused[origin])
        if parser is None or parser.can_fetch(url, self.user_agent):
            return
        # Imported by a refusal alone: a crawl through an API reads no robots.txt, and
        # the module's rule dataclass and regexes were a share of its start-up.
        from scraper.robots_rules import refusal_reason

        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        raise RobotsRefused(refusal_reason(origin, path, self.user_agent, text))

    def _read_robots(self, origin: str, host: str) -> tuple[Protego | None, str | None]:
        from scraper.robots_rules import unreachable, unreachable_refusal

        page = None
        for _ in range(RETRY_TIMES + 1):  # the retries a page gets
            try:
                page = self._fetch(f"{origin}/robots.txt", host, known=False)
            except FetchFailed:
                page = None
                break
            if page.status not in RETRY_HTTP_CODES:
                break
        if page is None or unreachable(page.status):
            before = sites.known_crawl_delays().get(host)
            self._delay(host, None if before is None else float(before))
            if page is not None:
                self._refused[origin] = unreachable_refusal(origin, f"HTTP {page.status}")
            return None, None
        from protego import Protego

        text = page.body.decode("utf-8", "replace")
        parser = Protego.parse(text)
        asked = parser.crawl_delay(self.user_agent)
        self._delay(host, asked)
        if asked is not None and self.override is None:
            from scraper.robots_rules import delay_refusal

            if (why := delay_refusal(origin, asked)) is not None:
                self._refused[origin] = why
        return parser, text

    def _delay(self, host: str, asked: float | None) -> None:
        floor = self.override if self.override is not None else asked
        self._delays[host] = max(self.download_delay, floor or 0.0)

    def _fetch(self, url: str, host: str, *, known: bool,
               headers: dict[str, str] | None = None) -> Page:
        if not self._open:
            raise RuntimeError("PageClient is used outside `with`")
        # A stop cuts a wait short, and ends the visit (Stopped).
        self.stop.wait(self._resume_at.get(host, 0.0) - time.monotonic())
        self.stop.wait(self.turn(host, self._delays.get(host, self.download_delay), known))
        self.requests += 1
        sent = time.monotonic()
        try:
            answer = self._http.get(url, headers)
        except HttpFailed as e:
            self.stop.check()  # a stop shut the socket under the request
            raise FetchFailed(f"could not fetch {url}: {e}") from None
        if self.budget:
            self._spread(host, answer.headers, sent)
        content_type = answer.headers.get("Content-Type", "")
        return Page(url=answer.url, status=answer.status, body=answer.body,
                    content_type=content_type, headers=answer.headers,
                    encoding=_encoding(content_type))

    def _spread(self, host: str, headers: Any, sent: float) -> None:
        """The host's pace from the answer's budget: the seconds left over the requests
        left, never below the delay it kept before (RateBudgetMiddleware's rule). The
        shared turn keeps it from the next request on; the next one is held too, as
        Scrapy's slot counts its delay from the request just sent."""
        spread = budget_delay(headers)
        if spread is not None:
            delay = self._delays[host] = max(self._floors.setdefault(
                host, self._delays.get(host, self.download_delay)), spread)
            self._resume_at[host] = max(self._resume_at.get(host, 0.0), sent + delay)


# What w3lib makes of the Content-Types the APIs answer with, known without importing it
# (~2 ms of every crawl's start-up); any other is w3lib's to read.
UTF8_TYPES = frozenset({"application/json; charset=utf-8", "text/html; charset=utf-8"})


@functools.lru_cache(maxsize=64)  # a site answers with one or two Content-Types
def _encoding(content_type: str) -> str:
    if content_type.lower() in UTF8_TYPES:
        return "utf-8"
    from w3lib.encoding import http_content_type_encoding

    return http_content_type_encoding(content_type) or "utf-8"


class SharedPace:
    """A crawl's turns in the archive's host_pace (``archive.pace.Claims``), on the
    crawl's own connection: a turn the crawl has claimed already is taken with no write,
    most requests' turns."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.claims = Claims()

    def __call__(self, host: str, delay: float, known: bool) -> float:
        return self.claims.take(self.conn, host, delay, time.time(), known=known)

    def release(self) -> None:
        """The turns claimed and not taken handed back to the other crawls."""
        from archive.errors import ArchiveError

        try:
            self.claims.release(self.conn)
        except (sqlite3.Error, ArchiveError) as e:
            # Lost, they only hold the other crawls back until the claim's end.
            logger.warning("could not hand back the turns claimed in host_pace: %s", e)
