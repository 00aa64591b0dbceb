"""Visits of an unchanged thread kept in its crawl's row (migration ``0020_thread_visits``).

A re-crawl that finds every page of a thread as its latest crawl read them used to
write two rows per page (a ``page_visits`` row and an update of the ``pages`` row):
168 rows for a Reddit thread read in 84 answers. It now writes its visits into its
own ``thread_crawls`` row, ``visits`` = JSON ``[[page_id, fetched_at], ...]``, so the
crawl costs O(1) rows whatever its number of pages (``archive.revisits``). A crawl
that parses the thread keeps there the visits of the bodies it finds already stored as
the thread's (``archive.revisits.split_visits``): a thread changed on one page writes
that page's rows alone.

Every reader still sees each visit: the table of written visits is ``page_fetches``
(``page_visits`` until 0020), and ``page_visits`` is now a view of those rows plus
the ones kept in ``thread_crawls.visits``. A ``pages`` row's ``first_fetched_at``,
``last_fetched_at``, ``fetch_count`` and ``crawl_id`` are as its row was last written;
the view ``pages_seen`` gives them with the kept visits counted, as ``comments_seen``
does for a comment's last sighting (``archive.seen``). A copy of the archive gets every
kept visit written out (:data:`MATERIALIZE`), so its tables need no view.

Migration ``0022_visits_once`` takes out of ``thread_crawls.visits`` the visits an
older ``reparse`` also wrote as ``page_fetches`` rows (:func:`m0022_visits_once`).

This module imports nothing of the archive: ``archive.migrations`` runs its statements.
"""

from __future__ import annotations

import json
import sqlite3

# The visits a thread's unchanged crawls kept for page ``p`` (a ``pages`` row): one
# seek on the primary key of thread_crawls (site, story_id, ...), since a thread's
# pages carry its story id (archive.revisits writes visits only for such pages).
_KEPT = (
    "SELECT json_extract(v.value, '$[1]') AS fetched_at, t.crawl_id AS crawl_id"
    " FROM thread_crawls t, json_each(t.visits) v"
    " WHERE t.site = {p}.site AND t.story_id = {p}.story_id AND t.visits IS NOT NULL"
    " AND json_extract(v.value, '$[0]') = {p}.id"
)


def kept_visits(p: str) -> str:
    """SQL: (fetched_at, crawl_id) of the kept visits of the pages row aliased ``p``."""
    return _KEPT.format(p=p)


# Every visit of the page :id of the thread (:site, :story), as (fetched_at, crawl_id):
# its rows and its thread's kept visits, with no scan of other threads' crawls.
VISITS_OF_PAGE = (
    "SELECT fetched_at, crawl_id FROM page_fetches WHERE page_id = :id UNION ALL"
    " SELECT json_extract(v.value, '$[1]'), t.crawl_id FROM thread_crawls t,"
    " json_each(t.visits) v WHERE t.site = :site AND t.story_id = :story"
    " AND t.visits IS NOT NULL AND json_extract(v.value, '$[0]') = :id"
)

# Every kept visit as a page_visits row (page_id, fetched_at, crawl_id).
_ALL_KEPT = (
    "SELECT json_extract(v.value, '$[0]') AS page_id, json_extract(v.value, '$[1]')"
    " AS fetched_at, t.crawl_id AS crawl_id FROM thread_crawls t, json_each(t.visits) v"
    " WHERE t.visits IS NOT NULL"
)

PAGE_VISITS = f"""
CREATE VIEW page_visits AS
SELECT page_id, fetched_at, crawl_id FROM page_fetches
UNION ALL
{_ALL_KEPT}
"""

# A pages row but its body (Datasette links a BLOB by rowid, which a view has not)
# with its kept visits counted, the way archive.pages.save_page would have
# moved it: the earliest and latest fetch, one more fetch for each new fetch time, and
# the crawl of its latest kept visit if that is later than the row's last fetch.
_K = kept_visits("p")
PAGES_SEEN = f"""
CREATE VIEW pages_seen AS
SELECT
    p.id, p.site, p.url, p.status, p.sha256,
    coalesce(min(p.first_fetched_at, (SELECT min(k.fetched_at) FROM ({_K}) k)),
             p.first_fetched_at) AS first_fetched_at,
    coalesce(max(p.last_fetched_at, (SELECT max(k.fetched_at) FROM ({_K}) k)),
             p.last_fetched_at) AS last_fetched_at,
    p.fetch_count + (SELECT count(DISTINCT k.fetched_at) FROM ({_K}) k
                     WHERE NOT EXISTS (SELECT 1 FROM page_fetches r
                                       WHERE r.page_id = p.id
                                       AND r.fetched_at = k.fetched_at)) AS fetch_count,
    p.story_id,
    coalesce((SELECT k.crawl_id FROM ({_K}) k WHERE k.crawl_id IS NOT NULL
              AND k.fetched_at > p.last_fetched_at ORDER BY k.fetched_at DESC LIMIT 1),
             p.crawl_id) AS crawl_id,
    p.error, p.redacted_at
FROM pages AS p
"""

