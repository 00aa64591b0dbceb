"""A Lobsters story page's HTML (``/s/ID/slug``) -> StoryPage. Pure.

The thread is nested lists: ``li.comments_subtree`` holds one ``div.comment[data-shortid]``
and an ``ol.comments`` of its replies, so a comment's parent is the comment of the
nearest enclosing subtree. Where the root list sits moved (``li#story_comments`` in
2026-05, ``ol#story_comments`` inside ``li#comments-ID`` in 2026-07); keying on the
subtrees and not on the root reads both.

What a comment's byline shows: the user link (class ``user_is_submitter`` on the story's
submitter, 2026-07-; before, ``user_is_author`` where the submitter also wrote the linked
work, and no mark otherwise), "edited" before the time when edited, and one time, which is the
*last edit* time (``last_edited_at``): for a comment marked edited that is all the page
says (``created_at`` None); for one not marked, the edit was within a minute of posting
(Lobsters' rule), so the time stands for both. A gone comment has no score and shows
"[Comment removed by author]" or "[Comment removed by moderator NAME: REASON]"; a
comment of a story merged into this one has ``span.merge`` and an "on: TITLE" link.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime
from typing import NamedTuple

from lxml import etree

from archive.models import Comment, Story, Thread
from scraper.parsers import bodies, comment_stores, shaped
from scraper.parsers.errors import ParseError
from scraper.parsers.lobsters.common import (
    SITE,
    StoryPage,
    classes,
    gone,
    has_class,
    html_doc,
    html_time,
    inner_html,
    page_now,
    story_id_of,
    text_of,
)
from scraper.parsers.lobsters.errors import check_body
from scraper.parsers.lobsters.story_row import (
    byline_parts,
    read_story_li,
    score_of,
    story_items,
    user_of,
)
from scraper.parsers.parents import Place, new_row, place

# Every saved comment the server rendered opens with one of these, nested however deep:
# ``<div id="c_ID" data-shortid="ID"`` (2019-), ``<div id="comment_ID" data-shortid=`` before.
# (A preview has an empty data-shortid: it is no comment yet.)
_COMMENT_DIV = re.compile(r"""<div\s+id=["'](?:c|comment)_[0-9a-z]+["']\s+"""
                          r"""data-shortid=["']([0-9a-z]+)["']""")
_EDITED = re.compile(r"\bedited\b")
_EMAILED = re.compile(r"\be-mailed\b")
_USER_MARKS = frozenset(("user_is_author", "user_is_submitter", "inactive_user", "new_user"))


def _comment_divs(doc: etree._Element) -> list[etree._Element]:
    return [d for d in doc.iter("div") if has_class(d, "comment") and d.get("data-shortid")]


def _parents(divs: list[etree._Element]) -> list[str | None]:
    """Each comment's parent: the comment of the nearest enclosing ``li.comments_subtree``."""
    owner: dict[etree._Element, str] = {}
    for div in divs:
        li = div.getparent()
        if li is not None and li.tag == "li":
            owner[li] = div.get("data-shortid") or ""
    out: list[str | None] = []
    for div in divs:
        parent = None
        li = div.getparent()
        node = li.getparent() if li is not None else None
        while node is not None:
            if node.tag == "li" and node in owner:
                parent = owner[node]
                break
            node = node.getparent()
        out.append(parent)
    return out


def _before_time(when: etree._Element) -> str:
    """The byline's text just before the time, where "edited" and "e-mailed" stand."""
    anchor = when.getparent() if when.getparent() is not None and \
        when.getparent().tag == "a" else when
    prev = anchor.getprevious()
    before = prev.tail if prev is not None else (anchor.getparent().text
                                                 if anchor.getparent() is not None else "")
    return before or ""


class _Parts(NamedTuple):
    """A comment div's own children that its record reads."""

    voters: etree._Element | None
    byline: etree._Element | None
    body: etree._Element | None  # div.comment_text


def _two_divs(el: etree._Element, first: str, second: str
              ) -> tuple[etree._Element | None, etree._Element | None]:
    """The first child ``div`` of each class, in one loop over the children."""
    one = two = None
    for child in el:
        if child.tag == "div":
            if one is None and has_class(child, first):
                one = child
            if two is None and has_class(child, second):
                two = child
    return one, two


def _parts(div: etree._Element) -> _Parts:
    """The comment's first child ``div.voters`` and ``div.details``, then the details'
    first ``div.byline`` and ``div.comment_text``: one loop over each one's children,
    where each lookup took a loop of its own (and the body was looked up twice)."""
    voters, details = _two_divs(div, "voters", "details")
    byline, body = _two_divs(details, "byline", "comment_text") if details is not None \
        else (None, None)
    return _Parts(voters, byline, body)


