"""A stand-in of Reddit's OAuth API on 127.0.0.1, built on tests/server.py.

It answers as the real API does where a crawl can tell:

- ``POST /api/v1/access_token``: HTTP basic auth with the client id and secret, and a
  password or refresh_token grant; a token with ``expires_in``. A wrong password is a
  200 with ``{"error": "invalid_grant"}``, as Reddit answers it.
- every other path wants ``Authorization: bearer TOKEN`` of a token it issued (else
  401); ``refuse_once`` makes it refuse the next signed request once (an expired token).
- ``/comments/ID`` renders a thread in pieces: ``top`` comments, then a "load more"
  stub with the rest of the top-level ids; ``kids`` replies under a comment, then a
  stub with the rest; below ``depth`` levels, a "continue this thread" stub.
- ``/api/morechildren``: the asked comments with their replies, flat (each names its
  ``parent_id``), cut the same way; ``morechildren_gives`` of them at most, the rest
  held back in a stub of the answer (Reddit's answer to a call it finds too large).
  More than 100 ids is a 413; a call while another is being answered is a 409 and
  is counted in ``concurrent`` (Reddit refuses them).
- ``/comments/ID/_/PARENT``: the parent again with its replies (continue this thread).
- ``/api/info?id=t1_CID``: a comment, naming its post; ``/user/NAME/about``: a
  profile; ``/user/NAME/comments``: their comments (one page).
- ``/r/SUB/hot`` and the other sorts: the posts of ``listings[name]``, 100 a page by
  ``after``.
- ``X-Ratelimit-Used/Remaining/Reset`` on every answer, from ``ratelimit``.

Threads are generated (``make_thread``), so a test knows every id, parent and place.
"""

from __future__ import annotations

import base64
import json
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

from tests.server import Asked, Reply, SiteServer

JSON = "application/json; charset=UTF-8"
T0 = 1_700_000_000
CLIENT_ID, CLIENT_SECRET = "client-id-123", "client-secret-456"
USERNAME, PASSWORD = "archivist", "hunter2-secret"
REFRESH_TOKEN = "refresh-token-789"
AUTH_PATH = "/api/v1/access_token"


@dataclass
class Node:
    id: str
    parent: str | None  # None: a top-level comment
    kids: list[str] = field(default_factory=list)


@dataclass
class GenThread:
    """A post and its comments, each placed: ``order`` is the display order."""

    id: str
    sub: str
    nodes: dict[str, Node]
    tops: list[str]
    # Comments edited since they were written: id -> the body now (the others say
    # "Comment ID").
    bodies: dict[str, str] = field(default_factory=dict)

    def order(self) -> list[tuple[str, str | None, int]]:
        """(id, parent id, position among siblings) of every comment, in display order."""
        out: list[tuple[str, str | None, int]] = []

        def walk(ids: list[str]) -> None:
            for position, cid in enumerate(ids):
                out.append((cid, self.nodes[cid].parent, position))
                walk(self.nodes[cid].kids)
        walk(self.tops)
        return out

    def size(self, cid: str) -> int:
        return 1 + sum(self.size(k) for k in self.nodes[cid].kids)


