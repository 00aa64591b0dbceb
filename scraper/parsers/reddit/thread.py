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
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

from archive.models import Thread
from scraper.parsers.errors import ParseError, parser_entry
from scraper.parsers.reddit.errors import SITE, read_json
from scraper.parsers.reddit.things import comments_from, story_from, unprefixed

DEFAULT_SORT = "confidence"  # Reddit's "best", what /comments/ID sorts by when not told
CONTINUE_ID = "_"


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


@dataclass(eq=False, slots=True)
class _Node:
    id: str | None  # None: the post
    data: Mapping[str, Any] | None
    depth: int
    kids: list[_Node | _Stub] = field(default_factory=list)


@dataclass(eq=False, slots=True)
class _Stub:
    id: str
    parent: _Node
    count: int
    children: list[str]


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
        cid = unprefixed(data.get("id") or data.get("name"))
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
        return node

    def _insert(self, parent: _Node, item: _Node | _Stub, stub: _Stub | None) -> None:
        if stub is not None and stub.parent is parent and stub in parent.kids:
            parent.kids.insert(parent.kids.index(stub), item)
            return
        tail = next((k for k in parent.kids if isinstance(k, _Stub) and k.id == CONTINUE_ID),
                    None)
        parent.kids.insert(parent.kids.index(tail) if tail else len(parent.kids), item)

    def add_stub(self, data: Mapping[str, Any], parent: _Node) -> None:
        sid = str(data.get("id") or CONTINUE_ID)
        if any(isinstance(k, _Stub) and k.id == sid for k in parent.kids):
            return  # a page repeating a stub already known
        ids = [c for c in data.get("children") or [] if isinstance(c, str)
               and c not in self.nodes]
        count = data.get("count")
        stub = _Stub(sid, parent, count if isinstance(count, int) else len(ids), ids)
        self._insert(parent, stub, None)
        self.fresh.add(id(stub))
        for cid in ids:  # a nested stub takes its ids over from the one above it
            old = self.listed.get(cid)
            if old is not None and old is not stub:
                old.children.remove(cid)
            self.listed[cid] = stub

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

    def walk(self) -> Iterator[tuple[_Node | _Stub, _Node, int, int]]:
        """(item, parent, position among the parent's comments, depth), in display
        order: the tree, then the replies whose parent is not in it. Depth counts from
        the nesting (a missing parent's from its first reply's ``depth`` field)."""
        tops = [self.root, *self.missing.values()]
        stack: list[tuple[_Node, Iterator[_Node | _Stub], list[int], int]] = [
            (t, iter(t.kids), [0], t.depth + 1) for t in reversed(tops)]
        while stack:
            parent, kids, count, depth = stack[-1]
            kid = next(kids, None)
            if kid is None:
                stack.pop()
                continue
            yield kid, parent, count[0], depth
            if isinstance(kid, _Node):
                count[0] += 1
                stack.append((kid, iter(kid.kids), [0], depth + 1))


def _listing_children(obj: Any, *, url: str, what: str) -> list[Mapping[str, Any]]:
    if not isinstance(obj, Mapping) or obj.get("kind") != "Listing":
        raise ParseError(SITE, url, f"{what} is not a Listing")
    data = obj.get("data")
    kids = data.get("children") if isinstance(data, Mapping) else None
    if not isinstance(kids, list) or not all(isinstance(k, Mapping) for k in kids):
        raise ParseError(SITE, url, f"{what} has no list of children")
    return kids


def _merge(tree: _Tree, things: Sequence[Mapping[str, Any]], parent: _Node | None) -> None:
    """Place a page's things; ``parent`` None: each under its own ``parent_id``."""
    for thing in things:
        data = thing.get("data")
        if not isinstance(data, Mapping):
            raise ParseError(SITE, tree.url, f"a {thing.get('kind')} thing without data")
        under = parent or tree.parent(data.get("parent_id"), data.get("depth"))
        if thing.get("kind") == "t1":
            node = tree.add_comment(data, under)
            replies = data.get("replies")
            if isinstance(replies, Mapping):
                _merge(tree, _listing_children(replies, url=tree.url, what="replies"), node)
        elif thing.get("kind") == "more":
            tree.add_stub(data, under)


def comments_response(obj: Any, *, url: str) -> tuple[Mapping[str, Any],
                                                       list[Mapping[str, Any]]]:
    """(the post's data, the top things) of a ``[Listing(t3), Listing(t1 ...)]``."""
    if not (isinstance(obj, list) and len(obj) == 2):
        raise ParseError(SITE, url, "not a comments response ([post Listing, comment "
                                    "Listing])")
    posts = _listing_children(obj[0], url=url, what="the post Listing")
    if len(posts) != 1 or posts[0].get("kind") != "t3" or \
            not isinstance(posts[0].get("data"), Mapping):
        raise ParseError(SITE, url, "the post Listing does not hold one t3")
    return posts[0]["data"], _listing_children(obj[1], url=url, what="the comment Listing")


def morechildren_things(obj: Any, *, url: str) -> list[Mapping[str, Any]] | None:
    """The things of a morechildren answer, or None if ``obj`` is not one."""
    inner = obj.get("json") if isinstance(obj, Mapping) else None
    data = inner.get("data") if isinstance(inner, Mapping) else None
    things = data.get("things") if isinstance(data, Mapping) else None
    if not isinstance(inner, Mapping) or "data" not in inner:
        return None
    if not isinstance(things, list) or not all(isinstance(t, Mapping) for t in things):
        raise ParseError(SITE, url, "a morechildren answer without a list of things")
    return things


