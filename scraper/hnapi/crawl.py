"""``linkthread crawl hn ID... --via api``: threads read from the API alone, without Scrapy.

A crawl whose every target is a thread read through the API (:func:`api_threads`) asks
for no page, so Scrapy's downloader, its politeness middlewares and its reactor have
nothing to do, and starting them was a third of such a crawl's time (bench/hn_api.py).
It runs on a plain asyncio loop instead, through the pieces the spider's API half uses:
the client (robots.txt, retries, the connection bound), :class:`ApiTrees` (a tree as a
Thread; a shortfall against ``descendants`` is stored as found, for ``gaps``), and the
archive's functions for a crawl (its row and queued targets, ``save_thread``: one
transaction per thread, the health record, ``scraper.closing``), so the archive ends
as the spider's crawl would leave it. A listing, a profile, ``--resume``, ``-s`` or
``--ignore-robots`` needs the spider; ``scraper.cli`` sends those there.

Order of work: the trees' requests leave first. The archive is opened and the crawl
recorded in the archive's thread meanwhile, and the parsers, which only a whole tree
needs, are imported there too, so their start-up overlaps the round trips instead of
preceding them.

Stopping: the first SIGINT or SIGTERM records the crawl as interrupted at once, stops
the fetches, and ends the crawl once a thread being stored is stored (its transaction
is whole or absent); what is left stays queued for ``crawl --resume``. A second signal
ends the process at once, by the signal's own default action: every thread is one
transaction, so nothing is half stored then either.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sqlite3
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from archive import sites
from archive.crawls import Target
from archive.errors import ArchiveError
from archive.health import Health
from archive.models import Thread
from scraper.direct.run import LoopStop, close, crawl_stats, mark_interrupted
from scraper.hnapi.status import Display
from scraper.spiders.args import split_args
from scraper.spiders.hn_api import DEFAULT_VIA, VIA_SETTING, ApiFailed, ApiTrees

if TYPE_CHECKING:
    import sqlite_utils

    from scraper.hnapi.client import ApiClient
    from scraper.hnapi.writer import Archive

logger = logging.getLogger(__name__)

SITE = sites.HN
REFRESH = 0.5  # seconds between two updates of the terminal's status line


def api_threads(spider_args: dict[str, str]) -> list[str] | None:
    """The thread ids of a crawl that reads the API alone (``--via api``, or
    LINKTHREAD_HN_VIA, and item targets only), or None if it needs the spider."""
    via = (spider_args.get("via") or os.environ.get(VIA_SETTING) or DEFAULT_VIA).strip().lower()
    if via != "api" or any(spider_args.get(k) for k in ("listings", "users", "comments")):
        return None
    return split_args(spider_args.get("items", "")) or None


@dataclass
class ApiCrawl:
    """One crawl of API threads: what it was asked, and what it did so far."""

    db_path: str
    story_ids: list[str]
    pages: int = 1  # --pages and --threads, recorded as the spider records them
    threads_flag: bool = False
    failures: list[str] = field(default_factory=list)
    unstored: list[Target] = field(default_factory=list)
    drift: list[str] = field(default_factory=list)
    health: Health = field(default_factory=Health)
    crawl_id: int | None = None
    threads: int = 0
    comments: int = 0
    stopped: bool = False
    requests: int = 0
    pages_read: int = 0  # what the crawl's row counts as pages: none, an API is no page
    halted: str | None = None  # never: no refusal stands for a whole API crawl

    @property
    def args(self) -> dict[str, Any]:
        """The crawl's row's args, key for key the spider's (``SiteSpider.crawl_args``)."""
        return {"items": self.story_ids, "listings": [], "users": [], "pages": self.pages,
                "threads": self.threads_flag, "resume": False, "via": "api"}  # fmt: skip

    def fail(self, story_id: str, reason: str) -> None:
        message = f"{SITE.name} item {story_id}: {reason}"
        self.failures.append(message)
        logger.info(message)

    def stats(self) -> dict[str, Any]:
        return crawl_stats(self)

    def line(self) -> str:
        """The terminal's status line, as a spider's crawl words it."""
        errors = len(self.failures)
        return (f"{self.threads}/{len(self.story_ids)} targets · {self.comments} comments · "
                f"{errors} error{'' if errors == 1 else 's'} · {self.requests} items fetched "
                "from the API")  # fmt: skip


