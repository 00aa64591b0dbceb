"""A Reddit thread from the API answers that make it up, in the order they were fetched.

The first answer is a comments response, ``[Listing(t3), Listing(t1 ...)]`` (from
``/comments/ID``, or a permalink or context page). Reddit leaves parts of a big tree out
as ``more`` stubs: one with ids (``children``) is expanded by ``/api/morechildren``,
which answers ``{"json": {"data": {"things": [...]}}}``, a FLAT list, each thing
naming its ``parent_id``; one with count 0 and id ``_`` is "continue this thread",
expanded by ``/comments/ID/_/PARENT``, a comments response whose first t1 is the
parent again with its replies.

Placement: a comment already in the tree is kept once (a continue-thread page repeats
the parent; the first copy wins) and the page's replies under it are read on. A new one
goes under its parent at the place of the stub that listed it (the stub moves after
it, so several answers keep Reddit's order), else before the parent's continue stub,
else after its last child. A comment whose parent is nowhere in the answers (a context
page that starts below the top, a dump) is kept, its ``parent_id`` as Reddit says,
after the tree. Depth is counted from the nesting: responses of 2015-16 have no
``depth`` field, and a continue page starts again at 0.

``more_stubs`` lists the stubs one answer holds (what to request next);
``unexpanded`` what is left once all answers are placed (the gaps a crawl records).
``ThreadPages`` does the same one answer at a time, for a crawl that asks after each
answer what is left (re-reading every answer each time would cost the square): its
``add`` decodes an answer once, places it, and returns the stubs it holds.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
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
    is_object,
    more_stubs,
    morechildren_things,
    new_more,
)
from scraper.parsers.reddit.errors import SITE, read_json
from scraper.parsers.reddit.first_answer import placed_first
from scraper.parsers.reddit.things import comments_from, story_from, unprefixed

DEFAULT_SORT = "confidence"  # Reddit's "best", what /comments/ID sorts by when not told


@dataclass(eq=False, slots=True)
class _Node:
    id: str | None  # None: the post
    data: Mapping[str, Any] | None
    depth: int
    kids: list[_Node | _Stub] = field(default_factory=list)
    # Where it is placed (the post, a comment, or a missing parent's stand-in): the
    # check for parent cycles walks up by it.
    up: _Node | None = None


@dataclass(eq=False, slots=True)
class _Stub:
    id: str
    parent: _Node
    count: int
    children: list[str]
    listed: int = 0  # ids it listed when it came, of which ``children`` are left


# A comment as the thread's records are built from it: (data, parent id, depth, position).
Row = tuple[Mapping[str, Any], str | None, int, int]


class _Tree:
    def __init__(self, url: str) -> None:
        self.url = url
        self.root = _Node(None, None, -1)
        self.nodes: dict[str, _Node] = {}
        self.missing: dict[str, _Node] = {}  # parents not (yet) in the tree
        self.listed: dict[str, _Stub] = {}  # comment id -> the stub holding it
        self.fresh: set[int] = set()  # ids of the stubs the current page brought
        self.touched: list[_Stub] = []  # stubs the current page took comments from

    def parent(self, fullname: object, depth: object) -> _Node:
        if type(fullname) is str and fullname.startswith("t3_"):
            return self.root  # most top things: the post, known without unprefixed
        pid = unprefixed(fullname)
        if pid is None or str(fullname).startswith("t3_"):
            return self.root
        if pid in self.nodes:
            return self.nodes[pid]
        if pid not in self.missing:
            below = depth - 1 if isinstance(depth, int) and depth > 0 else -1
            self.missing[pid] = _Node(pid, None, below)
        return self.missing[pid]

    def add_comment(self, data: Mapping[str, Any], parent: _Node) -> _Node:
        raw = data.get("id")
        # (the API's own form, text without a prefix, is what unprefixed would give back)
        cid = raw if type(raw) is str and raw and "_" not in raw else \
            unprefixed(raw or data.get("name"))
        if not cid:
            raise ParseError(SITE, self.url, "a comment without an id")
        if cid in self.nodes:
            return self.nodes[cid]
        node = _Node(cid, data, parent.depth + 1)
        stub = self.listed.pop(cid, None)
        if stub is not None:
            stub.children.remove(cid)
            self.touched.append(stub)
        self._insert(parent, node, stub)
        self.nodes[cid] = node
        adopted = self.missing.pop(cid, None)
        if adopted is not None:  # replies that came before their parent
            node.kids.extend(adopted.kids)
            for kid in adopted.kids:
                if isinstance(kid, _Stub):
                    kid.parent = node
                else:
                    kid.up = node
        return node

    def _insert(self, parent: _Node, item: _Node | _Stub, stub: _Stub | None) -> None:
        if isinstance(item, _Node):
            item.up = parent
        if stub is not None and stub.parent is parent and stub in parent.kids:
            parent.kids.insert(parent.kids.index(stub), item)
            return
        # A parent's continue stub, when it has one, is its last kid: every insert goes
        # before it, add_stub keeps one a parent, and a node adopts kids only when new.
        # So the look for it is one test, not a scan of the kids (the square of a
        # parent's replies, where most of a page's comments are top level).
        kids = parent.kids
        if kids and isinstance(tail := kids[-1], _Stub) and tail.id == CONTINUE_ID:
            kids.insert(len(kids) - 1, item)
        else:
            kids.append(item)

    def add_stub(self, data: Mapping[str, Any], parent: _Node) -> None:
        sid = str(data.get("id") or CONTINUE_ID)
        for kid in parent.kids:
            if type(kid) is _Stub and kid.id == sid:
                return  # a page repeating a stub already known
        count = data.get("count")
        ids: list[str] = []
        stub = _Stub(sid, parent, 0, ids)
        # One pass over its ids (~2,800 in comments-6wmniq; a list of them, then a loop
        # to list them, was a tenth of the page): each not placed yet is the stub's, and
        # a nested stub takes its ids over from the one above it.
        nodes, listed = self.nodes, self.listed
        for cid in data.get("children") or []:
            if isinstance(cid, str) and cid not in nodes:
                ids.append(cid)
                old = listed.get(cid)
                if old is not None and old is not stub:
                    old.children.remove(cid)
                listed[cid] = stub
        stub.count = count if isinstance(count, int) else len(ids)
        stub.listed = len(ids)
        self._insert(parent, stub, None)
        self.fresh.add(id(stub))

    def answered(self, ids: set[str]) -> None:
        """``ids`` were asked for: those neither placed nor listed again by a stub of the
        answer are gone (deleted, or never to come); a stub left with no ids is expanded."""
        touched, self.touched = self.touched, []
        for cid in ids:
            stub = self.listed.get(cid)
            if stub is not None and id(stub) not in self.fresh:
                del self.listed[cid]
                stub.children.remove(cid)
                touched.append(stub)
        for stub in touched:
            if not stub.children and stub in stub.parent.kids:
                stub.parent.kids.remove(stub)

    def continued(self, parent_id: str) -> None:
        node = self.nodes.get(parent_id)
        if node is not None:
            node.kids = [k for k in node.kids if not (isinstance(k, _Stub)
                                                       and k.id == CONTINUE_ID)]

    def laid_out(self) -> tuple[list[Row], list[tuple[_Stub, int]], int]:
        """In display order (the tree, then the replies whose parent is not in it): the
        comments as rows (data, parent id, depth, position among the parent's comments),
        the stubs with their depth, how many nodes have no data. Depth from the nesting
        (a missing parent's: its first reply's ``depth``). A generator, ~3% of a parse."""
        rows: list[Row] = []
        stubs: list[tuple[_Stub, int]] = []
        gaps = 0  # (none so far: kids are placed comments; counted as the walk did)
        for top in (self.root, *self.missing.values()):
            # (the parent's id, its kids not yet seen, their depth, its comments so far)
            stack = [(top.id, iter(top.kids), top.depth + 1, [0])]
            while stack:
                pid, kids, depth, count = stack[-1]
                for kid in kids:
                    if isinstance(kid, _Stub):
                        stubs.append((kid, depth))
                        continue
                    if kid.data is not None:
                        rows.append((kid.data, pid, depth, count[0]))
                    else:
                        gaps += 1
                    count[0] += 1
                    stack.append((kid.id, iter(kid.kids), depth + 1, [0]))
                    break
                else:
                    stack.pop()
        return rows, stubs, gaps


def _merge(tree: _Tree, things: Sequence[Mapping[str, Any]], parent: _Node | None) -> None:
    """Place a page's things; ``parent`` None: each under its own ``parent_id``. The
    answer's shape is ``checked_answer``'s, before: every t1's replies a Listing of
    objects (its ``listing_children`` of each, taken again here, was ~2% of a parse)."""
    for thing in things:
        data = thing.get("data")
        kind = thing.get("kind")
        if not isinstance(data, (dict, Mapping)):
            raise ParseError(SITE, tree.url, f"a {kind} thing without data")
        under = parent or tree.parent(data.get("parent_id"), data.get("depth"))
        if kind == "t1":
            node = tree.add_comment(data, under)
            replies = data.get("replies")
            if is_object(replies):
                _merge(tree, replies["data"]["children"], node)
        elif kind == "more":
            tree.add_stub(data, under)


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
        self._tree: _Tree | None = None
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
            _merge(tree, things, None)
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
            first = _Tree(url)
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
        _merge(tree, tops, None)
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

    def _start(self, url: str) -> _Tree:
        if self._tree is None:
            self._tree = _Tree(url)
        self._urls.append(url)
        self._tree.url = url
        self._tree.fresh.clear()
        self._tree.touched.clear()
        return self._tree

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


def _thread(tree: _Tree, post: Mapping[str, Any], first_url: str, *, fetched_at: datetime,
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


def _stubs(tree: _Tree) -> list[More]:
    return [_more_of(stub, depth) for stub, depth in tree.laid_out()[1]]


def _more_of(stub: _Stub, depth: int) -> More:
    return new_more(stub.id, stub.parent.id, _share(stub), tuple(stub.children), depth)


def _share(stub: _Stub) -> int:
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
