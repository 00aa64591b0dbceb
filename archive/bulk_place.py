"""Placing a first dump's comments in their trees in Python, in one sorted read of the
staged rows, instead of the recursive walk and window of :mod:`archive.bulk_publish`.

For an archive with no comments yet (a dump loaded first), every staged comment is
new and its tree is wholly among the staged rows, so one read of them in thread and
sibling order (``ORDER BY site, story_id, parent_id, created_at, length(id), id``:
the window's own order) gives everything publishing needs of the tree: a comment's
position is its rank in its run of siblings as they come, and its depth follows from
its thread's parents, held for that thread alone. The same read gives the author
summaries' parts of the thread (``temp.bulk_by_author``), which would otherwise be a
GROUP BY, a second sort of every comment. The walk's sorts (its window over the whole
tree, then by row) cost more than this read and Python's work on it together
(bench/dump_profile.py).

Kept exactly as the walk places them (tests/test_dump_place.py holds the two paths'
archives equal, whole tables): a root is a comment whose parent is the story (depth 0)
or in no staged row (depth 1, an orphan); comments in a cycle of parents are reached
by no walk and left out of ``bulk_tree`` (publishing keeps them as orphans).

Memory: a thread's parents are held while its rows pass. A thread of more than
:data:`THREAD_CAP` staged comments is left to the walk (``temp.bulk_big``), so that
what is held stays bounded whatever the dump; so are a thread's authors counted
(:data:`AUTHOR_CAP`). A parent staged in another thread (a broken file) is not what
one thread's read can place: then, or for a thread of more authors than that,
nothing is kept and the caller takes the walk and the GROUP BY for everything.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from itertools import groupby
from operator import itemgetter

from archive.bulk_threads import _BY_AUTHOR  # the parts' table, as the GROUP BY fills it

THREAD_CAP = 50_000  # staged comments of one thread placed here; more go to the walk
AUTHOR_CAP = 100_000  # authors of one thread counted here; more: the walk and GROUP BY

_ROWS = """
SELECT site, story_id, rowid, parent_id, id, author, deleted, dead, created_at
FROM import_comments ORDER BY site, story_id, parent_id, created_at, length(id), id
"""
_NEW, _UNREACHED, _ON_PATH = -3, -2, -1  # not worked out; in or under a cycle; on the way up


class _Walk(Exception):
    """What one thread's read cannot place: a parent staged in another thread, or a
    thread of more authors than the cap."""


def place_first(tx: sqlite3.Connection) -> int | None:
    """Fill ``temp.bulk_tree`` (row, depth, orphan, position) and ``temp.bulk_by_author``
    for the staged comments of an archive that has no comments (see the module); the
    number of them left to the walk (their threads in ``temp.bulk_big``: their parts
    are counted here all the same). None, and nothing kept, when the walk must place
    every comment instead (see :class:`_Walk`)."""
    tx.execute(_BY_AUTHOR)
    tx.execute("CREATE TEMP TABLE bulk_big (site TEXT, story_id TEXT,"
               " PRIMARY KEY (site, story_id)) WITHOUT ROWID")
    left = 0
    cur = tx.execute(_ROWS)
    try:
        for (site, story), rows in groupby(cur, key=itemgetter(0, 1)):
            left += _thread(tx, site, story, rows)
    except _Walk:
        cur.close()  # its read still open would lock the tables dropped
        undo(tx)
        return None
    return left


def undo(tx: sqlite3.Connection) -> None:
    """Nothing of :func:`place_first` kept: the walk places every comment."""
    for table in ("bulk_by_author", "bulk_big"):
        tx.execute(f"DROP TABLE temp.{table}")
    tx.execute("DELETE FROM temp.bulk_tree")


def crossed(tx: sqlite3.Connection) -> bool:
    """Whether a comment of a thread left to the walk has its parent staged in
    another thread (then the walk of those threads alone is not the whole walk)."""
    return tx.execute(_BIG_ELSEWHERE).fetchone() is not None


_BIG_ELSEWHERE = """
SELECT 1 FROM import_comments s JOIN import_comments p ON p.site = s.site AND p.id = s.parent_id
WHERE (s.site, s.story_id) IN (SELECT site, story_id FROM temp.bulk_big)
  AND p.story_id <> s.story_id LIMIT 1
