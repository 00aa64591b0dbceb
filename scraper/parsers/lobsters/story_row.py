"""One story as Lobsters' HTML shows it: a ``li.story`` on listings and atop a story page.

The skeleton held from 2016 to 2026: ``li.story[data-shortid] > div.story_liner``, the
score in ``div.voters`` (``div.score`` until ~2024, then the ``a.upvoter`` link's own
text), then one ``div.details`` per story (a story page shows one more per story merged
into it): ``span.link a`` (the title), ``a.tag`` (in ``span.tags``, later ``ul.tags``),
``a.domain``, and ``div.byline`` with the submitter (``/u/NAME`` until 2021, ``/~NAME``
after), the time and ``span.comments_label`` ("5 comments", "1 comment", "no comments").
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urljoin, urlsplit

from lxml import etree

from archive.models import ListingEntry, Story
from scraper.parsers.entries import new_entry
from scraper.parsers.errors import ParseError
from scraper.parsers.hosts import hostname, joined
from scraper.parsers.lobsters.common import (
    SITE,
    as_int,
    classes,
    has_class,
    html_time,
    is_short_id,
    kind_of,
    story_id_of,
    user_of_href,
)
from scraper.parsers.values import number

_COUNT = re.compile(r"(\d+)\s+comments?")
_NO_COMMENTS = re.compile(r"\bno comments?\b")
_DATED = re.compile(r"\d{4}-\d\d-\d\d")
_AGE = re.compile(r"just now|less than a minute ago|\d+ (?:minute|hour|day|month|year)s? ago")
_USER_PATH = re.compile(r"/(?:~|u/)([^/?#.]+)")  # common.user_of_href's
_GONE_STORY = re.compile(r"\[Story removed by (moderator|submitter)\]")


@dataclass(frozen=True, slots=True)
class Header:
    """What one ``div.details`` block says of its story."""

    story_id: str | None  # None where the block links no /s/ID (a merged link story)
    story: Story


def score_of(voters: etree._Element | None) -> int | None:
    """The shown score: ``div.score`` (-2024) or the upvote link's text (2024-)."""
    if voters is None:
        return None
    for el in voters.iter("div", "a"):
        cls = el.get("class")
        if not cls:
            continue
        names = cls.split()
        if "score" in names or ("upvoter" in names and _text_of(el)):
            return as_int(_text_of(el))
    return None


def byline_user(byline: etree._Element) -> etree._Element | None:
    """The user link of a byline: the one with a name shown (the avatar link shows none)."""
    for a in byline.iter("a"):
        if user_of(a.get("href")) and _text_of(a):
            return a
    return None


def _text_of(el: etree._Element) -> str:
    """``common.text_of``, an element with children serialised by libxml2 in one call
    rather than joined from ``itertext``'s pieces, whose set-up alone is ~3 us (the same
    text: tests/test_lobsters_listing_entry, tests/test_hn_listing_rows)."""
    text = (el.text or "") if len(el) == 0 else \
        etree.tostring(el, method="text", encoding="unicode", with_tail=False)
    return " ".join(text.replace("\xa0", " ").split())


def _shows_text(el: etree._Element) -> bool:
    """``bool(text_of(el))``, an element with children (the avatar's link holds its
    image) serialised by libxml2 rather than joined from ``itertext``, whose set-up
    was ~3 us of a byline's ~10 (the same text: see tests/test_hn_listing_rows)."""
    text = (el.text or "") if len(el) == 0 else \
        etree.tostring(el, method="text", encoding="unicode", with_tail=False)
    return bool(text.replace("\xa0", " ").split())


@functools.lru_cache(maxsize=256)
def user_of(href: str | None) -> str | None:
    """``user_of_href``; a printable ASCII href from the root (``/~NAME``, ``/u/NAME``,
    ``/s/ID``: most of a byline's) read without ``urlsplit``, whose path it is up to
    its query or fragment. Kept: a byline names its user twice (avatar and name)."""
    if href and href[:1] == "/" and href[1:2] != "/" and href.isascii() \
            and href.isprintable():
        m = _USER_PATH.match(href.partition("?")[0].partition("#")[0])
        return m.group(1) if m else None
    return user_of_href(href)


