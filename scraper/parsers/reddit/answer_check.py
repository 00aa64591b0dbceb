"""The check of one Reddit answer against the thread it is to join, before anything of
it is placed: so that an answer refused leaves the thread exactly as it was, and a
parent cycle (which would hang the tree walk) never reaches the tree."""

from __future__ import annotations

from collections.abc import Container, Iterator, Mapping, Sequence
from typing import Any, Protocol

from scraper.parsers.errors import ParseError
from scraper.parsers.integers import given_depth
from scraper.parsers.reddit.answers import (
    More,
    checked_stubs,
    is_object,
    listing_children,
    more_stub,
    parent_id_of,
)
from scraper.parsers.reddit.errors import SITE
from scraper.parsers.reddit.things import unprefixed


class Placed(Protocol):
    """A comment in the tree (or the post, id None), and what it is placed under."""

    @property
    def id(self) -> str | None: ...

    @property
    def up(self) -> Placed | None: ...


class Tree(Protocol):
    @property
    def nodes(self) -> Mapping[str, Placed]: ...

    @property
    def missing(self) -> Container[str]: ...


KINDS = ("t1", "more")  # what a thread's answers hold in place of comments


def check_answer(tree: Tree | None, things: Sequence[Mapping[str, Any]], *, url: str,
                 story: str | None) -> None:
    """Refuse, before anything is placed, an answer that does not fit the thread: a
    thing of another kind, a comment whose id is not text, a comment of another post,
    a stub whose ``children`` is no list, or a comment that would be its own ancestor
    (itself as its parent, a cycle of parents, or one closing through the tree).
    ``checked_stubs`` has checked the shape of every t1's replies already."""
    _one_walk(tree, things, url=url, story=story)


def _cycle(risky: list[str], placed: Mapping[str, str | None],
           nodes: Mapping[str, Placed]) -> str | None:
    """The first comment met twice on the way up from one of ``risky``, else None."""
    safe: set[str] = set()  # ids whose line up ends at the post or outside the thread
    for cid in risky:
        seen: set[str] = set()
        at: str | None = cid
        while at is not None and at not in safe:
            if at in seen:
                return at
            seen.add(at)
            if at in placed:
                at = placed[at]
            elif at in nodes:
                up = nodes[at].up
                at = up.id if up is not None else None
            else:
                break
        safe |= seen
    return None


def checked_answer(tree: Tree | None, things: Sequence[Mapping[str, Any]], *, url: str,
                   story: str | None, stubs: bool = True) -> list[More]:
    """``checked_stubs`` then ``check_answer`` of an answer, in one walk of its things
    (the two walks were ~6% of a thread's parse). A fault of any kind sends the answer
    through the two as before, so that of two faults the one named stays the one they
    name first: the single walk meets them in another order. ``stubs`` False: the
    checks alone, the stubs not built (a whole thread read at once asks for none; a
    More of each, its ids copied, was a tenth of a page with ~200 stubs)."""
    try:
        return _one_walk(tree, things, url=url, story=story, stubs=stubs)
    except Exception:  # whatever it was, the two checks raise what they raised
        found = checked_stubs(things, url=url)
        check_answer(tree, things, url=url, story=story)
        return found


def _one_walk(tree: Tree | None, things: Sequence[Mapping[str, Any]], *, url: str,
              story: str | None, stubs: bool = True) -> list[More]:
    """The stubs of an answer, and every test of ``checked_stubs`` and ``check_answer``
    of it. The kinds held to t1 and more, every level is one ``checked_stubs`` checks:
    after it has passed, its own tests here (an id, a Listing of replies) pass too."""
    nodes = tree.nodes if tree is not None else {}
    missing = tree.missing if tree is not None else {}
    link_name = f"t3_{story}"
    found: list[More] = []
    placed: dict[str, str | None] = {}  # a new comment -> the id it goes under
    # Nesting alone makes no cycle: only a comment placed by its parent_id, or one
    # that adopts replies which came before it, can close one.
    risky: list[str] = []
    # (the things of one level, the comment they reply to, their depth by nesting)
    stack: list[tuple[Iterator[Mapping[str, Any]], str | None, int]] = [
        (iter(things), None, 0)]
    while stack:
        level_things, above, level = stack[-1]
        thing = next(level_things, None)
        if thing is None:
            stack.pop()
            continue
        known = kind_and_data(thing)
        if known is None:
            raise ParseError(SITE, url, f"a thing of kind {thing.get('kind')!r} among the "
                                        "comments")
        kind, data = known
        given = data.get("depth")
        depth = given_depth(given, level)
        if kind == "more":
            children = data.get("children")
            if children is not None and not isinstance(children, list):
                raise ParseError(SITE, url, "a more stub whose children are not a list")
            if stubs:
                found.append(more_stub(data, depth))
            continue
        cid = checked_comment(data, url=url, story=story, link_name=link_name)
        if len(stack) == 1:  # a top thing: placed by its parent_id
            above = parent_id_of(data)
            if above is not None:
                risky.append(cid)
        if cid not in placed and cid not in nodes:
            placed[cid] = above
            if cid in missing:
                risky.append(cid)
        replies = data.get("replies")
        if is_object(replies):
            stack.append((iter(listing_children(replies, url=url, what="replies")), cid,
                          depth + 1))
    refuse_cycles(risky, placed, nodes, url=url)
    return found


def kind_and_data(thing: Mapping[str, Any]) -> tuple[str, Mapping[str, Any]] | None:
    """A thing's kind and data where it is one a thread's answers hold (``KINDS``, its
    data an object), else None."""
    kind, data = thing.get("kind"), thing.get("data")
    if kind not in KINDS or not isinstance(data, (dict, Mapping)):
        return None
    return kind, data


def checked_comment(data: Mapping[str, Any], *, url: str, story: str | None,
                    link_name: str) -> str:
    """The id of a t1's ``data`` (no prefix), or the ParseError for an id that is not
    text or empty, or a ``link_id`` of another post than ``story`` (``link_name``: its
    fullname, ``t3_`` + ``story``)."""
    raw = data.get("id")
    cid: str
    if type(raw) is str and raw and "_" not in raw:
        cid = raw  # the API's own form: text, no prefix (the tests below pass)
    else:
        named = data.get("name") if raw is None else raw
        if not isinstance(named, str):
            raise ParseError(SITE, url, f"a comment whose id is not text ({named!r})")
        if not unprefixed(raw or data.get("name")):
            raise ParseError(SITE, url, "a comment without an id")
        cid = (unprefixed(named) or named) if "_" in named else named
    link = data.get("link_id")
    if link is not None and story is not None and link != link_name and \
            unprefixed(link) != story:
        raise ParseError(SITE, url, f"a comment of post {unprefixed(link)} in the thread "
                                    f"of {story}")
    return cid


def refuse_cycles(risky: list[str], placed: Mapping[str, str | None],
                  nodes: Mapping[str, Placed], *, url: str) -> None:
    """The ParseError for a comment that would be its own ancestor: on the way up from
    one of ``risky`` (``placed``: the answer's new comments and what each goes under;
    ``nodes``: the thread's so far)."""
    at = _cycle(risky, placed, nodes)
    if at is not None:
        raise ParseError(SITE, url, f"comment {at} is its own ancestor (its parents go "
                                    "round in a cycle)")
