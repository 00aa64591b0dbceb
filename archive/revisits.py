"""Re-crawls that cost nothing when nothing changed (migration ``0013_revisits``).

A page fetched again with the same body (same URL, same sha256) is not stored again:
its fetch is a ``page_visits`` row beside the one ``pages`` row that holds the body.
Every fetch of a URL, the first included, is a visit, so "every fetch of this URL" is
one join (docs/schema.md shows it).

A thread whose pages all come back with the bodies of its last crawl (the same URLs
in the same order with the same hashes, ``thread_crawls.pages``) shows the same
comments as then: the crawl does not parse it again, and the archive records the
visit with O(1) rows: a ``thread_crawls`` row with ``unchanged = 1`` that holds its
visit of each page (``archive.thread_visits``), the story's seen-time, the target done
(:func:`save_unchanged_thread`).

Nor does any save rewrite a comment only to move its ``last_seen_at``: see
``archive.seen`` for how its last sighting is known all the same.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import zlib
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from archive import thread_visits
from archive.crawls import Target, mark_done
from archive.db import connection, transaction
from archive.models import FetchedPage
from archive.pages import save_page
from archive.rows import iso_utc

if TYPE_CHECKING:
    import sqlite_utils

# A thread's page set: (url, sha256) of each page, in the order they were read.
PageSet = tuple[tuple[str, str], ...]


def body_sha256(body: bytes) -> str:
    """A body's sha256 as the archive keys pages by (what ``FetchedPage.sha256`` holds)."""
    return hashlib.sha256(body).hexdigest()


def page_set(pages: Iterable[FetchedPage]) -> PageSet:
    return tuple((p.url, p.sha256) for p in pages)


def page_set_json(pages: PageSet) -> str:
    return json.dumps([list(p) for p in pages], separators=(",", ":"))


def pages_json(pages: Sequence[FetchedPage]) -> str | None:
    """``thread_crawls.pages`` for a thread read from ``pages``; None without pages."""
    return page_set_json(page_set(pages)) if pages else None


def last_page_set(
    db: sqlite_utils.Database | sqlite3.Connection, site: str, story_id: str,
    source: str | None = "html",
) -> PageSet | None:
    """The pages the thread's latest crawl read, or None (never crawled, or before 0013).

    One seek on the primary key of ``thread_crawls``, one on ``stories`` and one on
    ``pages (url, sha256)`` per page: cheap enough to ask before every thread's first
    page is parsed. None also when one of those bodies is no longer kept as read
    (redacted), or when ``source`` (the crawl's; None: any) never observed the thread:
    its rows must learn it (``archive.sources``), which only a save of the parsed thread
    tells them; and when that crawl left stubs unexpanded (``unexpanded``), so that a
    crawl may read more than it did.
    """
    conn = connection(db)
    row = conn.execute(
        "SELECT t.pages, s.source, t.unexpanded FROM thread_crawls t JOIN stories s"
        " ON s.site = t.site AND s.id = t.story_id WHERE t.site = ? AND t.story_id = ?"
        " ORDER BY t.seen_at DESC LIMIT 1",
        (site, story_id),
    ).fetchone()
    if row is None or row[0] is None:
        return None
    if source is not None and source not in (row[1] or "").split(","):
        return None
    if row[2]:
        # It left stubs unexpanded (Reddit: a cap, an error): a crawl may read more.
        return None
    # Each body still kept as it was read: a redaction (archive.redact) that emptied one
    # must have the thread parsed and saved through its rules, never its body stored
    # again as an unchanged visit would.
    kept = conn.execute(
        "SELECT count(*) FROM json_each(?) j JOIN pages p ON p.url = json_extract(j.value,"
        " '$[0]') AND p.sha256 = json_extract(j.value, '$[1]') AND p.redacted_at IS NULL",
        (row[0],),
    ).fetchone()[0]
    found = tuple((url, sha) for url, sha in json.loads(row[0]))
    return found if kept == len(found) else None


class PagesChanged(ValueError):
    """The thread's latest crawl is not the one whose pages came back unchanged."""


def save_unchanged_thread(
    db: sqlite_utils.Database | sqlite3.Connection,
    *,
    site: str,
    story_id: str,
    pages: Sequence[FetchedPage],
    crawl_id: int | None = None,
) -> int:
    """Record a crawl that found every page of a thread as its latest crawl read them,
    in ONE transaction; return the number of comments that crawl showed.

    Writes a ``thread_crawls`` row (``unchanged = 1``, the counts of the crawl before,
    its visit of each page in ``visits``: ``archive.thread_visits``), the story's
    seen-time, and the crawl target done: O(1) rows whatever the number of pages.
    Raises :class:`PagesChanged` if the thread's latest crawl read other pages (another
    crawl stored it meanwhile): nothing is written, and a crawl that parses it must follow.
    """
    seen = iso_utc(pages[0].fetched_at)
    assert seen is not None
    found = page_set(pages)
    with transaction(db) as conn:
        last = conn.execute(
            "SELECT declared, archived, dead, deleted, missing, unexpanded, pages"
            " FROM thread_crawls WHERE site = ? AND story_id = ? ORDER BY seen_at DESC LIMIT 1",
            (site, story_id),
        ).fetchone()
        # The crawl asked with its own source; here only the pages matter.
        if last is None or last[-1] is None or last_page_set(conn, site, story_id,
                                                              source=None) != found:
            raise PagesChanged(f"thread {site}/{story_id} was stored with other pages "
                               "while it was being crawled; crawl it again")
        visits, written = split_visits(conn, site, story_id, seen, pages)
        for page in written:
            save_page(conn, page, story_id=story_id, crawl_id=crawl_id, error=None)
        declared, archived, dead, deleted, missing, unexpanded, json_pages = last
        conn.execute(
            "INSERT INTO thread_crawls (site, story_id, crawl_id, seen_at, declared,"
            " archived, dead, deleted, missing, unchanged, pages, unexpanded, visits)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?)"
            " ON CONFLICT (site, story_id, seen_at) DO UPDATE SET"
            " crawl_id = coalesce(excluded.crawl_id, crawl_id)",
            (site, story_id, crawl_id, seen, declared, archived, dead, deleted, missing,
             json_pages, unexpanded, visits),
        )  # fmt: skip
        conn.execute(
            "UPDATE stories SET first_seen_at = min(first_seen_at, :seen),"
            " last_seen_at = max(last_seen_at, :seen),"
            " last_crawl_id = coalesce(:crawl, last_crawl_id) WHERE site = :site AND id = :id",
            {"seen": seen, "crawl": crawl_id, "site": site, "id": story_id},
        )
        mark_done(conn, crawl_id, Target(site, "thread", story_id))
    return int(archived + dead + deleted)


