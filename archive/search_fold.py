"""What was saved since, folded into every kept band in one pass (automatic upkeep).

A search merges the comments above a band's ``upto`` and the logged changes into the
band as it runs (~15 us a comment, tokenized again); :func:`fold` stores that merge,
for all kept words at once: the new comments and the changed ones are tokenized once
(one in-memory FTS5 table of the archive's tokenizer), each word takes its points.

Most new comments cannot enter a band: the band's *frontier*, kept beside it
(``search_terms.frontier``, JSON), holds for each tf of its members the ``depth``-th
smallest dl among the members of that tf or more; a row of that tf or less, longer
than it, has ``depth`` members beating it and is out. So a word whose new rows are all
out costs one UPDATE of its premise; the few rows that may enter are added to the band
as they are (a band may hold more than its skyband: it still holds every row that can
be in the first ``depth``), and the band is cut back to its skyband only when it has
grown by a quarter (the frontier is then computed again). A member edited or deleted
is taken out, its current row tested as a new one, and the depth lowered by one: the
frontier holds for the lower depth too (each stair had ``depth`` members within it,
and lost at most those taken out).

The number of rows holding the word (``docs``, bm25's n) moves by the new rows that
hold it and, for a changed row, by whether it held it before the change (its text then
is logged beside the change, ``search_before``) and holds it now.
"""

from __future__ import annotations

import bisect
import json
import sqlite3
from collections.abc import Iterable

from archive.db import transaction
from archive.search_band import Point, skyband
from archive.search_counts import Tokens, row_texts, term_docs

# Rows of comments (new, or changed) folded in one write transaction at most.
STEP_ROWS = 5_000


def frontier(band: Iterable[Point], depth: int, added: int = 0) -> str:
    """The band's frontier (see the module's note) as stored."""
    members = sorted(band, key=lambda p: -p[1])
    levels: list[int] = []
    stair: list[int | None] = []
    dls: list[int] = []
    i = 0
    while i < len(members):
        tf = members[i][1]
        while i < len(members) and members[i][1] == tf:
            bisect.insort(dls, members[i][2])
            i += 1
        levels.append(tf)
        stair.append(dls[depth - 1] if len(dls) >= depth else None)
    levels.reverse()
    stair.reverse()
    return json.dumps({"tf": levels, "dl": stair, "rows": len(members), "added": added})


def may_enter(front: dict, p: Point) -> bool:
    """False when ``depth`` members beat ``p`` on both counts, whatever its rowid."""
    i = bisect.bisect_left(front["tf"], p[1])
    if i == len(front["tf"]):
        return True
    stair = front["dl"][i]
    return stair is None or p[2] <= stair


def write_band(conn: sqlite3.Connection, key: str, *, band_before: dict[int, Point],
               band: list[Point]) -> None:  # fmt: skip
    """Store ``band`` as ``key``'s, writing only the rows that differ."""
    now = {p[0]: p for p in band}
    gone = [(key, d) for d in band_before if d not in now]
    conn.executemany("DELETE FROM search_band WHERE term = ? AND doc = ?", gone)
    conn.executemany("INSERT OR REPLACE INTO search_band (term, doc, tf, dl) VALUES (?, ?, ?, ?)",
                     [(key, *p) for p in band if band_before.get(p[0]) != p])  # fmt: skip


def pending(conn: sqlite3.Connection) -> int:
    """Comments and changes the kept bands have not folded (the most behind band's)."""
    row = conn.execute("SELECT min(upto), min(logged) FROM search_terms WHERE term NOT LIKE ' %'")
    upto, logged = row.fetchone()
    if upto is None:
        return 0
    top = conn.execute("SELECT coalesce(max(rowid), 0) FROM comments").fetchone()[0]
    seq = conn.execute("SELECT coalesce(max(seq), 0) FROM search_changes").fetchone()[0]
    return max(top - upto, 0) + max(seq - logged, 0)