def b36(n: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        n, r = divmod(n, 36)
        out = digits[r] + out
        if not n:
            return out


def make_thread(n: int, *, seed: int = 1, story_id: str = "abc12", sub: str = "test",
                chain: int = 0, first: int = 10_000, recent: int = 50) -> GenThread:
    """``n`` comments under random parents (newer ones reply more often to recent ones),
    plus one reply chain ``chain`` deep under the first comment, for continue-threads.
    Comment ids count from ``first`` (base 36): threads of one test need their own.
    ``recent``: how many of the latest comments a reply picks its parent from (few:
    long chains; many: a bushy tree)."""
    rng = random.Random(seed)
    nodes: dict[str, Node] = {}
    tops: list[str] = []
    for k in range(n):
        cid = "c" + b36(first + k)
        parent = None
        if nodes and rng.random() < 0.7:
            parent = rng.choice(list(nodes)[-recent:])
        nodes[cid] = Node(cid, parent)
        (nodes[parent].kids if parent else tops).append(cid)
    parent = tops[0] if tops else None
    for k in range(chain):
        cid = "d" + b36(first + k)
        nodes[cid] = Node(cid, parent)
        (nodes[parent].kids if parent else tops).append(cid)
        parent = cid
    return GenThread(id=story_id, sub=sub, nodes=nodes, tops=tops)


def _comment(t: GenThread, cid: str, depth: int, replies: object) -> dict:
    node = t.nodes[cid]
    body = t.bodies.get(cid, f"Comment {cid}")
    return {"kind": "t1", "data": {
        "id": cid, "name": f"t1_{cid}", "link_id": f"t3_{t.id}",
        "parent_id": f"t1_{node.parent}" if node.parent else f"t3_{t.id}",
        "author": f"user{int(cid[1:], 36) % 97}", "body": body,
        "body_html": f"&lt;div class=\"md\"&gt;&lt;p&gt;{body}&lt;/p&gt;&lt;/div&gt;",
        "created_utc": float(T0 + int(cid[1:], 36)), "edited": False, "score": 1,
        "depth": depth, "replies": replies, "subreddit": t.sub}}


def _more(t: GenThread, parent: str | None, ids: list[str], depth: int) -> dict:
    return {"kind": "more", "data": {
        "count": sum(t.size(i) for i in ids), "id": ids[0], "name": f"t1_{ids[0]}",
        "parent_id": f"t1_{parent}" if parent else f"t3_{t.id}", "depth": depth,
        "children": ids}}


def _continue(t: GenThread, parent: str, depth: int) -> dict:
    return {"kind": "more", "data": {"count": 0, "id": "_", "name": "t1__",
                                     "parent_id": f"t1_{parent}", "depth": depth,
                                     "children": []}}


def post(t: GenThread) -> dict:
    return {"kind": "t3", "data": {
        "id": t.id, "name": f"t3_{t.id}", "title": f"Post {t.id}", "author": "poster",
        "subreddit": t.sub, "score": 10, "num_comments": len(t.nodes),
        "created_utc": float(T0), "url": f"https://example.org/{t.id}",
        "permalink": f"/r/{t.sub}/comments/{t.id}/post/", "is_self": False, "selftext": ""}}


def listing(children: list[dict], after: str | None = None) -> dict:
    return {"kind": "Listing", "data": {"after": after, "before": None, "dist": len(children),
                                        "children": children}}


@dataclass
class Cut:
    """Where the stand-in cuts a tree into stubs, as Reddit does by its own limits."""

    top: int = 5
    kids: int = 3
    depth: int = 4


class RedditAPI:
    """The stand-in's answers (``respond``), installed on a SiteServer."""

    def __init__(self, site: SiteServer, *, cut: Cut | None = None,
                 lifetime: int = 3600) -> None:
        self.site = site
        self.cut = cut or Cut()
        self.lifetime = lifetime
        self.threads: dict[str, GenThread] = {}
        self.listings: dict[str, list[str]] = {}  # "r/sub/hot" -> post ids
        self.users: dict[str, int] = {}  # name -> comment karma
        self.tokens: list[str] = []
        self.grants: list[str] = []
        self.refuse_once = False
        self.refuse_always = False  # a client Reddit has not approved
        self.throttle_once = False  # the next morechildren answer: a 200 RATELIMIT error
        self.refused: list[str] = []  # targets refused with a 401
        self.agents: set[str] = set()  # the User-Agent of every request
        self.concurrent = 0  # morechildren calls that came while another was answered
        self.morechildren_delay = 0.05  # seconds to answer one: room for an overlap to show
        self.morechildren_calls = 0
        # Ids of one call answered at most (None: all), the rest held back in a stub of
        # the answer, as Reddit answers a call it finds too large.
        self.morechildren_gives: int | None = None
        # Hold the answer of this morechildren call (1-based) until ``go_on`` is set;
        # ``holding`` is set when it has arrived: a crawl pinned mid-expansion.
        self.hold_call: int | None = None
        self.holding = threading.Event()
        self.go_on = threading.Event()
        # (request number, target) -> the rate-limit headers; default: plenty left.
        self.ratelimit: Callable[[int, str], dict[str, str]] = lambda n, target: {
            "X-Ratelimit-Used": str(n), "X-Ratelimit-Remaining": "1000",
            "X-Ratelimit-Reset": "1"}
        # Every stub served: "load more" ones by their ids, "continue this thread" ones
        # by their parent (what a crawl had to ask for, to count against what it did).
        self.more_served: set[tuple[str, ...]] = set()
        self.continues_served: set[str] = set()
        self._signed = 0
        self._busy = 0
        self._lock = threading.Lock()
        site.respond = self.respond

    @property
    def auth_url(self) -> str:
        return self.site.base_url + AUTH_PATH

    # -- the token -------------------------------------------------------------

    def token(self, asked: Asked) -> Reply:
        pair = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        if asked.method != "POST" or asked.headers.get("authorization") != f"Basic {pair}":
            return Reply(json.dumps({"message": "Unauthorized", "error": 401}), status=401,
                         content_type=JSON)
        form = {k: v[0] for k, v in parse_qs(asked.body.decode()).items()}
        grant = form.get("grant_type", "")
        good = (grant == "password" and form.get("username") == USERNAME
                and form.get("password") == PASSWORD) or (
                grant == "refresh_token" and form.get("refresh_token") == REFRESH_TOKEN)
        self.grants.append(grant)
        if not good:
            return Reply(json.dumps({"error": "invalid_grant"}), content_type=JSON)
        with self._lock:
            value = f"token-{len(self.tokens) + 1}"
            self.tokens.append(value)
        return Reply(json.dumps({"access_token": value, "token_type": "bearer",
                                 "expires_in": self.lifetime, "scope": "*"}),
                     content_type=JSON)

    # -- the API ---------------------------------------------------------------

    def respond(self, asked: Asked) -> Reply | None:
        parts = urlsplit(asked.target)
        self.agents.add(asked.headers.get("user-agent", ""))
        if parts.path == AUTH_PATH:
            return self.token(asked)
        with self._lock:
            bearer = asked.headers.get("authorization", "")
            live = self.tokens[-1] if self.tokens else None
            if live is None or bearer != f"bearer {live}" or self.refuse_once or \
                    self.refuse_always:
                self.refuse_once = False
                self.refused.append(asked.target)
                return Reply(json.dumps({"message": "Unauthorized", "error": 401}),
                             status=401, content_type=JSON)
            self._signed += 1
            headers = self.ratelimit(self._signed, asked.target)
        reply = self.answer(parts.path, {k: v[0] for k, v in parse_qs(parts.query).items()})
        if reply is None:
            return None
        reply.headers.update(headers)
        return reply

    def answer(self, path: str, query: dict[str, str]) -> Reply | None:
        bits = path.strip("/").split("/")
        if bits[0] == "comments" and len(bits) == 2 and bits[1] in self.threads:
            t = self.threads[bits[1]]
            return self.json([listing([post(t)]), listing(self.render(t, t.tops, None, 0))])
        if bits[0] == "comments" and len(bits) == 4 and bits[2] == "_":
            known = self.threads.get(bits[1])
            if known is None or bits[3] not in known.nodes:
                return None
            top = _comment(known, bits[3], 0, self.replies(known, bits[3], 1))
            return self.json([listing([post(known)]), listing([top])])
        if path == "/api/morechildren":
            return self.morechildren(query)
        if path == "/api/info":  # a comment by its fullname: names its post (link_id)
            cid = query.get("id", "").removeprefix("t1_")
            found = [_comment(t, cid, 0, "") for t in self.threads.values() if cid in t.nodes]
            return self.json(listing(found))
        if bits[0] == "user" and len(bits) == 3 and bits[2] == "about" and \
                bits[1] in self.users:
            return self.json({"kind": "t2", "data": {
                "name": bits[1], "id": "abc", "created_utc": float(T0), "link_karma": 7,
                "comment_karma": self.users[bits[1]], "is_suspended": False}})
        if bits[0] == "user" and len(bits) == 3 and bits[2] == "comments":
            mine = [_comment(t, cid, 0, "") for t in self.threads.values()
                    for cid in t.nodes if f"user{int(cid[1:], 36) % 97}" == bits[1]]
            return self.json(listing(mine))
        if bits[0] == "r" and len(bits) == 3 and f"r/{bits[1]}/{bits[2]}" in self.listings:
            return self.listing_page(f"r/{bits[1]}/{bits[2]}", query.get("after"))
        return None

    def json(self, obj: object) -> Reply:
        return Reply(json.dumps(obj), content_type=JSON)

    def render(self, t: GenThread, ids: list[str], parent: str | None, depth: int,
               *, limit: int | None = None) -> list[dict]:
        """Comments ``ids`` (siblings under ``parent``) as a page shows them: the first
        ``limit`` with their replies, the rest as one "load more" stub."""
        limit = self.cut.top if limit is None else limit
        shown = [_comment(t, cid, depth, self.replies(t, cid, depth + 1))
                 for cid in ids[:limit]]
        if ids[limit:]:
            shown.append(self.more(t, parent, ids[limit:], depth))
        return shown

    def replies(self, t: GenThread, cid: str, depth: int) -> object:
        kids = t.nodes[cid].kids
        if not kids:
            return ""
        if depth >= self.cut.depth:
            return listing([self.cont(t, cid, depth)])
        return listing(self.render(t, kids, cid, depth, limit=self.cut.kids))

    def morechildren(self, query: dict[str, str]) -> Reply:
        with self._lock:
            self._busy += 1
            self.morechildren_calls += 1
            call = self.morechildren_calls
            overlap = self._busy > 1
            if overlap:
                self.concurrent += 1
        try:
            if call == self.hold_call:
                self.holding.set()
                self.go_on.wait(120)
            if overlap:
                return Reply(json.dumps({"message": "Conflict", "error": 409}), status=409,
                             content_type=JSON)
            if self.throttle_once:
                self.throttle_once = False
                return self.json({"json": {"errors": [
                    ["RATELIMIT", "you are doing that too much", "ratelimit"]]}})
            ids = [c for c in query.get("children", "").split(",") if c]
            if len(ids) > 100:
                return Reply("<html><body><h1>413 Request Entity Too Large</h1></body></html>",
                             status=413, content_type="text/html")
            t = self.threads[query.get("link_id", "").removeprefix("t3_")]
            things: list[dict] = []
            known = [cid for cid in ids if cid in t.nodes]
            given = known if self.morechildren_gives is None else \
                known[:self.morechildren_gives]
            for cid in given:
                self.flatten(t, cid, self.depth_of(t, cid), things)
            if known[len(given):]:
                rest = known[len(given):]
                things.append(self.more(t, t.nodes[rest[0]].parent, rest,
                                        self.depth_of(t, rest[0])))
            # The answer takes a moment, as Reddit's does: an overlapping call would land
            # inside it and be counted.
            threading.Event().wait(self.morechildren_delay)
            return self.json({"json": {"errors": [], "data": {"things": things}}})
        finally:
            with self._lock:
                self._busy -= 1

    def depth_of(self, t: GenThread, cid: str) -> int:
        depth, parent = 0, t.nodes[cid].parent
        while parent is not None:
            depth, parent = depth + 1, t.nodes[parent].parent
        return depth

    def flatten(self, t: GenThread, cid: str, depth: int, out: list[dict]) -> None:
        """A comment and its replies, flat, cut as a page cuts them."""
        out.append(_comment(t, cid, depth, ""))
        kids = t.nodes[cid].kids
        if not kids:
            return
        if depth + 1 >= self.cut.depth:
            out.append(self.cont(t, cid, depth + 1))
            return
        for kid in kids[:self.cut.kids]:
            self.flatten(t, kid, depth + 1, out)
        if kids[self.cut.kids:]:
            out.append(self.more(t, cid, kids[self.cut.kids:], depth + 1))

    def more(self, t: GenThread, parent: str | None, ids: list[str], depth: int) -> dict:
        self.more_served.add(tuple(ids))
        return _more(t, parent, ids, depth)

    def cont(self, t: GenThread, parent: str, depth: int) -> dict:
        self.continues_served.add(parent)
        return _continue(t, parent, depth)

    def listing_page(self, name: str, after: str | None) -> Reply:
        ids = self.listings[name]
        start = ids.index(after.removeprefix("t3_")) + 1 if after else 0
        page = ids[start:start + 100]
        more = f"t3_{page[-1]}" if start + 100 < len(ids) else None
        posts = [post(self.threads.get(i) or GenThread(i, name.split("/")[1], {}, []))
                 for i in page]
        return self.json(listing(posts, after=more))


def env(api: RedditAPI, **extra: str) -> dict[str, str]:
    """The environment of a crawl against the stand-in, with the password grant."""
    return {"LINKTHREAD_REDDIT_API_URL": api.site.base_url,
            "LINKTHREAD_REDDIT_AUTH_URL": api.auth_url,
            "LINKTHREAD_REDDIT_CLIENT_ID": CLIENT_ID,
            "LINKTHREAD_REDDIT_CLIENT_SECRET": CLIENT_SECRET,
            "LINKTHREAD_REDDIT_USERNAME": USERNAME, "LINKTHREAD_REDDIT_PASSWORD": PASSWORD,
            # No config file of the machine's user may lend credentials to a test.
            "LINKTHREAD_REDDIT_CONFIG": "/nonexistent/reddit.ini", **extra}
