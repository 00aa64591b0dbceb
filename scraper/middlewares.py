"""Soft-error detection: pages served with status 200 that are not the page asked for.

HN answers an over-eager client with "Sorry, we're not able to serve your requests this
quickly." and status 200, so Scrapy's RetryMiddleware never sees it. Each spider says
what a soft error looks like for its site (``spider.soft_error(response)``) and marks
the requests it wants checked with ``meta["soft_errors"]`` (robots.txt and other
requests are left alone). This middleware retries such responses and makes every
request to that host wait out a back-off that doubles per consecutive strike, because
the site asked all of us to slow down, not only the request that hit the limit.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from typing import Any
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.retry import get_retry_request
from scrapy.http import Response

logger = logging.getLogger(__name__)


def setting_or_env(crawler: Crawler, name: str, default: float) -> float:
    """A LINKTHREAD_* setting, or the environment variable of that name, or the default."""
    value = crawler.settings.get(name)
    if value is None:
        value = os.environ.get(name, default)
    return float(value)


class SoftErrorMiddleware:
    def __init__(self, crawler: Crawler, *, base: float, ceiling: float, retries: int) -> None:
        self.crawler = crawler
        self.base = base
        self.ceiling = ceiling
        self.retries = retries
        self._strikes: dict[str, int] = {}
        self._resume_at: dict[str, float] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SoftErrorMiddleware:
        return cls(
            crawler,
            base=setting_or_env(crawler, "LINKTHREAD_BACKOFF_BASE", 10),
            ceiling=setting_or_env(crawler, "LINKTHREAD_BACKOFF_MAX", 600),
            retries=int(setting_or_env(crawler, "LINKTHREAD_SOFT_RETRIES", 8)),
        )

    def backoff(self, strikes: int) -> float:
        return min(self.ceiling, self.base * 2 ** max(0, strikes - 1))

    async def process_request(self, request: Request) -> None:
        wait = self._resume_at.get(urlsplit(request.url).netloc, 0.0) - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)

    def process_response(self, request: Request, response: Response) -> Request | Response:
        spider: Any = self.crawler.spider
        check = getattr(spider, "soft_error", None)
        host = urlsplit(request.url).netloc
        reason = None
        if check is not None and request.meta.get("soft_errors") and response.status == 200:
            reason = check(response)
        if reason is None:
            self._strikes.pop(host, None)
            return response
        strikes = self._strikes.get(host, 0) + 1
        self._strikes[host] = strikes
        delay = self.backoff(strikes)
        self._resume_at[host] = time.monotonic() + delay
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(f"linkthread/soft_error/{reason}")
        retry = get_retry_request(
            request, spider=spider, reason=f"soft error: {reason}", max_retry_times=self.retries
        )
        if retry is None:
            # Out of retries: let the spider's parser raise its precise error for the page.
            return response
        logger.warning("%s: %s; retrying in %.1f s", request.url, reason, delay)
        return retry