def split_visits(conn: sqlite3.Connection, site: str, story_id: str, seen: str,
                 pages: Sequence[FetchedPage]) -> tuple[str | None, list[FetchedPage]]:  # fmt: skip
    """For a crawl of a thread, parsed (``archive.store.save_thread``) or found unchanged
    (``save_unchanged_thread``): the visits its ``thread_crawls`` row can keep (JSON, or
    None) and the pages ``save_page`` must write. A body the archive holds as the
    thread's, with no error to clear, costs no row: a thread changed on one of its
    pages writes that page alone. Call it before the crawl's row is written: a crawl
    already stored at ``seen`` (the same fetch saved again, as ``reparse`` does) writes
    as rows the visits its row does not keep already, and keeps the ones it does
    (written again, they would be counted twice): the visits are None then, and the
    row's INSERT ... ON CONFLICT leaves its own as they are."""
    again = conn.execute(
        "SELECT visits FROM thread_crawls WHERE site = ? AND story_id = ? AND seen_at = ?",
        (site, story_id, seen),
    ).fetchone()
    kept, written = _split(conn, site, story_id, pages)
    if again is None:
        return (_visits_json([v for _, v in kept]) if kept else None), written
    held = {(v[0], v[1]) for v in json.loads(again[0] or "[]")}
    return None, written + [page for page, v in kept if (v[0], v[1]) not in held]


def _split(
    conn: sqlite3.Connection, site: str, story_id: str, pages: Sequence[FetchedPage]
) -> tuple[list[tuple[FetchedPage, list[object]]], list[FetchedPage]]:
    kept: list[tuple[FetchedPage, list[object]]] = []
    written: list[FetchedPage] = []
    for page in pages:
        row = conn.execute(
            "SELECT id, story_id, site, error FROM pages WHERE url = ? AND sha256 = ?",
            (page.url, page.sha256),
        ).fetchone()
        # (A page whose error a save would clear must have its row written, too; so
        # must a redacted one, whose error says so.)
        if row is None or (row[1], row[2], row[3]) != (story_id, site, None):
            written.append(page)
            continue
        at = iso_utc(page.fetched_at)
        # A visit already written as a row (an earlier save of this fetch, one that
        # failed to parse) is counted: kept too, page_visits would hold it twice.
        if conn.execute("SELECT 1 FROM page_fetches WHERE page_id = ? AND fetched_at = ?",
                        (row[0], at)).fetchone() is None:
            kept.append((page, [row[0], at]))
    return kept, written


def _visits_json(kept: list[list[object]]) -> str:
    return json.dumps(kept, separators=(",", ":"))


def latest_pages(
    db: sqlite_utils.Database | sqlite3.Connection, site: str, story_id: str
) -> list[FetchedPage] | None:
    """The pages the thread's latest crawl read, bodies and fetch times as kept, in the
    order it read them; None if it has no page set (never crawled, or before 0013) or
    one of its bodies is no longer kept as read (redacted). A page's fetch time is its
    visit by that crawl, else its visit nearest the crawl's."""
    conn = connection(db)
    row = conn.execute(
        "SELECT pages, seen_at, crawl_id FROM thread_crawls WHERE site = ? AND story_id = ?"
        " ORDER BY seen_at DESC LIMIT 1",
        (site, story_id),
    ).fetchone()
    if row is None or row[0] is None:
        return None
    found: list[FetchedPage] = []
    for url, sha in json.loads(row[0]):
        page = conn.execute(
            "SELECT id, status, body FROM pages WHERE url = ? AND sha256 = ?"
            " AND redacted_at IS NULL",
            (url, sha),
        ).fetchone()
        visit = page and conn.execute(
            f"SELECT fetched_at FROM ({thread_visits.VISITS_OF_PAGE}) ORDER BY crawl_id IS"
            " :crawl DESC, abs(julianday(fetched_at) - julianday(:seen)) LIMIT 1",
            {"id": page[0], "site": site, "story": story_id, "crawl": row[2], "seen": row[1]},
        ).fetchone()
        if page is None or visit is None:
            return None
        fetched = datetime.fromisoformat(visit[0].replace("Z", "+00:00"))
        found.append(FetchedPage(site=site, url=url, fetched_at=fetched, status=page[1],
                                 body=zlib.decompress(page[2])))  # fmt: skip
    return found
