"""One HN listing row (title row + subtext row) -> ListingEntry, each row walked once.

The listing parser read a row with the item parser's header helpers
(``hn.story``), each of which walked the row again: the title row four times (cells,
rank, ids, domain), the subtext twice, and the subtext's whole text joined from its
pieces where no age title gives the time (every page before ~2021). Those walks were
most of an old listing's parse (issue 14). Here the title row's and the subtext's
elements are listed once each and every reading picks from the lists, in the same
order of preference, so the entry is that reading's; ``tests/test_hn_listing_rows``
(``entry_reference``) holds the two to the same entries and errors.
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime
from urllib.parse import urlsplit

from lxml import etree

from archive.models import ListingEntry
from scraper.parsers import ages
from scraper.parsers.entries import new_entry
from scraper.parsers.errors import ParseError
from scraper.parsers.hn.story import _title_link, hn_path, item_id_of, story_kind, text_of
from scraper.parsers.values import is_id, join_url

SITE = "hn"
_RANK = re.compile(r"([0-9]+)\.")
_POINTS = re.compile(r"([0-9]+)\s+points?")  # hn.story's
_COMMENTS = re.compile(r"^([0-9]+)\s+comments?$")  # hn.story's
_MAX_DIGITS = 18  # values.number's longest number
_SPACE_RUN = re.compile(r"[ \t\n\r\f]+")  # hn.story's, as text_of folds it


def _names(el: etree._Element) -> list[str]:
    cls = el.get("class")
    return cls.split() if cls else []


def _digits(run: str) -> int | None:
    """``values.number`` of a regex's ``[0-9]+`` group: ASCII digits, no blanks, so
    only its length is left to test."""
    return int(run) if len(run) <= _MAX_DIGITS else None


def _has(el: etree._Element, name: str) -> bool:
    """``name in _names(el)``, the substring test first: most elements fail it and
    split nothing."""
    cls = el.get("class")
    return cls is not None and name in cls and name in cls.split()


def _shown(el: etree._Element) -> str:
    """``text_of(el)`` of a cell with children: its text serialised by libxml2 in one
    call rather than joined from ``itertext``'s pieces (the same text: the comments and
    processing instructions both leave out, the tails both keep, its own tail neither)."""
    return fold(etree.tostring(el, method="text", encoding="unicode", with_tail=False))


def fold(text: str) -> str:
    """An element's text as ``text_of`` shows it: runs of whitespace as one space, &nbsp;
    as a space, without the space around it (``served_listing`` has the texts alone)."""
    if "  " in text or "\n" in text or "\t" in text or "\r" in text or "\f" in text:
        text = _SPACE_RUN.sub(" ", text)
    if "\xa0" in text:
        text = text.replace("\xa0", " ")
    return text.strip()


def _subtext(els: list[etree._Element], subtext: etree._Element, fetched_at: datetime
             ) -> tuple[str | None, int | None, int | None, datetime | None, str | None]:
    """``hn.story.read_subtext`` over the subtext's a and span elements ``els``."""
    author = score = comment_count = age_title = None
    for el in els:
        if el.tag == "a":
            shown = text_of(el)
            if author is None and (_has(el, "hnuser")
                                   or hn_path(el.get("href") or "").startswith("user?id=")):
                author = shown or None
            m = _COMMENTS.match(shown) if shown[:1].isdigit() else None
            if m:
                comment_count = _digits(m.group(1))
            elif shown == "discuss":
                comment_count = 0
            continue
        cls = _names(el)
        if score is None and ("score" in cls or (el.get("id") or "").startswith("score_")):
            m = _POINTS.search(text_of(el))
            score = _digits(m.group(1)) if m else None
        if age_title is None and "age" in cls:
            age_title = el.get("title")
    moment = ages.parse_age_title(age_title) if age_title else None
    if moment is not None:
        return author, score, comment_count, moment, age_title
    text = _shown(subtext) if len(subtext) else text_of(subtext)
    created_at, created_raw = ages.parse_age(None, text, fetched_at)
    return author, score, comment_count, created_at, created_raw


def _shown_id(title_row: etree._Element, row_els: list[etree._Element],
              sub_els: list[etree._Element]) -> str | None:
    """``hn.story._header_id``: the title row's id, an ``up_``/``score_`` id of its links
    or the subtext's spans, else the subtext's first item link."""
    own = title_row.get("id")
    if is_id(own):
        return own
    for group, tag in ((row_els, "a"), (sub_els, "span")):
        for el in group:
            if el.tag != tag:
                continue
            ident = el.get("id") or ""
            for prefix in ("up_", "score_"):
                if ident.startswith(prefix) and is_id(ident[len(prefix):]):
                    return ident[len(prefix):]
    for el in sub_els:
        if el.tag == "a":
            found = item_id_of(el.get("href"))
            if found:
                return found
    return None


def _rank(row_els: list[etree._Element], cells: list[etree._Element]) -> int | None:
    """``listing._rank``: span.rank's "7.", else the first of two td.title's."""
    for el in row_els:
        if el.tag == "span" and _has(el, "rank"):
            m = _RANK.fullmatch(text_of(el))
            return _digits(m.group(1)) if m else None
    if len(cells) > 1:
        m = _RANK.fullmatch(text_of(cells[0]))
        return _digits(m.group(1)) if m else None
    return None


def _domain(cell: etree._Element, url: str) -> str | None:
    """``hn.story._domain`` of a row with an outside link ``url``."""
    spans = list(cell.iter("span"))
    for span in spans:
        if _has(span, "sitestr"):
            return text_of(span) or None
    for span in spans:
        cls = _names(span)
        if "sitebit" in cls or "comhead" in cls:
            name = text_of(span).strip("() ")
            if name:
                return name
    host = urlsplit(url).hostname or ""
    return host.removeprefix("www.") or None


def read_row(subtext: etree._Element, title_row: etree._Element | None, position: int,
             offset: int, *, url: str, fetched_at: datetime) -> ListingEntry:
    """The entry of the row whose subtext cell is ``subtext`` (``title_row``: the row
    above its own, None if there is none) at ``position`` on a page ranked from
    ``offset + 1``."""
    if title_row is None:
        raise ParseError(SITE, url, f"row {position + 1}: a subtext with no title row above")
    cells = [c for c in title_row if c.tag == "td" and _has(c, "title")]
    link = _title_link(cells[-1]) if cells else None
    if link is None:
        raise ParseError(SITE, url, f"row {position + 1}: no title link")
    title = text_of(link)
    href = link.get("href") or ""
    self_id = item_id_of(href)
    story_url = None if self_id or not href else join_url(
        url, href, site=SITE, what=f"row {position + 1}'s title link")
    sub_els = list(subtext.iter("a", "span"))
    author, score, comments, created_at, created_raw = _subtext(sub_els, subtext, fetched_at)
    kind = story_kind(title, author, score)
    row_els = list(title_row.iter("a", "span"))
    story_id = _shown_id(title_row, row_els, sub_els) or self_id
    if story_id is None:
        if kind != "job":
            raise ParseError(SITE, url, f"row {position + 1} ({title[:60]!r}) shows no id")
        digest = hashlib.sha1((story_url or title).encode(), usedforsecurity=False)
        story_id = f"job-{digest.hexdigest()[:12]}"
    rank = _rank(row_els, cells)
    return new_entry(
        SITE, story_id, rank if rank is not None else offset + position + 1,
        title or None, story_url, _domain(cells[-1], story_url) if story_url else None,
        author, score, comments, created_at, created_raw, kind)
