"""Scrapy settings for linkthread: polite by default.

LINKTHREAD_* values may also come from environment variables of the same name, so a
user or a test can point the spiders at another base URL or database without flags.
"""

from __future__ import annotations

import os

from scraper import __version__

BOT_NAME = "linkthread"
SPIDER_MODULES = ["scraper.spiders"]
NEWSPIDER_MODULE = "scraper.spiders"

# An honest user agent: who we are and where to read about us.
USER_AGENT = f"linkthread/{__version__} (discussion archiver; +https://pypi.org/project/linkthread/)"
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
}
# Every crawl of one archive keeps one pace per host (scraper/pace.py): two runners on
# an archive ask a site no more often than one would.
DOWNLOAD_HANDLERS = {
    "http": "scraper.pace.PacedHTTPDownloadHandler",
    "https": "scraper.pace.PacedHTTPDownloadHandler",
}
ITEM_PIPELINES = {"scraper.pipelines.ArchivePipeline": 300}

LINKTHREAD_DB = os.environ.get("LINKTHREAD_DB", "linkthread.db")
LINKTHREAD_HN_BASE_URL = os.environ.get("LINKTHREAD_HN_BASE_URL", "https://news.ycombinator.com")
# Back-off after a soft error (throttle page, truncated body), doubling per strike, in seconds.
LINKTHREAD_BACKOFF_BASE = float(os.environ.get("LINKTHREAD_BACKOFF_BASE", "10"))
LINKTHREAD_BACKOFF_MAX = float(os.environ.get("LINKTHREAD_BACKOFF_MAX", "600"))
LINKTHREAD_SOFT_RETRIES = int(os.environ.get("LINKTHREAD_SOFT_RETRIES", "8"))
# Seconds between requests to a host, replacing its robots.txt Crawl-delay (HN asks for
# 30). Unset: robots.txt decides. Lower than robots.txt asks: allowed, with a warning.
LINKTHREAD_CRAWL_DELAY = os.environ.get("LINKTHREAD_CRAWL_DELAY") or None
# Crawl-delay each host's robots.txt asked for when last read, kept to when robots.txt
# cannot be read now (an outage must not turn into a crawl at full speed). Keyed by
# host name; LINKTHREAD_CRAWL_DELAY still overrides it.
LINKTHREAD_KNOWN_CRAWL_DELAYS = {"news.ycombinator.com": 30.0}

LOG_LEVEL = "INFO"

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
