"""Comment records built by plain slot stores, for the parsers that make one a comment
(Reddit's ``things``, Lobsters' stories), as ``parsers.entries`` builds listing entries.

A Comment is a frozen, slotted dataclass of 24 fields: its keyword ``__init__`` stores
each through ``object.__setattr__``, ~3-7 us a comment, a tenth of a JSON story's
reading beside the bodies (issue 14). Here an object of a class with the same slots is
filled by plain stores and then given Comment's class (as ``archive.records.quick``
does, without its keywords). If Comment's fields ever change, ``new_comment`` is the
keyword build instead, never a record with a slot unset.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from archive.models import Comment

# The fields _by_stores stores, in Comment's order.
_STORED = ("site", "id", "story_id", "parent_id", "depth", "position", "author",
           "created_at", "created_at_raw", "text_html", "text", "dead", "flagged",
           "deleted", "colour", "synthetic_id", "score", "edited", "edited_at",
           "edited_at_raw", "removed", "by_submitter", "extra", "source")


class _CommentSlots:
    """A mutable twin of Comment: the same slots, in the same order."""

    __slots__ = _STORED


def _by_stores(site: str, cid: str, story_id: str, parent_id: str | None, depth: int,
               position: int, author: str | None, created_at: datetime | None,
               created_at_raw: str | None, text_html: str | None, text: str | None,
               deleted: bool, removed: bool, score: int | None, edited: bool,
               edited_at: datetime | None, edited_at_raw: str | None, by_submitter: bool,
               extra: dict[str, Any] | None) -> Comment:
    o: Any = _CommentSlots.__new__(_CommentSlots)
    o.site = site
    o.id = cid
    o.story_id = story_id
    o.parent_id = parent_id
    o.depth = depth
    o.position = position
    o.author = author
    o.created_at = created_at
    o.created_at_raw = created_at_raw
    o.text_html = text_html
    o.text = text
    o.dead = False
    o.flagged = False
    o.deleted = deleted
    o.colour = None
    o.synthetic_id = False
    o.score = score
    o.edited = edited
    o.edited_at = edited_at
    o.edited_at_raw = edited_at_raw
    o.removed = removed
    o.by_submitter = by_submitter
    o.extra = extra
    o.source = None
    o.__class__ = Comment
    return o


def by_keywords(site: str, cid: str, story_id: str, parent_id: str | None, depth: int,
                position: int, author: str | None, created_at: datetime | None,
                created_at_raw: str | None, text_html: str | None, text: str | None,
                deleted: bool, removed: bool, score: int | None, edited: bool,
                edited_at: datetime | None, edited_at_raw: str | None, by_submitter: bool,
                extra: dict[str, Any] | None) -> Comment:
    """Comment's own constructor, in ``new_comment``'s order (the tests' reference)."""
    return Comment(site=site, id=cid, story_id=story_id, parent_id=parent_id, depth=depth,
                   position=position, author=author, created_at=created_at,
                   created_at_raw=created_at_raw, text_html=text_html, text=text,
                   deleted=deleted, removed=removed, score=score, edited=edited,
                   edited_at=edited_at, edited_at_raw=edited_at_raw,
                   by_submitter=by_submitter, extra=extra)


new_comment = _by_stores if getattr(Comment, "__slots__", None) == _STORED else by_keywords
