"""Merging the comments' full-text index outside the saves (migration 0021).

FTS5 writes each transaction's new rows as one more segment, and by default
(``automerge`` 4) a writer then merges, after every 64 leaves it wrote, up to 64
leaves times the index's number of levels of the segments below: at ten million
comments (7 levels) a 1,000-comment save (~26 leaves) paid one such merge in two or
three, 15-20 ms a save on average of its ~110 ms, and an incremental merge once begun
is carried on by every save at any ``automerge`` above 0. Migration 0021 sets it to 0,
so a save writes its own segment and nothing more; :func:`merge` does that work where a
crawl, an import or a reparse ends (``archive.search_auto.upkeep``), in steps of
:data:`STEP_PAGES` pages, each its own short write transaction, until no level holds
``usermerge`` (4) segments or the time is up. What is left waits for the next run
(FTS5 keeps how far a merge got); should runs fall behind, FTS5's ``crisismerge``
(16 segments on a level, merged at once by the writer that makes the 16th) still
bounds the segments a search reads.
"""

from __future__ import annotations

import sqlite3
import time

from archive.search_segments import shape

# Pages a merge step writes: ~50-70 ms at ten million comments on a loaded 2-core
# machine, the write lock held for that long.
STEP_PAGES = 500
# FTS5's default: a merge step takes a level of this many segments or more.
USERMERGE = 4
# FTS5's own option name: a table of that name would be read as a column.
_MERGE = "INSERT INTO comments_fts (comments_fts, rank) VALUES ('merge', ?)"


def m0021_fts_merge(conn: sqlite3.Connection) -> None:
    """``automerge`` 0 on ``comments_fts``: a row of its config table, cheap at any size."""
    conn.execute("INSERT INTO comments_fts (comments_fts, rank) VALUES ('automerge', 0)")


def step(conn: sqlite3.Connection, pages: int = STEP_PAGES) -> bool:
    """One merge step of at most ``pages`` pages, committed; False when there was
    nothing to merge (then nothing is written, and no write lock taken)."""
    from archive.db import transaction  # here: archive.db imports the migrations

    if not shape(conn).mergeable(USERMERGE):
        return False
    with transaction(conn):
        before = conn.total_changes
        conn.execute(_MERGE, (pages,))
        # FTS5's documented test: a merge that did nothing changed fewer than 2 rows.
        return conn.total_changes - before >= 2


def merge(conn: sqlite3.Connection, *, deadline: float | None = None,
          pages: int = STEP_PAGES) -> int:  # fmt: skip
    """Merge steps until nothing is left to merge or ``deadline`` (``time.monotonic``)
    has passed, at least one step where there is work; the steps that merged
    something."""
    done = 0
    while step(conn, pages):
        done += 1
        if deadline is not None and time.monotonic() >= deadline:
            break
    return done