def fold(conn: sqlite3.Connection, *, rows: int = STEP_ROWS) -> int:
    """One step: at most ``rows`` new comments (and the changes logged) folded into every
    kept band, in one write transaction. Returns the comments folded."""
    with transaction(conn):
        kept = conn.execute("SELECT term, word, docs, upto, logged, depth, frontier"
                            " FROM search_terms WHERE term NOT LIKE ' %'").fetchall()  # fmt: skip
        if not kept:
            return 0
        top = conn.execute("SELECT coalesce(max(rowid), 0) FROM comments").fetchone()[0]
        lo = min(k[3] for k in kept)
        hi = min(top, lo + rows)
        seq = conn.execute("SELECT coalesce(max(seq), 0) FROM search_changes").fetchone()[0]
        changes = conn.execute(
            "SELECT c.seq, c.doc, b.seq IS NOT NULL, b.text, b.author FROM search_changes c"
            " LEFT JOIN search_before b ON b.seq = c.seq WHERE c.seq > ? AND c.seq <= ?"
            " ORDER BY c.seq", (min(k[4] for k in kept), seq)).fetchall()  # fmt: skip
        changed = sorted({c[1] for c in changes})
        new = conn.execute("SELECT rowid, text, author FROM comments"
                           " WHERE rowid > ? AND rowid <= ?", (lo, hi)).fetchall()  # fmt: skip
        terms = {k[0] for k in kept}
        tokens = Tokens.get()
        others = [d for d in changed if d <= lo or d > hi]  # the rows of (lo, hi] are in `new`
        now = _by_doc(tokens.points([*new, *row_texts(conn, others)], terms))
        # A change's text before it, under its seq (a rowid of the tokenizer's table).
        before = _by_doc(tokens.points([(c[0], c[3], c[4]) for c in changes if c[2]], terms))
        for term, word, docs, upto, logged, depth, front in kept:
            _fold_one(conn, term, word, docs, upto, logged, depth, front, hi=hi, seq=seq,
                      changes=changes, now=now.get(term, {}),
                      before=before.get(term, {}))  # fmt: skip
        return len(new)


def _by_doc(points: dict[str, list[Point]]) -> dict[str, dict[int, Point]]:
    return {t: {p[0]: p for p in ps} for t, ps in points.items()}


def _fold_one(conn: sqlite3.Connection, term: str, word: str, docs: int, upto: int,
              logged: int, depth: int, front: str | None, *, hi: int, seq: int,
              changes: list[tuple], now: dict[int, Point],
              before: dict[int, Point]) -> None:  # fmt: skip
    first: dict[int, tuple] = {}  # each changed row's first change since this band's premise
    for c in changes:
        if c[0] > logged and c[1] <= upto:
            first.setdefault(c[1], c)
    incoming = [p for d, p in now.items() if upto < d <= hi]
    docs += len(incoming)
    recount = False
    members_changed: list[int] = []
    for doc, c in first.items():
        held = None if not c[2] else c[0] in before
        if held is None:
            recount = True  # a change logged before its text was (an older linkthread)
        docs += (doc in now) - bool(held)
        if held is not False and conn.execute(
                "SELECT 1 FROM search_band WHERE term = ? AND doc = ?", (term, doc)).fetchone():
            members_changed.append(doc)  # fmt: skip
        if doc in now:
            incoming.append(now[doc])
    if recount:
        docs = term_docs(conn, term, word) - _matches_above(conn, word, max(upto, hi))
    state = json.loads(front) if front else None
    depth -= len(members_changed)
    if state is None or state["added"] > max(200, state["rows"] // 4):
        band = {d: (d, tf, dl) for d, tf, dl in conn.execute(
            "SELECT doc, tf, dl FROM search_band WHERE term = ?", (term,))}  # fmt: skip
        points = {d: p for d, p in band.items() if d not in members_changed}
        points.update((p[0], p) for p in incoming)
        kept = skyband(points.values(), depth)
        write_band(conn, term, band_before=band, band=kept)
        front = frontier(kept, depth)
    else:
        # A member out lowers the depth by one, and the frontier stays true for it:
        # of the `depth` members within each stair, at most the ones taken out are gone.
        conn.executemany("DELETE FROM search_band WHERE term = ? AND doc = ?",
                         [(term, d) for d in members_changed])  # fmt: skip
        entering = [p for p in incoming if may_enter(state, p)]
        conn.executemany("INSERT OR REPLACE INTO search_band (term, doc, tf, dl) VALUES"
                         " (?, ?, ?, ?)", [(term, *p) for p in entering])  # fmt: skip
        state["added"] += len(entering)
        front = json.dumps(state)
    conn.execute("UPDATE search_terms SET docs = ?, upto = ?, logged = ?, depth = ?, frontier = ?"
                 " WHERE term = ?", (docs, max(upto, hi), seq, depth, front, term))  # fmt: skip


def _matches_above(conn: sqlite3.Connection, word: str, rowid: int) -> int:
    return conn.execute("SELECT count(*) FROM comments_fts WHERE comments_fts MATCH ?"
                        " AND rowid > ?", ('"' + word + '"', rowid)).fetchone()[0]  # fmt: skip

