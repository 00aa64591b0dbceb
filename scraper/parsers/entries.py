"""ListingEntry records built by plain slot stores, for the listing parsers' rows.

A ListingEntry is a frozen, slotted dataclass: its own ``__init__`` stores each field
through ``object.__setattr__``, and even ``archive.records.quick``'s mutable twin takes
its twelve fields as keywords, ~1.2 us a row, a tenth of a JSON listing's reading
(issue 14). Here an object of a class with the same slots is filled by plain stores
(~0.4 us) and then given ListingEntry's class, as ``reddit.things`` builds comments.
If ListingEntry's fields ever change, ``new_entry`` is its keyword constructor
instead, never a record with a slot unset. ``slot_builder`` does the same for records
with no twin class here (Lobsters' profiles, Reddit's stubs), through the slots' own
descriptors.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from archive.models import ListingEntry

# The fields new_entry stores, in ListingEntry's order.
_STORED = ("site", "story_id", "rank", "title", "url", "domain", "author", "score",
           "comment_count", "created_at", "created_at_raw", "kind")


class _EntrySlots:
    """A mutable twin of ListingEntry: the same slots, in the same order."""

    __slots__ = _STORED


def _by_stores(site: str, story_id: str, rank: int, title: str | None, url: str | None,
               domain: str | None, author: str | None, score: int | None,
               comment_count: int | None, created_at: datetime | None,
               created_at_raw: str | None, kind: str) -> ListingEntry:
    o: Any = _EntrySlots.__new__(_EntrySlots)
    o.site = site
    o.story_id = story_id
    o.rank = rank
    o.title = title
    o.url = url
    o.domain = domain
    o.author = author
    o.score = score
    o.comment_count = comment_count
    o.created_at = created_at
    o.created_at_raw = created_at_raw
    o.kind = kind
    o.__class__ = ListingEntry
    return o


def by_keywords(site: str, story_id: str, rank: int, title: str | None, url: str | None,
                domain: str | None, author: str | None, score: int | None,
                comment_count: int | None, created_at: datetime | None,
                created_at_raw: str | None, kind: str) -> ListingEntry:
    """ListingEntry's own constructor, in ``new_entry``'s order (the tests' reference)."""
    return ListingEntry(site=site, story_id=story_id, rank=rank, title=title, url=url,
                        domain=domain, author=author, score=score,
                        comment_count=comment_count, created_at=created_at,
                        created_at_raw=created_at_raw, kind=kind)


new_entry = _by_stores if getattr(ListingEntry, "__slots__", None) == _STORED else by_keywords


def slot_builder(cls: type, fields: tuple[str, ...]) -> Callable[..., Any] | None:
    """A builder of ``cls`` records from their values in ``fields``' order, which sets
    the slots through their own descriptors (a frozen dataclass's ``__setattr__`` does
    not stand before them): ~0.9 us for ten fields against the keyword ``__init__``'s
    ~1.5, for the records a page holds a few hundred of and that have no twin class
    here. None if ``cls``'s slots are not ``fields`` (then build by keywords)."""
    if getattr(cls, "__slots__", None) != fields:
        return None
    puts = tuple(getattr(cls, name).__set__ for name in fields)
    new: Any = cls.__new__

    def build(*values: Any) -> Any:
        record = new(cls)
        for put, value in zip(puts, values, strict=True):
            put(record, value)
        return record

    return build
