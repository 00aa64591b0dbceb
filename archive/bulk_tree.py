"""The tree of the staged comments (``import_comments``) for publishing
(:mod:`archive.bulk_publish`): ``temp.bulk_tree`` (row, depth, orphan, position), in
one pass over the staged rows sorted by thread, parent and time, rather than a
recursive query down the parents and a window over its result.

The rules are those of the recursive query it replaced, which :func:`walk` keeps as
the reference (tests/test_dump_tree.py holds the two equal, whole tables):

* a root is a comment whose parent is the story (depth 0), a stored comment of the
  same thread (its depth + 1), or in neither the staged rows nor the archive (depth
  1, an orphan); a parent is only ever one of the same thread;
* a reply is one depth below its staged parent; a comment no root leads to (a cycle
  of parents in a broken file) is not placed at all;
* position: among the placed comments of the same thread and parent, in the order of
  ``created_at, length(id), id``, from 0.

Memory: a few numbers a staged row in flat arrays (14 bytes, not a Python object per
row), and no thread's rows held: a megathread of a quarter of a dump costs what as
many rows of small threads do. The SQL names each row's staged parent by its rowid and
gives the siblings together, in their order. The rows go into bulk_tree in rowid
order, the order its B-tree is appended in.
"""

from __future__ import annotations

import sqlite3
from array import array
from collections.abc import Iterator

TABLE = ("CREATE TEMP TABLE bulk_tree (row INTEGER PRIMARY KEY, depth INTEGER,"
         " orphan INTEGER, position INTEGER)")
# Each staged row with the rowid of its staged parent (NULL for a root), a root's
# depth and whether it is an orphan (a reply's are worked out from its parent), in the
# order of the places: by thread and parent, then as the window sorts siblings. The
# stored parent is looked up only in an archive with comments.
_READ = """
SELECT s.site, s.story_id, s.parent_id, s.rowid, p.rowid,
       CASE WHEN s.parent_id IS NULL THEN 0 {stored} ELSE 1 END,
       s.parent_id IS NOT NULL{orphan}
FROM import_comments s
LEFT JOIN import_comments p ON p.site = s.site AND p.id = s.parent_id
                           AND p.story_id = s.story_id{join}
ORDER BY s.site, s.story_id, s.parent_id, s.created_at, length(s.id), s.id
"""
_STORED = "WHEN c.id IS NOT NULL THEN c.depth + 1"
_JOIN = """
LEFT JOIN comments c ON c.site = s.site AND c.id = s.parent_id AND c.story_id = s.story_id"""
_UNPLACED = -1
_ROOT, _GAP = -1, -2  # in ``parent``: a root's, and a rowid no staged row has
_CHAIN = 2


# The reference: a recursive walk down from the roots, then the place among siblings
# by a window over those few columns. A comment has one parent, so the walk reaches
# each at most once. Rows go in by rowid, so that bulk_tree's B-tree is appended to.
_WALK = """
WITH RECURSIVE tree(row, site, story_id, parent_id, id, created_at, depth, orphan) AS (
    SELECT s.rowid, s.site, s.story_id, s.parent_id, s.id, s.created_at,
           CASE WHEN s.parent_id IS NULL THEN 0 WHEN c.id IS NOT NULL THEN c.depth + 1
                ELSE 1 END,
           s.parent_id IS NOT NULL AND c.id IS NULL
    FROM import_comments s
    LEFT JOIN comments c ON c.site = s.site AND c.id = s.parent_id AND c.story_id = s.story_id
    WHERE s.parent_id IS NULL OR NOT EXISTS (
        SELECT 1 FROM import_comments p WHERE p.site = s.site AND p.id = s.parent_id
        AND p.story_id = s.story_id)
    UNION ALL
    SELECT s.rowid, s.site, s.story_id, s.parent_id, s.id, s.created_at, tree.depth + 1, 0
    FROM tree JOIN import_comments s ON s.site = tree.site AND s.parent_id = tree.id
                                    AND s.story_id = tree.story_id
)
INSERT INTO temp.bulk_tree (row, depth, orphan, position)
SELECT * FROM (
    SELECT row, depth, orphan, row_number() OVER (
        PARTITION BY site, story_id, parent_id ORDER BY created_at, length(id), id) - 1
    FROM tree)
ORDER BY row
"""

def place(tx: sqlite3.Connection, *, stored: bool) -> None:
    """Make and fill ``temp.bulk_tree`` (see the module). ``stored``: the archive has
    comments, so a root's parent may be one of them."""
    tx.execute(TABLE)
    lo, hi = tx.execute("SELECT min(rowid), max(rowid) FROM import_comments").fetchone()
    if lo is None:
        return
    size = hi - lo + 1
    depth = array("i", [_UNPLACED]) * size
    position = array("i", [0]) * size
    parent = array("i", [_GAP]) * size  # the staged parent's place, _ROOT, or _GAP
    orphan = bytearray(size)
    cur = tx.execute(_READ.format(stored=_STORED if stored else "",
                                  orphan=" AND c.id IS NULL" if stored else "",
                                  join=_JOIN if stored else ""))
    group: tuple = ()
    at = 0
    for site, story, above, row, up, level, lost in cur:
        if (site, story, above) != group:
            group, at = (site, story, above), 0
        here = row - lo
        position[here] = at
        at += 1
        if up is None:
            parent[here] = _ROOT
            depth[here] = level
            orphan[here] = lost
        else:
            parent[here] = up - lo
    _depths(depth, parent)
    tx.executemany("INSERT INTO temp.bulk_tree (row, depth, orphan, position)"
                   " VALUES (?, ?, ?, ?)", _placed(lo, depth, orphan, position))


def _depths(depth: array, parent: array) -> None:
    """Each reply one below its parent, up the parents to a root; a chain that comes
    back on itself (a cycle, a self-parent) or to such a one stays unplaced."""
    dead = bytearray(len(depth))  # no root above it; _CHAIN: on the chain in hand
    for start, up in enumerate(parent):
        if up < 0 or depth[start] != _UNPLACED or dead[start]:  # a root, a gap, done
            continue
        chain = []
        here = start
        while depth[here] == _UNPLACED and not dead[here]:
            dead[here] = _CHAIN
            chain.append(here)
            here = parent[here]
        if dead[here]:  # met the chain itself, or a row found dead before
            for row in chain:
                dead[row] = 1
            continue
        level = depth[here]
        for row in reversed(chain):
            level += 1
            depth[row] = level
            dead[row] = 0


def _placed(lo: int, depth: array, orphan: bytearray,
            position: array) -> Iterator[tuple[int, int, int, int]]:
    for here, level in enumerate(depth):
        if level != _UNPLACED:
            yield lo + here, level, orphan[here], position[here]


def walk(tx: sqlite3.Connection, *, stored: bool) -> None:
    """:func:`place` by the recursive query it replaced (kept to hold the two equal,
    tests/test_dump_tree.py): the same table, the same rows. ``stored`` is not needed:
    the join to the archive's comments finds nothing in an archive without them."""
    # Covering what the walk reads of a reply, so it never reads the staged row itself.
    tx.execute("CREATE INDEX import_comments_parent ON import_comments"
               " (site, parent_id, id, story_id, created_at)")
    tx.execute(TABLE)
    tx.execute(_WALK)
    tx.execute("DROP INDEX import_comments_parent")
