"""Hacker News threads as Algolia's search API gives them (``hn.algolia.com/api/v1/
items/ID``): the whole tree in one JSON, each item with its ``children`` nested. Pure.

Known differences from the page (and from the official API), and what is done with them:

* ``children`` are sorted by Algolia (by points, roughly), not in display order: the
  comments' positions are their index in that order and the thread says so
  (``comment_order`` "points", which the archive keeps as the story's extra).
* A deleted or dead item is reduced to ``{id, children}`` (or has ``author`` and
  ``text`` null): it keeps its place, marked deleted, as the page shows "[deleted]";
  Algolia cannot tell dead from deleted, and shows some dead comments in full.
* ``text`` is re-wrapped: every paragraph in ``<p>...</p>`` where the page serves
  ``first<p>second``; it is put back in the page's form, so the two compare equal.
* ``points`` is Algolia's copy of the score, often behind the site's; there is no
  ``descendants``, so the thread declares no comment count.
* Times: ``created_at_i`` (Unix seconds) is exact, kept as the raw value.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from archive.models import Comment, Story, Thread
from scraper.parsers import bodies
from scraper.parsers.errors import ParseError
from scraper.parsers.hn.item import SITE
from scraper.parsers.hn.story import story_kind
from scraper.parsers.integers import stored_int
from scraper.parsers.jsonload import loads
from scraper.parsers.tree import walk

Node = Mapping[str, Any]
SOURCE = "algolia"  # what the archive's ``source`` columns call this origin
ORDER = "points"  # Thread.comment_order: Algolia's sort, not the page's


def looks_like_item(text: str) -> bool:
    """Whether ``text`` is an Algolia item response (a story's, with its tree)."""
    head = text.lstrip()[:4096]
    return head.startswith("{") and '"created_at_i"' in head and '"children"' in text


def page_html(html: str | None) -> str | None:
    """Algolia's ``<p>a</p><p>b</p>`` in the page's served form ``a<p>b``."""
    if not html:
        return None
    html = html.strip()
    if html.startswith("<p>"):
        html = html[3:]
    return html.replace("</p>", "").rstrip() or None


def _time(node: Node) -> tuple[datetime | None, str | None]:
    value = node.get("created_at_i")
    if isinstance(value, bool) or not isinstance(value, int):
        return None, None
    try:
        return datetime.fromtimestamp(value, UTC), str(value)
    except (OverflowError, OSError, ValueError):
        return None, str(value)


def _str(node: Node, key: str) -> str | None:
    value = node.get(key)
    return value if isinstance(value, str) and value else None


def _id(node: Node, url: str) -> str:
    value = node.get("id")
    if isinstance(value, bool) or not isinstance(value, int):
        raise ParseError(SITE, url, f"an Algolia item without a numeric id: {value!r}")
    return str(value)


def _children(node: Node) -> list[Node]:
    kids = node.get("children")
    return [k for k in kids if isinstance(k, dict)] if isinstance(kids, list) else []


def parse_algolia_item(text: str, *, url: str, fetched_at: datetime) -> Thread:
    """The Thread of a saved Algolia item response; ParseError if it is not one."""
    try:
        root = loads(text)
    except ValueError as e:
        raise ParseError(SITE, url, f"not JSON: {e}") from None
    if not isinstance(root, dict) or "children" not in root:
        raise ParseError(SITE, url, "not an Algolia item response (no children)")
    if root.get("type") != "story":
        raise ParseError(SITE, url, f"the item is a {root.get('type')!r}, not a story "
                                    "(save the story's response: items/STORY_ID)")
    story_id = _id(root, url)
    tree: Node = root
    # Algolia's order, every node: a repeated id is an error below, not passed over.
    placed = [(node, None if parent is None else str(parent.get("id")), depth, position)
              for node, parent, depth, position in walk(tree, _children)]
    htmls = [page_html(_str(n, "text")) for n, *_ in placed]
    root_html = page_html(_str(root, "text"))
    read = iter(bodies.texts([h for h in (root_html, *htmls) if h]))
    root_text = next(read) if root_html else None
    comments = []
    seen: set[str] = set()
    for (node, parent, depth, position), html in zip(placed, htmls, strict=True):
        cid = _id(node, url)
        if cid in seen:
            raise ParseError(SITE, url, f"comment {cid} appears twice in the tree")
        seen.add(cid)
        created_at, raw = _time(node)
        author = _str(node, "author")
        comments.append(Comment(
            site=SITE, id=cid, story_id=story_id, parent_id=parent, depth=depth,
            position=position, author=author, created_at=created_at, created_at_raw=raw,
            text_html=html, text=next(read) if html else None,
            # Reduced to {id, children}, or emptied: the page's "[deleted]".
            deleted=author is None and html is None,
        ))  # fmt: skip
    created_at, raw = _time(root)
    title, link, author = _str(root, "title"), _str(root, "url"), _str(root, "author")
    points = root.get("points")
    score = stored_int(points)
    story = Story(
        site=SITE, id=story_id, title=title, url=link,
        domain=((urlsplit(link).hostname or "").removeprefix("www.") or None) if link else None,
        author=author, score=score, created_at=created_at, created_at_raw=raw,
        text_html=root_html, text=root_text, kind=story_kind(title or "", author, score),
        deleted=author is None and title is None,
    )  # fmt: skip
    return Thread(story=story, comments=tuple(comments), fetched_at=fetched_at,
                  comment_order=ORDER, source=SOURCE)  # fmt: skip
