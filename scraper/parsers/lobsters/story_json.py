"""A Lobsters story's JSON (``/s/ID.json``) of every era -> StoryPage. Pure.

The comments are a flat pre-order list. How each names its place changed:

* 2018-2021: ``indent_level``, 1-based, and no parent: the tree comes from order + depth;
* 2022: ``indent_level`` and ``parent_comment`` (both given, both checked);
* 2023: ``parent_comment`` alone (``indent_level`` present but null);
* 2024-: ``parent_comment`` and a 0-based ``depth``.

Users are objects (``username``, ``karma``, ``about``, ...) until 2023 and plain names
after; a comment's edit time is ``updated_at`` until 2023 and ``last_edited_at`` after.
A gone comment keeps its author, and its body is the placeholder Lobsters shows
("<em>Comment removed by author</em>"); the placeholder goes to ``extra``, not the text.
A story merged into another answers with the other's JSON (a redirect): asked for by
its own URL, the page records the asked-for story as merged into the one it got.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from archive.models import Comment, Story, Thread, User
from scraper.parsers import bodies
from scraper.parsers.errors import ParseError
from scraper.parsers.lobsters.common import (
    EDIT_GRACE,
    SITE,
    StoryPage,
    domain_of,
    gone,
    is_short_id,
    iso_time,
    kind_of,
    leftovers,
    load_json,
    story_id_of,
    user_name,
    user_record,
)
from scraper.parsers.lobsters.errors import check_body
from scraper.parsers.parents import UNKNOWN, Row, place

# Fields read into common columns; short_id_url and a comment's url are derived from its id.
_STORY_USED = ("short_id", "short_id_url", "created_at", "title", "url", "score",
               "comment_count", "description", "submitter_user", "tags", "comments")
_COMMENT_USED = ("short_id", "short_id_url", "url", "created_at", "updated_at",
                 "last_edited_at", "is_deleted", "is_moderated", "score", "parent_comment",
                 "indent_level", "depth", "comment", "commenting_user")


def story_from_json(obj: object, *, url: str) -> Story:
    """The story of a story JSON or of one listing row (the same object, without comments)."""
    if not isinstance(obj, Mapping) or not is_short_id(obj.get("short_id")):
        raise ParseError(SITE, url, "not a Lobsters story object (no short_id)")
    title = obj.get("title")
    if not isinstance(title, str):
        raise ParseError(SITE, url, f"story {obj['short_id']} has no title")
    link = obj.get("url") or None
    tags = obj.get("tags") or []
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise ParseError(SITE, url, f"story {obj['short_id']}: tags are not a list of names")
    description = obj.get("description") or None
    created_at, created_raw = iso_time(obj.get("created_at"))
    score, count = obj.get("score"), obj.get("comment_count")
    return Story(
        site=SITE, id=obj["short_id"], title=title, url=link if isinstance(link, str) else None,
        domain=domain_of(link) if isinstance(link, str) else None,
        author=user_name(obj.get("submitter_user")),
        score=score if isinstance(score, int) else None,
        comment_count=count if isinstance(count, int) else None,
        created_at=created_at, created_at_raw=created_raw,
        text_html=description if isinstance(description, str) else None,
        text=(bodies.text(description) or None) if isinstance(description, str) else None,
        kind=kind_of(tags), tags=tuple(sorted(tags)),
        extra=leftovers(obj, _STORY_USED),
    )


def _row(c: Mapping[str, Any], i: int, *, url: str) -> Row:
    ident = c.get("short_id")
    if not isinstance(ident, str) or not is_short_id(ident):
        raise ParseError(SITE, url, f"comment {i} has no short_id")
    depth = c.get("depth")
    if not isinstance(depth, int):
        level = c.get("indent_level")
        depth = level - 1 if isinstance(level, int) else None
    parent = c.get("parent_comment", UNKNOWN)
    if parent is not None and parent is not UNKNOWN and not is_short_id(parent):
        raise ParseError(SITE, url, f"comment {ident}: parent_comment {parent!r} is not an id")
    return Row(id=ident, parent=parent, depth=depth)


def _comments(story: Story, raw: list[Any], *, url: str) -> tuple[Comment, ...]:
    if not all(isinstance(c, Mapping) for c in raw):
        raise ParseError(SITE, url, "a comment is not a JSON object")
    places = place([_row(c, i, url=url) for i, c in enumerate(raw)], site=SITE, url=url)
    gone_flags = [bool(c.get("is_deleted") or c.get("is_moderated")) for c in raw]
    bodies_html = [str(c.get("comment") or "") for c in raw]
    texts = bodies.texts(bodies_html)
    out = []
    for c, where, is_gone, body, text in zip(raw, places, gone_flags, bodies_html, texts,
                                             strict=True):
        created_at, created_raw = iso_time(c.get("created_at"))
        edit_key = "last_edited_at" if "last_edited_at" in c else "updated_at"
        edited_at, edited_raw = iso_time(c.get(edit_key))
        extra = leftovers(c, _COMMENT_USED) or {}
        deleted = removed = False
        if is_gone:
            placeholder = c.get("comment_plain") if isinstance(c.get("comment_plain"), str) \
                else text
            removed = gone(placeholder)[1] or bool(c.get("is_moderated"))
            deleted = not removed
            extra["gone_text"] = placeholder
            extra.pop("comment_plain", None)
        author = user_name(c.get("commenting_user"))
        score = c.get("score")
        out.append(Comment(
            site=SITE, id=c["short_id"], story_id=story.id, parent_id=where.parent_id,
            depth=where.depth, position=where.position, author=author,
            created_at=created_at, created_at_raw=created_raw,
            text_html=None if is_gone else body or None,
            text=None if is_gone else text or None,
            deleted=deleted, removed=removed,
            score=score if isinstance(score, int) else None,
            edited=bool(edited_at and created_at and edited_at - created_at > EDIT_GRACE),
            edited_at=edited_at, edited_at_raw=edited_raw,
            by_submitter=author is not None and author == story.author,
            extra=extra or None,
        ))
    return tuple(out)


def _users(obj: Mapping[str, Any]) -> tuple[User, ...]:
    found: dict[str, User] = {}
    holders = [obj.get("submitter_user")]
    holders += [c.get("commenting_user") for c in obj.get("comments") or []
                if isinstance(c, Mapping)]
    for holder in holders:
        user = user_record(holder)
        if user is not None:
            found.setdefault(user.id, user)
    return tuple(found.values())


def parse_story_json(text: str, *, url: str, fetched_at: datetime,
                     checked: bool = False) -> StoryPage:
    """The thread of a story JSON. ``url`` is the URL asked for: when it names another
    story than the body (a merged story's redirect), that story is recorded as merged."""
    if not checked:
        check_body(text, url=url)
    obj = load_json(text, url=url)
    if not isinstance(obj, Mapping):
        raise ParseError(SITE, url, "a JSON list, not a story: a listing?")
    raw = obj.get("comments")
    if not isinstance(raw, list):
        raise ParseError(SITE, url, "no comments list: not a story's JSON (a listing row?)")
    story = story_from_json(obj, url=url)
    comments = _comments(story, raw, url=url)
    if not comments and story.comment_count:
        raise ParseError(SITE, url, f"story says {story.comment_count} comments but none "
                                    "were found")
    asked = story_id_of(url)
    merged = (Story(site=SITE, id=asked, merged_into=story.id),) \
        if asked is not None and asked != story.id else ()
    return StoryPage(thread=Thread(story=story, comments=comments, fetched_at=fetched_at),
                     merged=merged, users=_users(obj))
