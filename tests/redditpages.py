"""Generated Reddit threads and the API answers that serve them, for parser tests and
the crawl's stand-in API: a tree whose every id, parent and position is known, and
renderings of it as Reddit's API cuts it up.

* ``generate_thread(n, seed)``: a random tree (nesting, deleted, removed, account-
  deleted and edited comments), comments in display order;
* ``comments_page``: the ``/comments/ID`` answer, with ``more`` stubs where a node shows
  only its first ``child_limit`` replies (the post its first ``top_limit``), and
  "continue this thread" stubs below ``depth_limit``; ``with_depth=False`` drops the
  ``depth`` field (answers of 2015-16); ``raw_json=False`` escapes ``body_html``;
* ``continue_page``: ``/comments/ID/_/PARENT``: the parent again, at depth 0, with its
  replies cut by the same rules;
* ``morechildren_page``: ``/api/morechildren``'s flat answer for a list of ids, in
  display order, with a ``more`` stub for the replies of a returned comment that were
  not asked for;
* ``stub_ids``: what a stub lists: the hidden replies and all their descendants;
* ``listing_page`` / ``user_page``: an API listing (with its ``after`` cursor) and a
  profile, for the stand-in's other paths.
"""

from __future__ import annotations

import html
import json
import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

STATES = ("ok", "deleted", "removed", "account_deleted")
BASE_TIME = 1_700_000_000
_DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"


def base36(n: int) -> str:
    out = ""
    while True:
        n, r = divmod(n, 36)
        out = _DIGITS[r] + out
        if n == 0:
            return out


@dataclass(frozen=True, slots=True, kw_only=True)
class GenComment:
    id: str
    parent_id: str | None  # None: a top-level comment
    depth: int
    position: int
    author: str
    body: str
    state: str = "ok"  # one of STATES
    edited: int | None = None  # epoch of the last edit
    created: int = BASE_TIME
    score: int = 1


@dataclass(frozen=True, slots=True, kw_only=True)
class GeneratedThread:
    story_id: str
    title: str
    author: str
    comments: tuple[GenComment, ...]  # display (pre-order) order
    kids: dict[str | None, list[str]] = field(default_factory=dict)
    by_id: dict[str, GenComment] = field(default_factory=dict)

    def children(self, parent_id: str | None) -> list[str]:
        return self.kids.get(parent_id, [])

    def subtree(self, cid: str) -> list[str]:
        """``cid`` and its descendants, in display order."""
        out, stack = [], [cid]
        while stack:
            top = stack.pop()
            out.append(top)
            stack.extend(reversed(self.children(top)))
        return out


def generate_thread(n_comments: int, seed: int, *, story_id: str = "1abcde",
                    max_depth: int = 12, gone_share: float = 0.08,
                    edited_share: float = 0.1) -> GeneratedThread:
    """``n_comments`` comments in a random tree: each new comment replies to the post or
    to an earlier comment (recent ones likelier), no deeper than ``max_depth``."""
    rng = random.Random(seed)
    parents: list[str | None] = []
    depth: dict[str, int] = {}
    ids = [base36(36**5 + seed * 1_000_003 % 36**5 + i * 7919) for i in range(n_comments)]
    for i, cid in enumerate(ids):
        roll = rng.random()
        parent: str | None = None
        if i and roll > 0.25:
            back = min(i, int(rng.expovariate(0.15)) + 1)
            parent = ids[i - back]
            if depth[parent] + 1 > max_depth:
                parent = None
        parents.append(parent)
        depth[cid] = 0 if parent is None else depth[parent] + 1
    kids: dict[str | None, list[str]] = {}
    for cid, parent in zip(ids, parents, strict=True):
        kids.setdefault(parent, []).append(cid)
    made: dict[str, GenComment] = {}
    for i, (cid, parent) in enumerate(zip(ids, parents, strict=True)):
        state = rng.choice(STATES[1:]) if rng.random() < gone_share else "ok"
        made[cid] = GenComment(
            id=cid, parent_id=parent, depth=depth[cid],
            position=kids[parent].index(cid), author=f"user{rng.randrange(200)}",
            body=f"Comment {cid} & <text> {rng.randrange(10**6)}", state=state,
            edited=BASE_TIME + 60 * i + 3600 if rng.random() < edited_share else None,
            created=BASE_TIME + 60 * i, score=rng.randrange(-5, 500))
    order: list[str] = []
    stack = list(reversed(kids.get(None, [])))
    while stack:
        top = stack.pop()
        order.append(top)
        stack.extend(reversed(kids.get(top, [])))
    return GeneratedThread(story_id=story_id, title=f"Generated thread {seed}",
                           author="poster", comments=tuple(made[c] for c in order),
                           kids=kids, by_id=made)


