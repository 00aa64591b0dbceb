"""The archive, opened and written in a thread of its own, for the API's commands.

SQLite connections stay in the thread that opened them, and a save (a batch of a
backfill, a thread of a crawl) costs milliseconds to tens of them: in a thread of its
own it runs while the event loop keeps its requests in flight.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from archive.db import open_db, open_writer

WRITER_CACHE_KIB = 8192
T = TypeVar("T")


class Archive:
    """The archive, opened and written in a thread of its own. ``flat``: the small page
    cache of a long-running writer (a backfill, a tail), else open_db's own."""

    def __init__(self, path: str, *, flat: bool = True, plain: bool = False) -> None:
        self.path = path
        self.flat = flat
        # plain: the sqlite3 connection alone, which archive.store takes too, without
        # sqlite-utils' Database (and the numpy it imports: a tenth of a small crawl).
        self.plain = plain
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="archive")
        self._db: Any = None

    async def call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """``fn(db, *args, **kwargs)`` in the archive's thread."""
        def work() -> T:
            if self._db is None:
                self._db = open_writer(self.path) if self.plain else open_db(self.path)
                if self.flat:
                    # A long-running writer of rows it rarely reads again: a large page
                    # cache and mmap only grow its memory with the archive, so a small
                    # cache keeps a backfill's or a tail's memory flat whatever its length.
                    conn = self._db if self.plain else self._db.conn
                    conn.execute(f"PRAGMA cache_size = -{WRITER_CACHE_KIB}")
                    conn.execute("PRAGMA mmap_size = 0")
            return fn(self._db, *args, **kwargs)
        return await asyncio.get_running_loop().run_in_executor(self._pool, work)

    async def close(self) -> None:
        def shut() -> None:
            if self._db is not None:
                self._db.close()
        await asyncio.get_running_loop().run_in_executor(self._pool, shut)
        self._pool.shutdown()
