"""Every crawl of one archive keeps one pace per host (``archive.pace``).

The turn is taken in the download handler, when Scrapy's slot has already let the
request go: taken any earlier (a downloader middleware), a request could still wait
in the slot afterwards, and two processes' real requests would drift up to a whole
delay closer than their turns. The delay of a turn is the one Scrapy keeps for the
host's slot (robots.txt's Crawl-delay, LINKTHREAD_CRAWL_DELAY or DOWNLOAD_DELAY).
"""

from __future__ import annotations

import logging
import sqlite3
import time
from urllib.parse import urlsplit

from scrapy import Request, signals
from scrapy.core.downloader.handlers.http11 import HTTP11DownloadHandler
from scrapy.crawler import Crawler
from scrapy.http import Response

from archive.db import open_writer
from archive.errors import ArchiveError
from archive.pace import take_turn
from scraper.stopping import stopping

logger = logging.getLogger(__name__)


class PacedHTTPDownloadHandler(HTTP11DownloadHandler):
    """Scrapy's HTTP/1.1 handler, sending each request at its turn for the host."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self._pacing = crawler
        self._db_path: str = crawler.settings.get("LINKTHREAD_DB")
        self._conn: sqlite3.Connection | None = None
        crawler.signals.connect(self._close_archive, signal=signals.spider_closed)

    async def download_request(self, request: Request) -> Response:
        # Through the crawl's Stopping, so that Ctrl-C cuts the wait (and the
        # transfer) short; a request let go after a stop takes no turn and is dropped.
        stop = stopping(self._pacing)
        stop.check(request)
        wait = self._turn(request)
        host = request.meta.get("download_slot") or urlsplit(request.url).netloc
        await stop.wait(request, wait, f"the pace of {host} shared with other crawls of"
                                       " this archive")
        return await stop.unless_stopped(request, super().download_request(request))

    def _turn(self, request: Request) -> float:
        engine = self._pacing.engine
        if engine is None or not self._db_path:
            return 0.0
        downloader = engine.downloader
        key = downloader.get_slot_key(request)
        slot = downloader.slots.get(key)
        delay = slot.delay if slot is not None else self._pacing.settings.getfloat(
            "DOWNLOAD_DELAY")
        try:
            if self._conn is None:
                self._conn = open_writer(self._db_path)
            # robots.txt goes before its crawl knows the host's Crawl-delay.
            known = urlsplit(request.url).path != "/robots.txt"
            return take_turn(self._conn, key, delay, time.time(), known=known)
        except (sqlite3.Error, ArchiveError) as e:
            # The slot's own delay still holds; only the pace shared with other
            # crawls of the archive is lost for this request.
            logger.warning("%s: no shared pace for %s (%s)", request.url, key, e)
            return 0.0

    def _close_archive(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
