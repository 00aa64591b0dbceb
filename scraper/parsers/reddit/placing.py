"""The tree a Reddit thread's answers are placed into (:mod:`thread` reads them).

Placement: a comment already in the tree is kept once (a continue-thread page repeats
the parent; the first copy wins) and the page's replies under it are read on. A new one
goes under its parent at the place of the stub that listed it (the stub moves after
it, so several answers keep Reddit's order), else before the parent's continue stub,
else after its last child. A comment whose parent is nowhere in the answers (a context
page that starts below the top, a dump) is kept, its ``parent_id`` as Reddit says,
after the tree. Depth is counted from the nesting: responses of 2015-16 have no
``depth`` field, and a continue page starts again at 0.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from scraper.parsers.errors import ParseError
from scraper.parsers.integers import given_depth, stub_count
from scraper.parsers.reddit.answers import CONTINUE_ID, is_object
from scraper.parsers.reddit.errors import SITE
from scraper.parsers.reddit.things import unprefixed


@dataclass(eq=False, slots=True)
class Node:
    id: str | None  # None: the post
    data: Mapping[str, Any] | None
    depth: int
    kids: list[Node | Stub] = field(default_factory=list)
    # Where it is placed (the post, a comment, or a missing parent's stand-in): the
    # check for parent cycles walks up by it.
    up: Node | None = None


@dataclass(eq=False, slots=True)
class Stub:
    id: str
    parent: Node
    count: int
    children: list[str]
    listed: int = 0  # ids it listed when it came, of which ``children`` are left


# A comment as the thread's records are built from it: (data, parent id, depth, position).
Row = tuple[Mapping[str, Any], str | None, int, int]


class Tree:
    def __init__(self, url: str) -> None:
        self.url = url
        self.root = Node(None, None, -1)
        self.nodes: dict[str, Node] = {}
        self.missing: dict[str, Node] = {}  # parents not (yet) in the tree
        self.listed: dict[str, Stub] = {}  # comment id -> the stub holding it
        self.fresh: set[int] = set()  # ids of the stubs the current page brought
        self.touched: list[Stub] = []  # stubs the current page took comments from

    def parent(self, fullname: object, depth: object) -> Node:
        if type(fullname) is str and fullname.startswith("t3_"):
            return self.root  # most top things: the post, known without unprefixed
        pid = unprefixed(fullname)
        if pid is None or str(fullname).startswith("t3_"):
            return self.root
        if pid in self.nodes:
            return self.nodes[pid]
        if pid not in self.missing:
            below = given_depth(depth, 0) - 1
            self.missing[pid] = Node(pid, None, below)
        return self.missing[pid]

    def add_comment(self, data: Mapping[str, Any], parent: Node) -> Node:
        raw = data.get("id")
        # (the API's own form, text without a prefix, is what unprefixed would give back)
        cid = raw if type(raw) is str and raw and "_" not in raw else \
            unprefixed(raw or data.get("name"))
        if not cid:
            raise ParseError(SITE, self.url, "a comment without an id")
        if cid in self.nodes:
            return self.nodes[cid]
        node = Node(cid, data, parent.depth + 1)
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
                if isinstance(kid, Stub):
                    kid.parent = node
                else:
                    kid.up = node
        return node

    def _insert(self, parent: Node, item: Node | Stub, stub: Stub | None) -> None:
        if isinstance(item, Node):
            item.up = parent
        if stub is not None and stub.parent is parent and stub in parent.kids:
            parent.kids.insert(parent.kids.index(stub), item)
            return
        # A parent's continue stub, when it has one, is its last kid: every insert goes
        # before it, add_stub keeps one a parent, and a node adopts kids only when new.
        # So the look for it is one test, not a scan of the kids (the square of a
        # parent's replies, where most of a page's comments are top level).
        kids = parent.kids
        if kids and isinstance(tail := kids[-1], Stub) and tail.id == CONTINUE_ID:
            kids.insert(len(kids) - 1, item)
        else:
            kids.append(item)

    def add_stub(self, data: Mapping[str, Any], parent: Node) -> None:
        sid = str(data.get("id") or CONTINUE_ID)
        for kid in parent.kids:
            if type(kid) is Stub and kid.id == sid:
                return  # a page repeating a stub already known
        count = data.get("count")
        ids: list[str] = []
        stub = Stub(sid, parent, 0, ids)
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
        counted = stub_count(count)
        stub.count = counted if counted is not None else len(ids)
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
            node.kids = [k for k in node.kids if not (isinstance(k, Stub)
                                                       and k.id == CONTINUE_ID)]

    def laid_out(self) -> tuple[list[Row], list[tuple[Stub, int]], int]:
        """In display order (the tree, then the replies whose parent is not in it): the
        comments as rows (data, parent id, depth, position among the parent's comments),
        the stubs with their depth, how many nodes have no data. Depth from the nesting
        (a missing parent's: its first reply's ``depth``). A generator, ~3% of a parse."""
        rows: list[Row] = []
        stubs: list[tuple[Stub, int]] = []
        gaps = 0  # (none so far: kids are placed comments; counted as the walk did)
        for top in (self.root, *self.missing.values()):
            # (the parent's id, its kids not yet seen, their depth, its comments so far)
            stack = [(top.id, iter(top.kids), top.depth + 1, [0])]
            while stack:
                pid, kids, depth, count = stack[-1]
                for kid in kids:
                    if isinstance(kid, Stub):
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


def merge(tree: Tree, things: Sequence[Mapping[str, Any]], parent: Node | None) -> None:
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
                merge(tree, replies["data"]["children"], node)
        elif kind == "more":
            tree.add_stub(data, under)
