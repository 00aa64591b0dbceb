"""What publishing a dump (:mod:`archive.bulk_publish`) writes per thread, set-based,
for the threads its comments belong to (``temp.bulk_stories``), once their comments
are stored:

* ``stories.archived_count``, and a ``thread_crawls`` row per thread, as every save
  of a thread writes one: this import (its crawl, the latest time its dump's crawler
  saw a comment of the thread) found the thread's stored comments against the count
  the post declares (``stories.comment_count``, from a submissions dump; NULL without
  one). A dump has no stubs to count, so ``unexpanded`` is NULL: ``gaps`` judges the
  thread by the declared count, Reddit's upper bound, as for a saved page.
* the author summaries of migration 0014 (``author_threads``, ``author_counts``, see
  :mod:`archive.summaries`) by the rules of :func:`archive.summaries.threads_saved`:
  each touched thread's parts recounted, each author's totals moved by the difference,
  first and last times read again where a part gave up its earliest or latest.
"""

from __future__ import annotations

import sqlite3

_IN_IMPORT = "(site, story_id) IN (SELECT site, story_id FROM temp.bulk_stories)"

# One read of the touched threads' comments, by (thread, author): the author
# summaries' new parts and, summed by thread, the thread's counts. Keyed in the order
# the GROUP BY gives, so that the sums by thread read it in order, with no sort.
_BY_AUTHOR = """
CREATE TEMP TABLE bulk_by_author (site TEXT, story_id TEXT, anonymous INTEGER,
    author TEXT, comments INTEGER, deleted INTEGER, dead INTEGER, first_at TEXT,
    last_at TEXT, PRIMARY KEY (site, story_id, anonymous, author)) WITHOUT ROWID
"""
_PARTS = """
INSERT INTO temp.bulk_by_author
SELECT site, story_id, author IS NULL, coalesce(author, ''), count(*), sum(deleted <> 0),
       sum(dead <> 0 AND deleted = 0), min(created_at), max(created_at)
FROM comments {where} GROUP BY site, story_id, author IS NULL, coalesce(author, '')
"""
_COUNTS = """
CREATE TEMP TABLE bulk_counts AS
SELECT site, story_id, sum(comments) AS comments, sum(deleted) AS deleted,
       sum(dead) AS dead
FROM temp.bulk_by_author GROUP BY site, story_id
"""
_THREAD_CRAWLS = """
INSERT INTO thread_crawls (site, story_id, crawl_id, seen_at, declared, archived, dead,
                           deleted, missing, unchanged, pages, unexpanded)
SELECT n.site, n.story_id, :crawl, b.last, s.comment_count,
       n.comments - n.deleted - n.dead, n.dead, n.deleted,
       max(s.comment_count - (n.comments - n.deleted - n.dead), 0), 0, NULL, NULL
FROM temp.bulk_counts n
JOIN temp.bulk_stories b ON b.site = n.site AND b.story_id = n.story_id
JOIN stories s ON s.site = n.site AND s.id = n.story_id
WHERE true
ON CONFLICT (site, story_id, seen_at) DO UPDATE SET
    crawl_id = coalesce(excluded.crawl_id, crawl_id), declared = excluded.declared,
    archived = excluded.archived, dead = excluded.dead, deleted = excluded.deleted,
    missing = excluded.missing, unchanged = 0, unexpanded = NULL
"""
# Each author's change over the touched threads: comments and threads gained (or lost),
# the earliest and latest time of its new parts, and whether a part gave up its
# earliest or latest time (then min/max cannot say: the times are read again).
_DELTA = f"""
CREATE TEMP TABLE bulk_authors AS
SELECT site, author, sum(comments) AS comments, sum(threads) AS threads,
       min(first_at) AS first_at, max(last_at) AS last_at, max(shrank) AS shrank
FROM (
    SELECT n.site, n.author, n.comments - coalesce(o.comments, 0) AS comments,
           o.author IS NULL AS threads, n.first_at, n.last_at,
           (o.first_at IS NOT NULL AND (n.first_at IS NULL OR n.first_at > o.first_at))
           OR (o.last_at IS NOT NULL AND (n.last_at IS NULL OR n.last_at < o.last_at))
           AS shrank
    FROM author_threads n
    LEFT JOIN temp.bulk_parts o
           ON o.site = n.site AND o.story_id = n.story_id AND o.author = n.author
    WHERE {_IN_IMPORT.replace("(site, story_id)", "(n.site, n.story_id)")}
    UNION ALL
    SELECT o.site, o.author, -o.comments, -1, NULL, NULL, 1
    FROM temp.bulk_parts o
    WHERE NOT EXISTS (SELECT 1 FROM author_threads n WHERE n.site = o.site
                      AND n.story_id = o.story_id AND n.author = o.author)
)
GROUP BY site, author
"""
_TOTALS = """
INSERT INTO author_counts (site, author, comments, threads, first_comment_at,
                           last_comment_at)
SELECT site, author, comments, threads, first_at, last_at FROM temp.bulk_authors WHERE true
ON CONFLICT (site, author) DO UPDATE SET comments = comments + excluded.comments,
    threads = threads + excluded.threads,
    first_comment_at = CASE WHEN excluded.first_comment_at IS NULL THEN first_comment_at
        ELSE min(coalesce(first_comment_at, excluded.first_comment_at),
                 excluded.first_comment_at) END,
    last_comment_at = CASE WHEN excluded.last_comment_at IS NULL THEN last_comment_at
        ELSE max(coalesce(last_comment_at, excluded.last_comment_at),
                 excluded.last_comment_at) END
"""
_RECHECK = """
UPDATE author_counts SET
    first_comment_at = (SELECT min(created_at) FROM comments c
                        WHERE c.author = author_counts.author AND c.site = author_counts.site),
    last_comment_at = (SELECT max(created_at) FROM comments c
                       WHERE c.author = author_counts.author AND c.site = author_counts.site)
WHERE (site, author) IN (SELECT site, author FROM temp.bulk_authors WHERE shrank)
"""


