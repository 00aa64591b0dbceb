"""A frequent word's best comments, kept, so that searching it ranks a few thousand rows.

Migration 0017 (``m0017_scale_search``) adds three tables:

* ``search_terms``: one row per kept term (an FTS5 token, as ``comments_fts``'s
  tokenizer makes it), with the premise of its band: comments up to rowid ``upto``,
  logged changes up to ``logged``, the rows holding it then (``docs``), the band's
  ``depth`` (:mod:`archive.search_band`);
* ``search_band``: the band itself, (term, rowid, tf, dl) of each member;
* ``search_changes``: the rowid of every comment whose text or author changed, or
  that was deleted, since (triggers on ``comments``; nothing while no term is kept).

A save adds nothing here: new comments are those above ``upto``, found through the
full-text index itself when a search comes. :func:`ranked` merges what changed since
the band was kept (new rows, logged changes) into it in memory and scores the
candidates with FTS5's own formula; :func:`refresh` (``linkthread search-index``)
folds that into the stored band, so that searches stay quick as the archive grows.
The tf of a changed or new row is counted by FTS5's tokenizer, in a table of the
same tokenizer in a private in-memory database; its dl is read from the index (both
in :mod:`archive.search_counts`).
An author's filter the band's first rows cannot answer is ranked from the author's
own matches, found by the index's author column, their tf counted by FTS5's
``highlight()`` (:func:`_by_author`).
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterable, Mapping, Sequence

from archive.search_band import Point, decode_varints, score
from archive.search_counts import Tokens, chunks, row_lengths, term_docs, term_points, totals

# The depth a band is built with: the largest --limit it answers, less the members
# that edits and deletions may take out before the next refresh. A filtered search
# finds its rows among the first DEPTH when they are one in DEPTH / limit of the
# matches or more (--since a month of a year's archive, an author of 2% of it).
DEPTH = 2_000
# An author whose name has no token (the index cannot find their rows by it) and with
# no more comments than this is ranked from their own rows, their text tokenized
# again (~10 us a comment), when the band's first rows do not hold enough of theirs.
SMALL_AUTHOR = 20_000
# Any other author is ranked from their own matches (_by_author: ~8 us a match) when
# the band's first rows do not hold enough of theirs, if their comments are at most
# this share of all: ranking every match of the word costs ~1.7 us a match with a
# filter, so past a fifth or so the author's own matches cost as much.
AUTHOR_SHARE = 6
# A term is worth a band when ranking all its rows would take long: ~3 us a match.
MIN_DOCS = 20_000

TABLES = (
    "CREATE TABLE search_terms (term TEXT PRIMARY KEY, word TEXT NOT NULL,"
    " docs INTEGER NOT NULL, upto INTEGER NOT NULL, logged INTEGER NOT NULL,"
    " depth INTEGER NOT NULL) WITHOUT ROWID",
    "CREATE TABLE search_band (term TEXT NOT NULL, doc INTEGER NOT NULL,"
    " tf INTEGER NOT NULL, dl INTEGER NOT NULL, PRIMARY KEY (term, doc)) WITHOUT ROWID",
    # AUTOINCREMENT: a refresh deletes the rows it folded, and a seq used again would
    # read as folded already.
    "CREATE TABLE search_changes (seq INTEGER PRIMARY KEY AUTOINCREMENT, doc INTEGER NOT NULL)",
    # The same condition as the full-text index's own update trigger (comments_au).
    "CREATE TRIGGER comments_search_au AFTER UPDATE ON comments"
    " WHEN (old.text IS NOT new.text OR old.author IS NOT new.author)"
    " AND EXISTS (SELECT 1 FROM search_terms)"
    " BEGIN INSERT INTO search_changes (doc) VALUES (old.rowid); END",
    "CREATE TRIGGER comments_search_ad AFTER DELETE ON comments"
    " WHEN EXISTS (SELECT 1 FROM search_terms)"
    " BEGIN INSERT INTO search_changes (doc) VALUES (old.rowid); END",
)


def m0017_scale_search(conn: sqlite3.Connection) -> None:
    """The kept bands' tables, empty: no term is kept until ``search-index`` runs, so
    the migration costs nothing on a large archive."""
    for statement in TABLES:
        conn.execute(statement)


_WORD = re.compile(r'\s*("?)([^\W_]+)\1\s*')


def single_term(query: str) -> tuple[str, str] | None:
    """(token, word) when ``query`` is one word FTS5 reads as one token, else None."""
    m = _WORD.fullmatch(query)
    if not m or m.group(2) in ("AND", "OR", "NOT", "NEAR"):
        return None
    tokens = Tokens.get().tokens(m.group(2))
    return (tokens[0], m.group(2)) if len(tokens) == 1 else None


def ranked(
    conn: sqlite3.Connection, query: str, limit: int, *, where: str = "",
    params: Mapping[str, object] | None = None,
) -> list[tuple[int, float]] | None:  # fmt: skip
    """The best ``limit`` comments for ``query`` as (rowid, bm25), best first, ties by
    rowid: what ``ORDER BY bm25(comments_fts), rowid LIMIT limit`` returns, from the
    kept band. None when no band answers it (not one kept term, too deep).

    ``where`` is a fixed fragment of filters on ``comments c`` (`` AND c.author =
    :author``), ``params`` their values: the filtered best are the first rows of the
    archive-wide order that pass, so when ``limit`` of them are among the band's
    exact first ``depth``, those are the answer; an author's filter that they may not
    pass is ranked from the author's own matches (:func:`_by_author`), first when
    the author wrote too few comments to be found there; anything else is None."""
    term = single_term(query)
    if term is None:
        return None
    try:
        row = conn.execute("SELECT docs, upto, logged, depth FROM search_terms WHERE term = ?",
                           (term[0],)).fetchone()  # fmt: skip
    except sqlite3.OperationalError:  # an archive from before 0017, opened read-only
        return None
    if row is None:
        return None
    params = params or {}
    rows, tokens = totals(conn)

    def best(points: Iterable[Point], docs: int) -> list[tuple[int, float]]:
        scored = sorted((score(tf, dl, rows=rows, tokens=tokens, docs=docs), doc)
                        for doc, tf, dl in points)  # fmt: skip
        return [(doc, s) for s, doc in scored]

    def own(name: str) -> list[tuple[int, float]]:
        docs = _docs_now(conn, term[0], term[1], *row[:3])
        return best(_by_author(conn, term[0], term[1], name, where, params), docs)[:limit]

    author = params.get("author")
    name = author if isinstance(author, str) and author and ":author" in where else None
    mine = _comments_by(conn, name) if name else 0
    found = name is not None and mine * AUTHOR_SHARE <= rows and bool(Tokens.get().tokens(name))
    # The band's first `depth` hold on average `limit` of an author's when they wrote
    # `limit / depth` of all comments; an author of fewer, their own matches first
    # (and any author the band is too shallow for).
    if name and found and (mine * row[3] < limit * rows or row[3] < limit):
        return own(name)
    # A band too shallow for `limit` stays so whatever came since (depth only falls).
    if row[3] < limit:
        return None
    band, docs, depth = _current(conn, term[0], term[1], *row)
    if depth < limit:  # members edited or deleted since
        return own(name) if name and found else None
    # Any row outside the band ranks below `depth` of its members: the band's first
    # `depth` are the archive's first `depth`, and all of its rows when it has no more.
    top = best(band, docs)[:depth]
    if not where:
        return top[:limit]
    passed = _passing(conn, [doc for doc, _ in top], where, params)
    hits = [hit for hit in top if hit[0] in passed]
    if len(hits) >= limit or docs <= depth:
        return hits[:limit]
    if name and found:
        return own(name)
    if name and mine <= SMALL_AUTHOR:
        return best(_points_where(conn, term[0], where, params), docs)[:limit]
    return None


def _passing(conn: sqlite3.Connection, rowids: Sequence[int], where: str,
             params: Mapping[str, object]) -> set[int]:  # fmt: skip
    out: set[int] = set()
    for chunk in chunks(rowids):
        values = {**params, **{f"r{i}": r for i, r in enumerate(chunk)}}
        marks = ",".join(f":r{i}" for i in range(len(chunk)))
        # NOT INDEXED: each row by its rowid, never an author's or a time's whole range
        # of an index scanned for these few (200 ms for an author of 2%).
        sql = f"SELECT c.rowid FROM comments c NOT INDEXED WHERE c.rowid IN ({marks}){where}"
        out.update(r for r, in conn.execute(sql, values))
    return out


def _comments_by(conn: sqlite3.Connection, author: str) -> int:
    # Through the key (site, author), a site at a time: author alone would scan it.
    row = conn.execute("SELECT sum(comments) FROM author_counts WHERE author = ? AND site IN"
                       " (SELECT name FROM sites)", (author,))  # fmt: skip
    return row.fetchone()[0] or 0


def _points_where(conn: sqlite3.Connection, term: str, where: str,
                  params: Mapping[str, object]) -> list[Point]:  # fmt: skip
    """(rowid, tf, dl) of the comments that pass ``where`` and hold ``term``: the
    filter's rows read through their index, their text tokenized here."""
    texts = conn.execute(f"SELECT c.rowid, c.text, c.author FROM comments c WHERE 1{where}",
                         params).fetchall()  # fmt: skip
    tf = Tokens.get().counts(term, texts)
    dl = row_lengths(conn, list(tf))
    return [(doc, n, dl[doc]) for doc, n in tf.items()]