def _comment(div: etree._Element, parts: _Parts, where: Place, story: Story, body_html: str,
             text: str, *, url: str, now: datetime) -> Comment:
    ident = div.get("data-shortid") or ""
    byline, body = parts.byline, parts.body
    if byline is None or body is None:
        raise ParseError(SITE, url, f"comment {ident}: no byline or comment_text")
    extra: dict[str, object] = {}
    marks = sorted(classes(div) - {"comment"})
    if marks:
        extra["marks"] = marks
    user, when, spans, links = byline_parts(byline)
    author = user_of(user.get("href")) if user is not None else None
    user_marks = sorted(classes(user) & _USER_MARKS) if user is not None else []
    if user_marks:
        extra["user_marks"] = user_marks
    if any(has_class(s, "merge") for s in spans):
        merged_from = next((found for a in links
                            if (found := story_id_of(a.get("href") or ""))), None)
        extra["merged_from"] = merged_from
    hat = next((s for s in spans if has_class(s, "hat")), None)
    if hat is not None:  # a role the user spoke in ("Sysop"), worn on this comment
        extra["hat"] = text_of(hat)
    shown, shown_raw = html_time(when, now) if when is not None else (None, None)
    before = _before_time(when) if when is not None else ""
    edited = _EDITED.search(before) is not None
    if _EMAILED.search(before):
        extra["via_email"] = True
    placeholder = next((s for s in body.iter("span") if has_class(s, "na")), None)
    deleted = removed = False
    if placeholder is not None:
        extra["gone_text"] = text_of(placeholder).strip("[] ")
        deleted, removed = gone(str(extra["gone_text"]))
    return comment_stores.new_comment(
        SITE, ident, story.id, where.parent_id, where.depth, where.position, author,
        None if edited else shown, None if edited else shown_raw,
        None if placeholder is not None else body_html or None,
        None if placeholder is not None else text or None,
        deleted, removed, score_of(parts.voters),
        edited, shown, shown_raw,
        # On a comment, "user_is_author" (-2026-05) also means the story's submitter wrote
        # it (and is the linked work's author); "user_is_submitter" (2026-07-) says it alone.
        bool({"user_is_submitter", "user_is_author"} & set(user_marks)),
        extra or None,
    )


def parse_story_html(text: str, *, url: str, fetched_at: datetime,
                     checked: bool = False) -> StoryPage:
    """The thread of a story page; ``url`` is the URL asked for (see ``parse_story_json``)."""
    if not checked:
        check_body(text, url=url)
    doc = html_doc(text, url=url, checked=checked)
    now = page_now(doc, fetched_at)
    rows = [li for li in story_items(doc)
            if li.getparent() is not None and has_class(li.getparent(), "stories")]
    if not rows:
        raise ParseError(SITE, url, "no story header (ol.stories > li.story): not a story page")
    headers = read_story_li(rows[0], page_url=url, now=now)
    story = headers[0].story
    content = next((d for d in doc.iter("div") if has_class(d, "story_text")), None)
    if content is not None:
        served = inner_html(content)
        # The renderer's common shapes read by parsers.shaped, as a story's JSON reads
        # its description; any other by bodies.text.
        fast = shaped.shaped_text(served) if served else None
        story = replace(story, text_html=served or None, text=(
            (fast if fast is not None else bodies.text(served)) or None) if served else None)
    merged = [replace(h.story, merged_into=story.id) for h in headers[1:]
              if h.story_id is not None]
    asked = story_id_of(url)
    if asked is not None and asked != story.id and all(m.id != asked for m in merged):
        merged.append(Story(site=SITE, id=asked, merged_into=story.id))
    unnamed = [{"title": h.story.title, "url": h.story.url, "author": h.story.author}
               for h in headers[1:] if h.story_id is None]
    if unnamed:
        story = replace(story, extra={**(story.extra or {}), "merged_without_id": unnamed})

    divs = _comment_divs(doc)
    served_ids = _COMMENT_DIV.findall(text)
    read_ids = [d.get("data-shortid") or "" for d in divs]
    if read_ids != served_ids:
        lost = next((i for i in served_ids if i not in set(read_ids)), None)
        raise ParseError(SITE, url, f"the page holds {len(served_ids)} comments but "
                                    f"{len(divs)} were read"
                                    + (f", not {lost} (nesting too deep to parse?)" if lost
                                       else " in another order"))
    parents = _parents(divs)
    places = place([new_row(i, p, None)
                    for i, p in zip(read_ids, parents, strict=True)], site=SITE, url=url)
    parts = [_parts(d) for d in divs]
    bodies_html = [inner_html(p.body) if p.body is not None else "" for p in parts]
    texts = shaped.texts(bodies_html)  # bodies.texts, the common shapes read first
    comments = tuple(
        _comment(d, pa, pl, story, h, t, url=url, now=now)
        for d, pa, pl, h, t in zip(divs, parts, places, bodies_html, texts, strict=True))
    if not comments and story.comment_count:
        raise ParseError(SITE, url, f"page says {story.comment_count} comments but none "
                                    "were found")
    return StoryPage(thread=Thread(story=story, comments=comments, fetched_at=fetched_at),
                     merged=tuple(merged))

