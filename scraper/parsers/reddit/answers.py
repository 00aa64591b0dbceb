"""Reading one Reddit API answer of a thread: a comments response, a morechildren
answer, and the ``more`` stubs either holds (``More``). ``thread`` places them."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import repeat
from typing import Any, TypeGuard

from scraper.parsers.entries import slot_builder
from scraper.parsers.errors import ParseError, parser_entry
from scraper.parsers.integers import given_depth, stub_count
from scraper.parsers.reddit.errors import SITE, read_json
from scraper.parsers.reddit.things import unprefixed

CONTINUE_ID = "_"
# Tests below are written ``isinstance(x, (dict, Mapping))``: the same answer, but a
# decoded answer's dicts pass on the first, C-level check, where the ABC's own check
# costs ~0.15 us and runs several times for every thing of the answer.
_OBJECTS = (dict, Mapping)


def is_object(value: object) -> TypeGuard[Mapping[str, Any]]:
    """``isinstance(value, (dict, Mapping))``, where the ABC's own check (~0.3 us) is
    skipped for the text a leaf comment's ``replies`` is (""): three tests of each leaf
    were ~4% of a thread's parse."""
    return type(value) is dict or (type(value) is not str and isinstance(value, Mapping))


@dataclass(frozen=True, slots=True, kw_only=True)
class More:
    """A stub Reddit left in place of comments: ``children`` (ids without prefix) to ask
    ``/api/morechildren`` for, or "continue this thread" (count 0, id ``_``, no
    children): ``/comments/STORY/_/PARENT``. ``parent_id`` None: the post itself."""

    id: str
    parent_id: str | None
    count: int
    children: tuple[str, ...]
    depth: int

    @property
    def is_continue(self) -> bool:
        return self.id == CONTINUE_ID or not self.children


def listing_children(obj: Any, *, url: str, what: str) -> list[Mapping[str, Any]]:
    if not isinstance(obj, (dict, Mapping)) or obj.get("kind") != "Listing":
        raise ParseError(SITE, url, f"{what} is not a Listing")
    data = obj.get("data")
    kids = data.get("children") if isinstance(data, (dict, Mapping)) else None
    # (map: the generator's frame was ~0.15 us of each of a thread's Listings)
    if not isinstance(kids, list) or not all(map(isinstance, kids, repeat(_OBJECTS))):
        raise ParseError(SITE, url, f"{what} has no list of children")
    return kids


def comments_response(obj: Any, *, url: str) -> tuple[Mapping[str, Any],
                                                       list[Mapping[str, Any]]]:
    """(the post's data, the top things) of a ``[Listing(t3), Listing(t1 ...)]``."""
    if not (isinstance(obj, list) and len(obj) == 2):
        raise ParseError(SITE, url, "not a comments response ([post Listing, comment "
                                    "Listing])")
    posts = listing_children(obj[0], url=url, what="the post Listing")
    if len(posts) != 1 or posts[0].get("kind") != "t3" or \
            not isinstance(posts[0].get("data"), Mapping):
        raise ParseError(SITE, url, "the post Listing does not hold one t3")
    return posts[0]["data"], listing_children(obj[1], url=url, what="the comment Listing")


def morechildren_things(obj: Any, *, url: str) -> list[Mapping[str, Any]] | None:
    """The things of a morechildren answer, or None if ``obj`` is not one."""
    inner = obj.get("json") if isinstance(obj, (dict, Mapping)) else None
    data = inner.get("data") if isinstance(inner, (dict, Mapping)) else None
    things = data.get("things") if isinstance(data, (dict, Mapping)) else None
    if not isinstance(inner, (dict, Mapping)) or "data" not in inner:
        return None
    if not isinstance(things, list) or not all(isinstance(t, (dict, Mapping)) for t in things):
        raise ParseError(SITE, url, "a morechildren answer without a list of things")
    return things


def check_things(things: Sequence[Mapping[str, Any]], *, url: str) -> None:
    """The shape ``_merge`` relies on, checked whole before anything is placed, so an
    answer that fails leaves the thread as it was."""
    stack = [iter(things)]
    while stack:
        thing = next(stack[-1], None)
        if thing is None:
            stack.pop()
            continue
        data = thing.get("data") if isinstance(thing, (dict, Mapping)) else None
        if not isinstance(data, (dict, Mapping)):
            raise ParseError(SITE, url, "a thing without data")
        if thing.get("kind") == "t1":
            if not unprefixed(data.get("id") or data.get("name")):
                raise ParseError(SITE, url, "a comment without an id")
            if is_object(data.get("replies")):
                stack.append(iter(listing_children(data["replies"], url=url,
                                                    what="replies")))