def byline_time(byline: etree._Element) -> etree._Element | None:
    """``<time>`` (2024-), else the ``<span title="2016-10-05 17:35:45 -0500">`` before it,
    else a span that shows only an age ("3 hours ago")."""
    for el in byline.iter("time", "span"):
        if el.tag == "time" or _DATED.match(el.get("title") or ""):
            return el
    for el in byline.iter("span"):
        if len(el) == 0 and _AGE.fullmatch(_text_of(el)):
            return el
    return None


def byline_parts(byline: etree._Element) -> tuple[
        etree._Element | None, etree._Element | None, list[etree._Element],
        list[etree._Element]]:
    """(``byline_user``, ``byline_time``, its spans, its links) of a byline, in one walk of
    its links, spans and times, where a comment's user, time, merge mark and hat took a
    walk each (~5 us of its ~16)."""
    user = when = None
    spans = []
    links = []
    for el in byline.iter("a", "span", "time"):
        tag = el.tag
        if tag == "a":
            links.append(el)
            if user is None and user_of(el.get("href")) and _shows_text(el):
                user = el
            continue
        if when is None and (tag == "time" or _DATED.match(el.get("title") or "")):
            when = el
        if tag == "span":
            spans.append(el)
    if when is None:  # byline_time's second choice: a span showing an age alone
        when = next((el for el in spans if len(el) == 0 and _AGE.fullmatch(_text_of(el))),
                    None)
    return user, when, spans, links


def _byline(byline: etree._Element) -> tuple[etree._Element | None, etree._Element | None,
                                             etree._Element | None]:
    """(``byline_user``, ``byline_time``, the first ``span.comments_label``) of a byline."""
    user, when, spans, _ = byline_parts(byline)
    return user, when, next((s for s in spans if has_class(s, "comments_label")), None)


def _site_story(href: str, page_url: str) -> str | None:
    """The story id of a link to this site's ``/s/ID`` (a self post's title links there)."""
    if hostname(href) != _host(page_url):
        return None
    return story_id_of(href)


@functools.lru_cache(maxsize=64)
def _host(page_url: str) -> str | None:
    # The page's own host, asked for by each of its rows.
    return urlsplit(page_url).hostname


@dataclass(frozen=True, slots=True)
class _Block:
    """What one ``div.details`` block shows that a listing entry keeps too."""

    story_id: str | None
    title: str
    url: str | None
    domain: str | None
    tags: list[str]
    byline: etree._Element | None
    user: etree._Element | None  # the byline's user link
    author: str | None
    comment_count: int | None
    created_at: datetime | None
    created_at_raw: str | None


def _read(details: etree._Element, *, fallback_id: str | None, page_url: str,
          now: datetime) -> _Block:
    # One walk of the block finds what four walks did, each the first in page order.
    # Where the byline is the block's last child (every row of the corpus), all that
    # follows it in the walk is its own, read there as ``_byline`` reads it (a walk of
    # its own made each of its elements anew: ~4 us of a row's ~29).
    link = domain = byline = user = when = label = None
    found_link = inside = False
    tags = []
    spans = []
    for el in details.iter("span", "a", "div", "time"):
        tag = el.tag
        if inside:
            if tag == "a":
                if user is None and user_of(el.get("href")) and _shows_text(el):
                    user = el
            elif tag != "div":
                if when is None and (tag == "time" or _DATED.match(el.get("title") or "")):
                    when = el
                if tag == "span":
                    spans.append(el)
                    if label is None and has_class(el, "comments_label"):
                        label = el
            if tag == "time":
                continue
        elif tag == "time":
            continue
        cls = el.get("class")
        if not cls:
            continue
        names = cls.split()
        if tag == "a":
            if "tag" in names:
                tags.append(_text_of(el))
            if domain is None and "domain" in names:
                domain = _text_of(el)
        elif tag == "span":
            if not found_link and "link" in names:
                found_link = True
                link = next(el.iter("a"), None)  # find(".//a"), without its path's parse
        elif byline is None and "byline" in names:
            byline = el
            inside = el.getnext() is None and el.getparent() is details
    if byline is not None:
        if not inside:
            user, when, label = _byline(byline)
        elif when is None:  # byline_time's second choice: a span showing an age alone
            when = next((el for el in spans
                         if len(el) == 0 and _AGE.fullmatch(_text_of(el))), None)
    if link is None:
        raise ParseError(SITE, page_url, "a story row has no title link (span.link a)")
    href = joined(page_url, link.get("href") or "")
    own = _site_story(href, page_url)
    story_id = fallback_id or own or next(
        (found for a in details.iter("a")
         if (found := _site_story(urljoin(page_url, a.get("href") or ""), page_url))), None)
    author = created_at = created_raw = count = None
    if byline is not None:
        if user is not None:
            author = user_of(user.get("href"))
        if when is not None:
            created_at, created_raw = html_time(when, now)
        if label is not None:
            shown = _text_of(label)
            m = _COUNT.search(shown)
            count = number(m.group(1)) if m else 0 if _NO_COMMENTS.search(shown) else None
    return _Block(story_id=story_id, title=_text_of(link),
                  url=None if own and own == story_id else href or None, domain=domain,
                  tags=tags, byline=byline, user=user, author=author, comment_count=count,
                  created_at=created_at, created_at_raw=created_raw)


