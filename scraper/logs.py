"""Each failure of a crawl is one line, said once: by the crawl's summary.

Scrapy logs some failures at ERROR with a traceback of 40 to 100 lines that a user
can do nothing with, and which the crawl reports again as the failed target's line
(``crawl``'s summary). Two pieces, both named in settings:

- :class:`QuietLogFormatter` logs an exception in a spider callback at DEBUG (the
  traceback stays there for whoever debugs a parser); the pipeline records it as
  that target's failure.
- :class:`OneLineLogs`, an extension, makes robots.txt download errors one line
  without traceback: a WARNING, or INFO when the host cannot be reached at all (DNS,
  connection refused), since then every request to it fails and is reported.
"""

from __future__ import annotations

import logging
from typing import Any

from scrapy.crawler import Crawler
from scrapy.exceptions import CannotResolveHostError, DownloadConnectionRefusedError
from scrapy.http import Request, Response
from scrapy.logformatter import LogFormatter, LogFormatterResult
from twisted.python.failure import Failure

UNREACHABLE = (CannotResolveHostError, DownloadConnectionRefusedError)
ROBOTS_LOGGER = "scrapy.downloadermiddlewares.robotstxt"


class QuietLogFormatter(LogFormatter):
    def spider_error(self, failure: Failure, request: Request, response: Response | Failure,
                     spider: Any) -> LogFormatterResult:  # fmt: skip
        logged = super().spider_error(failure, request, response, spider)
        return {**logged, "level": logging.DEBUG}


class RobotsErrorFilter(logging.Filter):
    """Rewrites the robots.txt middleware's "Error downloading" records (never drops one)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.ERROR or not record.exc_info:
            return True
        error = record.exc_info[1]
        record.exc_info = record.exc_text = None
        level = logging.INFO if isinstance(error, UNREACHABLE) else logging.WARNING
        record.levelno, record.levelname = level, logging.getLevelName(level)
        return True


class OneLineLogs:
    """An extension (no hooks): installs :class:`RobotsErrorFilter` for the crawl."""

    def __init__(self) -> None:
        self.filter = RobotsErrorFilter()
        logger = logging.getLogger(ROBOTS_LOGGER)
        if not any(isinstance(f, RobotsErrorFilter) for f in logger.filters):
            logger.addFilter(self.filter)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> OneLineLogs:
        return cls()