def threads_published(tx: sqlite3.Connection, *, crawl_id: int | None, every: bool) -> None:
    """Counts, thread_crawls rows and author summaries of the touched threads (see the
    module), in the publishing transaction. ``every``: every stored comment is of a
    touched thread (an archive a dump was first loaded into), so they are read in
    table order rather than a thread at a time through an index."""
    tx.execute(_BY_AUTHOR)
    tx.execute(_PARTS.format(where="NOT INDEXED" if every else f"WHERE {_IN_IMPORT}"))
    tx.execute(_COUNTS)
    tx.execute("UPDATE stories SET archived_count = n.comments FROM temp.bulk_counts n"
               " WHERE n.site = stories.site AND n.story_id = stories.id")
    tx.execute(_THREAD_CRAWLS, {"crawl": crawl_id})
    _authors(tx)
    for table in ("bulk_by_author", "bulk_counts", "bulk_parts", "bulk_authors"):
        tx.execute(f"DROP TABLE temp.{table}")


def _authors(tx: sqlite3.Connection) -> None:
    tx.execute("CREATE TEMP TABLE bulk_parts AS SELECT site, story_id, author, comments,"
               f" first_at, last_at FROM author_threads WHERE {_IN_IMPORT}")
    tx.execute(f"DELETE FROM author_threads WHERE {_IN_IMPORT}")
    tx.execute(
        "INSERT INTO author_threads (site, story_id, author, comments, first_at, last_at)"
        " SELECT site, story_id, author, comments, first_at, last_at"
        " FROM temp.bulk_by_author WHERE NOT anonymous")
    tx.execute(_DELTA)
    tx.execute(_TOTALS)
    tx.execute(_RECHECK)
    tx.execute("DELETE FROM author_counts WHERE comments <= 0 AND (site, author) IN"
               " (SELECT site, author FROM temp.bulk_authors)")