# -- in the archive's thread -------------------------------------------------------------


def _open(db: sqlite_utils.Database, run: ApiCrawl) -> int:
    from archive import store

    crawl_id = store.start_crawl(db, command=f"crawl {SITE.name}", args=run.args,
                                 targets=[Target(SITE.name, "thread", i) for i in run.story_ids])
    # What a whole tree needs and its fetch does not: imported here, while it runs.
    import scraper.parsers.hn.api  # noqa: F401

    return crawl_id


def _save(db: sqlite_utils.Database, run: ApiCrawl, thread: Thread) -> None:
    from archive import store

    assert run.crawl_id is not None
    store.save_thread(db, thread, crawl_id=run.crawl_id)
    run.health.thread(thread)


# -- on the loop ----------------------------------------------------------------------


async def crawl(run: ApiCrawl, client: ApiClient, display: Display) -> None:
    """Fetch, map and store every thread of ``run`` through ``client`` (not yet
    entered); ``run`` says what happened."""
    from scraper.hnapi.writer import Archive  # its sqlite-utils: for API crawls alone

    def on_stop() -> None:
        run.stopped = True

    stopping = LoopStop(on_stop)  # the loop's twin of scraper.direct.stop
    stopping.install()
    stop = stopping.event
    trees = ApiTrees(client.base_url, client=client)
    archive = Archive(run.db_path, flat=False)
    shown = asyncio.ensure_future(_show(run, trees, display))
    try:
        for story_id in run.story_ids:
            trees.start(story_id)  # every tree at once, before anything else is done
        run.crawl_id = await archive.call(_open, run)
        await _threads(run, trees, archive, stop)
        await archive.call(close, run)
    finally:
        shown.cancel()
        stopping.remove()
        await trees.close()
        await archive.close()
        display.close()


async def _threads(run: ApiCrawl, trees: ApiTrees, archive: Archive,
                   stop: asyncio.Event) -> None:  # fmt: skip
    """Each thread stored as soon as its tree is whole, until all are or a stop."""
    waiting = {asyncio.ensure_future(trees.thread(i)): i for i in run.story_ids}
    stopper = asyncio.ensure_future(stop.wait())
    marked = False
    try:
        while waiting:
            done, _ = await asyncio.wait({*waiting, stopper}, return_when=asyncio.FIRST_COMPLETED)
            if stop.is_set() and not marked:
                marked = True
                # At once, as a second signal ends the process without another word.
                await archive.call(mark_interrupted, run)
            for task in [t for t in waiting if t in done]:  # in the order asked
                story_id = waiting.pop(task)
                try:
                    thread = task.result()
                except ApiFailed as e:
                    run.fail(story_id, str(e))
                    continue
                except Exception as e:
                    # A mapping that raised (a bug, an item no one foresaw) fails its
                    # thread alone, as a spider's callback that raises does.
                    logger.debug("hn item %s", story_id, exc_info=True)
                    run.fail(story_id, f"could not read the API's tree: "
                                       f"{type(e).__name__}: {e}")  # fmt: skip
                    continue
                await _store(run, archive, story_id, thread)
            if stop.is_set():
                return
    finally:
        stopper.cancel()
        for task in waiting:
            task.cancel()
        await asyncio.gather(*waiting, return_exceptions=True)


async def _store(run: ApiCrawl, archive: Archive, story_id: str, thread: Thread) -> None:
    try:
        await archive.call(_save, run, thread)
    except (sqlite3.Error, ArchiveError, ValueError) as e:
        # ValueError: a record that contradicts itself, which save_thread refuses whole.
        run.fail(story_id, f"could not store it in {run.db_path}: {e}")
        if isinstance(e, sqlite3.OperationalError):
            run.unstored.append(Target(SITE.name, "thread", story_id))
        return
    run.threads += 1
    run.comments += len(thread.comments)
    logger.info("archived %s %s: %d comments", SITE.name, story_id, len(thread.comments))


async def _show(run: ApiCrawl, trees: ApiTrees, display: Display) -> None:
    display.begin(f"crawl {SITE.name} via its API")
    while True:
        run.requests = trees.requests
        display.status(run.line())
        await asyncio.sleep(REFRESH)
