"""Hacker News' official API (Firebase item and user dicts) -> records. Pure: no network,
no clock.

The API gives what the page rounds or hides: an item's exact ``time`` (Unix seconds),
``kids`` in display order, ``descendants``, ``deleted`` and ``dead`` flags. It lacks what
only the page shows: grey levels (``colour`` stays None), ``[flagged]`` marks, the text
of dead comments for logged-out readers. Its ``text`` is the same HTML the page serves
(``<p>`` paragraph breaks, ``<a>``, ``<i>``, ``<pre><code>``), so the text is read by
the page's body reader (``parsers.bodies``): one tree, one text, from either form.

Placement: a comment's ``position`` is its index in its parent's ``kids``. An id the
API answers ``null`` for is no record (nothing is known of it, not even its author) but
keeps its place: its later siblings keep their index, as the page would rank them.

``created_at_raw`` is the ``time`` value as the API sent it, e.g. ``"1768391940"``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from archive.items import LooseItem
from archive.models import Comment, Story, Thread, User
from scraper.parsers import bodies
from scraper.parsers.errors import ParseError
from scraper.parsers.hn.item import SITE
from scraper.parsers.hn.story import story_kind
from scraper.parsers.integers import stored_int
from scraper.parsers.tree import walk

Item = Mapping[str, Any]
SOURCE = "api"  # what the archive's ``source`` columns call this origin
STORY_TYPES = frozenset({"story", "job", "poll"})
_READ = object()  # "read the text from the item's HTML" (the default of ``text=``)


def item_time(item: Item) -> tuple[datetime | None, str | None]:
    """(created_at, created_at_raw) from the item's ``time``."""
    value = item.get("time")
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None, None
    try:
        return datetime.fromtimestamp(int(value), UTC), str(value)
    except (OverflowError, OSError, ValueError):
        return None, str(value)


def _html(item: Item, key: str = "text") -> str | None:
    value = item.get(key)
    return value if isinstance(value, str) and value else None


def _int(item: Item, key: str) -> int | None:
    return stored_int(item.get(key))


def _text(html: str | None, text: object) -> str | None:
    if text is not _READ:
        return text if isinstance(text, str) else None
    return bodies.text(html) if html else None


def item_texts(items: Sequence[Item]) -> list[str | None]:
    """The plain text of each item's ``text``, read in ONE parse of them all (a parse
    per body costs 8-12x, see ``parsers.bodies``): for mapping batches of items."""
    htmls = [_html(i) for i in items]
    present = [h for h in htmls if h]
    read = iter(bodies.texts(present))
    return [next(read) if h else None for h in htmls]


def is_story(item: Item) -> bool:
    """A story, job ad or poll (what the archive keeps as a story); else a comment, a
    poll option or an unknown type."""
    return item.get("type") in STORY_TYPES


def item_to_story(item: Item, *, text: object = _READ) -> Story:
    """A story (``type`` story, job or poll). ``text``: its plain text if already read."""
    html = _html(item)
    title = item.get("title") if isinstance(item.get("title"), str) else None
    url = item.get("url") if isinstance(item.get("url"), str) and item.get("url") else None
    created_at, raw = item_time(item)
    kind = item.get("type")
    if kind not in ("job", "poll"):
        kind = story_kind(title or "", "by", 0)  # Ask HN / Show HN / story, from the title
    host = (urlsplit(url).hostname or "") if url else ""
    return Story(
        site=SITE, id=str(item["id"]), title=title, url=url,
        domain=host.removeprefix("www.") or None, author=_author(item),
        score=_int(item, "score"), comment_count=_int(item, "descendants"),
        created_at=created_at, created_at_raw=raw, text_html=html, text=_text(html, text),
        kind=str(kind), dead=bool(item.get("dead")), deleted=bool(item.get("deleted")),
    )  # fmt: skip