STATEMENTS = (
    "ALTER TABLE page_visits RENAME TO page_fetches",
    # SQLite renames no index: the old name would say a table that is now a view.
    "DROP INDEX page_visits_crawl_id",
    "CREATE INDEX page_fetches_crawl_id ON page_fetches (crawl_id)",
    # JSON [[page_id, fetched_at], ...]: the visits of an unchanged crawl that are not
    # page_fetches rows; NULL for every crawl that wrote its visits.
    "ALTER TABLE thread_crawls ADD COLUMN visits TEXT",
    PAGE_VISITS,
    PAGES_SEEN,
)


def m0020_thread_visits(conn: sqlite3.Connection) -> None:
    """page_visits becomes page_fetches (the written visits) and a view that adds the
    visits unchanged crawls keep in thread_crawls.visits; the view pages_seen."""
    for statement in STATEMENTS:
        conn.execute(statement)


# What a copy of the archive must hold in its rows (archive.snapshot): every kept visit
# written as a page_fetches row and into its pages row, thread_crawls.visits emptied.
# (The pages UPDATE reads pages_seen before the visits are moved: SET sees it as it was.)
MATERIALIZE = (
    """
    UPDATE pages SET (first_fetched_at, last_fetched_at, fetch_count, crawl_id) = (
        SELECT s.first_fetched_at, s.last_fetched_at, s.fetch_count, s.crawl_id
        FROM pages_seen s WHERE s.id = pages.id)
    WHERE EXISTS (SELECT 1 FROM thread_crawls t WHERE t.site = pages.site
                  AND t.story_id = pages.story_id AND t.visits IS NOT NULL)
    """,
    f"INSERT INTO page_fetches (page_id, fetched_at, crawl_id) {_ALL_KEPT}"
    " ON CONFLICT (page_id, fetched_at) DO UPDATE SET"
    " crawl_id = coalesce(excluded.crawl_id, crawl_id)",
    "UPDATE thread_crawls SET visits = NULL WHERE visits IS NOT NULL",
)


# The kept visits that are also page_fetches rows. Before the fix of reparse (a crawl
# saved again at its own time, archive.revisits.split_visits), a re-save of a crawl
# that kept its visits wrote each of them as a row too (archive.pages.save_page, which
# moved the pages row with it): page_visits, a UNION ALL, listed such a visit twice.
# The key is (page_id, fetched_at), the primary key of page_fetches.
_DOUBLED = (
    "SELECT t.site, t.story_id, t.seen_at, t.visits FROM thread_crawls t"
    " WHERE t.visits IS NOT NULL AND EXISTS (SELECT 1 FROM json_each(t.visits) v"
    " JOIN page_fetches f ON f.page_id = json_extract(v.value, '$[0]')"
    " AND f.fetched_at = json_extract(v.value, '$[1]'))"
)


def m0022_visits_once(conn: sqlite3.Connection) -> None:
    """Drop from ``thread_crawls.visits`` each visit that is also a ``page_fetches`` row
    (NULL where none is left, as a crawl that keeps none writes it). The row is what
    stays: save_page moved the ``pages`` row with it, whose counts ``pages_seen``
    reads. Nothing else changes, so every reader but ``page_visits`` answers as
    before, and that one lists each visit once."""
    for site, story_id, seen, visits in conn.execute(_DOUBLED).fetchall():
        left = [v for v in json.loads(visits) if conn.execute(
            "SELECT 1 FROM page_fetches WHERE page_id = ? AND fetched_at = ?", (v[0], v[1])
        ).fetchone() is None]  # fmt: skip
        conn.execute(
            "UPDATE thread_crawls SET visits = ? WHERE site = ? AND story_id = ? AND seen_at = ?",
            (json.dumps(left, separators=(",", ":")) if left else None, site, story_id, seen),
        )
