"""Summary tables the store keeps up to date, for questions no index can answer fast.

``top_authors`` (one row per author: comments, distinct threads, first and last
comment time, most comments first) is an aggregate over every comment of the archive:
1.3 s at a million comments, and Datasette's 1 s limit stops it. No index makes a
GROUP BY over all rows cheap, so migration 0014 (``m0014_scale``) keeps its answer:

* ``author_threads``: per (site, story, author) the comment count and first and last
  ``created_at``: one thread's part of every author's figures;
* ``author_counts``: per (site, author) the sums of those parts, which the view reads.

A save changes only its own thread's part. :func:`threads_saved` recounts that part
from the thread's comments (one index range, the rows just written; a thread's first
save counts the rows it writes, :func:`first_saved`) and moves each
changed author's totals by the difference: no full count, ever. Times only widen on
a difference, except when an author's part shrank or lost its earliest (or latest)
comment; then that author's first/last time is read again from the comments, through
the ``(author, created_at)`` index.

The rules follow 0004's view exactly: every archived comment counts (dead, deleted
and gone ones keep their author and their row), comments with no author are left out.
:func:`rebuild` recounts everything from ``comments`` (the migration's backfill, and
``snapshot --as-of``, which deletes rows).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable

TABLES = (
    """
CREATE TABLE author_threads (
    site TEXT NOT NULL,
    story_id TEXT NOT NULL,
    author TEXT NOT NULL,
    comments INTEGER NOT NULL,
    first_at TEXT,
    last_at TEXT,
    PRIMARY KEY (site, story_id, author)
) WITHOUT ROWID""",
    """
CREATE TABLE author_counts (
    site TEXT NOT NULL,
    author TEXT NOT NULL,
    comments INTEGER NOT NULL,
    threads INTEGER NOT NULL,
    first_comment_at TEXT,
    last_comment_at TEXT,
    PRIMARY KEY (site, author)
) WITHOUT ROWID""",
    # The view's order, so that its first page is the first entries of this index.
    "CREATE INDEX author_counts_comments ON author_counts (comments DESC, site, author)",
)

# top_authors as 0004 defined it, now reading the summary: same columns, same rows.
TOP_AUTHORS = """
CREATE VIEW top_authors AS
SELECT site, author, comments, threads, first_comment_at, last_comment_at
FROM author_counts
ORDER BY comments DESC, site, author
"""

# gaps asks for the latest crawl of every thread: a GROUP BY over all of thread_crawls.
# thread_latest keeps, per thread, when its latest crawl was and by how many comments
# it fell short of the declared count; the partial index holds the short ones only.
# Triggers keep it, so every writer of thread_crawls does (the store writes a row per
# save, or updates the row of the same fetch). An older fetch saved later never
# replaces a newer one, and the same one saved again writes nothing.
_LATEST_UPSERT = """
  INSERT INTO thread_latest (site, story_id, seen_at, shortfall)
  VALUES (new.site, new.story_id, new.seen_at,
          new.declared - (new.archived + new.dead + new.deleted))
  ON CONFLICT (site, story_id) DO UPDATE SET seen_at = excluded.seen_at,
      shortfall = excluded.shortfall
  WHERE excluded.seen_at >= thread_latest.seen_at
      AND (excluded.seen_at IS NOT thread_latest.seen_at
           OR excluded.shortfall IS NOT thread_latest.shortfall);"""
LATEST = (
    """
