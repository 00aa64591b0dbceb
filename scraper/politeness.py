"""Politeness: robots.txt's Crawl-delay is kept, and a refusal says which rule refused.

Scrapy's RobotsTxtMiddleware obeys Allow and Disallow but ignores Crawl-delay, and a
refused request leaves only "Forbidden by robots.txt" in the debug log, so a crawl that
robots.txt forbids looks like a crawl that found nothing. This module replaces it:

- the Crawl-delay robots.txt asks of our user agent becomes the delay of that site's
  download slot (never shortened by Scrapy's random jitter), before the first request
  after robots.txt leaves; ``LINKTHREAD_CRAWL_DELAY`` replaces it when the user sets it,
  with a warning when that asks for less than the site does;
- a forbidden request fails with ``RobotsForbidden``, whose message names the rule, the
  user-agent group it sits in, and how to override it knowingly.

Protego (Scrapy's default parser) decides what is allowed; the small matcher here only
finds the line to quote, so a disagreement costs a vaguer message, never a wrong crawl.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.robotstxt import ProtegoRobotParser, RobotParser, decode_robotstxt
from scrapy.utils.python import to_unicode

from scraper.middlewares import setting_or_env
from scraper.robots_rules import (
    OVERRIDE_HINT,
    delay_refusal,
    refusal_reason,
    unreachable,
    unreachable_refusal,
)
from scraper.robots_rules import Rule as Rule
from scraper.robots_rules import agent_score as agent_score
from scraper.robots_rules import deciding_rule as deciding_rule
from scraper.robots_rules import pattern_matches as pattern_matches
from scraper.robots_rules import read_groups as read_groups
from scraper.robots_rules import refusal as refusal

logger = logging.getLogger(__name__)



class RobotsForbidden(IgnoreRequest):
    """A request robots.txt forbids; the message is meant for the user, as it stands.
    ``reason`` is the refusal without the hint, for a caller that gives its own."""

    def __init__(self, message: str, reason: str | None = None) -> None:
        super().__init__(message)
        self.reason = reason or message


class RobotsText(ProtegoRobotParser):
    """Protego's parser that also keeps the text it parsed, so a refusal can quote it.

    Installed through ROBOTSTXT_PARSER, Scrapy's own hook for the parser, so one object
    per host holds both the decision and the words behind it."""

    def __init__(self, robotstxt_body: bytes, spider: Spider | None) -> None:
        super().__init__(robotstxt_body, spider)
        self.text = decode_robotstxt(robotstxt_body, spider)


class PoliteRobotsTxtMiddleware(RobotsTxtMiddleware):
    """Scrapy's RobotsTxtMiddleware, plus Crawl-delay and refusals that explain
    themselves. Registered in its place (DOWNLOADER_MIDDLEWARES), off with ROBOTSTXT_OBEY."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.override: float | None = setting_or_env(crawler, "LINKTHREAD_CRAWL_DELAY", None)
        self._paced: set[str] = set()  # netlocs whose robots.txt has set their pace
        self._floors: dict[str, float] = {}  # download slot -> the delay it must keep
        # netloc -> why none of it is asked for (a Crawl-delay not kept, robots.txt
        # unreachable)
        self._refused: dict[str, str] = {}

    def user_agent(self, request: Request) -> str:
        agent = self._robotstxt_useragent or request.headers.get(
            b"User-Agent", self._default_useragent)
        return to_unicode(agent or "")

    async def robot_parser(self, request: Request) -> RobotParser | None:
        parser = await super().robot_parser(request)
        if parser is None:
            # Scrapy 2.19 awaits one shared Deferred per host, and Twisted's asFuture()
            # passes None down its chain: of the requests that waited for robots.txt,
            # only the first gets the parser and the rest would go unchecked. By then the
            # table holds the parser itself (or None when robots.txt could not be read).
            settled = self._parsers.get(urlsplit(request.url).netloc)
            if isinstance(settled, RobotParser):
                parser = settled
        return parser

    async def process_request(self, request: Request, spider: Spider | None = None) -> None:
        if request.meta.get("dont_obey_robotstxt") or request.url.startswith(("data:", "file:")):
            return
        parser = await self.robot_parser(request)
        self.pace(request, parser)
        refused = self._refused.get(urlsplit(request.url).netloc)
        if refused is not None:
            self._stats.inc_value("robotstxt/forbidden")
            raise RobotsForbidden(f"{refused}. {OVERRIDE_HINT}", refused)
        if parser is None:  # no answer came (the pages' own requests say why) or a 4xx
            return
        agent = self.user_agent(request)
        if parser.allowed(request.url, agent):
            return
        self._stats.inc_value("robotstxt/forbidden")
        parts = urlsplit(request.url)
        path = parts.path or "/"
        if parts.query:
            path += f"?{parts.query}"
        reason = refusal_reason(f"{parts.scheme}://{parts.netloc}", path, agent,
                         getattr(parser, "text", None))
        raise RobotsForbidden(f"{reason}. {OVERRIDE_HINT}", reason)

    async def _parse_robots(self, response: Response, netloc: str, request: Request) -> None:
        # Scrapy parses whatever body came: a 5xx's error page read as rules allows all.
        if unreachable(response.status):
            origin = f"{urlsplit(request.url).scheme}://{netloc}"  # as asked, not redirected
            self._refused[netloc] = unreachable_refusal(origin, f"HTTP {response.status}")
            self._stats.inc_value(f"robotstxt/response_status_count/{response.status}")
            self._robots_error(IgnoreRequest(f"robots.txt: HTTP {response.status}"), netloc)
            return
        await super()._parse_robots(response, netloc, request)

    def pace(self, request: Request, parser: RobotParser | None) -> None:
        """Make the host's download slot wait what robots.txt (or the user) asks, once per
        host, before this request is queued in it."""
        netloc = urlsplit(request.url).netloc
        if netloc in self._paced:
            return
        self._paced.add(netloc)
        if parser is not None:
            floor, source = parser.crawl_delay(self.user_agent(request)), "robots.txt Crawl-delay"
        else:
            known = self.crawler.settings.getdict("LINKTHREAD_KNOWN_CRAWL_DELAYS")
            before = known.get(urlsplit(request.url).hostname or "")
            floor = None if before is None else float(before)
            source = "robots.txt unreadable; the Crawl-delay it asked for before"
        asked = floor
        if self.override is not None:
            floor, source = self.override, "LINKTHREAD_CRAWL_DELAY"
            if asked is not None and self.override < asked:
                logger.warning(
                    "robots.txt of %s asks for %g s between requests; LINKTHREAD_CRAWL_DELAY"
                    " lowers that to %g s, as you asked", netloc, asked, self.override)
        if floor is None:
            return
        if self.override is None and (why := delay_refusal(
                f"{urlsplit(request.url).scheme}://{netloc}", floor)) is not None:
            self._refused[netloc] = why
            return
        assert self.crawler.engine is not None
        downloader = self.crawler.engine.downloader
        key = downloader.get_slot_key(request)
        # Several ports of one host share its slot: the strictest of them rules it.
        floor = self._floors[key] = max(floor, self._floors.get(key, 0.0))
        slot_settings: dict[str, Any] = downloader.per_slot_settings.setdefault(key, {})
        delay = max(floor, float(slot_settings.get(
            "delay", self.crawler.settings.getfloat("DOWNLOAD_DELAY"))))
        slot = downloader.slots.get(key)
        jitter = float(getattr(slot, "jitter", 0.0)) if slot is not None else 0.0
        # Scrapy waits delay * (1 ± jitter): keep the short end at or above the floor.
        jitter = max(0.0, min(jitter, 1 - floor / delay)) if delay > 0 else 0.0
        # per_slot_settings for a slot Scrapy creates later (or again after it sat idle);
        # the live slot, made for robots.txt, so that the request after it waits too.
        slot_settings.update(delay=delay, jitter=jitter)
        if slot is not None:
            slot.delay, slot.jitter = delay, jitter
        logger.info("%s: %g s between requests (%s)", key, delay, source)


