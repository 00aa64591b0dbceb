"""A comment's last sighting, and the schema of migration ``0013_revisits``.

No save rewrites a comment only to move its ``last_seen_at`` (a re-crawl that finds a
thread unchanged writes O(1) rows, see ``archive.revisits``): a comment still shown
(``gone_at`` NULL) was seen by its thread's latest crawl, so its true last sighting is
the later of its own ``last_seen_at`` (when its row was last written) and the time of
that crawl (``thread_crawls``), and its last crawl that crawl's. The view
``comments_seen`` says it in SQL, :func:`seen_now` for rows already read; a comment
marked gone gets its last sighting written into its row when it is marked (the store
does it), and a copy of the archive gets every one written (:data:`MATERIALIZE`).

This module imports nothing of the archive: ``archive.migrations`` runs its statements.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from typing import Any

# The latest crawl of a comment's thread, as two correlated lookups on the primary
# key of thread_crawls (site, story_id, seen_at): one index seek each.
_LATEST_SEEN = (
    "(SELECT max(t.seen_at) FROM thread_crawls t"
    " WHERE t.site = c.site AND t.story_id = c.story_id)"
)
_LATEST_CRAWL = (
    "(SELECT t.crawl_id FROM thread_crawls t WHERE t.site = c.site"
    " AND t.story_id = c.story_id ORDER BY t.seen_at DESC LIMIT 1)"
)
_LATER = f"c.gone_at IS NULL AND {_LATEST_SEEN} > c.last_seen_at"

COMMENTS_SEEN = f"""
CREATE VIEW comments_seen AS
SELECT
    c.site,
    c.id,
    c.story_id,
    c.first_seen_at,
    CASE WHEN {_LATER} THEN {_LATEST_SEEN} ELSE c.last_seen_at END AS last_seen_at,
    CASE WHEN {_LATER} THEN coalesce({_LATEST_CRAWL}, c.last_crawl_id)
         ELSE c.last_crawl_id END AS last_crawl_id,
    c.gone_at
FROM comments AS c
"""

# What a copy of the archive must hold in its rows (archive.snapshot): every comment's
# last sighting written into it, so the copy's rows say it without the view.
MATERIALIZE = f"""
UPDATE comments AS c SET last_seen_at = {_LATEST_SEEN},
    last_crawl_id = coalesce({_LATEST_CRAWL}, c.last_crawl_id)
WHERE {_LATER}
"""

REVISIT_STATEMENTS = (
    # Every fetch of a stored body: the first, and each revisit that found it unchanged.
    """
CREATE TABLE page_visits (
    page_id INTEGER NOT NULL REFERENCES pages(id),
    fetched_at TEXT NOT NULL,
    crawl_id INTEGER REFERENCES crawls(id),
    PRIMARY KEY (page_id, fetched_at)
)""",
    "CREATE INDEX page_visits_crawl_id ON page_visits (crawl_id)",
    # A page's first and last fetch are all an older archive knows of its fetches;
    # the crawl a page row names is its latest.
    "INSERT INTO page_visits (page_id, fetched_at, crawl_id) SELECT id, first_fetched_at,"
    " CASE WHEN first_fetched_at = last_fetched_at THEN crawl_id END FROM pages",
    "INSERT INTO page_visits (page_id, fetched_at, crawl_id) SELECT id, last_fetched_at,"
    " crawl_id FROM pages WHERE last_fetched_at <> first_fetched_at",
    # 1: the crawl found every page of the thread as the one before it (not re-parsed).
    "ALTER TABLE thread_crawls ADD COLUMN unchanged INTEGER NOT NULL DEFAULT 0",
    # JSON [[url, sha256], ...]: the pages this crawl read, in order; NULL before 0013.
    "ALTER TABLE thread_crawls ADD COLUMN pages TEXT",
    COMMENTS_SEEN,
)


def m0013_revisits(conn: sqlite3.Connection) -> None:
    """page_visits (every fetch of a stored body), thread_crawls.unchanged and .pages,
    and the view comments_seen."""
    for statement in REVISIT_STATEMENTS:
        conn.execute(statement)


def latest_thread_crawl(
    conn: sqlite3.Connection, site: str, story_id: str
) -> tuple[str, int | None] | None:
    """(seen_at, crawl_id) of the thread's latest crawl, or None."""
    row = conn.execute(
        "SELECT seen_at, crawl_id FROM thread_crawls WHERE site = ? AND story_id = ?"
        " ORDER BY seen_at DESC LIMIT 1",
        (site, story_id),
    ).fetchone()
    return None if row is None else (row[0], row[1])


def seen_now(conn: sqlite3.Connection, story: dict[str, Any],
             comments: Sequence[dict[str, Any]]) -> None:  # fmt: skip
    """Set each stored comment row's ``last_seen_at``/``last_crawl_id`` (dicts of one
    thread's ``comments`` rows) to its last sighting, as ``comments_seen`` says it."""
    latest = latest_thread_crawl(conn, story["site"], story["id"])
    if latest is None:
        return
    seen, crawl = latest
    for c in comments:
        shown = c.get("gone_at") is None and c["story_id"] == story["id"]
        if shown and seen > c["last_seen_at"]:
            c["last_seen_at"] = seen
            if crawl is not None:
                c["last_crawl_id"] = crawl


def write(conn: sqlite3.Connection, site: str, *, seen: str, crawl_id: int | None,
          touched: Sequence[str], back: Sequence[str], gone: Sequence[str],
          latest: tuple[str, int | None]) -> None:  # fmt: skip
    """The seen-times and ``gone_at`` a save of a thread moves, one statement each:
    ``touched`` comments seen earlier than their row says (or seen while marked gone),
    ``back`` ones shown again, ``gone`` ones no longer shown, ``latest`` the thread's
    latest crawl before this one (seen_at, crawl_id), their last sighting."""
    if touched:
        conn.execute(
            "UPDATE comments SET first_seen_at = min(first_seen_at, :seen),"
            " last_seen_at = max(last_seen_at, :seen),"
            " last_crawl_id = CASE WHEN :seen > last_seen_at"
            " THEN coalesce(:crawl, last_crawl_id) ELSE last_crawl_id END"
            " WHERE site = :site AND id IN (SELECT value FROM json_each(:ids))",
            {"seen": seen, "crawl": crawl_id, "site": site, "ids": json.dumps(touched)},
        )
    if back:
        conn.execute(
            "UPDATE comments SET gone_at = NULL WHERE site = ?"
            " AND id IN (SELECT value FROM json_each(?))",
            (site, json.dumps(back)),
        )
    if gone:
        # From now on its row alone says when it was last seen: the thread's crawls no
        # longer show it. (SET reads the row as it was: the CASE sees the old time.)
        conn.execute(
            "UPDATE comments SET gone_at = :seen, last_seen_at = max(last_seen_at, :latest),"
            " last_crawl_id = CASE WHEN :latest > last_seen_at"
            " THEN coalesce(:crawl, last_crawl_id) ELSE last_crawl_id END"
            " WHERE site = :site AND id IN (SELECT value FROM json_each(:ids))",
            {"seen": seen, "latest": latest[0], "crawl": latest[1], "site": site,
             "ids": json.dumps(gone)},
        )