"""


def _thread(tx: sqlite3.Connection, site: str, story: str, rows: Iterable[tuple]) -> int:
    """Place one thread's comments, or (over the cap) leave them to the walk: how
    many were left. Its author parts are written either way."""
    index: dict[str, int] = {}
    parents: list[str | None] = []
    rowids: list[int] = []
    positions: list[int] = []
    authors: dict[tuple[int, str], list] = {}
    sibling_of: object = object()
    position = 0
    count = 0
    for _, _, rowid, parent, cid, author, deleted, dead, created in rows:
        count += 1
        key = (1, "") if author is None else (0, author)
        part = authors.get(key)
        if part is None:
            if len(authors) >= AUTHOR_CAP:
                raise _Walk
            authors[key] = [1, int(deleted != 0), int(dead != 0 and deleted == 0),
                            created, created]
        else:
            part[0] += 1
            part[1] += deleted != 0
            part[2] += dead != 0 and deleted == 0
            if created is not None:
                # min and max as SQL's: a NULL time is no time
                if part[3] is None or created < part[3]:
                    part[3] = created
                if part[4] is None or created > part[4]:
                    part[4] = created
        if count > THREAD_CAP:
            if count == THREAD_CAP + 1:  # too large to hold: the walk places it
                tx.execute("INSERT INTO temp.bulk_big VALUES (?, ?)", (site, story))
                index.clear()
                del parents[:], rowids[:], positions[:]
            continue
        if parent != sibling_of:
            sibling_of, position = parent, 0
        index[cid] = len(rowids)
        parents.append(parent)
        rowids.append(rowid)
        positions.append(position)
        position += 1
    tx.executemany(
        "INSERT INTO temp.bulk_by_author VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [(site, story, anonymous, author, *part)
         for (anonymous, author), part in sorted(authors.items())])  # fmt: skip
    if count > THREAD_CAP:
        return count
    depths, orphans = _depths(tx, site, index, parents)
    tx.executemany("INSERT INTO temp.bulk_tree (row, depth, orphan, position)"
                   " VALUES (?, ?, ?, ?)",
                   [(rowid, depth, orphan, place) for rowid, depth, orphan, place
                    in zip(rowids, depths, orphans, positions, strict=True)
                    if depth >= 0])  # fmt: skip
    return 0


def _depths(tx: sqlite3.Connection, site: str, index: dict[str, int],
            parents: list[str | None]) -> tuple[list[int], list[int]]:  # fmt: skip
    """Each comment's depth (or _UNREACHED) and whether it is an orphan root: up from
    each comment not yet worked out to one that is (or a root), then down that path."""
    depths = [_NEW] * len(parents)
    orphans = [0] * len(parents)
    for start in range(len(parents)):
        path: list[int] = []
        at = start
        while depths[at] == _NEW:
            parent = parents[at]
            if parent is None:
                depths[at] = 0
                break
            above = index.get(parent)
            if above is None:
                if tx.execute("SELECT 1 FROM import_comments WHERE site = ? AND id = ?",
                              (site, parent)).fetchone():  # fmt: skip
                    raise _Walk
                depths[at], orphans[at] = 1, 1  # under a parent nowhere to be found
                break
            depths[at] = _ON_PATH
            path.append(at)
            at = above
        # The path met a comment worked out, one unreached, or itself (a cycle).
        depth = depths[at]
        for step in reversed(path):
            depth = _UNREACHED if depth < 0 else depth + 1
            depths[step] = depth
    return depths, orphans
