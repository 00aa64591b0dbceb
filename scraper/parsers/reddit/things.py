"""One Reddit "thing" (the ``data`` of a t3 post or a t1 comment) -> a Story or a Comment.

The same objects come from the API (``/comments/ID``, listings, ``/api/morechildren``)
and from the community dumps (Pushshift, Arctic Shift), which carry fewer fields and
some of their own (``retrieved_on``, Arctic Shift's ``_meta``): both read here, so a
thread archived from a dump and crawled later differs only where Reddit changed.

States, as Reddit spells them:

* account deleted: ``author`` "[deleted]", body kept -> author None, the raw name in
  ``extra["author"]``;
* comment deleted by its author: body "[deleted]" (author too) -> ``deleted``;
* removed by moderators: body "[removed]" -> ``removed`` (a post: ``dead``, which is
  what the archive calls a post taken down by the site);
* ``edited``: false, or the epoch of the last edit (true in some old responses);
* ``score_hidden``, ``collapsed``, ``stickied``, ``distinguished``, ``controversiality``,
  ``locked``, ``archived``: no column of their own, so in ``extra``, only when the object
  has the field (``extra`` is merged key by key: a field a dump lacks must not overwrite
  what the API said).

``body_html`` is HTML-escaped unless the request asked for ``raw_json=1``; it is
unescaped here either way. Dumps since 2023 have no ``body_html``: the text is then the
Markdown as written.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from archive.models import Comment, Story
from archive.records import quick
from scraper.parsers import bodies, comment_stores, shaped
from scraper.parsers.errors import ParseError
from scraper.parsers.integers import HIGH, LOW, keep_beyond, stored_int
from scraper.parsers.narrow import _squeezed
from scraper.parsers.reddit.gone import body_state

SITE = "reddit"
GONE_AUTHOR = "[deleted]"
_new_story = quick(Story)  # a thread's post (see archive.records)

# Kept in ``extra`` when present: what Reddit shows of a comment with no column of its own.
_COMMENT_EXTRA = ("score_hidden", "collapsed", "collapsed_reason", "stickied",
                  "distinguished", "controversiality", "locked", "archived", "gilded",
                  "author_flair_text", "retrieved_on", "_meta")
_STORY_EXTRA = ("subreddit", "permalink", "is_self", "over_18", "spoiler", "locked",
                "archived", "stickied", "distinguished", "link_flair_text", "upvote_ratio",
                "removed_by_category", "crosspost_parent", "num_crossposts", "poll_data",
                "quarantine", "subreddit_type", "retrieved_on", "_meta")


def unprefixed(fullname: object) -> str | None:
    """``t1_abc`` -> ``abc`` (an id without its kind prefix stays as it is)."""
    if not isinstance(fullname, str) or not fullname:
        return None
    head, sep, tail = fullname.partition("_")
    return tail if sep and len(head) == 2 and head[0] == "t" else fullname


def epoch(raw: object) -> tuple[datetime | None, str | None]:
    """(UTC time, raw text) of a Reddit epoch (a float, an int, or in some dumps a string)."""
    if isinstance(raw, bool) or raw is None or raw == "":
        return None, None
    try:
        seconds = float(raw)  # type: ignore[arg-type]
        return datetime.fromtimestamp(seconds, UTC), str(raw)
    except (TypeError, ValueError, OverflowError, OSError):
        return None, str(raw)


def served_html(data: Mapping[str, Any], key: str) -> str | None:
    """``body_html`` / ``selftext_html`` as HTML: unescaped when the API escaped it."""
    raw = data.get(key)
    if not isinstance(raw, str) or not raw:
        return None
    return html.unescape(raw) if raw.lstrip().startswith("&lt;") else raw


def _kept(data: Mapping[str, Any], keys: Sequence[str]) -> dict[str, Any]:
    return {k: data[k] for k in keys if k in data}


def _author(data: Mapping[str, Any], extra: dict[str, Any]) -> str | None:
    author = data.get("author")
    if not isinstance(author, str) or not author:
        return None
    if author == GONE_AUTHOR:
        extra["author"] = author  # the account is gone; the name Reddit shows instead
        return None
    return author


def _edited(data: Mapping[str, Any]) -> tuple[bool, datetime | None, str | None]:
    raw = data.get("edited")
    if raw is None or raw is False or raw == 0:
        return False, None, None
    if raw is True:
        return True, None, "true"
    at, at_raw = epoch(raw)
    return True, at, at_raw


def _markdown(data: Mapping[str, Any], key: str) -> str | None:
    raw = data.get(key)
    return html.unescape(raw) if isinstance(raw, str) and raw else None


def comments_from(rows: Sequence[tuple[Mapping[str, Any], str | None, int, int]], *,
                  story_id: str, submitter: str | None = None, url: str = "?"
                  ) -> list[Comment]:
    """Many comments at once, their bodies' text read in one parse: (data, parent_id,
    depth, position) each, as ``comment_from`` reads one. ``submitter``: the post's
    author, whose comments are ``by_submitter`` whatever ``is_submitter`` says."""
    bodies_html = [served_html(row[0], "body_html") for row in rows]
    shown = _texts([b for b in bodies_html if b is not None])
    texts = iter(shown)
    return [_comment(data, story_id, parent, depth, position, body,
                 next(texts) if body is not None else None, submitter, url)
            for (data, parent, depth, position), body in zip(rows, bodies_html, strict=True)]


# A body of one paragraph of plain text in snudown's wrapper, as shaped_text takes it
# (its run of text, the wrapper's whitespace): most of Reddit's. Its text is the
# paragraph's, squeezed and stripped as shaped_text's one block is: one match, where
# shaped_text's dozen calls were ~1.4 us a body (a small answer's four, ~5 us of ~80).
# Its run of text excludes "<" alone (sre's own loop for one character); what else the
# run may not hold (an entity, a NUL, a lone surrogate, a paragraph mark) is tested
# after the match, as shaped_text tests it.
_ONE_PARAGRAPH = re.compile(
    r'<div class="md">[ \t\n\r]*+<p>([^<]*+)</p>[ \t\n\r]*+</div>[ \t\n\r]*+')


def one_paragraph(fragment: str) -> str | None:
    """``shaped.shaped_text(fragment)`` of a wrapped body of one plain paragraph, else
    None (tests/test_reddit_one_paragraph.py holds it to shaped_text)."""
    found = _ONE_PARAGRAPH.fullmatch(fragment)
    if found is None or "&" in found[1] or not shaped._clean(fragment):
        return None
    return _squeezed(found[1]).strip(" ")


def _texts(fragments: list[str]) -> list[str]:
    """``shaped.texts(fragments)``, the one-paragraph bodies read by ``one_paragraph``:
    the others by ``shaped_text``, and if any is left, all by ``bodies.texts``, told
    the texts read (as shaped.texts does; a damaged body's reading can hang on its
    neighbours)."""
    known = [one_paragraph(f) for f in fragments]
    if None in known:
        known = [k if k is not None else shaped.shaped_text(f)
                 for f, k in zip(fragments, known, strict=True)]
        if None in known:
            return bodies.texts(fragments, known)
    return known  # type: ignore[return-value]


def comment_from(data: Mapping[str, Any], *, story_id: str, parent_id: str | None,
                 depth: int, position: int, url: str = "?") -> Comment:
    """One comment (a t1's ``data``) placed at ``parent_id`` (None: top level), ``depth``
    and ``position``; ids without their ``t1_``/``t3_`` prefix. A comment with no id
    Reddit could have written (none, or one that is not text) is a ParseError naming
    ``url``: its record would have had the id "", which every such comment shares."""
    return comments_from([(data, parent_id, depth, position)], story_id=story_id,
                         url=url)[0]


def _comment_id(data: Mapping[str, Any], url: str) -> str:
    """The id of a comment, as a thread's answer check reads it (``id``, else ``name``),
    or a ParseError."""
    raw = data.get("id") or data.get("name")
    if isinstance(raw, str):
        cid = unprefixed(raw)
        if cid:
            return cid
    given = data.get("id")
    if given is not None and not isinstance(given, str):
        raise ParseError(SITE, url, f"a comment whose id is not text ({repr(given)[:60]})")
    raise ParseError(SITE, url, "a comment without an id")


def _comment(data: Mapping[str, Any], story_id: str, parent_id: str | None, depth: int,
             position: int, body_html: str | None, text: str | None,
             submitter: str | None, url: str) -> Comment:
    """What a comment's record holds of its ``data`` (Reddit's states, module doc). The
    common cases of ``html.unescape``, ``epoch`` and ``_edited`` are spelt out: each
    call was a tenth of a comment's ~2.3 us here."""
    extra = {}
    for k in _COMMENT_EXTRA:  # (a loop: the comprehension's frame was ~0.15 us more)
        if k in data:
            extra[k] = data[k]
    author = data.get("author")
    if not isinstance(author, str) or not author:
        author = None
    elif author == GONE_AUTHOR:
        extra["author"] = author  # the account is gone; the name Reddit shows instead
        author = None
    raw = data.get("body")
    # (html.unescape returns a text without "&" as it is)
    body = (raw if "&" not in raw else html.unescape(raw)) if isinstance(raw, str) and raw \
        else None
    deleted, removed = body_state(body)
    if deleted or removed:
        extra["gone_text"] = body  # Reddit's placeholder, not the comment's text
        body_html = text = None
    elif body_html is None:
        text = body  # a dump without body_html: the Markdown as written
    created = data.get("created_utc")
    if type(created) is float:  # the API's (epoch's reading of one)
        try:
            created_at: datetime | None = datetime.fromtimestamp(created, UTC)
        except (ValueError, OverflowError, OSError):
            created_at = None
        created_raw: str | None = str(created)
    else:
        created_at, created_raw = epoch(created)
    edited_raw: str | None
    if data.get("edited") is False:  # most comments (_edited's first case)
        edited, edited_at, edited_raw = False, None, None
    else:
        edited, edited_at, edited_raw = _edited(data)
    score = data.get("score")
    if type(score) is not int or not LOW <= score <= HIGH:
        extra = keep_beyond(extra, score=score) or {}
        score = stored_int(score)
    cid = data.get("id")
    if type(cid) is not str or not cid or "_" in cid:  # (the API's: as _comment_id reads it)
        cid = _comment_id(data, url)
    return comment_stores.new_comment(
        SITE, cid, story_id, parent_id, depth, position, author,
        created_at, created_raw, body_html, text or None, deleted, removed,
        score, edited, edited_at, edited_raw,
        data.get("is_submitter") is True or (submitter is not None and author == submitter),
        extra or None)


