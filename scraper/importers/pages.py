"""What every site's importer shares: the records one saved file gives, the URL a
mirror's file name states, and the time the page was seen.

The time a page was seen, in order: ``--fetched-at``; else a time the page states
(Lobsters' ``data-now-unix``); else the file's modification time. Which one was used
is recorded per file in the import's ``crawls.args`` ("files": path, url, kind,
fetched_at, fetched_at_source), where ``json_each`` can query it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal, Protocol

from archive.models import Listing, Story, Thread, User
from archive.sites import Site
from scraper.parsers.pages import ItemPage

Kind = Literal["thread", "listing", "user"]
TimeSource = Literal["option", "page", "mtime"]


class NotImportable(Exception):
    """A file that is one of a site's pages but cannot be imported; the message says why."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Parsed:
    """What one file gives: exactly one of ``part``, ``thread``, ``listing``, ``user``
    (or ``continues``), and the URL it is stored under.

    ``part``: one page of a thread that may span several files (joined by ``join``).
    ``url_stated``: False when the URL is only the importer's best guess (an HN page
    that shows its story but not its page number). ``first``: whether the URL says
    the page is its thread's first (only a chain from a first page is a whole thread).
    ``continues``: a continuation page that does not say which thread it belongs to;
    called with the story id once another file's "More" link leads to this one.
    ``expands``: the story whose thread this page is a later answer of (a Reddit
    ``/api/morechildren`` answer, a "continue this thread" page), placed after that
    thread's first page by ``join``; ``joins``, on a thread's first page: the thread of
    it and such later answers ``(url, text)``, in order, with the answers it refused
    (their index and why)."""

    url: str
    url_stated: bool = True
    first: bool | None = None  # the first page of its thread? None: the page does not say
    part: ItemPage | None = None
    continues: Callable[[str], ItemPage] | None = None
    thread: Thread | None = None
    merged: tuple[Story, ...] = ()  # stories merged into ``thread``'s (Lobsters)
    users: tuple[User, ...] = ()  # profiles a thread's page describes (Lobsters JSON)
    listing: Listing | None = None
    user: User | None = None
    expands: str | None = None
    joins: Callable[[Sequence[tuple[str, str]]],
                    tuple[Thread, tuple[tuple[int, str], ...]]] | None = None


class SiteImporter(Protocol):
    """One site's part of an import: the only place that knows the site's pages."""

    site: Site

    def recognise(self, text: str) -> Kind | None:
        """The page kind if ``text`` is one of this site's pages (an error page or a
        throttle answer included: ``read`` then says why), else None."""
        ...

    def stated_time(self, text: str) -> datetime | None:
        """The moment the page says it was rendered, if it says so."""
        ...

    def read(self, text: str, *, kind: Kind, url: str | None, fetched_at: datetime) -> Parsed:
        """The records of the page; ``url``: from ``--url`` or the file's name, used where
        the page does not state its own. NotImportable or ParseError if it cannot be read."""
        ...


def url_from_name(path: Path, site: Site) -> str | None:
    """The URL a mirror's file name gives: wget keeps each page under a folder named
    after the host, at its path and query (``HOST/item?id=1``, ``HOST/t/meta.json``
    for one of the site's hosts; ``.html`` added by ``--adjust-extension`` is
    dropped)."""
    parts = path.parts
    for i in range(len(parts) - 2, -1, -1):
        if parts[i] in site.hosts:
            rest = "/".join(parts[i + 1:])
            for suffix in (".html", ".htm"):
                if rest.endswith(suffix) and not rest.removesuffix(suffix).endswith(".json"):
                    rest = rest.removesuffix(suffix)
                    break
            rest = rest.removesuffix("/index")
            return f"{site.base_url}/{rest}" if rest != "index" else f"{site.base_url}/"
    return None


def parse_time(value: str) -> datetime:
    """``--fetched-at``: ISO 8601, a time without an offset being UTC. ValueError if not."""
    try:
        moment = datetime.fromisoformat(value.strip().replace(" ", "T", 1))
    except ValueError:
        raise ValueError(f"{value!r} is not an ISO 8601 time "
                         "(such as 2026-01-14T12:00:00Z)") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def seen_at(option: datetime | None, stated: datetime | None,
            mtime: datetime) -> tuple[datetime, TimeSource]:
    if option is not None:
        return option, "option"
    if stated is not None:
        return stated, "page"
    return mtime, "mtime"
