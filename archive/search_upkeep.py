"""Keeping the bands of :mod:`archive.search_index`: building a term's, and folding
what changed since into each (``linkthread search-index``).

Both write, in the caller's transaction. Building reads every row of the term once,
inside SQLite (fts5vocab's instances and the index's row lengths): seconds for a word
in millions of comments. Folding reads only what changed since the band was kept.
"""

from __future__ import annotations

import sqlite3

from archive.search_band import Point, decode_varints, skyband
from archive.search_counts import Tokens, term_docs, vocab
from archive.search_fold import frontier
from archive.search_index import DEPTH, MIN_DOCS, _current

# A band folded down to fewer members than this is built again instead.
MIN_DEPTH = DEPTH // 2

# Each tf's first `depth` rows by (dl, rowid): the skyband is among them (see
# search_band.skyband). dl is the sum of the row's column lengths, two varints; a blob
# of two bytes is two one-byte varints, read in SQL, and any other through Python.
_CANDIDATES = """
WITH tf AS (SELECT doc, count(*) AS tf FROM {instances} WHERE term = :term GROUP BY doc),
points AS (
  SELECT tf.doc, tf.tf, CASE WHEN length(d.sz) = 2
    THEN coalesce(unicode(CAST(substr(d.sz, 1, 1) AS TEXT)), 0)
       + coalesce(unicode(CAST(substr(d.sz, 2, 1) AS TEXT)), 0)
    ELSE linkthread_dl(d.sz) END AS dl
  FROM tf JOIN comments_fts_docsize d ON d.id = tf.doc)
SELECT doc, tf, dl FROM (
  SELECT doc, tf, dl, row_number() OVER (PARTITION BY tf ORDER BY dl, doc) AS r FROM points)
WHERE r <= :depth
"""


def terms(words: list[str]) -> list[str]:
    """The index's term of each word; a word that is not one token is a ValueError."""
    out = []
    for word in words:
        tokens = Tokens.get().tokens(word)
        if len(tokens) != 1:
            raise ValueError(f"{word!r} is not one word of the index (it reads as {tokens})")
        out.append(tokens[0])
    return out


def keep(conn: sqlite3.Connection, words: list[str]) -> list[str]:
    """Build the band of each word's term (an existing one anew); the terms kept."""
    kept = []
    for word, term in zip(words, terms(words), strict=True):
        if term not in kept:
            conn.execute("DELETE FROM search_counted WHERE term = ?", (term,))
            _build(conn, term, word)
            kept.append(term)
    return kept


def frequent(conn: sqlite3.Connection, min_docs: int = MIN_DOCS) -> list[str]:
    """The terms in at least ``min_docs`` comments that a search finds as themselves
    (a stem such as 'peopl' is searched by 'people'; it must read as itself to be
    refreshed without the word): the whole vocabulary is read, seconds at 10 million."""
    rows = conn.execute(f"SELECT term FROM {vocab(conn, 'row')} WHERE doc >= ?", (min_docs,))
    return [t for t, in rows if Tokens.get().tokens(t) == [t]]


def refresh(conn: sqlite3.Connection) -> int:
    """Fold what changed since into every kept band; the bands refreshed."""
    # Builds under way (a term behind a space) are left to automatic upkeep.
    kept = conn.execute("SELECT term, word, docs, upto, logged, depth FROM search_terms"
                        " WHERE term NOT LIKE ' %'")
    terms = kept.fetchall()
    for term, word, docs, upto, logged, depth in terms:
        band, docs, depth = _current(conn, term, word, docs, upto, logged, depth)
        if depth < MIN_DEPTH:
            _build(conn, term, word)
        else:
            _store(conn, term, word, docs, skyband(band, depth), depth)
    for table in ("search_changes", "search_before"):
        conn.execute(f"DELETE FROM {table} WHERE seq <= (SELECT min(logged) FROM search_terms)")
    return len(terms)


def drop(conn: sqlite3.Connection, terms: list[str]) -> None:
    """Stop keeping ``terms`` (and building them); automatic upkeep will not take them
    up again unless they are kept by name."""
    for term in terms:
        for key in (term, " " + term):
            conn.execute("DELETE FROM search_band WHERE term = ?", (key,))
            conn.execute("DELETE FROM search_terms WHERE term = ?", (key,))
        conn.execute("INSERT OR REPLACE INTO search_counted (term, docs, at_rows, dropped)"
                     " VALUES (?, 0, 0, 1)", (term,))  # fmt: skip
    if not conn.execute("SELECT 1 FROM search_terms").fetchone():
        conn.execute("DELETE FROM search_changes")
        conn.execute("DELETE FROM search_before")


def _build(conn: sqlite3.Connection, term: str, word: str) -> None:
    conn.create_function("linkthread_dl", 1, lambda sz: sum(decode_varints(sz)),
                         deterministic=True)  # fmt: skip
    sql = _CANDIDATES.format(instances=vocab(conn, "instance"))
    points: list[Point] = conn.execute(sql, {"term": term, "depth": DEPTH}).fetchall()
    _store(conn, term, word, term_docs(conn, term, word), skyband(points, DEPTH), DEPTH)


def _store(conn: sqlite3.Connection, term: str, word: str, docs: int, band: list[Point],
           depth: int) -> None:  # fmt: skip
    upto = conn.execute("SELECT coalesce(max(rowid), 0) FROM comments").fetchone()[0]
    logged = conn.execute("SELECT coalesce(max(seq), 0) FROM search_changes").fetchone()[0]
    conn.execute("DELETE FROM search_band WHERE term = ?", (term,))
    conn.executemany("INSERT INTO search_band (term, doc, tf, dl) VALUES (?, ?, ?, ?)",
                     [(term, *p) for p in band])  # fmt: skip
    conn.execute(
        "INSERT INTO search_terms (term, word, docs, upto, logged, depth, frontier)"
        " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (term) DO UPDATE SET word = excluded.word,"
        " docs = excluded.docs, upto = excluded.upto, logged = excluded.logged,"
        " depth = excluded.depth, frontier = excluded.frontier",
        (term, word, docs, upto, logged, depth, frontier(band, depth)),
    )
