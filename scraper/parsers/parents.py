"""Site-neutral tree placement from rows that name their parent, their depth, or both.

``tree.py`` rebuilds a tree from depths alone (HN's indented rows). Sites with an API
name each comment's parent (Lobsters' ``parent_comment``, Reddit's ``parent_id``), some
eras give only a depth (Lobsters' ``indent_level`` before 2022), some both. One rule
serves them all: the rows are a pre-order listing, so a row's parent must be one of the
rows still open above it (the previous row or one of its ancestors); where the row also
declares a depth, it must be the parent's depth plus one. A listing that breaks either
would misplace replies silently, so it is an error, never a guess.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from scraper.parsers.errors import ParseError


class _Unknown:
    """The parent is not given (only the depth is): it is the nearest open row one level up."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN = _Unknown()


@dataclass(frozen=True, slots=True)
class Row:
    """What a page says of one comment's place: its id, its parent id (None: top level;
    UNKNOWN: not given) and its depth (0: top level; None: not given)."""

    id: str
    parent: str | _Unknown | None
    depth: int | None


@dataclass(frozen=True, slots=True)
class Place:
    parent_id: str | None
    depth: int
    position: int  # 0-based among its siblings, in listing order


class _RowSlots:
    """Mutable twins of Row and Place (their slots, in order): a frozen dataclass's
    ``__init__`` stores through ``object.__setattr__``, ~1 us a record, and a row and
    a place a comment were a tenth of placing a Lobsters story's comments. These are
    filled by plain stores and then given the frozen class (as reddit.things does)."""

    __slots__ = Row.__slots__


class _PlaceSlots:
    __slots__ = Place.__slots__


# The fields the builders store: if Row's or Place's change, their own constructors.
_FAST = Row.__slots__ == ("id", "parent", "depth") and \
    Place.__slots__ == ("parent_id", "depth", "position")


def new_row(ident: str, parent: str | _Unknown | None, depth: int | None) -> Row:
    """``Row(ident, parent, depth)``, built by stores."""
    if not _FAST:
        return Row(ident, parent, depth)
    o: Any = _RowSlots.__new__(_RowSlots)
    o.id = ident
    o.parent = parent
    o.depth = depth
    o.__class__ = Row
    return o


def _new_place(parent_id: str | None, depth: int, position: int) -> Place:
    if not _FAST:
        return Place(parent_id, depth, position)
    o: Any = _PlaceSlots.__new__(_PlaceSlots)
    o.parent_id = parent_id
    o.depth = depth
    o.position = position
    o.__class__ = Place
    return o


def place(rows: Sequence[Row], *, site: str, url: str) -> list[Place]:
    """Each row's parent, depth and position; ParseError where the listing is not a
    consistent pre-order tree (unknown or closed parent, depth that disagrees with the
    parent, a jump of more than one level, a duplicate id, neither parent nor depth)."""
    out: list[Place] = []
    stack: list[str] = []  # ids of the open ancestors of the next row, one per depth
    seen: set[str] = set()
    next_position: dict[str | None, int] = {}
    for i, row in enumerate(rows):
        # The row's name is spelt only for an error: built for every row, it was a tenth
        # of placing a Lobsters story's comments.
        if row.id in seen:
            raise ParseError(site, url, f"{_name(row, i)}: duplicate comment id")
        seen.add(row.id)
        if row.depth is not None and row.depth < 0:
            raise ParseError(site, url, f"{_name(row, i)}: negative depth {row.depth}")
        if isinstance(row.parent, _Unknown):
            if row.depth is None:
                raise ParseError(site, url, f"{_name(row, i)}: neither a parent nor a depth")
            if row.depth > len(stack):
                raise ParseError(site, url, f"{_name(row, i)}: depth {row.depth} jumps more "
                                            f"than one level below the previous row (depth "
                                            f"{len(stack) - 1})")
            del stack[row.depth:]
        elif row.parent is None:
            stack.clear()
            if row.depth not in (None, 0):
                raise ParseError(site, url, f"{_name(row, i)}: depth {row.depth} but no parent")
        else:
            if row.parent not in stack:
                raise ParseError(site, url, f"{_name(row, i)}: its parent {row.parent} "
                                            f"{_why_closed(row.parent, row.id, seen, rows)}")
            del stack[stack.index(row.parent) + 1:]
            if row.depth is not None and row.depth != len(stack):
                raise ParseError(site, url, f"{_name(row, i)}: depth {row.depth} but its "
                                            f"parent {row.parent} is at depth "
                                            f"{len(stack) - 1}")
        parent = stack[-1] if stack else None
        position = next_position.get(parent, 0)
        next_position[parent] = position + 1
        out.append(_new_place(parent, len(stack), position))
        stack.append(row.id)
    return out


def _name(row: Row, i: int) -> str:
    return f"comment {row.id} (row {i})"


def _why_closed(parent: str, ident: str, seen: set[str], rows: Sequence[Row]) -> str:
    if parent == ident:
        return "is the comment itself"
    if parent in seen:
        return "is not an open ancestor (the listing is not in thread order)"
    if any(r.id == parent for r in rows):
        return "comes after it"
    return "is not on the page"