def _asked_ids(url: str) -> set[str]:
    raw = parse_qs(urlsplit(url).query).get("children", [""])[0]
    return {c for c in raw.split(",") if c}


def _continued_parent(url: str) -> str | None:
    parts = urlsplit(url).path.rstrip("/").split("/")
    return parts[-1] if len(parts) >= 2 and parts[-2] == CONTINUE_ID else None


def _build(pages: Sequence[tuple[str, str]]) -> tuple[_Tree, Mapping[str, Any] | None]:
    if not pages:
        raise ValueError("a thread needs at least its first page")
    first_url = pages[0][0]
    tree = _Tree(first_url)
    post: Mapping[str, Any] | None = None
    for i, (url, text) in enumerate(pages):
        tree.url = url
        tree.fresh.clear()
        tree.touched.clear()
        obj = read_json(text, url=url)
        things = morechildren_things(obj, url=url)
        if things is not None:
            if post is None:
                raise ParseError(SITE, url, "a morechildren answer before the thread's "
                                            "first page")
            _merge(tree, things, None)
            asked = _asked_ids(url) or {str(d.get("id")) for t in things if t.get("kind") == "t1"
                                        and isinstance(d := t.get("data"), Mapping)}
            tree.answered(asked)
            continue
        data, tops = comments_response(obj, url=url)
        if post is None:
            post = data
        elif unprefixed(data.get("id") or data.get("name")) != \
                unprefixed(post.get("id") or post.get("name")):
            raise ParseError(SITE, url, f"a page of post {data.get('id')} in the thread "
                                        f"of {post.get('id')}")
        _merge(tree, tops, None)
        again = _continued_parent(url) or next(
            (unprefixed(t["data"].get("id")) for t in tops if t.get("kind") == "t1"), None)
        if again is not None and i > 0:
            tree.continued(again)
    tree.url = first_url
    return tree, post


def _sort(url: str, sort: str | None) -> str:
    return sort or parse_qs(urlsplit(url).query).get("sort", [DEFAULT_SORT])[0]


@parser_entry(SITE)
def parse_thread_pages(pages: Sequence[tuple[str, str]], *, fetched_at: datetime,
                       sort: str | None = None, url: str | None = None,
                       source: str = "api") -> Thread:
    """The whole thread of its answers ``(url, body)`` in fetch order; ``sort`` (else
    the first URL's ``sort=``, else "confidence") is kept in ``story.extra["sort"]``.
    ``url`` only names the thread in errors (default: the first page's); ``source``:
    how the answers were observed (``archive.sources``; an import passes "html")."""
    tree, post = _build(pages)
    first_url = pages[0][0]
    if post is None:
        raise ParseError(SITE, url or first_url, "no comments response among the pages")
    story = story_from(post, fetched_at=fetched_at, source=source)
    rows: list[tuple[Mapping[str, Any], str | None, int, int]] = []
    stubs = 0
    for item, parent, position, depth in tree.walk():
        if isinstance(item, _Node) and item.data is not None:
            rows.append((item.data, parent.id, depth, position))
        else:
            stubs += 1
    if not rows and not stubs and story.comment_count:
        raise ParseError(SITE, first_url, f"the post says {story.comment_count} comments but "
                                          "the answer holds none (a permalink of a deleted "
                                          "comment answers so)")
    comments = comments_from(rows, story_id=story.id)
    if story.author is not None:
        comments = [c if c.by_submitter or c.author != story.author
                    else replace(c, by_submitter=True) for c in comments]
    left = _stubs(tree)
    # What is still hidden, so a partial thread (a saved page, a capped crawl) says so.
    extra = {**(story.extra or {}), "sort": _sort(first_url, sort),
             "unexpanded_stubs": len(left), "unexpanded_comments": sum(m.count for m in left)}
    return Thread(story=replace(story, extra=extra), comments=tuple(comments),
                  fetched_at=fetched_at, source=source)


def _stubs(tree: _Tree) -> list[More]:
    return [More(id=item.id, parent_id=item.parent.id, count=item.count,
                 children=tuple(item.children), depth=depth)
            for item, _, _, depth in tree.walk() if isinstance(item, _Stub)]


@parser_entry(SITE)
def unexpanded(pages: Sequence[tuple[str, str]], *, url: str | None = None) -> list[More]:
    """The stubs still in the thread once all ``pages`` are placed, in display order."""
    return _stubs(_build(pages)[0])


@parser_entry(SITE)
def more_stubs(page_body: str, *, url: str = "") -> list[More]:
    """The stubs one answer holds (a comments response or a morechildren answer), each
    with its depth in the whole thread where the answer says it, else from nesting."""
    obj = read_json(page_body, url=url)
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
        if not isinstance(data, Mapping):
            continue
        given = data.get("depth")
        depth = given if isinstance(given, int) else level
        if thing.get("kind") == "more":
            count = data.get("count")
            found.append(More(
                id=str(data.get("id") or CONTINUE_ID), parent_id=_parent_id(data),
                count=count if isinstance(count, int) else 0,
                children=tuple(c for c in data.get("children") or [] if isinstance(c, str)),
                depth=depth))
        elif isinstance(data.get("replies"), Mapping):
            kids = _listing_children(data["replies"], url=url, what="replies")
            stack.append((iter(kids), depth + 1))
    return found


def _parent_id(data: Mapping[str, Any]) -> str | None:
    raw = data.get("parent_id")
    return None if not isinstance(raw, str) or raw.startswith("t3_") else unprefixed(raw)
