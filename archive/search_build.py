"""A word's band built a bounded step at a time, beside the searches and the crawls.

:func:`archive.search_upkeep.keep` builds a band in one statement (a minute for a word
in millions of comments, the write lock held). Here a build is a row of
``search_terms`` of its own, the term behind a space (:data:`BUILDING`: no token
holds one, so no search reads it), whose premise says how far it got: comments up to
``upto``, changes up to ``logged``, exact to ``depth``. Being a row of
``search_terms``, it turns the change log on (its triggers log while any row exists).

Each :func:`step` reads, in a read transaction (no write lock: saves go on), the
term's matches above ``upto`` in rowid order through FTS5 until its time is up, each
with its bm25 and its length; for one term bm25 is a function of tf and dl (see
:mod:`archive.search_band`), so tf is read back from it, and kept only when
:func:`archive.search_band.score` gives the same bits from that tf (else the row is
tokenized again). The band of these rows is merged with what the build holds (the
skyband of a union is the skyband of the parts' skybands), then written in a short
write transaction, if no other process moved the premise meanwhile. The step that
reaches the newest comment puts the band in place of the kept one.
"""

from __future__ import annotations

import math
import sqlite3
import time
from dataclasses import dataclass

from archive import search_fold
from archive.db import transaction
from archive.search_band import K1, B, Point, decode_varints, score, skyband
from archive.search_counts import term_docs, term_points, totals
from archive.search_index import DEPTH

BUILDING = " "
# A build whose depth changes brought below this starts again.
MIN_DEPTH = DEPTH // 2
# Rows read between two looks at the clock.
CHECK_EVERY = 1024

_MATCHES = """
SELECT f.rowid, bm25(comments_fts), d.sz
FROM comments_fts f CROSS JOIN comments_fts_docsize d ON d.id = f.rowid
WHERE comments_fts MATCH :phrase AND f.rowid > :upto AND f.rowid <= :top
ORDER BY f.rowid
"""


@dataclass(frozen=True, slots=True)
class Premise:
    key: str
    word: str
    docs: int
    upto: int
    logged: int
    depth: int


def premise(conn: sqlite3.Connection, key: str) -> Premise | None:
    row = conn.execute("SELECT term, word, docs, upto, logged, depth FROM search_terms"
                       " WHERE term = ?", (key,)).fetchone()  # fmt: skip
    return Premise(*row) if row else None


def building(conn: sqlite3.Connection) -> list[str]:
    """The terms being built (without the mark)."""
    return [k[1:] for k, in conn.execute("SELECT term FROM search_terms WHERE term LIKE ' %'")]


def start(conn: sqlite3.Connection, term: str, word: str) -> None:
    """Begin (or begin again) building ``term``'s band, from the first comment."""
    key = BUILDING + term
    with transaction(conn):
        logged = conn.execute("SELECT coalesce(max(seq), 0) FROM search_changes").fetchone()[0]
        conn.execute("DELETE FROM search_band WHERE term = ?", (key,))
        conn.execute("INSERT OR REPLACE INTO search_terms (term, word, docs, upto, logged, depth)"
                     " VALUES (?, ?, 0, 0, ?, ?)", (key, word, logged, DEPTH))  # fmt: skip


