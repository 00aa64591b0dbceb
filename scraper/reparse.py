"""``linkthread reparse``: today's parsers over the pages the archive kept.

Each stored body is parsed again as an import would parse it (the same recognition,
parsers, joining of a thread's pages and ``save_*``), at its own fetch times: the
first, and the latest when it was fetched again. So history stays in time order: an
observation older than what the archive holds only fills what is unknown, and an
unchanged parser writes nothing (a second reparse changes nothing).

Threads are taken one at a time (all the kept pages of one story, then the next, in
the order of their first fetch), so memory holds one thread's pages. Pages that
belong to no story (listings, profiles, failed pages of unknown threads) follow,
a crawl's worth at a time. ``dry_run`` does all of it inside one transaction and rolls it back.
"""

from __future__ import annotations

import sqlite3
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import sqlite_utils

from archive import search_auto, store
from archive.models import FetchedPage
from archive.pages import seen_pages, selection
from archive.rows import user_time
from scraper.importers import detect, files
from scraper.importers.pages import parse_time
from scraper.importers.run import Outcome, Read, read_page, store_read


@dataclass
class Reparsed:
    """What a reparse changed (or, dry, would change)."""

    pages: int = 0
    threads: int = 0
    new_comments: int = 0
    changed_comments: int = 0
    now_parse: list[str] = field(default_factory=list)  # URLs that failed before
    no_longer_parse: list[str] = field(default_factory=list)  # URL: why
    unknown: int = 0  # bodies no parser recognises (kept as they are)
    crawl_id: int | None = None


@dataclass(frozen=True, slots=True)
class _Stored:
    id: int
    site: str
    url: str
    status: int | None
    body: bytes
    fetched: tuple[str, ...]
    error: str | None
    source: str


def reparse(db: sqlite_utils.Database, *, site: str | None = None, since: str | None = None,
            failed: bool = False, dry_run: bool = False,
            progress: Callable[[str], None] = lambda line: None) -> Reparsed:
    """Parse the kept pages again and store what they give (see the module docstring).
    ``failed``: only the pages kept with a parse error; otherwise those that parsed."""
    after = None if since is None else user_time(since, "--since")
    out = Reparsed()
    conn = db.conn
    if dry_run:
        with _rolled_back(conn):
            _run(db, out, site=site, since=after, failed=failed, progress=progress)
    else:
        _run(db, out, site=site, since=after, failed=failed, progress=progress)
    return out


@contextmanager
def _rolled_back(conn: sqlite3.Connection) -> Iterator[None]:
    """One transaction around everything, rolled back: the saves inside nest in it as
    savepoints, so they run exactly as they would, and nothing stays."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        conn.rollback()


def _run(db: sqlite_utils.Database, out: Reparsed, *, site: str | None, since: str | None,
         failed: bool, progress: Callable[[str], None]) -> None:
    conn = db.conn
    crawl_id = store.start_crawl(db, command="reparse", targets=[], args={
        "site": site, "since": since, "failed": failed})
    out.crawl_id = crawl_id
    outcome = Outcome()
    for group in _groups(conn, site=site, since=since, failed=failed):
        read = Read()
        for page in group:
            _read(page, read, out)
        out.pages += len(group)
        before = {p.id: p.error for p in group}
        # Saved as the original crawl's observations, not this run's: rows keep the
        # crawl that fetched them (and with it, where the page came from).
        store_read(db, read, outcome, None)
        _verdicts(conn, group, before, out)
        progress(f"{out.pages} pages")
    out.threads = outcome.threads
    out.new_comments = outcome.new_comments
    out.changed_comments = outcome.changed_comments
    store.finish_crawl(db, crawl_id, status="finished", pages=out.pages, threads=out.threads,
                       comments=outcome.comments, errors=len(out.no_longer_parse))
    search_auto.after_write(db)  # the search bands (nothing inside a dry run's transaction)


def _read(page: _Stored, read: Read, out: Reparsed) -> None:
    try:
        text = files.decode(page.body)
    except files.UnreadableFile:
        out.unknown += 1
        return
    found = detect.recognise(text, [page.site])
    if found is None:
        out.unknown += 1
        return
    for seen in page.fetched:
        moment = parse_time(seen)
        kept = len(read.raw)
        problem = read_page(f"page {page.id}", page.body, text, read, found=found, url=page.url,
                            moment=moment, when="page", source=page.source)
        if problem is not None and len(read.raw) == kept:
            # An import drops a throttle or truncated page; a kept page stays, marked.
            read.raw.append((FetchedPage(site=page.site, url=page.url, fetched_at=moment,
                                         status=page.status or 200, body=page.body), problem))


def _verdicts(conn: sqlite3.Connection, group: list[_Stored], before: dict[int, str | None],
              out: Reparsed) -> None:
    now = dict(conn.execute(
        "SELECT id, error FROM pages WHERE id IN (SELECT value FROM json_each(?))",
        (f"[{','.join(str(p.id) for p in group)}]",)).fetchall())
    for page in group:
        was, verdict = before[page.id], now.get(page.id)
        if was is not None and verdict is None:
            out.now_parse.append(page.url)
        elif was is None and verdict is not None:
            out.no_longer_parse.append(f"{page.url}: {verdict}")


def _groups(conn: sqlite3.Connection, *, site: str | None, since: str | None,
            failed: bool) -> Iterator[list[_Stored]]:
    """The selected pages: each story's together, stories by first fetch, then the
    pages of no story one by one, in fetch order."""
    where, params = selection(site=site, since=since)
    where.append("error IS NOT NULL" if failed else "error IS NULL")
    sql = " AND ".join(where)
    pages = seen_pages(conn)  # fetch times with the visits unchanged crawls kept
    stories = conn.execute(
        f"SELECT site, story_id, min(first_fetched_at) AS first FROM {pages} WHERE {sql}"
        " AND story_id IS NOT NULL GROUP BY site, story_id ORDER BY first, site, story_id",
        params).fetchall()
    for story_site, story_id, _ in stories:
        yield _load(conn, f"{sql} AND site = ? AND story_id = ?",
                    [*params, story_site, story_id])
    # Pages of no known story (listings, profiles, pages that never parsed) go by the
    # crawl that fetched them: a thread's pages, which must be joined, came together.
    crawls = conn.execute(
        f"SELECT crawl_id, min(first_fetched_at) AS first FROM {pages} WHERE {sql}"
        " AND story_id IS NULL GROUP BY crawl_id ORDER BY first, crawl_id", params).fetchall()
    for crawl_id, _ in crawls:
        yield _load(conn, f"{sql} AND story_id IS NULL AND crawl_id IS ?", [*params, crawl_id])


_IMPORTED = "(SELECT command FROM crawls WHERE crawls.id = pages.crawl_id)"


def _load(conn: sqlite3.Connection, where: str, params: list[Any]) -> list[_Stored]:
    rows = conn.execute(
        "SELECT id, site, url, status, body, first_fetched_at, last_fetched_at, error,"
        f" {_IMPORTED} FROM {seen_pages(conn)} WHERE {where} ORDER BY first_fetched_at, id",
        params)
    out = []
    for page_id, site, url, status, body, first, last, error, command in rows:
        fetched = (first,) if last == first else (first, last)
        source = "import" if command == "import" else "html"
        out.append(_Stored(page_id, site, url, status, zlib.decompress(body), fetched, error,
                           source))
    return out
