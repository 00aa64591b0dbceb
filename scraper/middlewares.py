"""Soft-error detection: pages served with status 200 that are not the page asked for.

HN answers an over-eager client with "Sorry, we're not able to serve your requests this
quickly." and status 200, so Scrapy's RetryMiddleware never sees it. Each spider says
what a soft error looks like for its site (``spider.soft_error(response)``) and marks
the requests it wants checked with ``meta["soft_errors"]`` (robots.txt and other
requests are left alone). This middleware retries such responses and makes every
request to that host wait out a back-off that doubles per consecutive strike, because
the site asked all of us to slow down, not only the request that hit the limit.

429 (Too Many Requests) and 503 (Service Unavailable) are the same request said in HTTP,
so they take the same per-host back-off, and wait at least what their Retry-After asks
(seconds or an HTTP date). Scrapy's RetryMiddleware leaves those two codes to us (see
RETRY_HTTP_CODES in settings): it would retry at once, which is what the site asked us
not to do.
"""

from __future__ import annotations

import logging
import os
import time
from typing import Any, overload
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.retry import get_retry_request
from scrapy.http import Response

from scraper.headers import ratelimit_wait as ratelimit_wait
from scraper.headers import retry_after as retry_after
from scraper.stopping import stopping

logger = logging.getLogger(__name__)


BACK_OFF_STATUSES = (429, 503)


@overload
def setting_or_env(crawler: Crawler, name: str, default: float) -> float: ...
@overload
def setting_or_env(crawler: Crawler, name: str, default: None) -> float | None: ...
def setting_or_env(crawler: Crawler, name: str, default: float | None) -> float | None:
    """A LINKTHREAD_* setting, or the environment variable of that name, or the default
    (an empty value counts as unset)."""
    value = crawler.settings.get(name)
    if value is None or value == "":
        value = os.environ.get(name) or default
    return None if value is None else float(value)


class SoftErrorMiddleware:
    def __init__(self, crawler: Crawler, *, base: float, ceiling: float, retries: int) -> None:
        self.crawler = crawler
        self.base = base
        self.ceiling = ceiling
        self.retries = retries
        self._strikes: dict[str, int] = {}
        self._resume_at: dict[str, float] = {}
        self._why: dict[str, str] = {}  # the last strike of each host, for the progress line

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SoftErrorMiddleware:
        return cls(
            crawler,
            base=setting_or_env(crawler, "LINKTHREAD_BACKOFF_BASE", 10),
            ceiling=setting_or_env(crawler, "LINKTHREAD_BACKOFF_MAX", 600),
            retries=int(setting_or_env(crawler, "LINKTHREAD_SOFT_RETRIES", 8)),
        )

    def backoff(self, strikes: int) -> float:
        # A long outage can strike a host thousands of times in a row; 2 ** 1024 would
        # overflow a float, and by 2 ** 64 any base has long reached any ceiling.
        return min(self.ceiling, self.base * 2 ** min(max(0, strikes - 1), 64))

    async def process_request(self, request: Request) -> None:
        host = urlsplit(request.url).netloc
        wait = self._resume_at.get(host, 0.0) - time.monotonic()
        # A wait Ctrl-C cuts short (a back-off lasts up to LINKTHREAD_BACKOFF_MAX); every
        # request passes here, so one reaching the downloader after a stop is dropped.
        await stopping(self.crawler).wait(
            request, wait, f"back-off of {host} after {self._why.get(host, 'an error')}")

    def process_response(self, request: Request, response: Response) -> Request | Response:
        spider: Any = self.crawler.spider
        host = urlsplit(request.url).netloc
        asked: float | None = None
        reason: str | None
        if response.status in BACK_OFF_STATUSES and not request.meta.get("dont_retry"):
            # Any request, robots.txt too: the whole host asked for a pause.
            reason = f"HTTP {response.status}"
            waits = [w for w in (retry_after(response.headers.get("Retry-After")),
                                 ratelimit_wait(response.headers)) if w is not None]
            asked = max(waits) if waits else None
        else:
            reason = self.soft_error(request, response)
        if reason is None:
            self._strikes.pop(host, None)
            self.keep_rate_limit(request, response)
            return response
        strikes = self._strikes.get(host, 0) + 1
        self._strikes[host] = strikes
        delay = max(self.backoff(strikes), asked or 0.0)
        # Never pull an earlier, longer wait forward.
        resume = self._resume_at[host] = max(self._resume_at.get(host, 0.0),
                                             time.monotonic() + delay)
        self.hold_slot(request, resume)
        self._why[host] = f"{reason} (strike {strikes})"
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(f"linkthread/soft_error/{reason}")
        retry = get_retry_request(
            request, spider=spider, reason=f"soft error: {reason}", max_retry_times=self.retries
        )
        if retry is None:
            # Out of retries: the spider's parser raises its precise error for the page, or
            # HttpErrorMiddleware hands the 429/503 to its errback.
            return response
        logger.warning("%s: %s; backing off %s for %.3g s%s", request.url, reason, host, delay,
                       "" if asked is None else f" (Retry-After: {asked:g} s)")
        return retry

    def keep_rate_limit(self, request: Request, response: Response) -> None:
        """A good answer that says no requests are left until a reset: wait for it
        before the next request to that host, rather than be refused."""
        wait = ratelimit_wait(response.headers)
        if not wait:
            return
        host = urlsplit(request.url).netloc
        resume = self._resume_at[host] = max(self._resume_at.get(host, 0.0),
                                             time.monotonic() + wait)
        self.hold_slot(request, resume)
        self._why[host] = "its rate limit (RateLimit-Remaining: 0)"
        logger.info("%s: no requests left in the rate limit; waiting %.3g s", host, wait)

    def hold_slot(self, request: Request, resume: float) -> None:
        """Make the host's download slot wait until ``resume`` too.

        process_request holds back only the requests that reach it later: those already
        queued in the slot (up to CONCURRENT_REQUESTS, waiting out the Crawl-delay) passed
        it before the strike and would go out on time. The slot sends its next request
        no sooner than its delay after ``lastseen``, so that is moved on. A slot with no
        delay at all (both delays set to 0) has no such wait to move.
        """
        engine = self.crawler.engine
        if engine is None:
            return
        downloader = engine.downloader
        slot = downloader.slots.get(downloader.get_slot_key(request))
        if slot is None or not slot.delay:
            return
        shortest = slot.delay * max(0.0, 1 - slot.jitter)  # its random variation's low end
        slot.lastseen = max(slot.lastseen, resume - shortest)

    def soft_error(self, request: Request, response: Response) -> str | None:
        """Why a status-200 page the spider asked to have checked is not the page, or None."""
        check = getattr(self.crawler.spider, "soft_error", None)
        if check is None or not request.meta.get("soft_errors") or response.status != 200:
            return None
        reason: str | None = check(response)
        return reason
