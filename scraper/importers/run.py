"""The import itself: read every file, work out its site, kind, URL and time, parse it
with the site's parser, join the pages of threads, and store it all through
``archive.store`` under one crawls row (command "import"): one transaction per thread,
listing page or profile, as a crawl writes them. A file that cannot be read is one line
naming it and why; the others still import.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

import sqlite_utils

from archive import search_auto, store
from archive.crawls import Target, target_label
from archive.db import transaction
from archive.errors import ArchiveError
from archive.models import FetchedPage, Listing, Thread, User
from archive.pages import save_page
from scraper.importers import detect, files, warc
from scraper.importers.join import Broken, Piece, join, stored_pieces, unjoined
from scraper.importers.pages import (
    Kind,
    NotImportable,
    Parsed,
    SiteImporter,
    seen_at,
    url_from_name,
)
from scraper.parsers import jsonload
from scraper.parsers.errors import NoSuchItem, ParseError, ThrottledPage, TruncatedPage


@dataclass
class Outcome:
    """What an import did, for its summary; ``failures`` are one line each."""

    crawl_id: int | None = None
    files: int = 0
    threads: int = 0
    comments: int = 0
    new_comments: int = 0  # of ``comments``, those the archive did not hold
    changed_comments: int = 0  # ... and those whose stored row changed
    stored: list[str] = field(default_factory=list)  # "hn news page 1: 30 entries", ...
    failures: list[str] = field(default_factory=list)


@dataclass
class Read:
    pieces: list[Piece] = field(default_factory=list)
    raw: list[tuple[FetchedPage, str]] = field(default_factory=list)  # kept as failed pages
    seen: list[dict[str, Any]] = field(default_factory=list)  # per file, for crawls.args


def import_paths(
    db: sqlite_utils.Database,
    paths: Sequence[Path],
    *,
    sites: Sequence[str] | None = None,
    url: str | None = None,
    fetched_at: datetime | None = None,
    progress: Callable[[str], None] = lambda line: None,
) -> Outcome:
    """Import the saved pages under ``paths`` into ``db``. ``sites``: the only sites to
    recognise (``--site``); ``url``: the URL of the page where it does not state one
    (one file only); ``fetched_at``: the time the pages were seen, for all of them."""
    names = list(files.walk(paths))
    if url is not None and len(names) != 1:
        raise ValueError(f"--url names one page, but {len(names)} files were given")
    outcome = Outcome(files=len(names))
    read = Read()
    for path in names:
        problem = _read_one(path, read, sites=sites, url=url, fetched_at=fetched_at)
        if problem is not None:
            outcome.failures.append(f"{path}: {problem}")
    # A later answer of a thread stored before joins the pages the archive kept of it.
    threads, broken = join(read.pieces, stored=partial(stored_pieces, db))
    others = unjoined(read.pieces, (threads, broken))
    targets = [Target(t.story.site, "thread", t.story.id) for t, _ in threads]
    targets += [Target(b.site, "thread", b.story_id) for b in broken if b.story_id]
    targets += [t for p in others if (t := _target(p)) is not None]
    crawl_id = store.start_crawl(
        db, command="import", targets=list(dict.fromkeys(targets)),
        args={"files": read.seen, "sites": list(sites or ()), "url": url,
              "fetched_at": fetched_at.isoformat() if fetched_at else None},
    )  # fmt: skip
    outcome.crawl_id = crawl_id
    pages = store_read(db, read, outcome, crawl_id, joined=(threads, broken))
    store.finish_crawl(
        db, crawl_id, status="finished", pages=pages, threads=outcome.threads,
        comments=outcome.comments, errors=len(outcome.failures),
        message="; ".join(outcome.failures) or None, failures=outcome.failures,
    )  # fmt: skip
    search_auto.after_write(db)  # the search bands: bounded, and never fails the import
    return outcome


def store_read(db: sqlite_utils.Database, read: Read, outcome: Outcome, crawl_id: int | None,
               *,
               joined: tuple[list[tuple[Thread, tuple[Piece, ...]]], list[Broken]] | None = None,
               ) -> int:
    """Store what ``read`` holds under the crawl ``crawl_id``: the threads its pages
    join into (oldest fetch first), what could not be joined (kept raw), listings and
    profiles, and the pages that failed. Returns the number of pages stored."""
    threads, broken = joined if joined is not None else join(read.pieces)
    threads.sort(key=lambda t: t[0].fetched_at)
    others = unjoined(read.pieces, (threads, broken))
    for page, error in read.raw:
        store.save_failed_page(db, page, error=error, crawl_id=crawl_id)
    for thread, pieces in threads:
        _save(outcome, pieces[0].name,
              partial(_save_thread, db, outcome, thread, crawl_id, pieces[0].source))
    for b in broken:
        _keep_broken(db, outcome, b, crawl_id)
    for piece in others:
        _save(outcome, piece.name, partial(_save_other, db, outcome, piece, crawl_id))
    return sum(len(t.pages) for t, _ in threads) + len(others)


def _too_deep(text: str) -> bool:
    """Whether ``text`` is JSON that no reader can decode for its depth (the sites'
    readers then all refused it): said as such, not as an unknown page."""
    if text.lstrip()[:1] not in ("{", "["):
        return False
    try:
        jsonload.loads(text)
    except jsonload.TooDeep:
        return True
    except ValueError:
        pass
    return False


def _read_one(path: Path, read: Read, *, sites: Sequence[str] | None, url: str | None,
              fetched_at: datetime | None) -> str | None:
    """Read one file into ``read``; the reason it cannot be imported, or None."""
    if warc.is_warc(path):
        return _read_warc(path, read, sites=sites, fetched_at=fetched_at)
    try:
        saved = files.read(path)
    except files.UnreadableFile as e:
        return str(e)
    found = detect.recognise(saved.text, sites)
    if found is None:
        known = ", ".join(sites or detect.SITES)
        if _too_deep(saved.text):
            return (f"JSON nested too deep to decode (over ~1,000 levels): no page of the "
                    f"sites linkthread knows ({known}) nests so")
        return f"not a page of a site linkthread knows ({known})"
    importer = found[0]
    hint = url or url_from_name(path, importer.site)
    moment, when = seen_at(fetched_at, importer.stated_time(saved.text), saved.mtime)
    return read_page(str(path), saved.body, saved.text, read, found=found, url=hint,
                      moment=moment, when=when, source="import")


def read_page(name: str, body: bytes, text: str, read: Read, *,
               found: tuple[SiteImporter, Kind], url: str | None, moment: datetime,
               when: str, source: str) -> str | None:
    """Parse one page's text into ``read``; the reason it cannot be imported, or None."""
    importer, kind = found
    site = importer.site.name
    try:
        parsed = importer.read(text, kind=kind, url=url, fetched_at=moment)
    except NotImportable as e:
        return f"{importer.site.label} {kind} page: {e}"
    except ParseError as e:
        if url is not None and not isinstance(e, (NoSuchItem, ThrottledPage, TruncatedPage)):
            # As a crawl keeps a page it could not read, to be re-parsed later.
            read.raw.append((FetchedPage(site=site, url=url, fetched_at=moment, status=200,
                                         body=body), str(e)))
        return e.reason
    fetched = FetchedPage(site=site, url=parsed.url, fetched_at=moment, status=200, body=body)
    read.pieces.append(Piece(name=name, parsed=parsed, fetched=fetched, source=source))
    read.seen.append({"path": name, "site": site, "kind": kind, "url": parsed.url,
                      "fetched_at": moment.isoformat(), "fetched_at_source": when})
    return None


