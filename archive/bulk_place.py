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
what is held stays bounded whatever the dump. A parent staged in another thread (a
broken file) is not what one thread's read can place: then nothing is kept and the
caller takes the walk for everything.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from itertools import groupby
from operator import itemgetter

from archive.bulk_threads import _BY_AUTHOR  # the parts' table, as the GROUP BY fills it

THREAD_CAP = 50_000  # staged comments of one thread placed here; more go to the walk

_ROWS = """
SELECT site, story_id, rowid, parent_id, id, author, deleted, dead, created_at
FROM import_comments ORDER BY site, story_id, parent_id, created_at, length(id), id
"""
_NEW, _UNREACHED, _ON_PATH = -3, -2, -1  # not worked out; in or under a cycle; on the way up


class _Elsewhere(Exception):
    """A parent staged in another thread."""


def place_first(tx: sqlite3.Connection) -> bool:
    """Fill ``temp.bulk_tree`` (row, depth, orphan, position) and ``temp.bulk_by_author``
    for the staged comments of an archive that has no comments (see the module), but
    for threads over the cap, named in ``temp.bulk_big``. False (and nothing kept) when
    a parent is staged in another thread: the caller walks the whole tree instead."""
    tx.execute(_BY_AUTHOR)
    tx.execute("CREATE TEMP TABLE bulk_big (site TEXT, story_id TEXT,"
               " PRIMARY KEY (site, story_id)) WITHOUT ROWID")
    try:
        for (site, story), rows in groupby(tx.execute(_ROWS), key=itemgetter(0, 1)):
            _thread(tx, site, story, rows)
        if big_threads(tx) and tx.execute(_BIG_ELSEWHERE).fetchone():
            raise _Elsewhere
    except _Elsewhere:
        for table in ("bulk_by_author", "bulk_big"):
            tx.execute(f"DROP TABLE temp.{table}")
        tx.execute("DELETE FROM temp.bulk_tree")
        return False
    tx.execute(_BIG_PARTS)
    return True


def big_threads(tx: sqlite3.Connection) -> bool:
    """Whether :func:`place_first` left threads to the walk."""
    return tx.execute("SELECT 1 FROM temp.bulk_big LIMIT 1").fetchone() is not None


# A comment of a thread left to the walk whose parent is staged in another thread.
_BIG_ELSEWHERE = """
SELECT 1 FROM import_comments s JOIN import_comments p ON p.site = s.site AND p.id = s.parent_id
WHERE (s.site, s.story_id) IN (SELECT site, story_id FROM temp.bulk_big)
  AND p.story_id <> s.story_id LIMIT 1
"""
# The parts of those threads, by the GROUP BY of archive.bulk_threads over the staged
# rows (which are, in an archive with no comments, all the thread's comments).
_BIG_PARTS = """
INSERT INTO temp.bulk_by_author
SELECT site, story_id, author IS NULL, coalesce(author, ''), count(*), sum(deleted <> 0),
       sum(dead <> 0 AND deleted = 0), min(created_at), max(created_at)
FROM import_comments WHERE (site, story_id) IN (SELECT site, story_id FROM temp.bulk_big)
GROUP BY site, story_id, author IS NULL, coalesce(author, '')
"""


def _thread(tx: sqlite3.Connection, site: str, story: str,
            rows: Iterable[tuple]) -> None:  # fmt: skip
    index: dict[str, int] = {}
    parents: list[str | None] = []
    rowids: list[int] = []
    positions: list[int] = []
    authors: dict[tuple[int, str], list] = {}
    sibling_of: object = object()
    position = 0
    for _, _, rowid, parent, cid, author, deleted, dead, created in rows:
        if len(rowids) >= THREAD_CAP:
            tx.execute("INSERT INTO temp.bulk_big VALUES (?, ?)", (site, story))
            for _ in rows:  # the rest of the thread's rows: the walk places them
                pass
            return
        if parent != sibling_of:
            sibling_of, position = parent, 0
        index[cid] = len(rowids)
        parents.append(parent)
        rowids.append(rowid)
        positions.append(position)
        position += 1
        key = (1, "") if author is None else (0, author)
        part = authors.get(key)
        if part is None:
            authors[key] = [1, int(deleted != 0), int(dead != 0 and deleted == 0),
                            created, created]
            continue
        part[0] += 1
        part[1] += deleted != 0
        part[2] += dead != 0 and deleted == 0
        if created is not None:
            # min/max as SQL's: a NULL time is no time
            if part[3] is None or created < part[3]:
                part[3] = created
            if part[4] is None or created > part[4]:
                part[4] = created
    depths, orphans = _depths(tx, site, index, parents)
    tx.executemany("INSERT INTO temp.bulk_tree (row, depth, orphan, position)"
                   " VALUES (?, ?, ?, ?)",
                   [(rowid, depth, orphan, place) for rowid, depth, orphan, place
                    in zip(rowids, depths, orphans, positions, strict=True)
                    if depth >= 0])  # fmt: skip
    tx.executemany(
        "INSERT INTO temp.bulk_by_author VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [(site, story, anonymous, author, *part)
         for (anonymous, author), part in sorted(authors.items())])  # fmt: skip


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
                    raise _Elsewhere
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
