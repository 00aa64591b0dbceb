"""What a crawl is doing: counts for its last line, and a live line at a terminal.

With Hacker News' 30 s Crawl-delay a crawl is silent for most of its life; at a
terminal a ``rich`` line under the log says how far it got and what it waits for:

    3/10 targets · 120 comments · 0 errors · next hn item 2000 · waiting 27 s:
    Crawl-delay 30 s of HOST

It is read from Scrapy's own state (the spider's targets, the stats, the download
slots: what is being fetched, when a slot lets the next request go) and from the
waits in progress of :mod:`scraper.stopping` (the shared pace, the back-off), once
every half second in the reactor's thread, so nothing here runs beside the crawl.
Off a terminal nothing is shown; the counts still serve the interrupted crawl's
last line.
"""

from __future__ import annotations

import logging
import math
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from scrapy import Request, signals
from scrapy.crawler import Crawler

from archive.models import Listing, Thread, User
from scraper.spiders.interface import CrawlingSpider
from scraper.stopping import stopping

REFRESH = 0.5  # seconds between two updates of the live line


class Progress:
    """Targets done and to do, comments, errors, and the activity of the downloader."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.done = 0
        crawler.signals.connect(self._stored, signal=signals.item_scraped)

    def _stored(self, item: Any) -> None:
        # A target is done when its thread, its profile, or its listing's first page
        # is stored (later pages of a listing complete no target, as in the archive).
        if isinstance(item, Thread | User) or (isinstance(item, Listing) and item.page == 1):
            self.done += 1

    @property
    def total(self) -> int:
        spider = self.crawler.spider
        if not isinstance(spider, CrawlingSpider):
            return 0
        # "scheduled" also holds the threads a listing made the crawl follow.
        threads = spider.scheduled | set(spider.item_ids)
        return len(threads) + len(spider.listings) + len(spider.users)

    def _stat(self, name: str) -> int:
        stats = self.crawler.stats
        return int(stats.get_value(name, 0)) if stats is not None else 0

    def line(self, now: float | None = None) -> str:
        now = time.monotonic() if now is None else now
        errors = self._stat("linkthread/errors")
        parts = [f"{self.done}/{self.total} targets",
                 f"{self._stat('linkthread/comments')} comments",
                 f"{errors} error{'' if errors == 1 else 's'}"]
        activity = self.activity()
        if activity:
            parts.append(activity)
        wait = self.waiting(now)
        if wait:
            parts.append(wait)
        return " · ".join(parts)

    def activity(self) -> str | None:
        """The target being fetched, or else the next one a download slot holds."""
        engine = self.crawler.engine
        if engine is None:
            return None
        slots = list(engine.downloader.slots.values())
        for slot in slots:
            for request in slot.transferring:
                return f"fetching {_label(request)}"
        for slot in slots:
            if slot.queue:
                return f"next {_label(slot.queue[0][0])}"
        return None

    def waiting(self, now: float) -> str | None:
        """The longest politeness wait in progress, as "waiting 27 s: why"."""
        waits = list(stopping(self.crawler).waits.values())
        engine = self.crawler.engine
        if engine is not None:
            default = self.crawler.settings.getfloat("DOWNLOAD_DELAY")
            for key, slot in engine.downloader.slots.items():
                if not slot.queue or not slot.delay:
                    continue
                end = slot.lastseen + slot.delay
                # A delay above the default came from robots.txt (or the user's
                # LINKTHREAD_CRAWL_DELAY, which stands in for it); the back-off of
                # SoftErrorMiddleware moves the slot's last request into the future.
                if slot.lastseen > now:
                    why = f"back-off of {key}"
                elif slot.delay > default:
                    why = f"Crawl-delay {slot.delay:g} s of {key}"
                else:
                    why = f"download delay {slot.delay:g} s of {key}"
                waits.append((end, why))
        left = [(end - now, why) for end, why in waits if end - now > 0.05]
        if not left:
            return None
        seconds, why = max(left)
        return f"waiting {math.ceil(seconds)} s: {why}"


def _label(request: Request) -> str:
    label = request.cb_kwargs.get("label")
    return str(label) if label else request.url


class LiveLine:
    """The Progress line, kept up to date under the log lines of a terminal."""

    def __init__(self, progress: Progress) -> None:
        from rich.console import Console
        from rich.live import Live
        from rich.text import Text

        self.progress = progress
        self._text = Text
        self.console = Console(stderr=True)
        # Transient: the command's own last lines follow, not a stale copy of this one.
        self.live = Live(console=self.console, auto_refresh=False, transient=True,
                         redirect_stderr=True, redirect_stdout=False)
        self._loop: Any = None
        self._streams: list[tuple[logging.StreamHandler[Any], Any]] = []
        progress.crawler.signals.connect(self._start_refreshing, signal=signals.engine_started)
        progress.crawler.signals.connect(self._stop_refreshing, signal=signals.engine_stopped)

    def start(self) -> None:
        real = sys.stderr
        self.live.start()
        # Scrapy's log handler kept the real stderr when it was made; through rich's
        # proxy its lines go above the live line instead of through it.
        for handler in logging.getLogger().handlers:
            if isinstance(handler, logging.StreamHandler) and handler.stream is real:
                self._streams.append((handler, handler.setStream(sys.stderr)))

    def stop(self) -> None:
        self._stop_refreshing()
        for handler, stream in self._streams:
            handler.setStream(stream)
        self._streams.clear()
        self.live.stop()

    def refresh(self) -> None:
        self.live.update(self._text(self.progress.line(), no_wrap=True, overflow="ellipsis"),
                         refresh=True)

    def _start_refreshing(self) -> None:
        from twisted.internet import task

        self._loop = task.LoopingCall(self.refresh)
        self._loop.start(REFRESH)

    def _stop_refreshing(self) -> None:
        if self._loop is not None and self._loop.running:
            self._loop.stop()
        self._loop = None


@contextmanager
def shown(crawler: Crawler, *, terminal: bool | None = None) -> Iterator[Progress]:
    """Count the crawl's progress, and show it live while inside when stderr is a
    terminal (``terminal`` overrides the test)."""
    progress = Progress(crawler)
    if not (sys.stderr.isatty() if terminal is None else terminal):
        yield progress
        return
    live = LiveLine(progress)
    live.start()
    try:
        yield progress
    finally:
        live.stop()
