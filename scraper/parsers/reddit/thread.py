"""A Reddit thread from the API answers that make it up, in the order they were fetched.

The first answer is a comments response, ``[Listing(t3), Listing(t1 ...)]`` (from
``/comments/ID``, or a permalink or context page). Reddit leaves parts of a big tree out
as ``more`` stubs: one with ids (``children``) is expanded by ``/api/morechildren``,
which answers ``{"json": {"data": {"things": [...]}}}``, a FLAT list, each thing
naming its ``parent_id``; one with count 0 and id ``_`` is "continue this thread",
expanded by ``/comments/ID/_/PARENT``, a comments response whose first t1 is the
parent again with its replies.

Placement (where a comment goes, and depth) is :mod:`placing`'s.

``more_stubs`` lists the stubs one answer holds (what to request next);
``unexpanded`` what is left once all answers are placed (the gaps a crawl records).
``ThreadPages`` does the same one answer at a time, for a crawl that asks after each
answer what is left (re-reading every answer each time would cost the square): its
``add`` decodes an answer once, places it, and returns the stubs it holds.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

from archive.models import Thread
from scraper.parsers.errors import ParseError, as_entry, parser_entry
from scraper.parsers.reddit.answer_check import checked_answer
from scraper.parsers.reddit.answers import (
    CONTINUE_ID,
    More,
    comments_response,
    more_stubs,
    morechildren_things,
    new_more,
)
from scraper.parsers.reddit.errors import SITE, read_json
from scraper.parsers.reddit.first_answer import placed_first
from scraper.parsers.reddit.placing import Stub, Tree, merge
from scraper.parsers.reddit.things import comments_from, story_from, unprefixed

DEFAULT_SORT = "confidence"  # Reddit's "best", what /comments/ID sorts by when not told


def _asked_ids(url: str) -> set[str]:
    raw = parse_qs(urlsplit(url).query).get("children", [""])[0]
    return {c for c in raw.split(",") if c}


def _continued_parent(url: str) -> str | None:
    parts = urlsplit(url).path.rstrip("/").split("/")
    # A saved page's URL may end in .json (the site's form of the same answer).
    return parts[-1].removesuffix(".json") if len(parts) >= 2 and parts[-2] == CONTINUE_ID \
        else None


class ThreadPages:
    """A thread put together answer by answer, as a crawl fetches them: ``add`` each
    answer, ``unexpanded`` what is left to ask for, ``thread`` the whole. An answer
    that ``add`` refuses (a ParseError) changes nothing."""

    def __init__(self) -> None:
        self._tree: Tree | None = None
        self._post: Mapping[str, Any] | None = None
        self._urls: list[str] = []

    @parser_entry(SITE)
    def add(self, text: str, *, url: str) -> list[More]:
        """Place one answer; return the stubs it holds (``more_stubs`` of it)."""
        return self._add(text, url, True)

    def _add(self, text: str, url: str, stubs: bool) -> list[More]:
        obj = read_json(text, url=url)
        things = morechildren_things(obj, url=url)
        if things is not None:
            if self._tree is None:
                raise ParseError(SITE, url, "a morechildren answer before the thread's "
                                            "first page")
            found = checked_answer(self._tree, things, url=url, story=self._story(),
                                   stubs=stubs)
            tree = self._start(url)
            merge(tree, things, None)
            tree.answered(_asked_ids(url) or {
                str(d.get("id")) for t in things
                if t.get("kind") == "t1" and isinstance(d := t.get("data"), Mapping)})
            return found
        data, tops = comments_response(obj, url=url)
        post = self._post
        if post is not None and unprefixed(data.get("id") or data.get("name")) != \
                unprefixed(post.get("id") or post.get("name")):
            raise ParseError(SITE, url, f"a page of post {data.get('id')} in the thread "
                                        f"of {post.get('id')}")
        story = unprefixed(data.get("id") or data.get("name"))
        if self._tree is None:  # checked as it is placed, in a tree taken if it passes
            first = Tree(url)
            placed = placed_first(first, tops, url=url, story=story, stubs=stubs)
            if placed is not None:
                self._tree, self._post = first, data
                self._urls.append(url)
                _continued_parent(url)  # (a URL it cannot split is refused, as below)
                return placed
        found = checked_answer(self._tree, tops, url=url, story=story, stubs=stubs)
        later = self._tree is not None
        tree = self._start(url)
        self._post = post or data
        merge(tree, tops, None)
        again = _continued_parent(url)
        if later:  # the first t1 is the parent again only on a later page
            again = again or next((unprefixed(t["data"].get("id")) for t in tops
                                   if t.get("kind") == "t1"), None)
            if again is not None:
                tree.continued(again)
        return found

    def _story(self) -> str | None:
        post = self._post
        return None if post is None else unprefixed(post.get("id") or post.get("name"))

    def _start(self, url: str) -> Tree:
        if self._tree is None:
            self._tree = Tree(url)
        self._urls.append(url)
        self._tree.url = url
        self._tree.fresh.clear()
        self._tree.touched.clear()
        return self._tree

    def holds(self, ids: frozenset[str]) -> frozenset[str]:
        """Those of ``ids`` placed as comments so far."""
        nodes = self._tree.nodes if self._tree is not None else {}
        return frozenset(c for c in ids if c in nodes)

    def unexpanded(self) -> list[More]:
        """The stubs still in the thread, in display order."""
        return _stubs(self._tree) if self._tree is not None else []

    @parser_entry(SITE)
    def thread(self, *, fetched_at: datetime, sort: str | None = None,
               source: str = "api") -> Thread:
        """The thread as the answers added so far show it (see ``parse_thread_pages``)."""
        return self._whole(fetched_at, sort, source)

    def _whole(self, fetched_at: datetime, sort: str | None, source: str) -> Thread:
        if self._tree is None or self._post is None:
            raise ParseError(SITE, "?", "no comments response among the pages")
        return _thread(self._tree, self._post, self._urls[0], fetched_at=fetched_at,
                       sort=sort, source=source)


def _build(pages: Sequence[tuple[str, str]]) -> ThreadPages:
    if not pages:
        raise ValueError("a thread needs at least its first page")
    built = ThreadPages()
    for url, text in pages:  # inside parse_thread_pages' entry, as add's would be
        as_entry(SITE, url, built._add, text, url, False)
    return built


def _sort(url: str, sort: str | None) -> str:
    if sort:
        return sort
    if "?" not in url:  # no query to name one (parse_qs of urlsplit's was ~1 us a thread)
        return DEFAULT_SORT
    return parse_qs(urlsplit(url).query).get("sort", [DEFAULT_SORT])[0]


@parser_entry(SITE)
def parse_thread_pages(pages: Sequence[tuple[str, str]], *, fetched_at: datetime,
                       sort: str | None = None, url: str | None = None,
                       source: str = "api") -> Thread:
    """The whole thread of its answers ``(url, body)`` in fetch order; ``sort`` (else
    the first URL's ``sort=``, else "confidence") is kept in ``story.extra["sort"]``.
    ``url`` only names the thread in errors (default: the first page's); ``source``:
    how the answers were observed (``archive.sources``; an import passes "html")."""
    return as_entry(SITE, "?", _build(pages)._whole, fetched_at, sort, source)


def _thread(tree: Tree, post: Mapping[str, Any], first_url: str, *, fetched_at: datetime,
            sort: str | None, source: str) -> Thread:
    rows, stubs, gaps = tree.laid_out()
    # What is still hidden, so a partial thread (a saved page, a capped crawl) says so;
    # given to story_from, not put in by dataclasses.replace after (~5 us a thread).
    # (_sort cannot fail here: add has split the same URL.)
    story = story_from(post, fetched_at=fetched_at, source=source, more_extra={
        "sort": _sort(first_url, sort), "unexpanded_stubs": len(stubs),
        "unexpanded_comments": sum(_share(stub) for stub, _ in stubs)})
    if not rows and not stubs and not gaps and story.comment_count:
        raise ParseError(SITE, first_url, f"the post says {story.comment_count} comments but "
                                          "the answer holds none (a permalink of a deleted "
                                          "comment answers so)")
    comments = tuple(comments_from(rows, story_id=story.id, submitter=story.author))
    return Thread(story=story, comments=comments, fetched_at=fetched_at, source=source)


def _stubs(tree: Tree) -> list[More]:
    return [_more_of(stub, depth) for stub, depth in tree.laid_out()[1]]


def _more_of(stub: Stub, depth: int) -> More:
    return new_more(stub.id, stub.parent.id, _share(stub), tuple(stub.children), depth)


def _share(stub: Stub) -> int:
    # A stub partly expanded holds its share of the comments it counted, as the
    # crawl's own accounting has it (scraper/spiders/reddit_stubs.part).
    if not stub.listed or len(stub.children) == stub.listed:
        return stub.count
    return max(round(stub.count * len(stub.children) / stub.listed), len(stub.children))


@parser_entry(SITE)
def unexpanded(pages: Sequence[tuple[str, str]], *, url: str | None = None) -> list[More]:
    """The stubs still in the thread once all ``pages`` are placed, in display order."""
    return _build(pages).unexpanded()


__all__ = ["CONTINUE_ID", "DEFAULT_SORT", "More", "ThreadPages", "comments_response",
           "more_stubs", "morechildren_things", "parse_thread_pages", "unexpanded"]
