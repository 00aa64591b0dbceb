"""The pages of one thread saved as several files, joined into one Thread.

Pages are chained as a crawl follows them: each page's "More" link (``next_url``)
names the next page, found among the files by its URL. A continuation page that does
not say which story it belongs to (HN's /x?fnid= pages, 2010-14) takes the story of
the page whose link leads to it. An HN page whose number is not on it (a last page,
saved without its URL) is never guessed into a chain: it could be any later page.
A thread whose chain leads to a page not among the files is not stored whole: its
pages are kept raw as failed pages, as a crawl keeps a thread it could not finish.

A later answer of a thread (``Parsed.expands``: Reddit's /api/morechildren answers,
its "continue this thread" pages) is placed after the thread's first page, which the
site's importer joins it to (``Parsed.joins``): the first page among the files (the one
fetched nearest the answers), else the pages of the thread's latest crawl that the
archive kept (``stored``), its earlier answers included. The thread is then saved at
that first page's time, as the crawl that read it would have saved it, with what its
stubs still hold as its ``unexpanded`` count. An answer with no thread to join (a
continue page stays a thread of its own) is kept raw with one line saying what it
needs; an answer the thread refuses likewise, the thread stored without it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import sqlite_utils
from w3lib.url import canonicalize_url

from archive import revisits
from archive.models import FetchedPage, Thread
from scraper.importers import files
from scraper.importers.pages import NotImportable, Parsed
from scraper.parsers.errors import ParseError
from scraper.parsers.pages import ItemPage
from scraper.parsers.tree import assemble_thread


@dataclass(frozen=True, slots=True, kw_only=True)
class Piece:
    name: str  # the file, as the user gave it
    parsed: Parsed
    fetched: FetchedPage
    source: str = "import"  # archive.sources: "warc" for a WARC record


@dataclass(frozen=True, slots=True, kw_only=True)
class Broken:
    """A thread (or a page) that could not be joined whole: why, and its pages."""

    site: str
    story_id: str | None
    reason: str
    pieces: tuple[Piece, ...]


def _key(url: str) -> str:
    return canonicalize_url(url)


Joined = list[tuple[Thread, tuple[Piece, ...]]]
# The kept pages of a thread's latest crawl, as pieces (first page first), or None.
Stored = Callable[[str, str, str], list[Piece] | None]


def join(pieces: Sequence[Piece], *,
         stored: Stored | None = None) -> tuple[Joined, list[Broken]]:
    """The whole threads the pages make (each with its pieces, in page order), and what
    could not be joined. Only pieces with ``part``, ``continues`` or ``expands`` are
    looked at, and the first pages those last ones join (:func:`unjoined` is the rest).
    ``stored(site, story_id, source)``: the kept pages of a thread not among them."""
    threads, broken = _join_chains(pieces)
    more, lone = _join_answers(pieces, stored)
    return threads + more, broken + lone


def unjoined(pieces: Sequence[Piece], joined: tuple[Joined, list[Broken]]) -> list[Piece]:
    """The pieces that are records of their own: no part of a joined or broken thread."""
    used = {id(p) for _, ps in joined[0] for p in ps}
    used |= {id(p) for b in joined[1] for p in b.pieces}
    return [p for p in pieces if id(p) not in used and p.parsed.part is None
            and p.parsed.continues is None]


def _join_chains(pieces: Sequence[Piece]) -> tuple[Joined, list[Broken]]:
    parts = [p for p in pieces if p.parsed.part is not None]
    pending = [p for p in pieces if p.parsed.continues is not None]
    broken: list[Broken] = []
    parts, pending = _place_continuations(parts, pending, broken)
    for p in pending:
        broken.append(Broken(
            site=p.fetched.site, story_id=None, pieces=(p,),
            reason=(f"{p.name}: a continuation page ({p.parsed.url}) that no other file's "
                    "More link leads to, so its thread is unknown; import it with the "
                    "thread's earlier pages")))
    groups: dict[tuple[str, str], list[Piece]] = {}
    for p in parts:
        page = _page(p)
        groups.setdefault((page.site, page.story_id), []).append(p)
    threads: Joined = []
    for (site, story_id), group in groups.items():
        for chain, reason in _chains(group):
            if reason is None:
                try:
                    thread = assemble_thread([_page(p) for p in chain])
                except ParseError as e:
                    reason = e.reason
                else:
                    threads.append((replace(thread, pages=tuple(p.fetched for p in chain)),
                                    tuple(chain)))
                    continue
            broken.append(Broken(site=site, story_id=story_id, reason=reason,
                                 pieces=tuple(chain)))
    return threads, broken


def _page(piece: Piece) -> ItemPage:
    assert piece.parsed.part is not None
    return piece.parsed.part


def _place_continuations(parts: list[Piece], pending: list[Piece],
                         broken: list[Broken]) -> tuple[list[Piece], list[Piece]]:
    # A page placed may lead to the next one: repeat until no page is placed.
    while pending:
        leads = {_key(_page(p).next_url or ""): _page(p).story_id for p in parts
                 if _page(p).next_url}
        placed = [p for p in pending if _key(p.parsed.url) in leads]
        if not placed:
            break
        for p in placed:
            assert p.parsed.continues is not None
            try:
                part = p.parsed.continues(leads[_key(p.parsed.url)])
            except ParseError as e:
                broken.append(Broken(site=p.fetched.site, story_id=None, pieces=(p,),
                                     reason=f"{p.name}: {e.reason}"))
                continue
            parts.append(replace(p, parsed=replace(p.parsed, part=part, continues=None)))
        pending = [p for p in pending if p not in placed]
    return parts, pending


def _chains(group: list[Piece]) -> list[tuple[list[Piece], str | None]]:
    """The group's chains of pages, first page first, each with why it is not whole
    (None if it is). Pages no chain reaches (a loop) come last, as one broken chain."""
    pointed = {_key(_page(p).next_url or "") for p in group if _page(p).next_url}
    heads = [p for p in group if _key(p.parsed.url) not in pointed]
    # A later page no file leads to (its earlier pages missing) starts no thread.
    orphans = [p for p in heads if p.parsed.first is False]
    heads = [p for p in heads if p.parsed.first is not False]
    # Chains first: a page whose number is unknown fails with the chain it may end.
    heads.sort(key=lambda p: _page(p).next_url is None)
    floating = [p for p in group if not p.parsed.url_stated and _page(p).next_url is None]
    used: set[int] = set()
    out: list[tuple[list[Piece], str | None]] = []
    for head in heads:
        if id(head) in used:
            continue
        chain, reason = [head], None
        used.add(id(head))
        while (nxt_url := _page(chain[-1]).next_url) is not None:
            if _key(nxt_url) in {_key(p.parsed.url) for p in chain}:
                reason = f"its pages loop back to {nxt_url}"
                break
            # Of several copies of the page (a WARC of many crawls), the one fetched
            # nearest the page before it belongs to the same crawl.
            candidates = [p for p in group if id(p) not in used
                          and _key(p.parsed.url) == _key(nxt_url)]
            at = chain[-1].fetched.fetched_at
            nxt = min(candidates, key=lambda p: abs(p.fetched.fetched_at - at), default=None)
            if nxt is None:
                spare = [p for p in floating if id(p) not in used]
                reason = (f"page {len(chain) + 1} ({nxt_url}) is not among the files; "
                          "the thread is not stored whole (its pages are kept raw)")
                if spare:
                    # A last page shows no number: it may be this page or a later one.
                    reason = (f"page {len(chain) + 1} ({nxt_url}) is not among the files by "
                              f"its URL, and {', '.join(p.name for p in spare)} show(s) no "
                              "page number; name the files by their URLs (as a mirror does) "
                              "or import each with --url")
                    chain.extend(spare)
                    used.update(id(p) for p in spare)
                break
            used.add(id(nxt))
            chain.append(nxt)
        out.append((chain, reason))
    rest = [p for p in group if id(p) not in used]
    broken = next((chain for chain, reason in out if reason is not None), None)
    if rest and broken is not None:
        broken.extend(rest)  # kept raw with the gap that explains them
    elif rest and orphans:
        out.append((rest, f"its first page is not among the files (only later pages: "
                          f"{', '.join(p.parsed.url for p in orphans)})"))
    elif rest:
        out.append((rest, "its pages lead round in a loop, with no first page"))
    return out


def _join_answers(pieces: Sequence[Piece], stored: Stored | None) -> tuple[Joined, list[Broken]]:
    answers: dict[tuple[str, str], list[Piece]] = {}
    for p in pieces:
        if p.parsed.expands is not None:
            answers.setdefault((p.fetched.site, p.parsed.expands), []).append(p)
    threads: Joined = []
    broken: list[Broken] = []
    for (site, story_id), later in answers.items():
        later.sort(key=lambda p: (p.fetched.fetched_at, p.name))
        heads = [p for p in pieces if p.parsed.joins is not None and p.parsed.expands is None
                 and p.parsed.thread is not None and p.fetched.site == site
                 and p.parsed.thread.story.id == story_id]
        at = later[0].fetched.fetched_at
        base = [min(heads, key=lambda p: abs(p.fetched.fetched_at - at))] if heads else \
            (stored(site, story_id, later[0].source) if stored is not None else None)
        if not base:
            lone = tuple(p for p in later if p.parsed.thread is None)
            if lone:
                broken.append(Broken(site=site, story_id=story_id, pieces=lone, reason=(
                    f"a later answer of thread {story_id} (a /api/morechildren answer), "
                    "whose comments response is neither among the files nor kept in the "
                    "archive: import it with the thread's comments response (its "
                    "/comments/ID page) or after it")))
            continue
        head, *rest = base
        # An answer the thread holds already (imported again) is placed once.
        held = {(p.fetched.url, revisits.body_sha256(p.fetched.body)) for p in base}
        later = [p for p in later
                 if (p.fetched.url, revisits.body_sha256(p.fetched.body)) not in held]
        if not later:
            continue
        todo = [*rest, *later]
        joins = head.parsed.joins
        assert joins is not None
        try:
            thread, refused = joins([(p.parsed.url, files.decode(p.fetched.body))
                                     for p in todo])
        except (ParseError, files.UnreadableFile) as e:
            broken.append(Broken(site=site, story_id=story_id, pieces=tuple(later),
                                 reason=f"its first page ({head.name}) no longer reads: {e}"))
            continue
        out = {i for i, _ in refused}
        for i, why in refused:
            if i >= len(rest):  # a kept page refused (by a newer parser) stays as kept
                broken.append(Broken(site=site, story_id=None, pieces=(todo[i],), reason=(
                    f"{todo[i].name}: does not fit thread {story_id}: {why}")))
        kept = (head, *(p for i, p in enumerate(todo) if i not in out))
        # The thread as its first page's fetch saw it: the time a crawl saves it at.
        threads.append((replace(thread, fetched_at=head.fetched.fetched_at,
                                pages=tuple(p.fetched for p in kept)),
                        kept))
    return threads, broken


def stored_pieces(db: sqlite_utils.Database, site: str, story_id: str,
                  source: str) -> list[Piece] | None:
    """The kept pages of the thread's latest crawl, read again by the site's importer,
    as pieces of an import from ``source``; None if they are not all kept, or the
    first does not read as a thread's first page."""
    from scraper.importers import detect  # detect imports every importer

    pages = revisits.latest_pages(db, site, story_id)
    if not pages:
        return None
    out: list[Piece] = []
    for page in pages:
        try:
            text = files.decode(page.body)
            found = detect.recognise(text, [site])
            if found is None:
                return None
            importer, kind = found
            parsed = importer.read(text, kind=kind, url=page.url, fetched_at=page.fetched_at)
        except (files.UnreadableFile, NotImportable, ParseError):
            return None
        out.append(Piece(name=f"the archive's copy of {page.url}", parsed=parsed,
                         fetched=page, source=source))
    return out if out[0].parsed.joins is not None else None