def _author(item: Item) -> str | None:
    by = item.get("by")
    return by if isinstance(by, str) and by else None


def item_to_comment(item: Item, *, story_id: str, parent_id: str | None, depth: int,
                    position: int, text: object = _READ) -> Comment:
    """One comment placed in its thread (``parent_id`` None: a top-level comment)."""
    html = _html(item)
    created_at, raw = item_time(item)
    return Comment(
        site=SITE, id=str(item["id"]), story_id=story_id, parent_id=parent_id, depth=depth,
        position=position, author=_author(item), created_at=created_at, created_at_raw=raw,
        text_html=html, text=_text(html, text), dead=bool(item.get("dead")),
        deleted=bool(item.get("deleted")),
    )  # fmt: skip


def user_to_user(data: Item) -> User:
    """A profile (``user/NAME.json``): karma, created, about. Source "api"."""
    about = _html(data, "about")
    created_at, raw = item_time({"time": data.get("created")})
    return User(site=SITE, id=str(data["id"]), created_at=created_at, created_at_raw=raw,
                karma=_int(data, "karma"), about_html=about, about=_text(about, _READ),
                source=SOURCE)  # fmt: skip


def kids_of(item: Item | None) -> list[int]:
    """The item's ``kids`` ids in display order (none for a null item)."""
    kids = (item or {}).get("kids") or ()
    return [k for k in kids if isinstance(k, int) and not isinstance(k, bool)]


def tree_to_thread(root: Item, items_by_id: Mapping[int, Item | None], *,
                   fetched_at: datetime, url: str = "") -> Thread:
    """The Thread of a story and every comment reached through ``kids``, in display
    order (depth first, kids in order), each at its index among its parent's kids.
    A null item is left out and keeps its place; a kid absent from ``items_by_id``
    (never fetched) is left out the same way. Source "api"."""
    if not is_story(root):
        raise ParseError(SITE, url or f"item {root.get('id')}",
                         f"the root is a {root.get('type')!r}, not a story")
    story_id = str(root["id"])

    def comments_under(item: Item) -> list[Item | None]:
        # A null, an unfetched or a non-comment kid (a poll option) keeps its place only.
        kids = (items_by_id.get(k) for k in kids_of(item))
        return [k if k is not None and k.get("type") in ("comment", None) else None
                for k in kids]  # fmt: skip

    placed = [(item, None if parent is None else str(parent["id"]), depth, position)
              for item, parent, depth, position in walk(root, comments_under,
                                                        key=lambda i: i["id"])]  # fmt: skip
    texts = item_texts([p[0] for p in placed])
    comments = tuple(
        item_to_comment(item, story_id=story_id, parent_id=parent, depth=depth,
                        position=position, text=t)
        for (item, parent, depth, position), t in zip(placed, texts, strict=True)
    )  # fmt: skip
    return Thread(story=item_to_story(root), comments=comments, fetched_at=fetched_at,
                  source=SOURCE)


def loose_items(items: Sequence[Item]) -> list[LooseItem]:
    """Items fetched one by one (a backfill, a follow) as the archive links them into
    threads (``archive.items``): stories and comments; poll options and unknown types
    are left out (the archive has no row for them). Texts are read in one parse."""
    kept = [i for i in items if is_story(i) or i.get("type") == "comment"]
    texts = item_texts(kept)
    out: list[LooseItem] = []
    for item, text in zip(kept, texts, strict=True):
        kids = tuple(str(k) for k in kids_of(item))
        if is_story(item):
            out.append(LooseItem(id=str(item["id"]), kids=kids,
                                 story=item_to_story(item, text=text)))
            continue
        parent = item.get("parent")
        comment = item_to_comment(item, story_id="", parent_id=None, depth=0, position=0,
                                  text=text)
        out.append(LooseItem(id=str(item["id"]), kids=kids, comment=comment,
                             parent=str(parent) if isinstance(parent, int) else None))
    return out
