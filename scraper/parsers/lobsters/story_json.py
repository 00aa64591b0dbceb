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
from archive.records import quick
from scraper.parsers import bodies, comment_stores
from scraper.parsers.errors import ParseError
from scraper.parsers.integers import HIGH, LOW, keep_beyond, stored_int
from scraper.parsers.lobsters.common import (
    _SHORT_ID,
    _USER_USED,
    EDIT_GRACE,
    SITE,
    StoryPage,
    about_fields,
    domain_of,
    gone,
    is_short_id,
    iso_time,
    kind_of,
    leftovers,
    load_json,
    new_user,
    story_id_of,
    user_name,
    user_record,
)
from scraper.parsers.lobsters.errors import check_body
from scraper.parsers.parents import UNKNOWN, Row, new_row, place
from scraper.parsers.shaped import shaped_text
from scraper.parsers.shaped import texts as story_texts

# Fields read into common columns; short_id_url and a comment's url are derived from its id.
_STORY_USED = frozenset(("short_id", "short_id_url", "created_at", "title", "url", "score",
                         "comment_count", "description", "submitter_user", "tags",
                         "comments"))
_COMMENT_USED = frozenset(("short_id", "short_id_url", "url", "created_at", "updated_at",
                           "last_edited_at", "is_deleted", "is_moderated", "score",
                           "parent_comment", "indent_level", "depth", "comment",
                           "commenting_user"))
# Built through mutable twins (archive.records): a Story's keyword __init__ was ~2.1 us,
# its twin's ~0.65; the Thread and the StoryPage ~1.5 us together, ~0.85 so.
_STORY, _THREAD, _PAGE = quick(Story), quick(Thread), quick(StoryPage)


def story_from_json(obj: object, *, url: str) -> Story:
    """The story of a story JSON or of one listing row (the same object, without comments)."""
    if (type(obj) is not dict and not isinstance(obj, Mapping)) or \
            not is_short_id(obj.get("short_id")):
        raise ParseError(SITE, url, "not a Lobsters story object (no short_id)")
    title = obj.get("title")
    if not isinstance(title, str):
        raise ParseError(SITE, url, f"story {obj['short_id']} has no title")
    link = obj.get("url") or None
    tags = obj.get("tags") or []
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise ParseError(SITE, url, f"story {obj['short_id']}: tags are not a list of names")
    description = obj.get("description") or None
    if not isinstance(description, str):
        description = None
    # Read alone, not with the comments' bodies in one parse: a stray close tag ends a
    # body wrapped alone in its <div>, and not one among the others (tests/test_lobsters_fast).
    text = None
    if description is not None:  # the renderer's common shapes read by parsers.shaped
        fast = shaped_text(description)
        text = (fast if fast is not None else bodies.text(description)) or None
    created_at, created_raw = iso_time(obj.get("created_at"))
    score, count = obj.get("score"), obj.get("comment_count")
    return _STORY(
        site=SITE, id=obj["short_id"], title=title, url=link if isinstance(link, str) else None,
        domain=domain_of(link) if isinstance(link, str) else None,
        author=user_name(obj.get("submitter_user")),
        score=stored_int(score), comment_count=stored_int(count),
        created_at=created_at, created_at_raw=created_raw,
        text_html=description, text=text,
        kind=kind_of(tags), tags=tuple(sorted(tags)),
        extra=keep_beyond(leftovers(obj, _STORY_USED), score=score, comment_count=count),
    )


def _rows(raw: list[Any], *, url: str) -> list[Row]:
    """Each comment's place as it names it. ``is_short_id``'s test spelt out for a str:
    its call and its ``isinstance``, twice a comment, were a tenth of the rows."""
    rows = []
    for i, c in enumerate(raw):
        ident = c.get("short_id")
        if (type(ident) is not str or _SHORT_ID.fullmatch(ident) is None) and \
                not is_short_id(ident):
            raise ParseError(SITE, url, f"comment {i} has no short_id")
        depth = c.get("depth")
        if not isinstance(depth, int):
            level = c.get("indent_level")
            depth = level - 1 if isinstance(level, int) else None
        parent = c.get("parent_comment", UNKNOWN)
        if parent is not None and parent is not UNKNOWN and (
                type(parent) is not str or _SHORT_ID.fullmatch(parent) is None) and \
                not is_short_id(parent):
            raise ParseError(SITE, url, f"comment {ident}: parent_comment {parent!r} is not "
                                        "an id")
        rows.append(new_row(ident, parent, depth))
    return rows


def _time(raw: object, times: dict[str, tuple[datetime | None, str | None]]
          ) -> tuple[datetime | None, str | None]:
    """``iso_time(raw)``, each string read once a page."""
    if type(raw) is not str:
        return iso_time(raw)
    found = times.get(raw)
    if found is None:
        found = times[raw] = iso_time(raw)
    return found