def _read_warc(path: Path, read: Read, *, sites: Sequence[str] | None,
               fetched_at: datetime | None) -> str | None:
    """Every response record of a known site's page in the WARC (or WACZ) at ``path``,
    at the record's own date; records of anything else are counted, not failures,
    unless the file holds no page at all (then that is its one line)."""
    others = pages = 0
    problems: list[str] = []
    skipped: Counter[str] = Counter()
    try:
        for record in warc.records(path, skipped):
            text = _record_text(record)
            if text is None:
                others += 1
                continue
            found = detect.recognise(text, sites)
            if found is None:
                others += 1
                continue
            pages += 1
            moment, when = seen_at(fetched_at, record.fetched_at, record.fetched_at)
            problem = read_page(f"{path}@{record.offset}", record.body, text, read,
                                 found=found, url=record.url, moment=moment, when=when,
                                 source="warc")
            if problem is not None:
                problems.append(f"{record.url}: {problem}")
    except warc.UnreadableWarc as e:
        problems.append(str(e))
    if others:
        skipped["unknown"] = others
    if skipped:
        read.seen.append({"path": str(path), "skipped_records": sum(skipped.values()),
                          "skipped": dict(sorted(skipped.items()))})
    if not pages and not problems:
        why = "; ".join(f"{n:,} {_SKIPPED.get(k, k)}" for k, n in sorted(skipped.items()))
        return f"no page of a site linkthread knows in it ({why or 'no records'})"
    return "; ".join(problems) or None


