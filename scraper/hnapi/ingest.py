"""What ``backfill`` and ``follow`` share: an id range fetched in order, in batches, each
batch committed with its high-water mark while the next one is being fetched.

The archive is written from one worker thread (``writer.Archive``): the event loop keeps
its requests in flight while a batch commits, and at most one batch waits to be written,
so memory stays flat over any range.
Mapping (the bodies' text) runs on the loop's thread, one parse per batch.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypeVar

import sqlite_utils

from archive import sites_hn
from archive.db import transaction
from archive.items import ItemsResult, LooseItem, Mark, save_items
from scraper.hnapi.client import ApiClient, Item
from scraper.hnapi.writer import Archive
from scraper.parsers.hn import api as mapping

SITE = mapping.SITE
BATCH = sites_hn.API_BATCH
T = TypeVar("T")


Then = Callable[[sqlite_utils.Database, list[LooseItem]], None]


def store_batch(db: sqlite_utils.Database, items: list[LooseItem], mark: Mark,
                then: Then | None) -> ItemsResult:
    """One batch, its mark and what ``then`` adds (watches), in one transaction."""
    with transaction(db):
        result = save_items(db, SITE, items, fetched_at=datetime.now(UTC), mark=mark)
        if then is not None:
            then(db, items)
    return result


@dataclass
class Tally:
    """What a run has done so far (for its progress line and its last line)."""

    fetched: int = 0  # ids asked for
    nulls: int = 0
    stories: int = 0
    comments: int = 0
    waiting: int = 0  # comments stored to wait for their parent, this run
    position: int = 0  # the last id committed

    def add(self, result: ItemsResult) -> None:
        self.stories += result.stories
        self.comments += result.comments
        self.waiting += result.waiting


async def fetch_range(client: ApiClient, archive: Archive, first: int, last: int, *,
                      name: str, tally: Tally, stop: asyncio.Event, batch: int = BATCH,
                      then: Then | None = None,
                      on_batch: Callable[[], None] | None = None) -> int:
    """Fetch ids ``first`` .. ``last`` in order and store them, a batch per transaction
    with the mark ``name`` at its last id. Stops early when ``stop`` is set, committing
    what it had fetched. Returns the last id committed (``first - 1`` if none)."""
    items: list[Item] = []
    done = first - 1  # the last id fetched
    saving: asyncio.Future[ItemsResult] | None = None

    async def flush() -> None:
        nonlocal saving, items
        mapped = mapping.loose_items(items)
        items = []
        if saving is not None:
            tally.add(await saving)
            if on_batch is not None:
                on_batch()
        mark = Mark(name=name, position=done)
        saving = asyncio.ensure_future(archive.call(store_batch, mapped, mark, then))
        tally.position = done

    try:
        async for item_id, item in client.fetch_items(range(first, last + 1), stop=stop):
            done = item_id
            tally.fetched += 1
            if item is None:
                tally.nulls += 1
            else:
                items.append(item)
            if (item_id - first + 1) % batch == 0:
                await flush()
            if stop.is_set():
                break
    finally:
        # What was fetched is committed, an error or a stop included (nothing lost).
        if done >= first and tally.position < done:
            await flush()
        if saving is not None:
            tally.add(await saving)
            if on_batch is not None:
                on_batch()
    return done


async def until_stopped(awaitable: Awaitable[T], stop: asyncio.Event) -> T | None:
    """``awaitable``'s result, or None (it cancelled) if ``stop`` is set first."""
    task = asyncio.ensure_future(awaitable)
    stopper = asyncio.ensure_future(stop.wait())
    await asyncio.wait({task, stopper}, return_when=asyncio.FIRST_COMPLETED)
    stopper.cancel()
    if task.done():
        return task.result()
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    return None
