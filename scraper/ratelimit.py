"""A rate-limit budget spread over its window, from ``X-Ratelimit-*`` headers.

An API that says how many requests are left (``X-Ratelimit-Remaining``) until its
window ends (``X-Ratelimit-Reset``, seconds) lets a client go at full speed until the
budget runs out and then wait out the rest of the window: a burst, then a stall. Here
each answer sets the host's pace instead: the seconds left over the requests left,
never below the delay the crawl would keep anyway (the site's published limits,
LINKTHREAD_MIN_DELAY, DOWNLOAD_DELAY, robots.txt's Crawl-delay), so a budget can only
slow a crawl down. The pace is the download slot's delay, which is also the turn every
crawl of the archive shares (scraper/pace.py). A budget of zero is a wait, not a pace:
SoftErrorMiddleware keeps that one (``middlewares.ratelimit_wait``).
"""

from __future__ import annotations

import logging

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.http import Response

from scraper.headers import budget_delay
from scraper.middlewares import setting_or_env

__all__ = ["RateBudgetMiddleware", "budget_delay"]

logger = logging.getLogger(__name__)


class RateBudgetMiddleware:
    """Sets each host's pace from its rate-limit budget (see the module docstring)."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.override = setting_or_env(crawler, "LINKTHREAD_MIN_DELAY", None)
        self._floors: dict[str, float] = {}  # slot -> the delay it kept before any budget

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RateBudgetMiddleware:
        return cls(crawler)

    def floor(self, key: str, slot_delay: float) -> float:
        """The least delay of a slot: what it kept before a budget set it, and the
        site's published limit (LINKTHREAD_MIN_DELAY replaces that one)."""
        if key not in self._floors:
            site = getattr(self.crawler.spider, "site_def", None)
            published = self.override if self.override is not None else (
                site.politeness.min_delay if site is not None else 0.0)
            self._floors[key] = max(slot_delay, published)
        return self._floors[key]

    def process_response(self, request: Request, response: Response) -> Response:
        spread = budget_delay(response.headers)
        engine = self.crawler.engine
        if spread is None or engine is None:
            return response
        downloader = engine.downloader
        key = downloader.get_slot_key(request)
        slot = downloader.slots.get(key)
        if slot is None:
            return response
        delay = max(self.floor(key, slot.delay), spread)
        if abs(delay - slot.delay) > 1e-6:
            logger.debug("%s: %.3g s between requests (rate-limit budget: %s left, reset"
                         " in %s s)", key, delay, response.headers.get("X-Ratelimit-Remaining"),
                         response.headers.get("X-Ratelimit-Reset"))
        # The live slot, and the settings of the one Scrapy makes if this one goes idle.
        slot.delay, slot.jitter = delay, 0.0
        downloader.per_slot_settings.setdefault(key, {}).update(delay=delay, jitter=0.0)
        return response
