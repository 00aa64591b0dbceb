"""One HN thread from its two forms: the official API's tree and the item page(s). Pure.

``crawl hn --via both`` reads both and stores one row per comment, taking from each
what it knows best:

* from the API: exact times (``time``, to the second, where the page says "3 hours
  ago" or a day), and the text of a dead comment the page hides from logged-out readers;
* from the page: its display order and tree (what readers see), the grey level
  (``colour``) and the visible state (``[dead]``, ``[flagged]``, ``[deleted]``).

Where they disagree, both observations are kept: a comment in one form only is stored
(with that form as its ``source``) and named by a ``Difference`` of kind "only"; a
comment under different parents keeps the page's place and a Difference "parent" says
what the API gives. A comment only the API has is placed under its API parent at its
index in the parent's kids (or last, where fewer siblings are shown).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

from archive.models import Comment, Difference, Thread

API, HTML = "api", "html"
BOTH = "api,html"  # archive.sources: the observation's two sources


def _exact(api: Comment, page: Comment) -> Comment:
    """The page's comment with what only the API knows exactly."""
    out = page
    if api.created_at is not None:
        out = replace(out, created_at=api.created_at, created_at_raw=api.created_at_raw)
    if page.text_html is None and api.text_html is not None:
        out = replace(out, text_html=api.text_html, text=api.text)
    if page.author is None and api.author is not None and not page.deleted:
        out = replace(out, author=api.author)
    return out


def _walk(children: dict[str | None, list[Comment]]) -> Iterator[tuple[Comment, int]]:
    """(comment, depth) depth first from the top level, iteratively."""
    stack = [(iter(children.get(None, ())), 0)]
    while stack:
        kids, depth = stack[-1]
        c = next(kids, None)
        if c is None:
            stack.pop()
            continue
        yield c, depth
        stack.append((iter(children.get(c.id, ())), depth + 1))


def merge_thread(api: Thread, page: Thread) -> Thread:
    """The thread as both forms show it (see the module docstring)."""
    by_api = {c.id: c for c in api.comments}
    on_page = {c.id for c in page.comments}
    differences: list[Difference] = []
    children: dict[str | None, list[Comment]] = {}
    for c in page.comments:
        theirs = by_api.get(c.id)
        if theirs is None:
            differences.append(Difference(comment_id=c.id, kind="only", shown_by=HTML, other=API))
            children.setdefault(c.parent_id, []).append(replace(c, source=HTML))
            continue
        if theirs.parent_id != c.parent_id:
            differences.append(Difference(comment_id=c.id, kind="parent", shown_by=HTML,
                                          other=API, detail={API: theirs.parent_id,
                                                             HTML: c.parent_id}))  # fmt: skip
        children.setdefault(c.parent_id, []).append(_exact(theirs, c))
    for c in api.comments:  # parents before their replies: the API tree's order
        if c.id in on_page:
            continue
        differences.append(Difference(comment_id=c.id, kind="only", shown_by=API, other=HTML))
        siblings = children.setdefault(c.parent_id, [])
        siblings.insert(min(c.position, len(siblings)), replace(c, source=API))
    placed: list[Comment] = []
    position: dict[str | None, int] = {}
    for c, depth in _walk(children):
        n = position.get(c.parent_id, 0)
        position[c.parent_id] = n + 1
        placed.append(c if (c.depth, c.position) == (depth, n)
                      else replace(c, depth=depth, position=n))
    story = page.story
    if api.story.created_at is not None:
        story = replace(story, created_at=api.story.created_at,
                        created_at_raw=api.story.created_at_raw)
    if story.comment_count is None:
        story = replace(story, comment_count=api.story.comment_count)
    return replace(page, story=story, comments=tuple(placed), source=BOTH,
                   differences=tuple(differences))