# The author's matches through the index: FTS5 walks the author column's doclist and
# seeks each of those rows in the term's, so the cost follows the author's rows, not
# the term's millions (bm25() would count all of those first: 17 ms at 1M). The
# term's occurrences in the text are what highlight() marks there, one byte each:
# FTS5's own tokenizer, in C, over the matches alone. highlight() copies the text
# between the marks through "%.*s", which stops at a NUL: such a text is tokenized
# here instead.
_BY_AUTHOR = """
SELECT f.rowid, d.sz, length(CAST(highlight(comments_fts, 0, '*', '') AS BLOB))
                      - length(CAST(c.text AS BLOB)), instr(CAST(c.text AS BLOB), x'00')
FROM comments_fts f CROSS JOIN comments c ON c.rowid = f.rowid
CROSS JOIN comments_fts_docsize d ON d.id = f.rowid
WHERE comments_fts MATCH :linkthread_match{where}
"""


def _by_author(conn: sqlite3.Connection, term: str, word: str, author: str, where: str,
               params: Mapping[str, object]) -> list[Point]:  # fmt: skip
    """(rowid, tf, dl) of the comments that pass ``where`` (which holds ``author``'s
    filter) and hold ``term``. The phrase of the name matches their author column
    (and some others', which ``where`` turns away); the name's own tokens give the
    term's count in that column, the same in each of their rows."""
    phrase = '"' + author.replace('"', '""') + '"'
    match = f'"{word}" AND author:{phrase}'
    in_name = Tokens.get().counts(term, [(1, None, author)]).get(1, 0)
    out: list[Point] = []
    again: list[int] = []
    cur = conn.execute(_BY_AUTHOR.format(where=where), {**params, "linkthread_match": match})
    for doc, sz, marks, nul in cur:
        if marks is None or nul:  # no text (the word is in the name) or a NUL in it
            again.append(doc)
        else:
            out.append((doc, marks + in_name, sum(decode_varints(sz))))
    return out + term_points(conn, term, again)