def _record_text(record: warc.WarcPage) -> str | None:
    """A record's text as a saved file's is read, else as the crawl would have read the
    answer: by its Content-Type's charset and BOM (w3lib, Scrapy's decoder). A page
    whose header says UTF-8 but whose body is Latin-1 or UTF-16 was counted as no page."""
    try:
        return files.decode(record.body)
    except files.UnreadableFile:
        if not record.content_type.startswith(("text/html", "application/json")):
            return None
    from w3lib.encoding import html_to_unicode

    return html_to_unicode(record.content_type, record.body)[1]


# Why WARC records were skipped, for the line of a WARC that held no page.
_SKIPPED = {**warc.SKIPPED, "unknown": "of other sites, or not a page linkthread reads"}


def _target(piece: Piece) -> Target | None:
    p = piece.parsed
    if p.thread is not None:
        return Target(p.thread.story.site, "thread", p.thread.story.id)
    if p.listing is not None:
        return Target(p.listing.site, "listing", _path(p.url))
    if p.user is not None:
        return Target(p.user.site, "user", p.user.id)
    return None


def _path(url: str) -> str:
    # A listing's target as crawls name it: its path and query ("news", "t/rust").
    parts = urlsplit(url)
    return parts.path.lstrip("/") + (f"?{parts.query}" if parts.query else "")


def _save(outcome: Outcome, name: str, write: Callable[[], None]) -> None:
    try:
        write()
    except (sqlite3.Error, ArchiveError, ValueError) as e:
        # ValueError: a record that contradicts itself, which save_* refuses whole.
        outcome.failures.append(f"{name}: could not store it: {e}")


_Observed = TypeVar("_Observed", Thread, Listing, User)


def imported(record: _Observed, source: str = "import") -> _Observed:
    """``record`` as an import observed it: a saved page of the site's own is
    ``source`` ("import", or "warc" from a WARC record); a parser that knows better (an
    API response, Algolia, a dump) said so."""
    return replace(record, source=source) if record.source == "html" else record


def _save_thread(db: sqlite_utils.Database, outcome: Outcome, thread: Thread,
                 crawl_id: int | None, source: str) -> None:
    result = store.save_thread(db, imported(thread, source), crawl_id=crawl_id)
    outcome.threads += 1
    outcome.comments += len(thread.comments)
    outcome.new_comments += result.new_comments
    outcome.changed_comments += result.updated_comments


def _keep_broken(db: sqlite_utils.Database, outcome: Outcome, broken: Broken,
                 crawl_id: int | None) -> None:
    if broken.story_id is not None:
        label = target_label(Target(broken.site, "thread", broken.story_id))
        files_named = ", ".join(p.name for p in broken.pieces)
        outcome.failures.append(f"{label}: {broken.reason} [{files_named}]")
    else:
        outcome.failures.append(broken.reason)
    for piece in broken.pieces:
        _save(outcome, piece.name, partial(
            store.save_failed_page, db, piece.fetched, error=broken.reason, crawl_id=crawl_id,
            story_id=broken.story_id))


def _save_other(db: sqlite_utils.Database, outcome: Outcome, piece: Piece,
                crawl_id: int | None) -> None:
    p: Parsed = piece.parsed
    if p.thread is not None:
        thread = replace(p.thread, fetched_at=piece.fetched.fetched_at, pages=(piece.fetched,))
        _save_thread(db, outcome, thread, crawl_id, piece.source)
        if p.merged:
            store.save_merged_stories(db, p.merged, fetched_at=piece.fetched.fetched_at,
                                      crawl_id=crawl_id, source=piece.source)
        for user in p.users:
            store.save_user(db, imported(user, piece.source), crawl_id=crawl_id,
                            fetched_at=piece.fetched.fetched_at)
    elif p.listing is not None:
        entries = store.save_listing(db, imported(p.listing, piece.source), crawl_id=crawl_id,
                                     target=_path(p.url))
        _save_page(db, piece, crawl_id)
        outcome.stored.append(f"{p.listing.site} {p.listing.name} page {p.listing.page}: "
                              f"{entries} entries")
    elif p.user is not None:
        store.save_user(db, imported(p.user, piece.source), crawl_id=crawl_id,
                        fetched_at=piece.fetched.fetched_at)
        _save_page(db, piece, crawl_id)
        outcome.stored.append(f"{p.user.site} user {p.user.id}: profile stored")


def _save_page(db: sqlite_utils.Database, piece: Piece, crawl_id: int | None) -> None:
    # A listing or profile keeps its raw page too (rule 7): a saved file may be the
    # only copy there is.
    with transaction(db) as conn:
        save_page(conn, piece.fetched, story_id=None, crawl_id=crawl_id, error=None)
