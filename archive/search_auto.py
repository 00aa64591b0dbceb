"""The search bands kept without a manual step: :func:`upkeep`, run where a crawl, an
import or a reparse ends (and by ``linkthread search-index --upkeep``).

Each run, bounded by ``seconds`` (default :data:`SECONDS`):

1. **fold** what was saved since into every kept band (:mod:`archive.search_fold`), once
   at least :data:`FOLD_MIN` comments or changes are waiting (below that a search merges
   them itself for a few ms), in write transactions of at most 5,000 comments each;
2. **find words become frequent**: a sample of the comments saved since the last look
   (at most :data:`SAMPLE`, spread over them) is tokenized; a term in enough of the
   sample to be in :data:`MIN_DOCS` comments of the archive is counted exactly by FTS5
   (fts5vocab, ~25 ns a row), and one in at least that many starts building;
3. **build** those bands a step at a time (:mod:`archive.search_build`), each step's
   reading without the write lock;
4. **merge** the full-text index's segments (:mod:`archive.search_merge`), the work
   that migration 0021 took out of every save, at least one step a run; then
   checkpoint the WAL (``archive.db.WAL_PAGES`` says why here).

What is not done by the time is left for the next run (every step stores how far it
got). Steps 1-3 are off for an archive with ``linkthread search-index --no-auto`` (kept
in ``search_auto``); all four for a process with ``LINKTHREAD_SEARCH_UPKEEP=0``.
"""

from __future__ import annotations

import logging
import os
import re
import sqlite3
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from archive import search_build, search_fold, search_merge
from archive.db import checkpoint, connection, transaction
from archive.search_counts import Tokens, term_docs, totals
from archive.search_index import MIN_DOCS, single_term

if TYPE_CHECKING:
    import sqlite_utils

SECONDS = 1.0
MIN_STEP = 0.2
FOLD_MIN = 500
SAMPLE = 1_000
# Comments saved since the last look before another: a word crossing MIN_DOCS is
# found within a few looks (it is in MIN_DOCS / rows of them), each ~15 ms.
LOOK_EVERY = 2_000
ENV = "LINKTHREAD_SEARCH_UPKEEP"

@dataclass(slots=True)
class Upkept:
    folded: int = 0  # comments folded into the kept bands
    looked: int = 0  # comments sampled for words become frequent
    started: list[str] = field(default_factory=list)  # builds begun
    built: list[str] = field(default_factory=list)  # builds finished
    building: list[str] = field(default_factory=list)  # builds still going
    merged: int = 0  # merge steps of the full-text index (archive.search_merge)


def _off() -> bool:
    return os.environ.get(ENV, "").strip() in ("0", "off", "no")


def enabled(conn: sqlite3.Connection) -> bool:
    """Whether the bands are kept automatically (the archive's setting; the process's)."""
    if _off():
        return False
    row = conn.execute("SELECT value FROM search_auto WHERE key = 'auto'").fetchone()
    return row is None or bool(row[0])


def set_enabled(conn: sqlite3.Connection, on: bool) -> None:
    conn.execute("INSERT OR REPLACE INTO search_auto (key, value) VALUES ('auto', ?)", (int(on),))


def after_write(db: sqlite_utils.Database | sqlite3.Connection) -> None:
    """The hook where a crawl, import or reparse ends: a bounded :func:`upkeep`, whose
    failure (a busy archive, say) fails nothing: the next run does the work (every
    step commits on its own, so a failed one leaves the last good premise)."""
    try:
        upkeep(db)
    except Exception as e:  # upkeep is never worth a crawl's outcome
        logging.getLogger(__name__).warning("search upkeep left for later: %r", e)


def upkeep(db: sqlite_utils.Database | sqlite3.Connection, *,
           seconds: float | None = SECONDS) -> Upkept:  # fmt: skip
    """One bounded run (``seconds`` None: until nothing is left). Inside a caller's
    transaction (a dry run) it does nothing: what it writes commits on its own."""
    conn = connection(db)
    out = Upkept()
    if conn.in_transaction or _off():
        return out
    deadline = None if seconds is None else time.monotonic() + seconds
    if enabled(conn):
        _bands(conn, out, deadline)
    # The full-text index's merges, taken out of the saves (search_merge says why);
    # kept whatever the bands' setting, at least one step a run.
    out.merged = search_merge.merge(conn, deadline=deadline)
    checkpoint(conn)  # the saves' pages into the file, not in a later save (db.WAL_PAGES)
    return out


def _bands(conn: sqlite3.Connection, out: Upkept, deadline: float | None) -> None:
    """Steps 1-3 (the module's docstring), noted in ``out``."""
    def time_left() -> bool:
        return deadline is None or time.monotonic() < deadline

    least = FOLD_MIN if deadline is not None else 1
    while time_left() and search_fold.pending(conn) >= least:
        before = search_fold.pending(conn)
        out.folded += search_fold.fold(conn)
        if search_fold.pending(conn) >= before:
            break
    rows, _ = totals(conn)
    if rows >= MIN_DOCS and time_left():
        out.looked, out.started = look(conn, deadline=deadline)
    for term, word in _shallow(conn):
        search_build.start(conn, term, word)
    for term in search_build.building(conn):
        # A build moves at least one short step a run, whatever the folds took.
        step_deadline = None if deadline is None else max(deadline, time.monotonic() + MIN_STEP)
        while not search_build.step(conn, term, deadline=step_deadline):
            if not time_left():
                break
        else:
            out.built.append(term)
        if not time_left():
            break
    out.building = search_build.building(conn)
    _forget_changes(conn)


