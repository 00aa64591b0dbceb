"""Staged comments the archive already holds: merged into their rows by the store's
history rules (see :mod:`archive.store`), never inserted twice.

The same rules as a crawl's save, with the pieces the store uses: the newer
observation wins field by field, NULL never replaces a value, an older one only fills
gaps; a change of text or of a flag is a ``comment_versions`` row (with the 'added'
row it had no need of before); a score that moved is a ``comment_scores`` row; a
comment marked gone that the dump saw later comes back. What differs is that a dump
is no whole view of a thread: a stored comment the dump lacks is not marked gone.
Each comment's time is its own (when the dump's crawler fetched it), and its place in
the tree (depth, position) is kept as stored: a dump knows no display order.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from itertools import islice

from archive import sources, versions
from archive.bulk import STAGED_COLUMNS
from archive.rows import Row, merge_row, seen_range, upsert_rows
from archive.schema import COMMENT_COLUMNS
from archive.store import _COMMENT_CONTENT, _COMMENT_LATEST, _COMMENT_OBJECTS

CHUNK = 5_000  # stored comments merged per step: the memory this path holds
_STAGED = ", ".join(f"s.{c}" for c in STAGED_COLUMNS)
_STORED = ", ".join(f"c.{c}" for c in (*_COMMENT_CONTENT, "first_seen_at", "last_seen_at",
                                       "last_crawl_id", "source", "gone_at"))
_SCORE = _COMMENT_CONTENT.index("score")
_SEEN, _SOURCE = STAGED_COLUMNS.index("last_seen_at"), STAGED_COLUMNS.index("source")
# Where each content column is in a staged row; depth and position come from the stored row.
_KEEP = frozenset(_COMMENT_CONTENT.index(c) for c in ("depth", "position"))
_FROM_STAGED = tuple(STAGED_COLUMNS.index(c) if c in STAGED_COLUMNS else None
                     for c in _COMMENT_CONTENT)  # fmt: skip


def merge_known(tx: sqlite3.Connection, *, crawl_id: int | None) -> tuple[int, int]:
    """Merge every staged comment the archive has, then unstage it; (merged, changed)."""
    cur = tx.execute(
        f"SELECT {_STAGED}, {_STORED} FROM import_comments s"
        " JOIN comments c ON c.site = s.site AND c.id = s.id")
    merged = changed = 0
    while chunk := list(islice(cur, CHUNK)):
        merged += len(chunk)
        changed += _merge(tx, chunk, crawl_id)
    if merged:
        tx.execute("DELETE FROM import_comments WHERE (site, id) IN"
                   " (SELECT site, id FROM comments)")
    return merged, changed


def _merge(tx: sqlite3.Connection, chunk: list[Row], crawl_id: int | None) -> int:
    width = len(STAGED_COLUMNS)
    writes: list[Row] = []
    history: list[Row] = []
    baseline: dict[str, dict[str, tuple[str, Row, str | None]]] = defaultdict(dict)
    scores: dict[tuple[str, str], dict[str, int]] = defaultdict(dict)
    back: list[tuple[str, str, str]] = []
    changed = 0
    for row in chunk:
        staged, stored = row[:width], row[width:]
        site, cid, seen = staged[0], staged[1], staged[_SEEN]
        source = staged[_SOURCE]
        old, (first, last, old_crawl, was, gone_at) = stored[:-5], stored[-5:]
        content = tuple(old[i] if j is None else staged[j]
                        for i, j in enumerate(_FROM_STAGED))  # fmt: skip
        new = old if content == old else merge_row(
            old, content, newer=seen >= last, latest=_COMMENT_LATEST - _KEEP, keep=_KEEP,
            objects=_COMMENT_OBJECTS)  # fmt: skip
        new_first, new_last = seen_range(first, last, seen)
        crawl = old_crawl if crawl_id is None else crawl_id
        now = sources.union(was, source)
        if (new, new_first, new_last, crawl, now) != (old, first, last, old_crawl, was):
            writes.append((site, cid, *new, new_first, new_last, crawl, now))
        changed += new != old
        changes = versions.comment_changes(old, new) if new != old else []
        if changes:
            baseline[site][cid] = (first, old, was)
        history.extend(versions.version_row(site, cid, seen, crawl_id, change, new, source)
                       for change in changes)  # fmt: skip
        if gone_at is not None and seen > gone_at:
            baseline[site].setdefault(cid, (first, old, was))
            history.append(versions.version_row(site, cid, seen, crawl_id, "back", new,
                                                source))
            back.append((site, cid, seen))
        if content[_SCORE] is not None:
            scores[(site, seen)][cid] = content[_SCORE]
    for site, base in baseline.items():
        history[:0] = versions.first_versions(tx, site, base)
    for (site, seen), by_id in scores.items():
        versions.comment_scores(tx, site, by_id, seen=seen, crawl_id=crawl_id)
    upsert_rows(tx, "comments", COMMENT_COLUMNS, ("site", "id"), writes)
    upsert_rows(tx, "comment_versions", versions.VERSION_COLUMNS, versions.VERSION_KEY, history)
    for site, cid, _ in back:
        tx.execute("UPDATE comments SET gone_at = NULL WHERE site = ? AND id = ?", (site, cid))
    return changed