def keep_floor(crawler: Crawler, request: Request, floor: float) -> None:
    """Make the download slot of ``request`` wait at least ``floor`` seconds between
    requests, without jitter below it: a site's published limit, kept whatever
    robots.txt (read or ignored) and the delay settings say."""
    if floor <= 0 or crawler.engine is None:
        return
    downloader = crawler.engine.downloader
    key = downloader.get_slot_key(request)
    slot_settings: dict[str, Any] = downloader.per_slot_settings.setdefault(key, {})
    if float(slot_settings.get("delay", 0.0)) >= floor and slot_settings.get("jitter") == 0.0:
        return
    delay = max(floor, float(slot_settings.get("delay", 0.0)))
    # For a slot Scrapy makes later (or again after it sat idle), and the live one.
    slot_settings.update(delay=delay, jitter=0.0)
    slot = downloader.slots.get(key)
    if slot is not None:
        slot.delay, slot.jitter = max(delay, slot.delay), 0.0
    logger.info("%s: at least %g s between requests (the site's published limits)", key, delay)


class SiteLimitsMiddleware:
    """Keeps each site's published limits (``archive.sites`` Politeness.min_delay) when
    robots.txt is not read (``crawl --ignore-robots``, ``-s ROBOTSTXT_OBEY=False``, or a
    request to an API, which robots.txt does not govern: ``meta["api"]``):
    ignoring the file never makes the crawl faster than the site allows.
    LINKTHREAD_MIN_DELAY replaces the site's figure (a test's stand-in site)."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.override: float | None = setting_or_env(crawler, "LINKTHREAD_MIN_DELAY", None)
        self.obeying = crawler.settings.getbool("ROBOTSTXT_OBEY")

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SiteLimitsMiddleware:
        return cls(crawler)

    def process_request(self, request: Request) -> None:
        spider = self.crawler.spider
        # Not dont_obey_robotstxt: Scrapy sets it on robots.txt's own request too.
        if self.obeying and not getattr(spider, "ignore_robots", False) and not \
                request.meta.get("api"):
            return  # robots.txt's Crawl-delay paces the crawl (PoliteRobotsTxtMiddleware)
        site = getattr(spider, "site_def", None)
        floor = self.override if self.override is not None else (
            site.politeness.min_delay if site is not None else 0.0)
        keep_floor(self.crawler, request, floor)
