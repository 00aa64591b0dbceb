"""The few comments that can be a frequent word's best matches: its k-skyband.

A search for a word in half of all comments cannot rank every match in time (FTS5's
``bm25`` costs ~3 us a match). For one term, bm25 orders comments by a function of
two numbers of each: ``tf``, the term's occurrences in the row (every column weighs
1.0 in ``archive.search``), and ``dl``, the row's length in tokens:

    score = idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * dl / avgdl))

``idf`` is the same for every row (FTS5 clamps it at 1e-6 for a word in over half of
them), and the score rises with ``tf`` and falls with ``dl`` whatever ``avgdl`` is.
So a row A with ``tf_A >= tf_B`` and ``dl_A <= dl_B`` (and the earlier rowid when
both are equal: ties go by rowid) ranks before B in every archive to come. The rows
that fewer than ``depth`` others rank before in that sense, the ``depth``-skyband of
the (tf, dl) points, hold the best ``depth`` matches for any archive-wide N, n and
avgdl: a few thousand rows for a word in millions.

Distinct (tf, dl) points give scores that differ by far more than a rounding of the
final product (dl and tf are integers below 2^31), so the order of two rows is
decided by their points alone, as above.

Every band also holds the premise it was computed under: comments up to rowid
``upto`` and changes up to ``search_changes.seq`` ``logged``. A row deleted or edited
since (logged by a trigger, :mod:`archive.search_index`) may have been a member: each
such member taken out lowers the depth the band is exact for by one (a row outside
the band has ``depth`` dominators inside it). Pure functions here; the tables and the
SQL are in :mod:`archive.search_index`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

K1 = 1.2
B = 0.75

Point = tuple[int, int, int]  # rowid, tf, dl


def score(tf: int, dl: int, *, rows: int, tokens: int, docs: int) -> float:
    """bm25 of one row for a single-term query, as FTS5 computes it (fts5_aux.c):
    the same operations in the same order on doubles, so the value is the same bits.

    ``rows`` and ``tokens`` are the index's row count and total tokens (every
    column), ``docs`` the rows the term is in.
    """
    idf = math.log((rows - docs + 0.5) / (docs + 0.5))
    if idf <= 0.0:
        idf = 1e-6
    avgdl = float(tokens) / float(rows)
    freq = float(tf)
    total = 0.0 + idf * ((freq * (K1 + 1.0)) / (freq + K1 * (1 - B + B * float(dl) / avgdl)))
    return -1.0 * total


def skyband(points: Iterable[Point], depth: int) -> list[Point]:
    """The points that fewer than ``depth`` others dominate (see the module's note).

    Within one ``tf``, a point with ``depth`` others before it by (dl, rowid) is out
    already, so each tf keeps its first ``depth``; those few are then compared with
    every point of a higher tf.
    """
    by_tf: dict[int, list[Point]] = {}
    for p in points:
        by_tf.setdefault(p[1], []).append(p)
    kept: list[Point] = []
    above: list[int] = []  # the dl of every kept point of a higher tf, sorted
    for tf in sorted(by_tf, reverse=True):
        same = sorted(by_tf[tf], key=lambda p: (p[2], p[0]))[:depth]
        for rank, p in enumerate(same):
            # Dominators: `rank` of the same tf, and those of higher tf no longer.
            if rank + _count_le(above, p[2]) < depth:
                kept.append(p)
        above = sorted(above + [p[2] for p in same])
    return kept


def _count_le(sorted_values: list[int], value: int) -> int:
    lo, hi = 0, len(sorted_values)
    while lo < hi:
        mid = (lo + hi) // 2
        if sorted_values[mid] <= value:
            lo = mid + 1
        else:
            hi = mid
    return lo


def decode_varints(blob: bytes) -> list[int]:
    """The SQLite varints of an FTS5 record (``%_docsize.sz``, the averages record)."""
    values: list[int] = []
    i, n = 0, len(blob)
    while i < n:
        value = 0
        for k in range(9):
            byte = blob[i]
            i += 1
            if k == 8:
                value = (value << 8) | byte
                break
            value = (value << 7) | (byte & 0x7F)
            if byte < 0x80:
                break
        values.append(value)
    return values
