"""Fetched bodies: every page is kept (compressed, by content hash) so parsers can be
re-run over history without re-crawling (rule 7). Split out of ``archive.store``,
which re-exports :func:`save_failed_page`.

A body is stored once per (url, sha256); each fetch of it is a ``page_visits`` row
(migration ``0013_revisits``; written into ``page_fetches`` since ``0020``), so a page
fetched again unchanged costs a visit row and a small update of its ``pages`` row,
never a second copy of the body; a thread's crawl keeps the visits of its pages found
as stored in its own row instead (``archive.thread_visits``), whose readers take
``pages_seen``.
"""

from __future__ import annotations

import sqlite3
import zlib
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from archive.db import transaction
from archive.models import FetchedPage
from archive.rows import iso_utc, seen_range

if TYPE_CHECKING:
    import sqlite_utils


def save_failed_page(
    db: sqlite_utils.Database | sqlite3.Connection,
    page: FetchedPage,
    *,
    error: str,
    crawl_id: int | None = None,
    story_id: str | None = None,
) -> None:
    """Keep a page that could not be parsed, with why, so it can be re-parsed later."""
    with transaction(db) as conn:
        save_page(conn, page, story_id=story_id, crawl_id=crawl_id, error=error)


def save_page(
    conn: sqlite3.Connection,
    page: FetchedPage,
    *,
    story_id: str | None,
    crawl_id: int | None,
    error: str | None,
) -> int:
    """Store a fetched body once per (url, sha256); return 1 if a row was added.

    ``error`` is the latest verdict on this body: None once it parsed, so a page that
    failed before and parses now is no longer listed as failed.
    """
    sha = page.sha256
    fetched = iso_utc(page.fetched_at)
    assert fetched is not None
    stored = conn.execute(
        "SELECT id, first_fetched_at, last_fetched_at, fetch_count, story_id, crawl_id,"
        " error FROM pages WHERE url = ? AND sha256 = ?",
        (page.url, sha),
    ).fetchone()
    if stored is None:
        cur = conn.execute(
            "INSERT INTO pages (site, url, status, sha256, body, first_fetched_at,"
            " last_fetched_at, fetch_count, story_id, crawl_id, error)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?)",
            (page.site, page.url, page.status, sha, zlib.compress(page.body), fetched,
             fetched, story_id, crawl_id, error),
        )  # fmt: skip
        assert cur.lastrowid is not None
        record_visit(conn, cur.lastrowid, fetched, crawl_id)
        return 1
    page_id, first, last, count, old_story, old_crawl, _ = stored
    # The same fetch saved again (a re-save of the same records) is not a new fetch.
    if fetched not in (first, last):
        count += 1
    first, last = seen_range(first, last, fetched)
    new = (first, last, count, story_id if story_id is not None else old_story,
           crawl_id if crawl_id is not None else old_crawl, error)  # fmt: skip
    if new != tuple(stored[1:]):
        # SQLite rewrites only the changed part of a row: the body's overflow pages stay.
        conn.execute(
            "UPDATE pages SET first_fetched_at = ?, last_fetched_at = ?, fetch_count = ?,"
            " story_id = ?, crawl_id = ?, error = ? WHERE id = ?",
            (*new, page_id),
        )
    record_visit(conn, page_id, fetched, crawl_id)
    return 0


def keep_pages(conn: sqlite3.Connection, pages: Sequence[FetchedPage],
               crawl_id: int | None) -> None:  # fmt: skip
    """Keep a listing's or profile's raw pages (rule 7: every body kept), in the
    caller's transaction."""
    for page in pages:
        save_page(conn, page, story_id=None, crawl_id=crawl_id, error=None)


def record_visit(
    conn: sqlite3.Connection, page_id: int, fetched_at: str, crawl_id: int | None
) -> None:
    """A fetch of the stored body ``page_id``; the same fetch saved again adds nothing."""
    conn.execute(
        "INSERT INTO page_fetches (page_id, fetched_at, crawl_id) VALUES (?, ?, ?)"
        " ON CONFLICT (page_id, fetched_at) DO UPDATE SET"
        " crawl_id = coalesce(excluded.crawl_id, crawl_id)",
        (page_id, fetched_at, crawl_id),
    )



def seen_pages(conn: sqlite3.Connection) -> str:
    """What a reader of pages' fetch times reads FROM: ``pages_seen`` with each body,
    named ``pages`` (``archive.thread_visits``), or ``pages`` itself in an archive from
    before 0020."""
    view = conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'pages_seen'").fetchone()
    if view is None:
        return "pages"
    return "(SELECT s.*, b.body FROM pages_seen s JOIN pages b ON b.id = s.id) AS pages"


def selection(*, site: str | None = None, since: str | None = None) -> tuple[list[str], list[Any]]:
    """The WHERE terms (ANDed) and parameters that pick kept pages to read again
    (``reparse``, ``export --warc``): one site's, those fetched at or after ``since``
    (stored UTC text), never a redacted one, whose body is gone. The terms are on
    ``pages_seen`` (a page's last fetch counts the visits its thread's crawls kept)."""
    where: list[str] = ["redacted_at IS NULL"]
    params: list[Any] = []
    if site is not None:
        where.append("site = ?")
        params.append(site)
    if since is not None:
        where.append("last_fetched_at >= ?")
        params.append(since)
    return where, params