CREATE TABLE thread_latest (
    site TEXT NOT NULL,
    story_id TEXT NOT NULL,
    seen_at TEXT NOT NULL,
    shortfall INTEGER,
    PRIMARY KEY (site, story_id)
) WITHOUT ROWID""",
    "CREATE INDEX thread_latest_short ON thread_latest (shortfall DESC, site, story_id)"
    " WHERE shortfall > 0",
    *(f"CREATE TRIGGER thread_crawls_latest_{name} AFTER {event} ON thread_crawls"
      f" BEGIN{_LATEST_UPSERT}\nEND" for name, event in (("ai", "INSERT"), ("au", "UPDATE"))),
    # The stories gaps lists as never archived: declared comments, none stored. The
    # store sets archived_count on every save of a thread, so a story with any comment
    # stored under it, or a crawl of its thread, is outside the index.
    "CREATE INDEX stories_unarchived ON stories (comment_count DESC, site, id)"
    " WHERE comment_count > 0 AND archived_count = 0",
)

REBUILD = (
    "DELETE FROM thread_latest",
    "INSERT INTO thread_latest (site, story_id, seen_at, shortfall)"
    " SELECT t.site, t.story_id, t.seen_at, t.declared - (t.archived + t.dead + t.deleted)"
    " FROM thread_crawls t JOIN (SELECT site, story_id, max(seen_at) AS seen_at"
    " FROM thread_crawls GROUP BY site, story_id) USING (site, story_id, seen_at)",
    "DELETE FROM author_threads",
    "DELETE FROM author_counts",
    "INSERT INTO author_threads (site, story_id, author, comments, first_at, last_at)"
    " SELECT site, story_id, author, count(*), min(created_at), max(created_at)"
    " FROM comments WHERE author IS NOT NULL GROUP BY site, story_id, author",
    "INSERT INTO author_counts (site, author, comments, threads, first_comment_at,"
    " last_comment_at) SELECT site, author, sum(comments), count(*), min(first_at),"
    " max(last_at) FROM author_threads GROUP BY site, author",
)

Part = tuple[int, str | None, str | None]  # comments, first and last created_at


def rebuild(conn: sqlite3.Connection) -> None:
    """Recount every summary from ``comments`` and ``thread_crawls``, in the caller's
    transaction."""
    for statement in REBUILD:
        conn.execute(statement)


def threads_saved(conn: sqlite3.Connection, site: str, story_ids: Iterable[str]) -> None:
    """Bring the summaries up to date with the comments of these threads, as now stored
    (in the caller's transaction, after the comments are written)."""
    for story_id in story_ids:
        _thread_saved(conn, site, story_id)


def first_saved(conn: sqlite3.Connection, site: str, story_id: str,
                comments: Iterable[tuple[str | None, str | None]]) -> None:
    """:func:`threads_saved` for a thread that had no comment stored before this save,
    given the (author, created_at) of every comment it now holds: its parts counted
    here rather than read back through the thread's index and the rows just written.
    The same parts as the query's: count(*), and min/max of the times that are not
    NULL (text compared as SQLite's BINARY collation compares UTF-8: by code point)."""
    parts: dict[str, Part] = {}
    for author, at in comments:
        if author is None:
            continue
        n, first, last = parts.get(author, (0, None, None))
        if at is not None:
            first = at if first is None or at < first else first
            last = at if last is None or at > last else last
        parts[author] = (n + 1, first, last)
    _thread_saved(conn, site, story_id, parts)


def _thread_saved(conn: sqlite3.Connection, site: str, story_id: str,
                  counted: dict[str, Part] | None = None) -> None:
    def parts(sql: str) -> dict[str, Part]:
        return {row[0]: row[1:] for row in conn.execute(sql, (site, story_id))}

    new = counted if counted is not None else parts(
        "SELECT author, count(*), min(created_at), max(created_at) FROM comments"
        " WHERE site = ? AND story_id = ? AND author IS NOT NULL GROUP BY author")
    old = parts("SELECT author, comments, first_at, last_at FROM author_threads"
                " WHERE site = ? AND story_id = ?")
    # In key order: the B-tree pages of neighbouring authors are visited one after another.
    changed = sorted(a for a in new.keys() | old.keys() if new.get(a) != old.get(a))
    if not changed:
        return
    conn.executemany(
        "DELETE FROM author_threads WHERE site = ? AND story_id = ? AND author = ?",
        [(site, story_id, a) for a in changed if a not in new],
    )
    _insert_many(
        conn,
        "INSERT INTO author_threads (site, story_id, author, comments, first_at, last_at)",
        " ON CONFLICT (site, story_id, author) DO UPDATE SET comments = excluded.comments,"
        " first_at = excluded.first_at, last_at = excluded.last_at",
        [(site, story_id, a, *new[a]) for a in changed if a in new],
    )
    totals: list[tuple[object, ...]] = []
    recheck: list[str] = []
    for a in changed:
        n, first, last = new.get(a, (0, None, None))
        was_n, was_first, was_last = old.get(a, (0, None, None))
        totals.append((site, a, n - was_n, (a in new) - (a in old), first, last))
        # min/max cannot be taken back: a part that gave up its earliest or latest
        # time may have held the author's.
        if (was_first is not None and (first is None or first > was_first)) or (
            was_last is not None and (last is None or last < was_last)
        ):
            recheck.append(a)
    _insert_many(
        conn,
        "INSERT INTO author_counts (site, author, comments, threads, first_comment_at,"
        " last_comment_at)",
        " ON CONFLICT (site, author) DO UPDATE SET comments = comments + excluded.comments,"
        " threads = threads + excluded.threads,"
        " first_comment_at = CASE WHEN excluded.first_comment_at IS NULL THEN first_comment_at"
        "   ELSE min(coalesce(first_comment_at, excluded.first_comment_at),"
        "            excluded.first_comment_at) END,"
        " last_comment_at = CASE WHEN excluded.last_comment_at IS NULL THEN last_comment_at"
        "   ELSE max(coalesce(last_comment_at, excluded.last_comment_at),"
        "            excluded.last_comment_at) END",
        totals,
    )
    conn.executemany(
        "UPDATE author_counts SET"
        " first_comment_at = (SELECT min(created_at) FROM comments"
        "   WHERE author = ?2 AND site = ?1),"
        " last_comment_at = (SELECT max(created_at) FROM comments"
        "   WHERE author = ?2 AND site = ?1)"
        " WHERE site = ?1 AND author = ?2",
        [(site, a) for a in recheck],
    )
    conn.executemany(
        "DELETE FROM author_counts WHERE site = ? AND author = ? AND comments = 0",
        [(site, a) for a in changed if a not in new],
    )


def _insert_many(conn: sqlite3.Connection, head: str, tail: str,
                 rows: list[tuple[object, ...]]) -> None:
    """``head VALUES (...), (...) tail``: a save's few hundred authors in one statement
    or a few, not one each (each statement opens, journals and closes on its own:
    executemany of ~500 authors cost a third more). ``rows`` hold distinct keys."""
    if not rows:
        return
    width = len(rows[0])
    per = max(1, conn.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) // width)
    one = "(" + ", ".join("?" * width) + ")"
    for start in range(0, len(rows), per):
        chunk = rows[start : start + per]
        conn.execute(f"{head} VALUES {', '.join([one] * len(chunk))}{tail}",
                     [v for row in chunk for v in row])
