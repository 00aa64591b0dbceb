"""The shape of an FTS5 index: its levels and the segments on each, read from the
structure record FTS5 keeps at rowid 10 of its ``_data`` table (the format of
``fts5StructureDecode`` in SQLite's fts5_index.c, version 1: an external-content
table keeps no tombstones).

A save adds one segment at level 0; ``automerge`` (default 4) merges a level's
segments into one on the level above, a share of the work after every 64 leaves
written, and ``crisismerge`` (default 16) merges a whole level at once when it holds
that many. :mod:`archive.search_merge` reads it to tell whether a merge step has any
work (no write lock taken for none); bench/scale_committed.py prints it.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

STRUCTURE_ROWID = 10


@dataclass(frozen=True, slots=True)
class Level:
    merging: int  # segments of this level an incremental merge is consuming
    leaves: tuple[int, ...]  # each segment's leaf pages


@dataclass(frozen=True, slots=True)
class Shape:
    write_counter: int  # leaves written since the index was made
    levels: tuple[Level, ...]

    def mergeable(self, least: int) -> bool:
        """Whether FTS5's ``('merge', N)`` would merge anything: a merge under way, or
        a level of at least ``least`` (``usermerge``) segments."""
        return any(level.merging or len(level.leaves) >= least for level in self.levels)

    @property
    def segments(self) -> int:
        return sum(len(level.leaves) for level in self.levels)

    def lines(self) -> list[str]:
        out = [f"{self.segments} segments on {len(self.levels)} levels,"
               f" {self.write_counter:,} leaves written"]  # fmt: skip
        for n, level in enumerate(self.levels):
            merging = f" (merging {level.merging} into level {n + 1})" * bool(level.merging)
            out.append(f"  level {n}: {len(level.leaves)} segments, leaves"
                       f" {', '.join(f'{x:,}' for x in level.leaves)}{merging}")  # fmt: skip
        return out


def _varint(data: bytes, i: int) -> tuple[int, int]:
    # SQLite's varint: big-endian groups of 7 bits, the ninth byte whole.
    value = 0
    for k in range(8):
        byte = data[i + k]
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            return value, i + k + 1
    return (value << 8) | data[i + 8], i + 9


def shape(conn: sqlite3.Connection, fts: str = "comments_fts") -> Shape:
    row = conn.execute(f'SELECT block FROM "{fts}_data" WHERE id = ?',
                       (STRUCTURE_ROWID,)).fetchone()
    if row is None:
        return Shape(0, ())
    data: bytes = row[0]
    i = 4  # the cookie
    if data[i:i + 4] == b"\xff\x00\x00\x01":
        raise ValueError(f"{fts}: a version 2 structure record (contentless_delete), not read")
    nlevel, i = _varint(data, i)
    _, i = _varint(data, i)  # the segments in all
    counter, i = _varint(data, i)
    levels = []
    for _ in range(nlevel):
        merging, i = _varint(data, i)
        count, i = _varint(data, i)
        leaves = []
        for _ in range(count):
            _, i = _varint(data, i)  # segment id
            first, i = _varint(data, i)
            last, i = _varint(data, i)
            leaves.append(last - first + 1)
        levels.append(Level(merging, tuple(leaves)))
    return Shape(counter, tuple(levels))
