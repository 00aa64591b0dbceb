"""What a crawl of threads without Scrapy records, and how it stops, whatever the site.

The archive ends as the spider's crawl leaves it: the crawl's row and its queued
targets (``store.start_crawl``), each record stored as ``ArchivePipeline.store`` stores
it (a thread in one transaction, an unchanged visit as O(1) rows, a merge, the users a
page named, a failed page kept raw), the health record and the close
(``scraper.closing``), and the stats ``scraper.cli.end_crawl`` reports from.

Stopping: the first SIGINT or SIGTERM stops the fetches (``scraper.direct.stop``: the
request in flight ends at once) and the crawl is recorded as interrupted; a thread
being stored is stored whole (its transaction is whole or absent), and what is left
stays queued for ``crawl --resume``. A second signal ends the process at once, by the
signal's own default action.

:func:`crawl_threads` runs in one thread, the archive's connection in it (a crawl of
threads is serial by the sites' rules); HN's API crawl, whose trees are fetched
concurrently on an asyncio loop, shares the rest (its stop is :class:`LoopStop`, on the loop).
"""

from __future__ import annotations

import logging
import os
import signal
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from archive.crawls import Target
from archive.errors import ArchiveError
from archive.health import Health
from archive.models import Thread
from scraper.direct.stop import SIGNALS, Stop, Stopped
from scraper.items import FailedPage, MergedStories, SeenUsers, UnchangedThread

if TYPE_CHECKING:
    import asyncio
    from typing import TypeAlias

    import sqlite_utils

    # What the archive's thread holds: the connection alone for these crawls (no
    # sqlite-utils import), HN's API crawl its sqlite-utils Database.
    Db: TypeAlias = sqlite_utils.Database | sqlite3.Connection

logger = logging.getLogger(__name__)


@dataclass
class DirectRun:
    """One crawl of threads: what it was asked (``args``: the crawl row's, key for key
    the spider's ``crawl_args``), and what it did so far."""

    db_path: str
    site: str
    story_ids: list[str]
    args: dict[str, Any]
    failures: list[str] = field(default_factory=list)
    unstored: list[Target] = field(default_factory=list)
    drift: list[str] = field(default_factory=list)
    health: Health = field(default_factory=Health)
    crawl_id: int | None = None
    pages_read: int = 0
    threads: int = 0
    comments: int = 0
    requests: int = 0
    stopped: bool = False
    halted: str | None = None  # a failure of the whole crawl, standing for every target

    def label(self, story_id: str) -> str:
        return f"{self.site} item {story_id}"

    def fail(self, label: str, reason: str) -> None:
        message = f"{label}: {reason}"
        self.failures.append(message)
        logger.info(message)

    def halt(self, message: str) -> None:
        if self.halted is None:
            self.halted = message
            self.failures.append(message)
            logger.info(message)

    def stats(self) -> dict[str, Any]:
        return crawl_stats(self)


def thread_run(site: str, story_ids: list[str], *, db: str, pages: int, threads: bool,
               log_level: str, **more: Any) -> DirectRun:
    """A crawl of threads as the spider would record it (its ``crawl_args``, key for key,
    ``more`` the site's own), with the log lines set up as Scrapy's would be."""
    logging.basicConfig(level=log_level, format="%(asctime)s [%(name)s] %(levelname)s: "
                                                "%(message)s")  # fmt: skip
    return DirectRun(db_path=db, site=site, story_ids=story_ids, args={
        "items": story_ids, "listings": [], "users": [], "pages": pages, "threads": threads,
        "resume": False, "comments": [], **more})  # fmt: skip


class Counted(Protocol):
    failures: list[str]
    threads: int
    comments: int
    drift: list[str]
    stopped: bool


def crawl_stats(run: Counted) -> dict[str, Any]:
    """What ``scraper.cli`` reads at a crawl's end, as a Scrapy crawl's stats hold it."""
    return {"linkthread/failures": run.failures, "linkthread/stored": [],
            "linkthread/threads": run.threads, "linkthread/comments": run.comments,
            "linkthread/drift": run.drift,
            "finish_reason": "shutdown" if run.stopped else "finished"}  # fmt: skip


# -- in the archive's thread -------------------------------------------------------------


def open_crawl(db: Db, run: DirectRun) -> int:
    from archive import store

    return store.start_crawl(db, command=f"crawl {run.site}", args=run.args,
                             targets=[Target(run.site, "thread", i) for i in run.story_ids])


class Closing(Protocol):
    """What closing a crawl's row reads: a DirectRun, or HN's API crawl."""

    db_path: str
    crawl_id: int | None
    pages_read: int
    threads: int
    comments: int
    failures: list[str]
    unstored: list[Target]
    drift: list[str]
    health: Health
    stopped: bool
    halted: str | None


def mark_interrupted(db: Db, run: Closing) -> None:
    from archive import store

    assert run.crawl_id is not None
    store.finish_crawl(db, run.crawl_id, status="interrupted", pages=run.pages_read,
                       threads=run.threads, comments=run.comments, errors=len(run.failures),
                       message="; ".join(run.failures) or None, failures=run.failures,
                       unstored=run.unstored)  # fmt: skip


def close(db: Db, run: Closing) -> None:
    from scraper.closing import close_crawl

    assert run.crawl_id is not None
    run.failures, run.drift = close_crawl(
        db, run.crawl_id, db_path=run.db_path,
        status="interrupted" if run.stopped else "finished", pages=run.pages_read,
        threads=run.threads, comments=run.comments, failures=run.failures,
        unstored=run.unstored, health=run.health, halted=run.halted is not None,
    )  # fmt: skip


