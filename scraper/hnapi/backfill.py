"""``linkthread backfill hn``: an id range of HN's API into the archive, resumable.

Ids are fetched in order, many at once (``ApiClient.fetch_items``), and committed a
batch at a time with the range's high-water mark ``backfill:A-B`` (archive.follow_state):
a killed backfill of the same range restarts after the last id committed, so nothing
it had committed is fetched again. Replies are linked into their threads as their
parents arrive, whatever the order (archive.items).
"""

from __future__ import annotations

import asyncio
import signal
import sys
from dataclasses import dataclass

from archive import follow_state, search_auto
from scraper.hnapi.client import ApiClient
from scraper.hnapi.ingest import BATCH, SITE, Tally, fetch_range
from scraper.hnapi.status import Display
from scraper.hnapi.writer import Archive


@dataclass(frozen=True, slots=True, kw_only=True)
class BackfillResult:
    first: int
    last: int
    resumed_from: int  # the first id this run asked for
    tally: Tally
    stopped: bool  # SIGINT/SIGTERM stopped it before the end


def state_name(first: int, last: int) -> str:
    return f"backfill:{first}-{last}"


def _position(db: object, name: str) -> int | None:
    state = follow_state.get_state(db.conn, SITE, name)  # type: ignore[attr-defined]
    return None if state is None else state[0]


async def backfill(client: ApiClient, db_path: str, *, first: int | None, last: int | None,
                   count: int | None, display: Display, batch: int = BATCH) -> BackfillResult:
    """Backfill ``first`` .. ``last``, or the ``count`` ids up to the current maxitem."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    archive = Archive(db_path)
    try:
        if count is not None:
            last = await client.maxitem()
            first = max(1, last - count + 1)
            # Said at once, as a kill says nothing: the newest id will have moved on.
            print(f"--last {count} is ids {first}-{last}: `--from {first} --to {last}`"
                  " continues this backfill if it is stopped", file=sys.stderr, flush=True)
        assert first is not None and last is not None
        name = state_name(first, last)
        done = await archive.call(_position, name)
        start = first if done is None else done + 1
        tally = Tally(position=start - 1)
        display.begin(f"backfill {first}-{last}", total=last - first + 1,
                      done=start - first)
        if start <= last:
            await fetch_range(client, archive, start, last, name=name, tally=tally, stop=stop,
                              batch=batch, on_batch=lambda: display.advance(tally))
            # What a crawl's end does (search_auto), once the range is in or stopped.
            await archive.call(search_auto.after_write)
        display.advance(tally)
        return BackfillResult(first=first, last=last, resumed_from=start, tally=tally,
                              stopped=stop.is_set() and tally.position < last)
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
        display.close()
        await archive.close()
