"""scraper.stopping: the waits a stop cuts short, without a crawl around them."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

import pytest
from scrapy import Request
from scrapy.settings import Settings

from scraper.cli import resume_hint
from scraper.stopping import CrawlStopped, Stopping


def stopping(**settings: Any) -> Stopping:
    crawler: Any = SimpleNamespace(settings=Settings(settings), engine=None, spider=None,
                                   signals=None)
    return Stopping(crawler)


def request() -> Request:
    return Request("http://127.0.0.1/item?id=1", errback=lambda failure: None)


def test_a_wait_nobody_stops_runs_its_course() -> None:
    stop = stopping()

    async def main() -> None:
        await stop.wait(request(), 0.01, "a short delay")

    asyncio.run(main())
    assert stop.waits == {}


def test_a_stop_ends_a_long_wait_at_once_and_drops_its_request() -> None:
    stop = stopping()
    req = request()
    seen: list[dict[int, tuple[float, str]]] = []

    async def main() -> None:
        waiting = asyncio.ensure_future(stop.wait(req, 3600, "Crawl-delay 3600 s of x"))
        await asyncio.sleep(0)  # let it start waiting
        seen.append(dict(stop.waits))
        stop.stop()
        with pytest.raises(CrawlStopped):
            await waiting

    asyncio.run(main())
    assert [why for (_, why) in seen[0].values()] == ["Crawl-delay 3600 s of x"]
    assert stop.waits == {}
    # No errback: the spider must not count a dropped request as its target's failure.
    assert req.errback is None


def test_after_a_stop_no_request_waits_or_goes_out() -> None:
    stop = stopping()
    stop.stop()
    req = request()

    async def main() -> None:
        with pytest.raises(CrawlStopped):
            await stop.wait(req, 0, "nothing")

    asyncio.run(main())
    with pytest.raises(CrawlStopped):
        stop.check(request())


def test_a_transfer_gets_its_grace_then_is_cancelled() -> None:
    stop = stopping(LINKTHREAD_STOP_GRACE="0.01")
    cancelled = asyncio.Event()

    async def transfer() -> str:
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            cancelled.set()
            raise
        return "page"

    async def main() -> None:
        going = asyncio.ensure_future(stop.unless_stopped(request(), transfer()))
        await asyncio.sleep(0)
        stop.stop()
        with pytest.raises(CrawlStopped):
            await going
        await asyncio.wait_for(cancelled.wait(), 60)

    asyncio.run(main())


def test_a_transfer_that_arrives_within_its_grace_is_kept() -> None:
    stop = stopping(LINKTHREAD_STOP_GRACE="60")
    arrive = asyncio.Event()

    async def transfer() -> str:
        await arrive.wait()
        return "page"

    async def main() -> str:
        going = asyncio.ensure_future(stop.unless_stopped(request(), transfer()))
        await asyncio.sleep(0)
        stop.stop()
        arrive.set()
        return await going

    assert asyncio.run(main()) == "page"


def test_the_resume_hint() -> None:
    assert resume_hint("hn", "my.db", 3, 10) == (
        "interrupted: 3 of 10 targets done; finish with: linkthread crawl hn --resume --db my.db")
    assert resume_hint("hn", "my hn.db", 0, 1).endswith("--resume --db 'my hn.db'")
