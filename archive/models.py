"""Typed records shared by the scraper (which makes them) and the archive (which stores them).

Every record carries ``site`` and ``id``; ids are strings so one schema serves every
site. Times are timezone-aware UTC datetimes; where parsing can lose information the
raw string stands beside the normalised value (``created_at`` / ``created_at_raw``).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

STORY_KINDS = ("story", "ask", "show", "job", "poll")


@dataclass(frozen=True, slots=True, kw_only=True)
class Story:
    site: str
    id: str
    title: str | None = None
    url: str | None = None
    domain: str | None = None
    author: str | None = None
    score: int | None = None
    # What the page declares ("57 comments"), not what was archived.
    comment_count: int | None = None
    created_at: datetime | None = None
    created_at_raw: str | None = None
    text_html: str | None = None
    text: str | None = None
    kind: str = "story"
    dead: bool = False
    flagged: bool = False
    deleted: bool = False
    # Lobsters' tags, sorted as the site sends them; () where the site has none (HN).
    tags: tuple[str, ...] = ()
    # The id of the story this one was merged into (Lobsters), else None.
    merged_into: str | None = None
    # Site-specific values with no common column, JSON-serialisable; None when there are none.
    extra: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Comment:
    """A comment placed in its thread's tree."""

    site: str
    id: str
    story_id: str
    parent_id: str | None  # None for a top-level comment
    depth: int  # 0 for a top-level comment
    position: int  # 0-based rank among its siblings, in display order
    author: str | None = None
    created_at: datetime | None = None
    created_at_raw: str | None = None
    text_html: str | None = None
    text: str | None = None
    dead: bool = False
    flagged: bool = False
    deleted: bool = False
    colour: str | None = None
    synthetic_id: bool = False  # True where the site gave no id (see parsers.pages)
    # The comment's own score where the site shows it (Lobsters, Reddit; HN does not).
    score: int | None = None
    # Edited after posting, as the site judges it (Lobsters: more than a minute later).
    edited: bool = False
    edited_at: datetime | None = None
    edited_at_raw: str | None = None
    # Removed by a moderator (or with a banned user), kept apart from ``deleted`` (by its author).
    removed: bool = False
    by_submitter: bool = False  # written by the story's submitter
    extra: dict[str, Any] | None = None  # site-specific values, JSON-serialisable
    # Where only some of its thread's merged sources showed it (an HN crawl --via both:
    # "html" for a comment the API lacked): those; None, the thread's ``source``.
    source: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class FetchedPage:
    """One fetched body, kept so parsers can be re-run over history without re-crawling."""

    site: str
    url: str
    fetched_at: datetime
    status: int
    body: bytes
    # The body's sha256 (hex), taken once when the page is made: the crawl compares it
    # with the pages a thread's latest crawl read, the thread's page set records it, the
    # page store keys the body by it. Each hashed the body again before (issue 14).
    sha256: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "sha256", hashlib.sha256(self.body).hexdigest())


@dataclass(frozen=True, slots=True, kw_only=True)
class Difference:
    """Where two sources of one observation of a thread disagree on a comment (an HN
    crawl ``--via both``: the API's tree against the page's).

    ``kind`` "only": the comment is in ``shown_by``'s form and not in ``other``'s.
    ``kind`` "parent": both have it under different parents: ``detail`` maps each source
    to the parent id it gives (None for top level).
    """

    comment_id: str
    kind: str  # "only" or "parent"
    shown_by: str  # a source name ("html", "api")
    other: str
    detail: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Thread:
    """A whole thread: its story and every comment placed in the tree, in display order."""

    story: Story
    comments: tuple[Comment, ...]
    fetched_at: datetime
    pages: tuple[FetchedPage, ...] = ()
    source: str = "html"  # how it was observed: one of archive.sources.SOURCES
    # Where the sources merged into this observation disagreed (see Difference).
    differences: tuple[Difference, ...] = ()
    # What the comments' positions follow: "display" (the page's order, the API's kids),
    # else how the source sorted them (Algolia: "points"). Kept as the story's
    # extra "comment_order" once it is not "display" (archive.store.save_thread).
    comment_order: str = "display"
    # Comments the crawl knows it left out (stubs not expanded: an error, a request
    # cap), 0 when it expanded everything; None where the site gives no such account,
    # and the declared count is then the judge of a whole thread.
    unexpanded: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ListingEntry:
    """One ranked row of a listing page (front page, newest, ask, ...), as that page shows it.

    ``story_id`` is the site's id; where old markup shows none at all (some HN job ads
    before 2016 have no vote link, no score and no item link), the parser names the row
    "job-<hash of its link>", which no numeric site id can collide with.
    """

    site: str
    story_id: str
    rank: int  # 1-based, across pages: the first row of page 2 is 31
    title: str | None = None
    url: str | None = None  # None for a self post (Ask HN, jobs without a link)
    domain: str | None = None
    author: str | None = None
    score: int | None = None
    # What the row declares ("57 comments", "discuss" -> 0); None where it shows no link.
    comment_count: int | None = None
    created_at: datetime | None = None
    created_at_raw: str | None = None
    kind: str = "story"


@dataclass(frozen=True, slots=True, kw_only=True)
class Listing:
    """One page of a listing: its rows in rank order and the absolute URL of the next page."""

    site: str
    name: str  # "news", "newest", "ask", "front/2026-01-14", ...
    page: int  # 1-based
    url: str
    fetched_at: datetime
    entries: tuple[ListingEntry, ...]
    next_url: str | None = None
    source: str = "html"  # how it was observed: one of archive.sources.SOURCES
    pages: tuple[FetchedPage, ...] = ()  # the page read, kept raw with the listing


@dataclass(frozen=True, slots=True, kw_only=True)
class User:
    """A user's profile page: karma and about text change over time (see user_snapshots)."""

    site: str
    id: str  # the user name on HN and Lobsters
    created_at: datetime | None = None
    created_at_raw: str | None = None
    karma: int | None = None
    about_html: str | None = None
    about: str | None = None
    extra: dict[str, Any] | None = None  # site-specific values, JSON-serialisable
    source: str = "html"  # how it was observed: one of archive.sources.SOURCES
    # The profile page read, kept raw with the profile; () for a profile another page
    # described (a Lobsters story JSON lists its commenters).
    pages: tuple[FetchedPage, ...] = ()
