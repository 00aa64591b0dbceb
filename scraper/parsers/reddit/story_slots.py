"""A thread's post as a Story record, built by plain slot stores.

Story is a frozen, slotted dataclass of 19 fields: its keyword ``__init__`` stores each
through ``object.__setattr__`` (~3 us), and ``entries.slot_builder``'s loop over the
slots' descriptors was ~2.8 us of a small thread's ~80. Here an object of a class with
the same slots is filled by plain stores (~0.6 us) and then given Story's class, as
``comment_stores`` builds comments. If Story's fields ever change, ``new_story`` is
the keyword build instead, never a record with a slot unset.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from archive.models import Story

# The fields _by_stores stores, in Story's order.
_STORED = ("site", "id", "title", "url", "domain", "author", "score", "comment_count",
           "created_at", "created_at_raw", "text_html", "text", "kind", "dead", "flagged",
           "deleted", "tags", "merged_into", "extra")


class _StorySlots:
    """A mutable twin of Story: the same slots, in the same order."""

    __slots__ = _STORED


def _by_stores(site: str, sid: str, title: str | None, url: str | None, domain: str | None,
               author: str | None, score: int | None, comment_count: int | None,
               created_at: datetime | None, created_at_raw: str | None,
               text_html: str | None, text: str | None, kind: str, dead: bool,
               deleted: bool, extra: dict[str, Any] | None) -> Story:
    o: Any = _StorySlots.__new__(_StorySlots)
    o.site = site
    o.id = sid
    o.title = title
    o.url = url
    o.domain = domain
    o.author = author
    o.score = score
    o.comment_count = comment_count
    o.created_at = created_at
    o.created_at_raw = created_at_raw
    o.text_html = text_html
    o.text = text
    o.kind = kind
    o.dead = dead
    o.flagged = False
    o.deleted = deleted
    o.tags = ()
    o.merged_into = None
    o.extra = extra
    o.__class__ = Story
    return o


def by_keywords(site: str, sid: str, title: str | None, url: str | None,
                domain: str | None, author: str | None, score: int | None,
                comment_count: int | None, created_at: datetime | None,
                created_at_raw: str | None, text_html: str | None, text: str | None,
                kind: str, dead: bool, deleted: bool,
                extra: dict[str, Any] | None) -> Story:
    """Story's own constructor, in ``new_story``'s order (the tests' reference)."""
    return Story(site=site, id=sid, title=title, url=url, domain=domain, author=author,
                 score=score, comment_count=comment_count, created_at=created_at,
                 created_at_raw=created_at_raw, text_html=text_html, text=text, kind=kind,
                 dead=dead, deleted=deleted, extra=extra)


new_story = _by_stores if getattr(Story, "__slots__", None) == _STORED else by_keywords
