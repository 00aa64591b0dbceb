"""One pace per host for every crawl of an archive: migration 0005 and its turns.

Scrapy keeps a host's delay (robots.txt's Crawl-delay) inside one process. Two crawls
writing the same archive (two ``linkthread run`` runners, or a runner and a crawl
started by hand) would each keep it and together ask the host twice as often. So
every request takes a turn here just before it leaves: at ``next_at`` or now,
whichever is later; the turn after it comes its delay later. Each turn is one write
transaction, so two processes never take the same one.

A request that knows no delay yet (the first robots.txt of a crawl) still waits for
the turn and keeps the gap the last turn asked for, so it cannot squeeze in between
two turns of a crawl that knows the delay. Once ``next_at`` has passed, the stored
delay no longer binds: a later crawl that lowers it knowingly gets what it asked.

Times are Unix seconds (``time.time()``): unlike a monotonic clock they mean the same
in every process of the machine.
"""

from __future__ import annotations

import sqlite3

from archive.rows import now_iso

PACE_TABLE = """
CREATE TABLE host_pace (
    host TEXT PRIMARY KEY,
    next_at REAL NOT NULL,
    delay REAL NOT NULL,
    updated_at TEXT NOT NULL
)
"""


def m0005_pace(conn: sqlite3.Connection) -> None:
    """The shared pace of each host crawled."""
    conn.execute(PACE_TABLE)


def take_turn(conn: sqlite3.Connection, host: str, delay: float, now: float, *,
              known: bool = True) -> float:
    """Take the next turn to ask ``host``; return the seconds to wait for it.

    ``known=False`` is a request made before its crawl knows the host's delay (its
    first robots.txt). Just after a turn came due, the crawl that took the last turn
    may be about to ask again, its own Crawl-delay having run out in its own process
    too: such a request takes a turn of that crawl's delay, so that the two do not go
    out together."""
    # Imported here: archive.db migrates on open, so it imports this module's migration.
    from archive.db import transaction

    with transaction(conn) as tx:
        row = tx.execute(
            "SELECT next_at, delay FROM host_pace WHERE host = ?", (host,)
        ).fetchone()
        turn, gap = now, delay
        if row is not None and (now < row[0] or (not known and now < row[0] + row[1])):
            turn, gap = max(now, row[0]), max(delay, row[1])
        if gap <= 0:
            return turn - now  # nothing to keep for the next turn: no write per request
        tx.execute(
            "INSERT INTO host_pace (host, next_at, delay, updated_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (host) DO UPDATE SET next_at = excluded.next_at,"
            " delay = excluded.delay, updated_at = excluded.updated_at",
            (host, turn + gap, gap, now_iso()),
        )
    return turn - now