def store_records(db: Db, run: DirectRun, records: Sequence[Any]) -> None:
    """Each record stored as the pipeline stores it; one the archive cannot take fails
    its target with one line, and the crawl goes on."""
    for record in records:
        target = _target(record)
        try:
            _store(db, run, record)
        except (sqlite3.Error, ArchiveError, ValueError) as e:
            # ValueError: a record that contradicts itself, which save_* refuses whole.
            label = (f"{target.site} item {target.target}" if target is not None
                     else f"{run.site} {type(record).__name__}")
            run.fail(label, f"could not store it in {run.db_path}: {e}")
            if target is not None and isinstance(e, sqlite3.OperationalError):
                run.unstored.append(target)


def _store(db: Db, run: DirectRun, record: Any) -> None:
    from archive import revisits, store

    if isinstance(record, Thread):
        result = store.save_thread(db, record, crawl_id=run.crawl_id)
        run.health.thread(record)
        _count(run, len(record.comments), len(record.pages))
        logger.info("archived %s %s: %d comments (%d new, %d changed)", record.story.site,
                    record.story.id, len(record.comments), result.new_comments,
                    result.updated_comments)  # fmt: skip
    elif isinstance(record, UnchangedThread):
        seen = revisits.save_unchanged_thread(db, site=record.site, story_id=record.story_id,
                                              pages=record.pages, crawl_id=run.crawl_id)
        _count(run, seen, len(record.pages))
        logger.info("archived %s %s: %d comments, unchanged since its last crawl",
                    record.site, record.story_id, seen)
    elif isinstance(record, MergedStories):
        store.save_merged_stories(db, record.stories, fetched_at=record.fetched_at,
                                  crawl_id=run.crawl_id)
    elif isinstance(record, SeenUsers):
        for user in record.users:
            store.save_user(db, user, crawl_id=run.crawl_id, fetched_at=record.fetched_at)
    elif isinstance(record, FailedPage):
        store.save_failed_page(db, record.page, error=record.error, crawl_id=run.crawl_id,
                               story_id=record.story_id)
        if record.kind is not None:
            run.health.failed(record.page.site, record.kind)
    else:
        raise TypeError(f"no store step for {type(record).__name__}")


def _count(run: DirectRun, comments: int, pages: int) -> None:
    run.threads += 1
    run.comments += comments
    run.pages_read += pages


def _target(record: Any) -> Target | None:
    if isinstance(record, Thread):
        return Target(record.story.site, "thread", record.story.id)
    if isinstance(record, UnchangedThread):
        return Target(record.site, "thread", record.story_id)
    return None


# -- in the crawl's thread --------------------------------------------------------------


Visit = Callable[[str], "Sequence[Any] | None"]


def crawl_threads(run: DirectRun, db: Db, stop: Stop, visit: Visit) -> None:
    """Each thread of ``run`` visited in turn (``visit``: its records, or None when the
    whole crawl must end, a halt) and its records stored, until all are or a stop."""
    for story_id in run.story_ids:
        if stop.requested or run.halted is not None:
            break
        try:
            records = visit(story_id)
        except Stopped:
            break  # what the visit had read is dropped: the thread stays queued
        except Exception as e:
            # A reading that raised (a bug, a page no one foresaw) fails its thread
            # alone, as a spider's callback that raises does.
            logger.debug("%s", run.label(story_id), exc_info=True)
            run.fail(run.label(story_id), f"could not read it: {type(e).__name__}: {e}")
            continue
        if records:
            store_records(db, run, records)  # whole, even if a stop came meanwhile
    if stop.requested:
        logger.info("stopping the crawl (%s)", stop.signal_name)
        run.stopped = True
        mark_interrupted(db, run)


def reparse_asked() -> bool:
    """LINKTHREAD_REPARSE set (not empty, not 0): pages read again even when unchanged."""
    return (os.environ.get("LINKTHREAD_REPARSE") or "0").strip() not in ("", "0")


def serial_crawl(run: DirectRun, body: Callable[[sqlite3.Connection, Stop], None]) -> None:
    """A site's crawl of threads in this thread: the stop's handlers installed, the
    archive's connection opened and the crawl's row with it, ``body`` (its client and
    :func:`crawl_threads`), and the row closed. An exception leaves the row 'running',
    for a later crawl to find its process gone and mark it interrupted."""
    from archive.db import open_writer

    stop = Stop()
    stop.install()
    db = None
    try:
        db = open_writer(run.db_path)
        run.crawl_id = open_crawl(db, run)
        body(db, stop)
        close(db, run)
    finally:
        stop.remove()
        if db is not None:
            db.close()


# -- on the loop (HN's API crawl) -------------------------------------------------------


class LoopStop:
    """The stop of HN's API crawl, on its asyncio loop: the first SIGINT or SIGTERM sets
    ``event``; the next one ends the process."""

    def __init__(self, on_stop: Callable[[], None] | None = None) -> None:
        import asyncio  # here: the crawls of threads alone run without it

        self.event = asyncio.Event()
        self._on_stop = on_stop
        self._loop: asyncio.AbstractEventLoop | None = None

    def install(self) -> None:
        import asyncio

        self._loop = asyncio.get_running_loop()
        for s in SIGNALS:
            self._loop.add_signal_handler(s, self._signalled, s)

    def remove(self) -> None:
        if self._loop is not None:
            for s in SIGNALS:
                self._loop.remove_signal_handler(s)

    def _signalled(self, signum: int) -> None:
        if self.event.is_set():
            return
        self.event.set()
        logger.info("stopping the crawl (%s)", signal.Signals(signum).name)
        self.remove()
        for s in SIGNALS:
            signal.signal(s, signal.SIG_DFL)  # the next one ends the process at once
        if self._on_stop is not None:
            self._on_stop()