@parser_entry(SITE)
def more_stubs(page_body: str, *, url: str = "") -> list[More]:
    """The stubs one answer holds (a comments response or a morechildren answer), each
    with its depth in the whole thread where the answer says it, else from nesting."""
    return stubs_of(read_json(page_body, url=url), url=url)


def stubs_of(obj: Any, *, url: str) -> list[More]:
    """``more_stubs`` of an answer already decoded."""
    things = morechildren_things(obj, url=url)
    if things is None:
        things = comments_response(obj, url=url)[1]
    found: list[More] = []
    stack: list[tuple[Iterator[Mapping[str, Any]], int]] = [(iter(things), 0)]
    while stack:
        thing = next(stack[-1][0], None)
        if thing is None:
            stack.pop()
            continue
        level = stack[-1][1]
        data = thing.get("data")
        if not isinstance(data, (dict, Mapping)):
            continue
        given = data.get("depth")
        depth = given_depth(given, level)
        if thing.get("kind") == "more":
            found.append(more_stub(data, depth))
        elif is_object(data.get("replies")):
            kids = listing_children(data["replies"], url=url, what="replies")
            stack.append((iter(kids), depth + 1))
    return found


# A thread's answers hold a few hundred stubs (comments-fo7p5b 222), each a More twice
# (as the answer's, as the thread's): built through More's slots, not its keywords.
_MORE_SLOTS = slot_builder(More, ("id", "parent_id", "count", "children", "depth"))


def new_more(sid: str, parent_id: str | None, count: int, children: tuple[str, ...],
             depth: int) -> More:
    if _MORE_SLOTS is None:  # More's fields changed: never a record with a slot unset
        return More(id=sid, parent_id=parent_id, count=count, children=children, depth=depth)
    more: More = _MORE_SLOTS(sid, parent_id, count, children, depth)
    return more


def more_stub(data: Mapping[str, Any], depth: int) -> More:
    """A ``more`` thing's stub, as ``stubs_of``, ``checked_stubs`` and
    ``answer_check.checked_answer`` find it."""
    return new_more(str(data.get("id") or CONTINUE_ID), parent_id_of(data),
                    stub_count(data.get("count")) or 0,
                    tuple([c for c in data.get("children") or [] if isinstance(c, str)]),
                    depth)


def checked_stubs(things: Sequence[Mapping[str, Any]], *, url: str) -> list[More]:
    """``check_things`` and ``stubs_of`` of an answer's top ``things`` in one walk of
    them (a crawl's ``add`` needs both; each walk was ~5% of a page's parse). What each
    finds is theirs: the check covers the t1s' replies only, as ``check_things`` does;
    only the first of two faults in one answer may be named otherwise."""
    found: list[More] = []
    # (the things of one level, its depth by nesting, whether check_things reads it)
    stack: list[tuple[Iterator[Mapping[str, Any]], int, bool]] = [(iter(things), 0, True)]
    while stack:
        level_things, level, checked = stack[-1]
        thing = next(level_things, None)
        if thing is None:
            stack.pop()
            continue
        data = thing.get("data")  # a Mapping: listing_children and its callers check
        if not isinstance(data, (dict, Mapping)):
            if checked:
                raise ParseError(SITE, url, "a thing without data")
            continue
        kind = thing.get("kind")
        given = data.get("depth")
        depth = given_depth(given, level)
        if kind == "more":
            found.append(more_stub(data, depth))
            continue
        t1 = checked and kind == "t1"
        if t1 and not unprefixed(data.get("id") or data.get("name")):
            raise ParseError(SITE, url, "a comment without an id")
        replies = data.get("replies")
        if is_object(replies):
            kids = listing_children(replies, url=url, what="replies")
            stack.append((iter(kids), depth + 1, t1))
    return found


def parent_id_of(data: Mapping[str, Any]) -> str | None:
    raw = data.get("parent_id")
    return None if not isinstance(raw, str) or raw.startswith("t3_") else unprefixed(raw)