def _t1(thread: GeneratedThread, c: GenComment, *, depth: int | None, raw_json: bool,
        replies: Any) -> dict[str, Any]:
    author = "[deleted]" if c.state != "ok" else c.author
    body = {"deleted": "[deleted]", "removed": "[removed]"}.get(c.state, c.body)
    body_html = f'<div class="md"><p>{html.escape(body)}</p>\n</div>'
    data: dict[str, Any] = {
        "id": c.id, "name": f"t1_{c.id}", "link_id": f"t3_{thread.story_id}",
        "parent_id": f"t1_{c.parent_id}" if c.parent_id else f"t3_{thread.story_id}",
        "author": author, "body": body if raw_json else html.escape(body, quote=False),
        "body_html": body_html if raw_json else html.escape(body_html),
        "created_utc": float(c.created), "edited": float(c.edited) if c.edited else False,
        "score": c.score, "score_hidden": False, "stickied": False, "controversiality": 0,
        "distinguished": None, "is_submitter": c.author == thread.author,
        "collapsed": c.state != "ok", "replies": replies,
    }
    if depth is not None:
        data["depth"] = depth
    return {"kind": "t1", "data": data}


def stub_ids(thread: GeneratedThread, hidden: Iterable[str]) -> list[str]:
    """The ids a stub for ``hidden`` replies lists: each with its descendants."""
    return [d for cid in hidden for d in thread.subtree(cid)]


def _more(thread: GeneratedThread, parent: str | None, hidden: Sequence[str],
          depth: int | None) -> dict[str, Any]:
    listed = stub_ids(thread, hidden)
    data: dict[str, Any] = {
        "count": len(listed), "id": hidden[0], "name": f"t1_{hidden[0]}",
        "parent_id": f"t1_{parent}" if parent else f"t3_{thread.story_id}",
        "children": listed}
    if depth is not None:
        data["depth"] = depth
    return {"kind": "more", "data": data}


def _continue(thread: GeneratedThread, parent: str, depth: int | None) -> dict[str, Any]:
    data: dict[str, Any] = {"count": 0, "id": "_", "name": "t1__", "parent_id": f"t1_{parent}",
                            "children": []}
    if depth is not None:
        data["depth"] = depth
    return {"kind": "more", "data": data}


@dataclass(frozen=True, slots=True, kw_only=True)
class Cut:
    """How an answer cuts the tree (None: no limit)."""

    top_limit: int | None = None
    child_limit: int | None = None
    depth_limit: int | None = None  # comments at this depth (in the answer) are stubs
    with_depth: bool = True
    raw_json: bool = True


def _replies(thread: GeneratedThread, parent: str | None, depth: int, cut: Cut) -> Any:
    kids = thread.children(parent)
    if not kids:
        return ""
    shown_depth = depth if cut.with_depth else None
    if cut.depth_limit is not None and depth >= cut.depth_limit and parent is not None:
        things = [_continue(thread, parent, shown_depth)]
    else:
        limit = cut.top_limit if parent is None else cut.child_limit
        shown = kids if limit is None else kids[:limit]
        things = [_t1(thread, thread.by_id[c], depth=shown_depth, raw_json=cut.raw_json,
                      replies=_replies(thread, c, depth + 1, cut)) for c in shown]
        if len(shown) < len(kids):
            things.append(_more(thread, parent, kids[len(shown):], shown_depth))
    return {"kind": "Listing", "data": {"after": None, "before": None, "children": things}}


def post_listing(thread: GeneratedThread, *, n_comments: int | None = None) -> dict[str, Any]:
    count = len(thread.comments) if n_comments is None else n_comments
    post = {"id": thread.story_id, "name": f"t3_{thread.story_id}", "title": thread.title,
            "author": thread.author, "score": 1234, "num_comments": count,
            "created_utc": float(BASE_TIME - 600), "edited": False, "is_self": True,
            "selftext": "The post", "selftext_html": '<div class="md"><p>The post</p></div>',
            "url": f"https://www.reddit.com/r/gen/comments/{thread.story_id}/generated/",
            "subreddit": "gen", "permalink": f"/r/gen/comments/{thread.story_id}/generated/"}
    return {"kind": "Listing", "data": {"children": [{"kind": "t3", "data": post}],
                                        "after": None, "before": None}}


def _empty() -> dict[str, Any]:
    return {"kind": "Listing", "data": {"children": [], "after": None, "before": None}}


