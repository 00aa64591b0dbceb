"""A thread's first answer checked and placed in one walk of its things.

``ThreadPages`` checks an answer whole before it places any of it (``answer_check``),
so that an answer refused leaves the thread as it was: two walks of every thing, the
check's ~7% of a page's parse. The first answer is placed in a tree of its own, which
the thread takes only once all of it has passed: a refusal leaves nothing behind, so
the check can be made in the walk that places. Each thing is tested as
``answer_check._one_walk`` tests it, in the same order; at any fault the walk gives
up and the caller checks the answer as before, so the refusal named is the one it
always was.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Protocol

from scraper.parsers.integers import given_depth
from scraper.parsers.reddit.answer_check import KINDS, checked_comment, refuse_cycles
from scraper.parsers.reddit.answers import (
    More,
    is_object,
    listing_children,
    more_stub,
    parent_id_of,
)


class Placing(Protocol):
    """The tree a thread's answers are placed in (``thread._Tree``)."""

    def parent(self, fullname: object, depth: object) -> Any: ...

    def add_comment(self, data: Mapping[str, Any], parent: Any) -> Any: ...

    def add_stub(self, data: Mapping[str, Any], parent: Any) -> None: ...


def placed_first(tree: Placing, things: Sequence[Mapping[str, Any]], *, url: str,
                 story: str | None, stubs: bool) -> list[More] | None:
    """Place the top ``things`` of a thread's first answer in ``tree`` (new, empty) and
    return its stubs (``checked_answer``'s; none unless ``stubs``), or None at the first
    fault met, a cycle of parents among them: ``tree`` is then to be thrown away and
    the answer checked as before, which names the fault."""
    try:
        return _walk(tree, things, url=url, story=story, stubs=stubs)
    except Exception:  # ParseError or a shape the tests do not name: the check names it
        return None


def _walk(tree: Placing, things: Sequence[Mapping[str, Any]], *, url: str,
          story: str | None, stubs: bool
          ) -> list[More] | None:
    link_name = f"t3_{story}"
    found: list[More] = []
    placed: dict[str, str | None] = {}  # as _one_walk: a comment -> the id it goes under
    risky: list[str] = []  # the top comments placed by their parent_id
    # (a level's things, the node and id they reply to, their depth by nesting)
    stack: list[tuple[Iterator[Mapping[str, Any]], Any, str | None, int]] = [
        (iter(things), None, None, 0)]
    while stack:
        level_things, node, above, level = stack[-1]
        for thing in level_things:  # up to a comment with replies, read first
            # kind_and_data and checked_comment spelt out for the API's common case: two
            # calls a comment, ~0.4 us of its ~7 (tests/test_reddit_first_answer.py)
            kind, data = thing.get("kind"), thing.get("data")
            if kind not in KINDS or not (type(data) is dict or isinstance(data, Mapping)):
                return None
            under = node or tree.parent(data.get("parent_id"), data.get("depth"))
            if kind == "more":
                children = data.get("children")
                if children is not None and not isinstance(children, list):
                    return None
                if stubs:
                    given = data.get("depth")
                    found.append(more_stub(data, given_depth(given, level)))
                tree.add_stub(data, under)
                continue
            cid = data.get("id")
            link = data.get("link_id")
            if type(cid) is not str or not cid or "_" in cid or (
                    link is not None and link != link_name):
                cid = checked_comment(data, url=url, story=story, link_name=link_name)
            if node is None:  # a top thing: placed by its parent_id
                above = parent_id_of(data)
                if above is not None:
                    risky.append(cid)
            if cid not in placed:
                placed[cid] = above
            placed_node = tree.add_comment(data, under)
            replies = data.get("replies")
            if is_object(replies):
                given = data.get("depth")
                stack.append((iter(listing_children(replies, url=url, what="replies")),
                              placed_node, cid,
                              (given_depth(given, level)) + 1))
                break
        else:
            stack.pop()
    refuse_cycles(risky, placed, {}, url=url)
    return found
