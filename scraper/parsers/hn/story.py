"""The story header of an HN item page (title row, subtext row, self-post text, poll).

Every era keeps the same skeleton: a row with ``td.title`` holding the link, then a row
with ``td.subtext`` ("N points by user 3 hours ago | N comments"), then optional rows
for the post's own text, poll options and the comment form. Only the names inside
changed (``a.storylink`` -> ``a.titlelink`` -> ``span.titleline > a``; ``div.toptext``
since ~2016; plain ``<td>`` rows before).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from lxml import etree

from archive.models import Story
from scraper.parsers import ages
from scraper.parsers.hn.text import classes, served_or_rendered
from scraper.parsers.values import is_id, join_url, number

_POINTS = re.compile(r"([0-9]+)\s+points?")
_COMMENTS = re.compile(r"^([0-9]+)\s+comments?$")
# Where a self post's text starts in the served page: div.toptext (2016-), or the bare
# cell of the row after a 2px spacer under the subtext (-2015).
_TOPTEXT = re.compile(r"""<div\s+class\s*=\s*["']?toptext["']?[^>]*>""")
_OLD_TEXT = re.compile(r"""<tr\s+style\s*=\s*["']?height:\s*2px;?["']?\s*>\s*</tr>\s*<tr>\s*"""
                       r"""<td(?:\s+colspan\s*=\s*["']?\d["']?)?\s*>\s*</td>\s*<td>""")


# What every match of each holds: where the page after the first match holds none, it
# holds no second one (``_unique_end``). "height:" is in a few style attributes a page.
_TOPTEXT_WORD = ("toptext", None)
_OLD_TEXT_WORD = ("height:", re.compile(r"height:\s*2px"))
_HEAD_END = 200_000  # the header is at the top of the page


def _unique_end(pattern: re.Pattern[str], html: str,
                word: tuple[str, re.Pattern[str] | None]) -> int | None:
    """The end of ``pattern``'s one match in the page's top, None where it has none or
    more. Its second is looked for by str.find of ``word`` (~0.35 ns a character), the
    regex run only where the word is (and its own ``word[1]`` matches there): the
    regex's scan of the page after a 2011-12 header was ~0.65 ns a character (item
    3412900: 81 against 44 us)."""
    found = pattern.finditer(html, 0, _HEAD_END)
    first = next(found, None)
    if first is None:
        return None
    name, near = word
    at = html.find(name, first.end(), _HEAD_END)
    while at >= 0:
        if near is None or near.match(html, at, _HEAD_END):
            return None if next(found, None) is not None else first.end()
        at = html.find(name, at + len(name), _HEAD_END)
    return first.end()


@dataclass(frozen=True, slots=True)
class Header:
    table: etree._Element  # the header's table: its contents are never comments
    story_id: str | None  # the id the header itself shows
    story: Story


# HTML collapses a run of ASCII whitespace to one space when it shows text; a page whose
# saver re-wrapped its lines (yahnac's copy of item 9996335: "Ask HN: Who wants to\n
# <28 spaces>be hired?") reads the same as the one-line original. &nbsp; is kept apart.
_SPACE_RUN = re.compile(r"[ \t\n\r\f]+")


def text_of(el: etree._Element) -> str:
    """The element's text as a browser shows it (runs of whitespace as one space, &nbsp;
    as a space), without the space around it."""
    # A listing reads ~300 small elements, most a lone text with single spaces: the
    # join and the regex's replacement were a third of its parse (issue 14).
    text = (el.text or "") if len(el) == 0 else "".join(el.itertext())
    if "  " in text or "\n" in text or "\t" in text or "\r" in text or "\f" in text:
        text = _SPACE_RUN.sub(" ", text)
    if "\xa0" in text:
        text = text.replace("\xa0", " ")
    return text.strip()


# HN writes its own links relative ("item?id=1"); a page saved by a browser ("Save Page
# As", complete) spells every one of them absolute, and some tools root-relative.
_HN_ORIGINS = ("https://news.ycombinator.com/", "http://news.ycombinator.com/",
               "//news.ycombinator.com/", "/")


def hn_path(href: str) -> str:
    """An HN link as HN itself writes it: ``item?id=1`` for ``https://news.ycombinator.com/
    item?id=1``, ``/item?id=1`` and ``item?id=1`` alike; any other link unchanged."""
    if href[:1] in ("h", "/"):
        for origin in _HN_ORIGINS:
            if href.startswith(origin):
                return href[len(origin):]
    return href


def item_id_of(href: str | None) -> str | None:
    """N from ``item?id=N`` (possibly followed by ``&...``, possibly absolute), else None."""
    if not href:
        return None
    href = hn_path(href)
    if not href.startswith("item?id="):
        return None
    ident = href[8:].split("&", 1)[0]
    return ident if is_id(ident) else None


def _prev_row(tr: etree._Element) -> etree._Element | None:
    for sib in tr.itersiblings("tr", preceding=True):
        return sib
    return None


def _title_link(cell: etree._Element) -> etree._Element | None:
    for a in cell.iter("a"):
        parent = a.getparent()
        # Skip the "(site.com)" link of span.sitebit and vote links; the first other
        # link is the title (inside span.titleline, or a.storylink/a.titlelink, or bare).
        if parent is not None and "sitebit" in classes(parent):
            continue
        if hn_path(a.get("href") or "").startswith(("vote?", "from?")):
            continue
        return a
    return None


def _domain(cell: etree._Element, url: str | None) -> str | None:
    for span in cell.iter("span"):
        if "sitestr" in classes(span):
            return text_of(span) or None
    for span in cell.iter("span"):
        cls = classes(span)
        if "sitebit" in cls or "comhead" in cls:
            name = text_of(span).strip("() ")
            if name:
                return name
    if url:
        host = urlsplit(url).hostname or ""
        return host.removeprefix("www.") or None
    return None


def _header_id(title_row: etree._Element, subtext: etree._Element) -> str | None:
    if is_id(title_row.get("id")):
        return title_row.get("id")
    for el in (*title_row.iter("a"), *subtext.iter("span")):
        ident = el.get("id") or ""
        for prefix in ("up_", "score_"):
            if ident.startswith(prefix) and is_id(ident[len(prefix):]):
                return ident[len(prefix):]
    for a in subtext.iter("a"):
        found = item_id_of(a.get("href"))
        if found:
            return found
    return None


def _shows_text(el: etree._Element) -> bool:
    return bool(etree.tostring(el, method="text", encoding="unicode").strip())


def read_subtext(subtext: etree._Element, fetched_at: datetime
                 ) -> tuple[str | None, int | None, int | None, datetime | None, str | None]:
    """(author, score, comment_count, created_at, created_at_raw) of a story's subtext
    cell, the line under its title on item pages and listings alike."""
    author = None
    score = None
    comment_count = None
    age_title = None
    for el in subtext.iter("a", "span"):  # one walk: each kind keeps its page order
        if el.tag == "a":
            shown = text_of(el)
            if author is None and ("hnuser" in classes(el)
                                   or hn_path(el.get("href") or "").startswith("user?id=")):
                author = shown or None
            m = _COMMENTS.match(shown) if shown[:1].isdigit() else None
            if m:
                comment_count = number(m.group(1))
            elif shown == "discuss":
                comment_count = 0
            continue
        cls = classes(el)
        if score is None and ("score" in cls or (el.get("id") or "").startswith("score_")):
            m = _POINTS.search(text_of(el))
            score = number(m.group(1)) if m else None
        if age_title is None and "age" in cls:
            age_title = el.get("title")
    # The cell's whole text is read only where the title gives no time.
    moment = ages.parse_age_title(age_title) if age_title else None
    if moment is not None:
        return author, score, comment_count, moment, age_title
    created_at, created_raw = ages.parse_age(None, text_of(subtext), fetched_at)
    return author, score, comment_count, created_at, created_raw


def story_kind(title: str, author: str | None, score: int | None, *, poll: bool = False) -> str:
    if score is None and author is None:
        return "job"  # job ads show neither points nor a submitter
    if poll:
        return "poll"
    if title.startswith("Ask HN"):
        return "ask"
    if title.startswith("Show HN"):
        return "show"
    return "story"


def _self_text(html: str, table: etree._Element,
               subtext_row: etree._Element) -> tuple[str | None, str | None]:
    for div in table.iter("div"):
        if "toptext" in classes(div):
            if not _shows_text(div):
                return None, None
            begin = _unique_end(_TOPTEXT, html, _TOPTEXT_WORD)
            served, shown = served_or_rendered(html, begin, div)
            return served, shown or None
    # Before div.toptext: the text sits alone in the last cell of a row after the
    # subtext; spacer rows are empty, the comment form and poll options come after it.
    for row in subtext_row.itersiblings("tr"):
        cells = [c for c in row if c.tag == "td"]
        if not cells:
            continue
        cell = cells[-1]
        if cell.find(".//form") is not None:
            break
        if cell.find(".//table") is not None:
            continue
        if _shows_text(cell):
            begin = _unique_end(_OLD_TEXT, html, _OLD_TEXT_WORD)
            served, shown = served_or_rendered(html, begin, cell)
            return served, shown or None
    return None, None


def _is_poll(table: etree._Element) -> bool:
    scores = 0
    # Each class is split only where it names "poll" or "comment" (a token that is one
    # of the three holds its text): the header's table is 20-50 elements, and a split
    # and a list each were ~half of its ~0.5 us an element.
    for el in table.iter(etree.Element):
        shown = el.get("class")
        if shown and ("poll" in shown or "comment" in shown):
            cls = shown.split()
            if "pollopt" in cls or "pollopts" in cls or (el.tag == "td" and "comment" in cls):
                return True
        ident = el.get("id")
        if ident and ident.startswith("score_"):
            scores += 1  # each poll option shows its own "N points" under the story's
    return scores > 1


def parse_header(html: str, subtext: etree._Element, *, page_url: str,
                 fetched_at: datetime) -> Header | None:
    """The story in the header whose subtext cell is ``subtext``; None if it has no title."""
    subtext_row = subtext.getparent()
    title_row = _prev_row(subtext_row) if subtext_row is not None else None
    table = subtext_row.getparent() if subtext_row is not None else None
    if subtext_row is None or title_row is None or table is None:
        return None
    cells = [c for c in title_row if c.tag == "td" and "title" in classes(c)]
    link = _title_link(cells[-1]) if cells else None
    if link is None:
        return None
    title_cell = cells[-1]
    story_id = _header_id(title_row, subtext)
    href = link.get("href") or ""
    url = None if item_id_of(href) or not href else join_url(page_url, href, site="hn",
                                                              what="the story link")
    title = text_of(link)

    author, score, comment_count, created_at, created_raw = read_subtext(subtext, fetched_at)
    text_html, text = _self_text(html, table, subtext_row)

    kind = story_kind(title, author, score, poll=_is_poll(table))
    marks = text_of(title_cell)
    story = Story(
        site="hn", id=story_id or "", title=title, url=url,
        domain=_domain(title_cell, url) if url else None, author=author, score=score,
        comment_count=comment_count, created_at=created_at, created_at_raw=created_raw,
        text_html=text_html, text=text, kind=kind,
        dead="[dead]" in marks, flagged="[flagged]" in marks,
    )
    return Header(table=table, story_id=story_id, story=story)