def story_from(data: Mapping[str, Any], *, fetched_at: datetime, source: str,
               more_extra: Mapping[str, Any] | None = None) -> Story:
    """One post (a t3's ``data``). ``fetched_at`` and ``source`` are the observation's
    (the post's own fields carry no fetch time; ``source`` is recorded with the Thread,
    Listing or User the caller builds): taken so that every reader of a thing passes
    the same context, the API crawl, an import and a dump alike. ``more_extra``: what
    the caller adds to ``extra`` after the post's own (a thread its sort and stubs)."""
    extra = _kept(data, _STORY_EXTRA)
    author = _author(data, extra)
    selftext = _markdown(data, "selftext")
    deleted, removed = body_state(selftext)
    text_html = served_html(data, "selftext_html")
    if deleted or removed:
        extra["gone_text"] = selftext
        text_html = selftext = None
    is_self = data.get("is_self") is True
    link = data.get("url") if isinstance(data.get("url"), str) and not is_self else None
    created_at, created_raw = epoch(data.get("created_utc"))
    edited, _, edited_raw = _edited(data)
    if edited:
        extra["edited"] = edited_raw
    if more_extra:
        extra.update(more_extra)
    score, count = data.get("score"), data.get("num_comments")
    extra = keep_beyond(extra, score=score, num_comments=count) or {}
    return _new_story(
        site=SITE, id=unprefixed(data.get("id") or data.get("name")) or "",
        title=data.get("title") if isinstance(data.get("title"), str) else None,
        url=link or None, domain=_domain(link) if link else None, author=author,
        score=stored_int(score), comment_count=stored_int(count),
        created_at=created_at, created_at_raw=created_raw, text_html=text_html,
        text=(bodies.text(text_html) or None) if text_html else selftext,
        kind="poll" if data.get("poll_data") else "story", dead=removed, deleted=deleted,
        extra=extra or None)


def _domain(link: str) -> str | None:
    host = urlsplit(link).hostname
    return host.removeprefix("www.") if host else None