def look(conn: sqlite3.Connection, *, sample: int = SAMPLE,
         deadline: float | None = None) -> tuple[int, list[str]]:  # fmt: skip
    """Sample the comments saved since the last look (:data:`LOOK_EVERY` of them at
    least); start building each term now in MIN_DOCS comments. Returns (comments
    sampled, terms started)."""
    top = conn.execute("SELECT coalesce(max(rowid), 0) FROM comments").fetchone()[0]
    row = conn.execute("SELECT value FROM search_auto WHERE key = 'looked'").fetchone()
    lo = 0 if row is None else int(row[0])  # the first look: the whole archive
    if top - lo < min(LOOK_EVERY, top):
        return 0, []
    span = top - lo
    n = min(sample, span)
    wanted = [lo + 1 + (i * span) // n for i in range(n)]
    texts = _texts_at(conn, wanted)
    rows, _ = totals(conn)
    kept = {t.lstrip(" ") for t, in conn.execute("SELECT term FROM search_terms")}
    counts = Tokens.get().docs(texts)
    if not texts:
        return 0, []
    # A term in c of n sampled comments is in about c / n of the archive's; half of
    # MIN_DOCS so estimated is counted (a sample of n errs by about sqrt(c)).
    wanted_share = MIN_DOCS / 2 / rows
    candidates = sorted((c, t) for t, c in counts.items()
                        if c >= 2 and c / len(texts) >= wanted_share and t not in kept)
    counted: dict[str, int] = {}
    for _, term in reversed(candidates):  # the likeliest first, while there is time
        if deadline is not None and time.monotonic() > deadline:
            break
        if not _counted_lately(conn, term, rows):
            counted[term] = term_docs(conn, term, term)  # a read: no write lock yet
    started: list[str] = []
    words = _words(texts, {t for t, d in counted.items() if d >= MIN_DOCS})
    with transaction(conn):
        for term, docs in counted.items():
            if docs >= MIN_DOCS and (word := words.get(term)) is not None:
                search_build.start(conn, term, word)
                started.append(term)
            else:
                conn.execute("INSERT OR REPLACE INTO search_counted (term, docs, at_rows)"
                             " VALUES (?, ?, ?)", (term, docs, rows))  # fmt: skip
        conn.execute("INSERT OR REPLACE INTO search_auto (key, value) VALUES ('looked', ?)", (top,))
    return len(texts), started


def _counted_lately(conn: sqlite3.Connection, term: str, rows: int) -> bool:
    row = conn.execute("SELECT docs, at_rows, dropped FROM search_counted WHERE term = ?",
                       (term,)).fetchone()  # fmt: skip
    # Each comment since can add the term to one more row, no more.
    return row is not None and (row[2] or row[0] + (rows - row[1]) < MIN_DOCS)


def _texts_at(conn: sqlite3.Connection, rowids: list[int]) -> list[tuple]:
    out: list[tuple] = []
    for i in range(0, len(rowids), 500):
        chunk = rowids[i : i + 500]
        marks = ",".join("?" * len(chunk))
        out += conn.execute(f"SELECT rowid, text, author FROM comments WHERE rowid IN ({marks})",
                            chunk).fetchall()  # fmt: skip
    return out


def _words(texts: list[tuple], wanted: set[str]) -> dict[str, str]:
    """For each wanted term, a word of the sample that searches as that term alone (a
    term may be a stem: 'peopl' is searched as 'people')."""
    words = sorted({w.lower() for _, text, author in texts for part in (text, author) if part
                    for w in re.findall(r"[^\W_]+", part)})  # fmt: skip
    out: dict[str, str] = {}
    for i, found in Tokens.get().terms_of([(i, w, None) for i, w in enumerate(words)]).items():
        word = words[i]
        if len(found) == 1 and found[0] in wanted and found[0] not in out \
                and single_term(word) == (found[0], word):  # fmt: skip
            out[found[0]] = word
    return out


def _shallow(conn: sqlite3.Connection) -> list[tuple[str, str]]:
    """Kept bands that changes have made shallower than a build's start, and not being
    built again: each goes on answering what it is deep enough for meanwhile."""
    return conn.execute(
        "SELECT term, word FROM search_terms k WHERE term NOT LIKE ' %' AND depth < ?"
        " AND NOT EXISTS (SELECT 1 FROM search_terms b WHERE b.term = ' ' || k.term)",
        (search_build.MIN_DEPTH,)).fetchall()  # fmt: skip


def _forget_changes(conn: sqlite3.Connection) -> None:
    """The changes every band has folded (all of them when no band is kept)."""
    low = conn.execute("SELECT min(logged) FROM search_terms").fetchone()[0]
    last = conn.execute("SELECT coalesce(max(seq), 0) FROM search_changes").fetchone()[0]
    low = last if low is None else low
    if conn.execute("SELECT 1 FROM search_changes WHERE seq <= ? LIMIT 1", (low,)).fetchone():
        with transaction(conn):
            conn.execute("DELETE FROM search_changes WHERE seq <= ?", (low,))
            conn.execute("DELETE FROM search_before WHERE seq <= ?", (low,))