def comments_page(thread: GeneratedThread, cut: Cut = Cut()) -> str:
    """The ``/comments/ID`` answer."""
    return json.dumps([post_listing(thread), _replies(thread, None, 0, cut) or _empty()])


def continue_page(thread: GeneratedThread, parent_id: str, cut: Cut = Cut()) -> str:
    """The ``/comments/ID/_/PARENT`` answer: the parent at depth 0 with its replies."""
    parent = thread.by_id[parent_id]
    top = _t1(thread, parent, depth=0 if cut.with_depth else None, raw_json=cut.raw_json,
              replies=_replies(thread, parent_id, 1, cut))
    listing = {"kind": "Listing", "data": {"children": [top], "after": None, "before": None}}
    return json.dumps([post_listing(thread), listing])


def morechildren_page(thread: GeneratedThread, ids: Sequence[str], *,
                      raw_json: bool = True) -> str:
    """``/api/morechildren``'s answer for ``ids``: those comments flat, in display
    order, each with its depth; a returned comment's replies that were not asked for
    follow it as one ``more`` stub."""
    asked = set(ids)
    things: list[dict[str, Any]] = []
    for c in thread.comments:
        if c.id not in asked:
            continue
        things.append(_t1(thread, c, depth=c.depth, raw_json=raw_json, replies=""))
        missing = [k for k in thread.children(c.id) if k not in asked]
        if missing:
            things.append(_more(thread, c.id, missing, c.depth + 1))
    # Reddit places a stub after the comment's returned replies: move each there.
    ordered: list[dict[str, Any]] = []
    for thing in things:
        if thing["kind"] == "more":
            continue
        ordered.append(thing)
    for thing in things:
        if thing["kind"] == "more":
            parent = thing["data"]["parent_id"].removeprefix("t1_")
            last = max(i for i, t in enumerate(ordered)
                       if t["data"]["id"] in {parent, *thread.subtree(parent)})
            ordered.insert(last + 1, thing)
    return json.dumps({"json": {"errors": [], "data": {"things": ordered}}})


def listing_page(story_ids: Sequence[str], *, after: str | None = None,
                 subreddit: str = "gen") -> str:
    """An API listing (``/r/SUB/hot``) of posts with these ids; ``after``: the fullname
    of the next page's cursor (None: the last page)."""
    rows = [{"kind": "t3", "data": {
        "id": sid, "name": f"t3_{sid}", "title": f"Post {sid}", "author": f"poster{i % 7}",
        "score": 1000 - i, "num_comments": i, "created_utc": float(BASE_TIME - 60 * i),
        "is_self": False, "url": f"https://example.org/{sid}", "subreddit": subreddit,
        "permalink": f"/r/{subreddit}/comments/{sid}/post/"}} for i, sid in enumerate(story_ids)]
    return json.dumps({"kind": "Listing", "data": {"after": after, "before": None,
                                                   "dist": len(rows), "children": rows}})


def user_page(name: str, *, karma: tuple[int, int] = (10, 20), suspended: bool = False) -> str:
    """``/user/NAME/about``: a profile, or a suspended account's two fields."""
    if suspended:
        return json.dumps({"kind": "t2", "data": {"name": name, "is_suspended": True}})
    return json.dumps({"kind": "t2", "data": {
        "name": name, "created_utc": float(BASE_TIME - 86400), "link_karma": karma[0],
        "comment_karma": karma[1], "total_karma": sum(karma), "is_suspended": False,
        "subreddit": {"public_description": f"About {name}"}}})


def corpus_readers() -> dict[str, Callable[[str], object]]:
    """Each form of a saved Reddit page (by its corpus file name's prefix) and the parser
    that reads it whole, as a crawl or an import would: for tests and benches over the
    corpus."""
    from scraper.parsers.reddit import html, listing, thread
    from tests.hnpages import FETCHED_AT as at

    url = "https://www.reddit.com/r/x/comments/1/x/"
    return {
        "comments": lambda t: thread.parse_thread_pages([(url, t)], fetched_at=at),
        "listing": lambda t: listing.parse_listing(t, url=url, fetched_at=at),
        "old-comments": lambda t: html.parse_old_comments(t, url=url, fetched_at=at),
        "old-listing": lambda t: html.parse_old_listing(t, url=url, fetched_at=at),
        "newreddit-comments": lambda t: html.parse_new_comments(t, url=url, fetched_at=at),
    }


def corpus_kind(name: str, readers: Iterable[str]) -> str | None:
    """The form a corpus file's name gives (the longest prefix that matches), or None."""
    return next((k for k in sorted(readers, key=len, reverse=True)
                 if name.startswith(k + "-")), None)

