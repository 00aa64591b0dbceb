"""Items the spiders yield besides archive records."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from archive.models import FetchedPage, Story, User


@dataclass(frozen=True, slots=True, kw_only=True)
class FailedPage:
    """A page that could not be parsed: kept raw with its error so nothing is lost."""

    page: FetchedPage
    error: str
    story_id: str | None = None
    # "thread", "listing" or "user" where the page was asked for as one: what the
    # markup-drift alarm counts it against (archive.health).
    kind: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class UnchangedThread:
    """A thread whose every page came back with the body its latest crawl read: not
    parsed again, stored as a visit (``archive.revisits.save_unchanged_thread``)."""

    site: str
    story_id: str
    pages: tuple[FetchedPage, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class SeenUsers:
    """Profiles a thread's page describes besides its comments (Lobsters' story JSON
    gives each commenter's karma and about): stored as seen then, completing no target."""

    users: tuple[User, ...]
    fetched_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class MergedStories:
    """Stories a thread's page says were merged into it (Lobsters): rows of their own
    with ``merged_into``, each completing its own thread target; their comments are the
    thread's."""

    stories: tuple[Story, ...]
    fetched_at: datetime
