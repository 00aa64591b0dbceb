"""Stopping a crawl at once: the first SIGINT or SIGTERM ends it within seconds.

Scrapy's own graceful stop only stops scheduling: every request already handed to the
downloader (up to CONCURRENT_REQUESTS of them, queued in the host's slot behind a 30 s
Crawl-delay) is still fetched, one delay apart, before the spider closes. Here the first
signal also

- records the crawl as 'interrupted' in the archive at once, so a second signal (which
  makes Scrapy stop the reactor without waiting) or a kill still leaves the row right;
- pauses the engine, so nothing more leaves the scheduler;
- drops what waits in the download slots and cancels the politeness waits (the shared
  pace of ``scraper.pace`` and the back-off of ``scraper.middlewares``, which wait
  through :meth:`Stopping.wait`), and any request that reaches the downloader later;
- gives a page being transferred :data:`GRACE` seconds to arrive, then cancels it.
  That is no politeness wait, and may be the last page of a thread.

Then Scrapy's stop closes the spider with reason 'shutdown'. A dropped request fails
with :class:`CrawlStopped` and no errback, so it is no failure of its target: threads
are stored only when their last page was read, and the targets left stay queued for
``crawl --resume``.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sqlite3
import time
import weakref
from collections.abc import Awaitable, Callable
from functools import partial
from types import FrameType
from typing import Any, TypeVar

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from twisted.python.failure import Failure

from archive.errors import ArchiveError
from scraper.pipelines import ArchivePipeline

logger = logging.getLogger(__name__)

T = TypeVar("T")
# Seconds a page already being transferred gets to arrive after a stop (it may be the
# last page of a thread); LINKTHREAD_STOP_GRACE changes it.
GRACE = 3.0
SIGNALS = (signal.SIGINT, signal.SIGTERM)


class CrawlStopped(IgnoreRequest):
    """A request dropped because the crawl is stopping."""


class Stopping:
    """The stop of one crawl, and the politeness waits it can cut short."""

    def __init__(self, crawler: Crawler) -> None:
        # Imported here: scraper.middlewares waits through this module.
        from scraper.middlewares import setting_or_env

        self.crawler = crawler
        self.grace = setting_or_env(crawler, "LINKTHREAD_STOP_GRACE", GRACE)
        self.requested = False
        self.signal_name: str | None = None
        self._event = asyncio.Event()
        # What each wait in progress waits for: its end (time.monotonic()) and why.
        self.waits: dict[int, tuple[float, str]] = {}
        self._next_wait = 0

    def dropped(self, request: Request) -> CrawlStopped:
        # With no errback the failure stops at Scrapy's scraper, silently for an
        # IgnoreRequest; the spider's errback would record a failure of the target.
        request.errback = None
        return CrawlStopped(f"crawl stopping: {request.url} not fetched")

    def check(self, request: Request) -> None:
        """Raise :class:`CrawlStopped` for ``request`` if the crawl is stopping."""
        if self.requested:
            raise self.dropped(request)

    async def wait(self, request: Request, seconds: float, why: str) -> None:
        """Sleep ``seconds`` (none if not positive), unless the crawl is or gets stopped:
        then raise :class:`CrawlStopped` for ``request`` at once."""
        self.check(request)
        if seconds <= 0:
            return
        key = self._next_wait = self._next_wait + 1
        self.waits[key] = (time.monotonic() + seconds, why)
        try:
            await asyncio.wait_for(self._event.wait(), seconds)
        except TimeoutError:
            return
        finally:
            del self.waits[key]
        raise self.dropped(request)

    async def unless_stopped(self, request: Request, work: Awaitable[T]) -> T:
        """``work``'s result; after a stop it gets ``grace`` seconds more, then it is
        cancelled and ``request`` dropped."""
        task = asyncio.ensure_future(work)
        stopped = asyncio.ensure_future(self._event.wait())
        try:
            await asyncio.wait({task, stopped}, return_when=asyncio.FIRST_COMPLETED)
            if not task.done():
                await asyncio.wait({task}, timeout=self.grace)
        except BaseException:
            task.cancel()  # cancelled from outside: the transfer goes with us
            raise
        finally:
            stopped.cancel()
        if not task.done():
            task.cancel()
            raise self.dropped(request)
        return task.result()

    def stop(self, signum: int | None = None) -> None:
        """What the first signal does (in the reactor's thread, before Scrapy's stop)."""
        if self.requested:
            return
        self.requested = True
        if signum is not None:
            self.signal_name = signal.Signals(signum).name
        engine = self.crawler.engine
        if engine is not None and engine.running:
            engine.pause()
        self._event.set()
        if engine is not None:
            for slot in engine.downloader.slots.values():
                slot.close()  # its timer for the next request
                while slot.queue:
                    request, deferred = slot.queue.popleft()
                    deferred.errback(Failure(self.dropped(request)))
        try:
            self._mark_interrupted()
        except (sqlite3.Error, ArchiveError) as e:
            # The stop goes on; the pipeline's spider_closed tries again.
            logger.warning("could not record the crawl as interrupted yet: %s", e)
        logger.info("stopping the crawl (%s)", self.signal_name or "asked")

    def _mark_interrupted(self) -> None:
        engine = self.crawler.engine
        if engine is None:
            return
        for pipeline in getattr(engine.scraper.itemproc, "middlewares", ()):
            if isinstance(pipeline, ArchivePipeline):
                pipeline.mark_interrupted()

    def install(self) -> None:
        """Run :meth:`stop` on the first SIGINT or SIGTERM, before Scrapy's own handler,
        which it then calls: Scrapy starts its graceful stop and makes the next signal
        stop the reactor."""

        def chain() -> None:
            for signum in SIGNALS:
                previous = signal.getsignal(signum)
                signal.signal(signum, partial(self._on_signal, previous))

        def engine_started() -> None:
            # Only now is Scrapy's reactor installed (importing it earlier would install
            # the default one). Scrapy installs its handlers in an 'after startup'
            # trigger; a call from the running reactor comes after every one of them.
            from twisted.internet import reactor

            reactor.callWhenRunning(reactor.callLater, 0, chain)

        self._engine_started = engine_started  # the signal keeps only a weak reference
        self.crawler.signals.connect(engine_started, signal=signals.engine_started)

    def _on_signal(self, previous: Callable[[int, FrameType | None], Any] | Any,
                   signum: int, frame: FrameType | None) -> None:
        from twisted.internet import reactor

        # A signal handler may not log or write (the stream may be mid-write): the
        # work runs in the reactor's thread.
        reactor.callFromThread(self.stop, signum)
        if callable(previous):
            previous(signum, frame)


_STOPPINGS: weakref.WeakKeyDictionary[Crawler, Stopping] = weakref.WeakKeyDictionary()


def stopping(crawler: Crawler) -> Stopping:
    """The crawler's Stopping, made on first use (a crawl run another way than by
    ``linkthread crawl`` still waits through it, and is simply never stopped early)."""
    found = _STOPPINGS.get(crawler)
    if found is None:
        found = _STOPPINGS[crawler] = Stopping(crawler)
    return found

