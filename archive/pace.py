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

A crawl that asks a host often (a Reddit thread is dozens of API answers in a row)
claims several turns in one write (:class:`Claims`): ``next_at`` is set past all of
them, so no other crawl's turn falls among them, and the crawl takes them one by one
in its own process, each a delay after the one before, as the row would give them.
A claim spans at most ``CLAIM_SECONDS``; what a crawl leaves of it unused is handed
back when it ends (:meth:`Claims.release`).
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


# A claim of turns spans at most this many seconds (and turns): what another
# crawl of the archive may have to wait for a turn, beyond its delay, when this one
# ends without handing its claim back (a crash).
CLAIM_SECONDS = 2.0
CLAIM_TURNS = 1000
SLACK = 1e-9  # the float error of adding a delay up to a claim's end


def take_turn(conn: sqlite3.Connection, host: str, delay: float, now: float, *,
              known: bool = True) -> float:
    """Take the next turn to ask ``host``; return the seconds to wait for it.

    ``known=False`` is a request made before its crawl knows the host's delay (its
    first robots.txt). Just after a turn came due, the crawl that took the last turn
    may be about to ask again, its own Crawl-delay having run out in its own process
    too: such a request takes a turn of that crawl's delay, so that the two do not go
    out together."""
    turn, _, _ = claim_turns(conn, host, delay, now, known=known)
    return turn - now


def claim_turns(conn: sqlite3.Connection, host: str, delay: float, now: float, *,
                known: bool = True, most: int = 1) -> tuple[float, float, int]:
    """:func:`take_turn`'s turn, the gap kept after it and the count of turns taken,
    up to ``most`` within CLAIM_SECONDS: the next turn of another crawl is that many
    gaps after this one (:class:`Claims`)."""
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
            return turn, gap, 1  # nothing to keep for the next turn: no write per request
        count = max(1, min(most, int(CLAIM_SECONDS / gap)))
        tx.execute(
            "INSERT INTO host_pace (host, next_at, delay, updated_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (host) DO UPDATE SET next_at = excluded.next_at,"
            " delay = excluded.delay, updated_at = excluded.updated_at",
            (host, turn + count * gap, gap, now_iso()),
        )
    return turn, gap, count


class Claims:
    """One crawl's turns, claimed ``claim_size`` at a time: one write for several
    requests, the pace between any two requests to a host unchanged."""

    def __init__(self) -> None:
        # host -> (when this crawl's next claimed turn is at the earliest, the claim's
        # end, the gap its turns keep at least: the larger delay of a contested claim)
        self._held: dict[str, tuple[float, float, float]] = {}

    def local(self, host: str, delay: float, now: float, *, known: bool = True) -> float | None:
        """The wait for a turn this crawl holds already, or None: ask the archive
        (:meth:`take`). A held turn is one whose full delay ends within the claim, so
        the turn of another crawl (at the claim's end or later) keeps its gap after it."""
        held = self._held.get(host)
        if held is None or not known or delay <= 0:
            return None
        earliest, end, least = held
        turn, gap = max(now, earliest), max(delay, least)
        if turn + gap > end + SLACK:
            return None
        self._held[host] = (turn + gap, end, least)
        return turn - now

    def take(self, conn: sqlite3.Connection, host: str, delay: float, now: float, *,
             known: bool = True) -> float:
        """A turn for ``host``: a held one, else a new claim from the archive."""
        wait = self.local(host, delay, now, known=known)
        if wait is not None:
            return wait
        # robots.txt, asked before its crawl knows the delay, takes a turn alone.
        turn, gap, count = claim_turns(conn, host, delay, now, known=known,
                                       most=CLAIM_TURNS if known else 1)
        if known and gap > 0:
            self._held[host] = (turn + gap, turn + count * gap, gap)
        else:
            self._held.pop(host, None)
        return turn - now

    def release(self, conn: sqlite3.Connection) -> None:
        """Hand back the turns claimed and not taken: ``next_at`` goes back to a delay
        after this crawl's last turn, unless another crawl has taken a turn since."""
        from archive.db import transaction

        unused = [(earliest, host, end) for host, (earliest, end, _) in self._held.items()
                  if earliest < end - SLACK]
        self._held = {}
        if not unused:
            return
        with transaction(conn) as tx:
            for earliest, host, end in unused:
                tx.execute("UPDATE host_pace SET next_at = ?, updated_at = ?"
                               " WHERE host = ? AND next_at = ?",
                           (earliest, now_iso(), host, end))  # fmt: skip