def _since(conn: sqlite3.Connection, word: str, upto: int,
           logged: int) -> tuple[list[int], list[int]]:  # fmt: skip
    """The rows that hold ``word`` above ``upto``, and those at or below it changed
    since change ``logged``."""
    new = [r[0] for r in conn.execute(
        "SELECT rowid FROM comments_fts WHERE comments_fts MATCH ? AND rowid > ?",
        ('"' + word + '"', upto))]  # fmt: skip
    changed = [r[0] for r in conn.execute(
        "SELECT DISTINCT doc FROM search_changes WHERE seq > ? AND doc <= ?", (logged, upto))]
    return new, changed


def _docs_now(conn: sqlite3.Connection, term: str, word: str, docs: int, upto: int,
              logged: int, known: tuple[list[int], list[int]] | None = None) -> int:  # fmt: skip
    """The rows holding ``term`` now, from a band's premise (``known``: its
    :func:`_since`, if read already)."""
    new, changed = known or _since(conn, word, upto, logged)
    # Whether a changed row held the term before is not logged: count afresh.
    return term_docs(conn, term, word) if changed else docs + len(new)


def _current(conn: sqlite3.Connection, term: str, word: str, docs: int, upto: int,
             logged: int, depth: int) -> tuple[list[Point], int, int]:  # fmt: skip
    """The band as of now: (points, rows holding the term, depth it is exact for)."""
    band = {doc: (doc, tf, dl) for doc, tf, dl in conn.execute(
        "SELECT doc, tf, dl FROM search_band WHERE term = ?", (term,))}  # fmt: skip
    new, changed = _since(conn, word, upto, logged)
    for doc in changed:
        if band.pop(doc, None) is not None:
            depth -= 1
    points = term_points(conn, term, [*new, *changed])
    band.update((p[0], p) for p in points)
    docs = _docs_now(conn, term, word, docs, upto, logged, (new, changed))
    return list(band.values()), docs, depth
