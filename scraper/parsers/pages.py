"""What a parser reads from one page of a thread, before the tree is rebuilt.

Only the parsers and the spiders carrying a thread's pages use these; the archive
stores whole Threads (``archive.models``), never a page's rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from archive.models import Story


@dataclass(frozen=True, slots=True, kw_only=True)
class PageComment:
    """A comment as one page shows it: in page order, with its depth but no parent yet.

    ``id`` is None only where the markup gives none (old-markup ``[deleted]`` rows);
    the tree rebuild gives those a stable synthetic id.
    """

    site: str
    id: str | None
    depth: int
    author: str | None = None
    created_at: datetime | None = None
    created_at_raw: str | None = None
    text_html: str | None = None
    text: str | None = None
    dead: bool = False
    flagged: bool = False
    deleted: bool = False
    # HN greys downvoted comments with a colour class (c5a ... cdd); c00 is normal.
    colour: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ItemPage:
    """What a parser reads from one page of a thread (a thread may span several)."""

    site: str
    story_id: str
    url: str
    fetched_at: datetime
    story: Story | None  # None on continuation pages that carry no story header
    comments: tuple[PageComment, ...]
    next_url: str | None = None  # absolute URL of the next page of the same thread