def _header(details: etree._Element, *, fallback_id: str | None, score: int | None,
            marks: list[str], page_url: str, now: datetime) -> Header:
    b = _read(details, fallback_id=fallback_id, page_url=page_url, now=now)
    extra: dict[str, object] = {}
    deleted = False
    if b.user is not None and has_class(b.user, "user_is_author"):
        extra["user_is_author"] = True
    if b.byline is not None:
        removed = _GONE_STORY.search(_text_of(b.byline))
        if removed:
            deleted = True
            extra["gone_text"] = removed.group(0).strip("[]")
    if marks:
        extra["marks"] = marks
    return Header(story_id=b.story_id, story=Story(
        site=SITE, id=b.story_id or "", title=b.title, url=b.url, domain=b.domain,
        author=b.author, score=score, comment_count=b.comment_count,
        created_at=b.created_at, created_at_raw=b.created_at_raw, kind=kind_of(b.tags),
        tags=tuple(sorted(b.tags)), deleted=deleted, extra=extra or None))


def _row(li: etree._Element, *, page_url: str
         ) -> tuple[str, int | None, list[etree._Element]]:
    """(short id, shown score, its ``div.details`` blocks) of one ``li.story``."""
    ident = li.get("data-shortid") or (li.get("id") or "").removeprefix("story_")
    if not is_short_id(ident):
        raise ParseError(SITE, page_url, f"a story row has no short id ({ident!r})")
    liner = next((d for d in li.iter("div") if has_class(d, "story_liner")), None)
    if liner is None:
        raise ParseError(SITE, page_url, f"story {ident}: no div.story_liner")
    # One walk of the liner's divs for the first div.voters and every div.details.
    voters = None
    blocks = []
    for d in liner.iter("div"):
        cls = d.get("class")
        if not cls:
            continue
        if voters is None and "voters" in cls and "voters" in cls.split():
            voters = d
        if "details" in cls and "details" in cls.split():
            blocks.append(d)
    score = score_of(voters)
    if not blocks:
        raise ParseError(SITE, page_url, f"story {ident}: no div.details")
    return ident, score, blocks


def read_story_li(li: etree._Element, *, page_url: str, now: datetime) -> list[Header]:
    """The headers of one ``li.story``: the story itself first, then any merged into it."""
    ident, score, blocks = _row(li, page_url=page_url)
    marks = sorted(classes(li) - {"story"})
    out = [_header(blocks[0], fallback_id=ident, score=score, marks=marks,
                   page_url=page_url, now=now)]
    # A merged story shares the row's votes: its own score is not shown.
    out += [_header(b, fallback_id=None, score=None, marks=[], page_url=page_url, now=now)
            for b in blocks[1:]]
    return out


def listing_entry(li: etree._Element, rank: int, *, page_url: str,
                  now: datetime) -> ListingEntry:
    """The entry of one listing row at ``rank``: ``read_story_li``'s first story as a
    ListingEntry, read without what an entry never keeps (the byline's whole text, read
    for a removal notice, the row's marks, the Story record). The stories merged into
    the row are still read whole, for the errors ``read_story_li`` raises on them."""
    ident, score, blocks = _row(li, page_url=page_url)
    b = _read(blocks[0], fallback_id=ident, page_url=page_url, now=now)
    for block in blocks[1:]:
        _header(block, fallback_id=None, score=None, marks=[], page_url=page_url, now=now)
    return new_entry(SITE, b.story_id or "", rank, b.title, b.url, b.domain, b.author, score,
                     b.comment_count, b.created_at, b.created_at_raw, kind_of(b.tags))


def story_items(doc: etree._Element) -> list[etree._Element]:
    """Every ``li.story`` of a page, in page order."""
    return [li for li in doc.iter("li") if has_class(li, "story")]