def _comments(story: Story, raw: list[Any], *, url: str) -> tuple[Comment, ...]:
    """The comments of ``raw`` (checked to be objects)."""
    places = place(_rows(raw, url=url), site=SITE, url=url)
    served = [str(c.get("comment") or "") for c in raw]
    texts = story_texts(served)
    # A comment's created and edit times are most often one string: each read once,
    # looked up here before any call (two calls a comment were ~0.2 us of its ~4).
    times: dict[str, tuple[datetime | None, str | None]] = {}
    out = []
    submitter, story_id, new_comment = story.author, story.id, comment_stores.new_comment
    for c, where, body, text in zip(raw, places, served, texts, strict=True):
        stamp = c.get("created_at")
        created = times.get(stamp) if type(stamp) is str else None
        if created is None:
            created = _time(stamp, times)
        stamp = c.get("last_edited_at" if "last_edited_at" in c else "updated_at")
        edit = times.get(stamp) if type(stamp) is str else None
        if edit is None:
            edit = _time(stamp, times)
        created_at, edited_at = created[0], edit[0]
        extra = leftovers(c, _COMMENT_USED) or {}
        is_moderated = c.get("is_moderated")
        deleted = removed = False
        if c.get("is_deleted") or is_moderated:
            plain = c.get("comment_plain")
            placeholder = plain if isinstance(plain, str) else text
            removed = gone(placeholder)[1] or bool(is_moderated)
            deleted = not removed
            extra["gone_text"] = placeholder
            extra.pop("comment_plain", None)
            body = text = ""
        author = c.get("commenting_user")
        author = (author or None) if type(author) is str else user_name(author)
        score = c.get("score")
        if type(score) is not int or not LOW <= score <= HIGH:
            extra = keep_beyond(extra, score=score) or {}
            score = stored_int(score)
        out.append(new_comment(
            SITE, c["short_id"], story_id, where.parent_id, where.depth, where.position, author,
            created_at, created[1], body or None, text or None, deleted, removed,
            score, bool(edited_at and created_at and edited_at - created_at > EDIT_GRACE),
            edited_at, edit[1], author is not None and author == submitter, extra or None))
    return tuple(out)


def _users(obj: Mapping[str, Any]) -> tuple[User, ...]:
    found: dict[str, User] = {}
    holders = [obj.get("submitter_user")]
    holders += [c.get("commenting_user") for c in obj.get("comments") or []
                if type(c) is dict or isinstance(c, Mapping)]
    for holder in holders:
        if type(holder) is str:  # a name alone (2024-): no profile
            continue
        if type(holder) is dict and type(name := holder.get("username")) is str and name:
            if name not in found:  # the first object of a name is kept
                found[name] = _profile(holder, name)
            continue
        user = user_record(holder)
        if user is not None:
            found.setdefault(user.id, user)
    return tuple(found.values())


def _profile(holder: dict[str, Any], name: str) -> User:
    """``user_record(holder)`` of a decoded user object named ``name``, without its
    type and name tests made again."""
    created_at, created_raw = iso_time(holder.get("created_at"))
    karma = holder.get("karma")
    about = holder.get("about")
    about_html, about_text = about_fields(about) if about else (None, None)
    return new_user(name, created_at, created_raw, stored_int(karma), about_html, about_text,
                    keep_beyond(leftovers(holder, _USER_USED), karma=karma))


def parse_story_json(text: str, *, url: str, fetched_at: datetime,
                     checked: bool = False) -> StoryPage:
    """The thread of a story JSON. ``url`` is the URL asked for: when it names another
    story than the body (a merged story's redirect), that story is recorded as merged."""
    if not checked:
        check_body(text, url=url)
    obj = load_json(text, url=url)
    if type(obj) is not dict and not isinstance(obj, Mapping):
        raise ParseError(SITE, url, "a JSON list, not a story: a listing?")
    raw = obj.get("comments")
    if not isinstance(raw, list):
        raise ParseError(SITE, url, "no comments list: not a story's JSON (a listing row?)")
    if not all(type(c) is dict or isinstance(c, Mapping) for c in raw):
        story_from_json(obj, url=url)  # a bad story is named first, as it always was
        raise ParseError(SITE, url, "a comment is not a JSON object")
    story = story_from_json(obj, url=url)
    comments = _comments(story, raw, url=url)
    if not comments and story.comment_count:
        raise ParseError(SITE, url, f"story says {story.comment_count} comments but none "
                                    "were found")
    asked = story_id_of(url)
    merged = (Story(site=SITE, id=asked, merged_into=story.id),) \
        if asked is not None and asked != story.id else ()
    return _PAGE(thread=_THREAD(story=story, comments=comments, fetched_at=fetched_at),
                 merged=merged, users=_users(obj))
