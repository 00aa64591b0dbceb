"""Scrapy settings for linkthread: polite by default.

LINKTHREAD_* values may also come from environment variables of the same name, so a
user or a test can point the spiders at another base URL or database without flags.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from archive import sites
from scraper import __version__

if TYPE_CHECKING:
    from scrapy.settings import Settings

BOT_NAME = "linkthread"
SPIDER_MODULES = ["scraper.spiders"]
NEWSPIDER_MODULE = "scraper.spiders"

# An honest user agent: what is asking, and, when the operator gives one, how to reach
# them (an e-mail address or URL in LINKTHREAD_CONTACT), as sites' bot policies ask.
# It names no project page: linkthread has none published, and a link to a page that
# does not exist tells a site's operator nothing.
_CONTACT = (os.environ.get("LINKTHREAD_CONTACT") or "").strip()
USER_AGENT = f"linkthread/{__version__} (discussion archiver{'; +' + _CONTACT if _CONTACT else ''})"
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS_PER_DOMAIN = 1
DOWNLOAD_DELAY = float(os.environ.get("LINKTHREAD_DOWNLOAD_DELAY", "1"))
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False  # an open control port is no default for a crawler
RETRY_ENABLED = True
RETRY_TIMES = 5
# Not 429 or 503: SoftErrorMiddleware backs off on those, honouring Retry-After, where
# Scrapy's RetryMiddleware would ask again at once.
RETRY_HTTP_CODES = [500, 502, 504, 522, 524, 408]
# Scrapy's parser (Protego), keeping the text so that a refusal can quote its rule.
ROBOTSTXT_PARSER = "scraper.politeness.RobotsText"

DOWNLOADER_MIDDLEWARES = {
    # Ours in its place: it also keeps Crawl-delay and says which rule forbids a page.
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "scraper.politeness.PoliteRobotsTxtMiddleware": 100,
    # Below HttpCompressionMiddleware (590) so it reads decompressed bodies.
    "scraper.middlewares.SoftErrorMiddleware": 580,
    # An API's X-Ratelimit budget spread over its window: the host's pace, never faster.
    "scraper.ratelimit.RateBudgetMiddleware": 585,
    # Only the site's own origin, before anything else (robots.txt included) is asked.
    "scraper.bounds.OriginMiddleware": 50,
    # A site's published limits, kept when robots.txt is ignored (crawl --ignore-robots).
    "scraper.politeness.SiteLimitsMiddleware": 60,
    # Ours in its place: the same decompression, under LINKTHREAD_MAX_BODY, named refusals.
    "scrapy.downloadermiddlewares.httpcompression.HttpCompressionMiddleware": None,
    "scraper.bounds.BodyCapMiddleware": 590,
}
# Every crawl of one archive keeps one pace per host (scraper/pace.py): two runners on
# an archive ask a site no more often than one would.
DOWNLOAD_HANDLERS = {
    "http": "scraper.pace.PacedHTTPDownloadHandler",
    "https": "scraper.pace.PacedHTTPDownloadHandler",
    # A crawl fetches web pages only: no local files, FTP, S3 or data: URLs, whatever a
    # page links to (scraper/bounds.py refuses them first; this is the second lock).
    "file": None,
    "ftp": None,
    "s3": None,
    "data": None,
}
ITEM_PIPELINES = {"scraper.pipelines.ArchivePipeline": 300}

LINKTHREAD_DB = os.environ.get("LINKTHREAD_DB", "linkthread.db")
# Each site's base URL (LINKTHREAD_HN_BASE_URL, LINKTHREAD_LOBSTERS_BASE_URL, ...), named
# and defaulted by the registry: a test points a spider at its local stand-in.
globals().update({site.base_url_setting: os.environ.get(site.base_url_setting, site.base_url)
                  for site in sites.SITES.values()})
# And the official API's base URL of each site that has one (LINKTHREAD_HN_API_URL).
globals().update({site.api_url_setting: os.environ.get(site.api_url_setting, site.api_url)
                  for site in sites.SITES.values() if site.api_url_setting and site.api_url})
# Back-off after a soft error (throttle page, truncated body), doubling per strike, in seconds.
LINKTHREAD_BACKOFF_BASE = float(os.environ.get("LINKTHREAD_BACKOFF_BASE", "10"))
LINKTHREAD_BACKOFF_MAX = float(os.environ.get("LINKTHREAD_BACKOFF_MAX", "600"))
LINKTHREAD_SOFT_RETRIES = int(os.environ.get("LINKTHREAD_SOFT_RETRIES", "8"))
# Seconds between requests to a host, replacing its robots.txt Crawl-delay (HN asks for
# 30). Unset: robots.txt decides. Lower than robots.txt asks: allowed, with a warning.
LINKTHREAD_CRAWL_DELAY = os.environ.get("LINKTHREAD_CRAWL_DELAY") or None
# Replaces a site's published minimum delay (archive.sites) under --ignore-robots: a test's
# local stand-in. Unset: the site's own (Lobsters: 9 s).
LINKTHREAD_MIN_DELAY = os.environ.get("LINKTHREAD_MIN_DELAY") or None
# Crawl-delay each host's robots.txt asked for when last read, kept to when robots.txt
# cannot be read now (an outage must not turn into a crawl at full speed). Keyed by
# host name; LINKTHREAD_CRAWL_DELAY still overrides it.
# (From the registry: HN's 30 s; Lobsters' robots.txt asks 1 s, its published limits
# need 9 s: that floor is archive.sites' Politeness.min_delay, kept by the crawl itself.)
LINKTHREAD_KNOWN_CRAWL_DELAYS = sites.known_crawl_delays()

# Bodies larger than this (bytes, as sent or once decompressed) are refused, never stored:
# no discussion page comes near it. Unset: 64 MiB (scraper/bounds.py).
LINKTHREAD_MAX_BODY = os.environ.get("LINKTHREAD_MAX_BODY") or None
# Here, not in scraper/bounds.py, so that the API's client (no Scrapy) shares it.
DEFAULT_MAX_BODY = 64 * 1024 * 1024
# Scrapy's own cap, for any request that scraper/bounds.py did not give the one above.
DOWNLOAD_MAXSIZE = 64 * 1024 * 1024
DOWNLOAD_WARNSIZE = 32 * 1024 * 1024
# Pages of one thread read at most; a thread with more fails, the pages read kept raw.
# Unset: 200 (scraper/spiders/hn.py).
LINKTHREAD_MAX_PAGES = os.environ.get("LINKTHREAD_MAX_PAGES") or None

LOG_LEVEL = "INFO"
# Scrapy reads each callback's source and parses it (inspect.getsource, ast.parse) for
# every response, to warn of a generator that returns a value: its cache is keyed by
# the bound method, which lives no longer than its request. A fifth of an unchanged
# Reddit re-crawl's CPU. tests/test_spider_callbacks.py checks every callback instead.
WARN_ON_GENERATOR_RETURN_VALUE = False

# A host that does not resolve or refuses connections is not asked again: retrying a
# dead name six times, a Crawl-delay apart, took minutes to say what the first try
# knew. Scrapy's other retried exceptions (timeouts, dropped connections) stay.
RETRY_EXCEPTIONS = [
    "scrapy.exceptions.DownloadFailedError",
    "scrapy.exceptions.DownloadTimeoutError",
    "scrapy.exceptions.ResponseDataLossError",
    "twisted.internet.error.ConnectionDone",
    "twisted.internet.error.ConnectError",
    "twisted.internet.error.ConnectionLost",
    OSError,  # HttpCompressionMiddleware's, on an empty compressed body
    "scrapy.core.downloader.handlers.http11.TunnelError",
]
# The request's errback reports the failure as its target's one line; Scrapy's
# "Gave up retrying" line would say it a second time.
RETRY_GIVE_UP_LOG_LEVEL = "INFO"
# Failures are one line each, said once (scraper/logs.py).
LOG_FORMATTER = "scraper.logs.QuietLogFormatter"
EXTENSIONS = {"scraper.logs.OneLineLogs": 0}


# Components of Scrapy's base lists that are off in this project, each with the setting
# that would turn it on. Scrapy imports every component of its lists to ask it whether
# it is configured; these cost an import for nothing at every crawl's start: the
# cookies middleware brings tldextract, requests and urllib3 (~40 ms), the remote
# control extension aiohttp's web server (~100 ms), the telnet console twisted.conch.
UNCONFIGURED = {
    "DOWNLOADER_MIDDLEWARES_BASE": {
        "scrapy.downloadermiddlewares.cookies.CookiesMiddleware": "COOKIES_ENABLED",
    },
    "EXTENSIONS_BASE": {
        "scrapy.extensions.telnet.TelnetConsole": "TELNETCONSOLE_ENABLED",
        "scrapy.extensions.remote_control.RemoteControl": "REMOTE_CONTROL_ENABLED",
    },
}


def drop_unconfigured(settings: Settings) -> None:
    """Leave out of Scrapy's base lists the components of :data:`UNCONFIGURED` whose
    setting is off in ``settings`` (after ``-s`` overrides: one turned on stays)."""
    for base, components in UNCONFIGURED.items():
        listed = dict(settings.getdict(base))
        kept = {path: order for path, order in listed.items()
                if path not in components or settings.getbool(components[path])}
        if kept != listed:
            settings.set(base, kept, priority="cmdline")