def step(conn: sqlite3.Connection, term: str, *, deadline: float | None,
         rows: int = 200_000) -> bool:  # fmt: skip
    """Read the build's next matches (at most ``rows``, until ``deadline`` on
    ``time.monotonic``) and store them; True when the band is built and in place."""
    key = BUILDING + term
    p = premise(conn, key)
    if p is None:
        return True
    conn.execute("BEGIN")
    try:
        top = conn.execute("SELECT coalesce(max(rowid), 0) FROM comments").fetchone()[0]
        seq = conn.execute("SELECT coalesce(max(seq), 0) FROM search_changes").fetchone()[0]
        band = {d: (d, tf, dl) for d, tf, dl in conn.execute(
            "SELECT doc, tf, dl FROM search_band WHERE term = ?", (key,))}  # fmt: skip
        changed = [d for d, in conn.execute("SELECT DISTINCT doc FROM search_changes"
                                            " WHERE seq > ? AND seq <= ? AND doc <= ?",
                                            (p.logged, seq, p.upto))]  # fmt: skip
        depth = p.depth - sum(band.pop(d, None) is not None for d in changed)
        points = term_points(conn, term, changed)
        docs = term_docs(conn, term, p.word)
        new, upto = _read(conn, term, p.word, p.upto, top, docs, deadline, rows)
    finally:
        conn.commit()  # the read transaction
    done = upto >= top
    merged = skyband([*band.values(), *points, *new], depth)
    with transaction(conn):
        if premise(conn, key) != p:
            return False  # another process moved it
        if depth < MIN_DEPTH:
            start(conn, term, p.word)
            return False
        search_fold.write_band(conn, key, band_before=_stored(conn, key), band=merged)
        if done:
            _finish(conn, term, p.word, docs, upto, seq, depth, merged)
        else:
            conn.execute("UPDATE search_terms SET upto = ?, logged = ?, depth = ? WHERE term = ?",
                         (upto, seq, depth, key))  # fmt: skip
    return done


def _stored(conn: sqlite3.Connection, key: str) -> dict[int, Point]:
    return {d: (d, tf, dl) for d, tf, dl in conn.execute(
        "SELECT doc, tf, dl FROM search_band WHERE term = ?", (key,))}  # fmt: skip


def _read(conn: sqlite3.Connection, term: str, word: str, upto: int, top: int, docs: int,
          deadline: float | None, limit: int) -> tuple[list[Point], int]:  # fmt: skip
    """(points, new upto): the term's matches above ``upto`` in rowid order, each row's
    tf read back from its bm25, until the deadline or ``limit`` rows."""
    n, tokens = totals(conn)
    avgdl = float(tokens) / float(n) if n else 1.0
    idf = _idf(n, docs)
    out: list[Point] = []
    again: list[int] = []
    last = upto
    cur = conn.execute(_MATCHES, {"phrase": '"' + word + '"', "upto": upto, "top": top})
    for count, (doc, bm25, sz) in enumerate(cur, 1):
        dl = sum(decode_varints(sz))
        f = -bm25 / idf
        k = K1 * (1 - B + B * float(dl) / avgdl)
        tf = round(f * k / ((K1 + 1.0) - f)) if f < K1 + 1.0 else 0
        if tf > 0 and score(tf, dl, rows=n, tokens=tokens, docs=docs) == bm25:
            out.append((doc, tf, dl))
        else:
            again.append(doc)
        last = doc
        late = deadline is not None and time.monotonic() > deadline
        if count % CHECK_EVERY == 0 and (count >= limit or late):
            break
    else:
        last = top
    cur.close()
    return out + term_points(conn, term, again), last


def _idf(rows: int, docs: int) -> float:
    idf = math.log((rows - docs + 0.5) / (docs + 0.5))
    return idf if idf > 0.0 else 1e-6


def _finish(conn: sqlite3.Connection, term: str, word: str, docs: int, upto: int, seq: int,
            depth: int, band: list[Point]) -> None:  # fmt: skip
    """Put the built band in place of the kept one (if any) and end the build."""
    key = BUILDING + term
    conn.execute("DELETE FROM search_band WHERE term = ?", (term,))
    conn.execute("UPDATE search_band SET term = ? WHERE term = ?", (term, key))
    conn.execute("DELETE FROM search_terms WHERE term = ?", (key,))
    conn.execute(
        "INSERT OR REPLACE INTO search_terms (term, word, docs, upto, logged, depth, frontier)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        (term, word, docs, upto, seq, depth, search_fold.frontier(band, depth)),
    )
