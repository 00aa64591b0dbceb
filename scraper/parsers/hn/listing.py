"""Hacker News listing pages (news, newest, ask, show, jobs, best, front?day=...) -> Listing.

Pure: no network, no clock. One parser for every markup HN has served since 2010. What
stayed the same is what it keys on: every row of a listing, job ads included, is a
title row (``td.title`` cells: the rank, then the link) followed by a row holding
``td.subtext``. Everything else on the page (the header and its logged-in user bar, the
black memorial bar HN shows at the top when someone notable dies, spacer rows, the More
row) has no subtext, so anchoring on subtexts ignores it without naming it.

The title and subtext cells are read by ``listing_rows.read_row``, each row walked
once, held by tests/test_hn_listing_rows to the reading with the item parser's helpers
(``hn.story``); its ``parse_header`` itself is not reused because it reads a whole
page's header: it looks for self-post text in the rows after the subtext (here: the
next story's title) and counts ``score_`` spans across the table to spot polls (here:
every row has one). A row spelled exactly as HN spelled its rows in 2010-15 is read
from the served bytes instead (``served_listing``), which tests/test_served_listing
holds to this walk.
"""

from __future__ import annotations

import re
from datetime import datetime
from urllib.parse import parse_qs, urlsplit

from lxml import etree

from archive.models import Listing, ListingEntry
from archive.records import quick
from scraper.parsers import ages, whole
from scraper.parsers.errors import ParseError, ThrottledPage, TruncatedPage, parser_entry
from scraper.parsers.hn import item as hn
from scraper.parsers.hn.served_listing import read_rows

# Private helpers of the item-page header reader, shared on purpose: the title and
# subtext cells of a listing row are the same markup as an item page's header.
from scraper.parsers.hn.story import _prev_row, text_of
from scraper.parsers.hn.text import classes
from scraper.parsers.values import join_url, number

SITE = "hn"
# HN shows 30 rows a page; only used to number rows that show no rank of their own.
PER_PAGE = 30
_new_entry = quick(ListingEntry)  # 30 a page (see archive.records)

_SUBTEXT = re.compile(r"""<td\s+class\s*=\s*["']?subtext["'\s>]""")
_RANK = re.compile(r"([0-9]+)\.")
_NUMBERED = re.compile(r"(?P<name>[a-z]+?)(?P<page>[0-9]{1,9})")  # "news2": the old page 2
# The More link: a.morelink (2016-), else a bare "More" link in the last td.title (fnid
# pages, "news2", "news?p=2", "newest?n=31" in the older markups).
_COMMENT_FORMS = ("comment", "/comment")
_XML_SPACE = re.compile(r"[ \t\r\n]+")  # XPath's whitespace, which normalize-space() folds


def _more_href(doc: etree._Element) -> str | None:
    """The More link's href: the first ``a.morelink`` (2016-), or link reading "More"
    right inside a ``td.title`` (older markups), in page order. (The XPath union this
    replaces cost a third of the listing's own parse: it normalised every cell's text.)"""
    for a in doc.iter("a"):
        cls = a.get("class")
        if cls and "morelink" in cls and "morelink" in _XML_SPACE.split(cls):
            href = a.get("href")
            if href is not None:
                return href
            continue
        # A leaf link's own text first: most are not "More", and neither their href nor
        # their parent (a new proxy each) need be fetched to say so (issue 14).
        if len(a) == 0 and "More" not in (a.text or ""):
            continue
        href = a.get("href")
        if href is None:
            continue
        parent = a.getparent()
        if parent is None or parent.tag != "td":
            continue
        shown = (a.text or "") if len(a) == 0 else "".join(a.itertext())
        if "More" not in shown or _XML_SPACE.sub(" ", shown).strip(" ") != "More":
            continue
        owner = parent.get("class")
        if owner and "title" in _XML_SPACE.split(owner):
            return href
    return None


def listing_name_and_page(url: str, known_page: int | None = None) -> tuple[str, int, int]:
    """(name, page, offset) of a listing URL; ``offset`` is the rank before its first row.

    ``/`` and ``/news`` are "news"; ``news2`` is news page 2 (2012); ``front?day=D`` is
    "front/D" (each day is its own listing); ``newest?n=31`` starts at rank 31, which
    is page 2 at 30 rows a page. ``/x?fnid=...`` (2010 continuation pages) names
    nothing, so it is "x": only the spider knows which listing it continued.
    ``known_page``: the page number the crawler reached by following More links, used
    when the URL does not say (``jobs?next=ID``, ``/x?fnid=``)."""
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    name = parts.path.strip("/").lower() or "news"
    page = 1
    numbered = _NUMBERED.fullmatch(name)
    if numbered:
        name, page = numbered["name"], int(numbered["page"])
    day = query.get("day", [""])[0].strip()
    if name == "front" and day:
        name = f"front/{day}"
    p, n = _positive(query, "p"), _positive(query, "n")
    if p is not None:
        page = p
    elif numbered is None and n is None and known_page is not None:
        page = known_page
    if n is not None:
        return name, (n - 1) // PER_PAGE + 1, n - 1
    return name, page, (page - 1) * PER_PAGE


def _positive(query: dict[str, list[str]], key: str) -> int | None:
    value = query.get(key, [""])[0]
    n = number(value)
    return n if n is not None and n >= 1 else None


def _check_served(html: str, url: str) -> None:
    """The pages HN serves instead of the listing asked for, before any parsing."""
    if hn.is_throttle_page(html):
        raise ThrottledPage(SITE, url, "HN says it cannot serve requests this quickly")
    if not html or html.isspace():
        raise TruncatedPage(SITE, url, "empty body")
    if not hn.looks_complete(html):
        raise TruncatedPage(SITE, url, "the body stops before </html>: truncated page")


def _not_a_listing(doc: etree._Element, url: str, *, bodies: bool) -> ParseError | None:
    """Why a parsed page is not a listing, or None if it may be one.

    An item page shows its story with the same title and subtext rows as a listing
    row, so one subtext alone does not make a listing: the header table (fatitem,
    2015-), comment bodies (``bodies``: a span or div.comment is in the tree) or the
    comment form say it is a thread. (A listing has a handful of tables: walking them
    costs less than searching the page's text for the name.)"""
    if any("fatitem" in classes(t) for t in doc.iter("table")):
        return ParseError(SITE, url, "an item page (story header table), not a listing")
    if bodies or any(f.get("action") in _COMMENT_FORMS for f in doc.iter("form")):
        return ParseError(SITE, url, "an item page (comments), not a listing")
    return None


def _no_rows(html: str, doc: etree._Element, url: str) -> ParseError:
    if doc.xpath("//form[@action='login' or @action='/login']") or 'name="acct"' in html:
        return ParseError(SITE, url, "a login page, not a listing")
    title = (doc.findtext(".//title") or "").strip()
    return ParseError(SITE, url, "no story rows: not an HN listing page"
                                 + (f" (title {title[:80]!r})" if title else ""))


def _rank(title_row: etree._Element) -> int | None:
    """The rank the row prints: ``span.rank`` "7." (2015-) or the bare first
    ``td.title`` "7." (-2015); None where it prints none (the jobs listing)."""
    for span in title_row.iter("span"):
        if "rank" in classes(span):
            m = _RANK.fullmatch(text_of(span))
            return number(m.group(1)) if m else None
    cells = [c for c in title_row if c.tag == "td" and "title" in classes(c)]
    if len(cells) > 1:
        m = _RANK.fullmatch(text_of(cells[0]))
        return number(m.group(1)) if m else None
    return None


def _title_row(subtext: etree._Element) -> etree._Element | None:
    row = subtext.getparent()
    return _prev_row(row) if row is not None else None


def _has_rank_cell(subtext: etree._Element) -> bool:
    """Whether the row of this subtext starts with a rank cell (``td.title``, empty on
    the jobs listing), as every listing row has and no item page header outside
    ``table.fatitem``."""
    row = subtext.getparent()
    title_row = _prev_row(row) if row is not None else None
    first = next((c for c in title_row if c.tag == "td"), None) if title_row is not None else None
    return first is not None and "title" in classes(first) and first.find(".//a") is None


@parser_entry(SITE)
def parse_listing(
    html: str, *, url: str, fetched_at: datetime, known_page: int | None = None
) -> Listing:
    """One page of an HN listing: its rows in rank order and the absolute URL of its
    More link. Raises ThrottledPage / TruncatedPage for pages to fetch again and
    ParseError for a page that is not a listing (an item page, a login page).
    ``known_page``: see :func:`listing_name_and_page`; job rows print no rank, so page
    2 of ``jobs`` (``jobs?next=ID``) is numbered from 31 only with it."""
    _check_served(html, url)
    fetched_at = ages.as_utc(fetched_at)
    doc, parser = whole.parse_html(html, site=SITE, url=url)
    subtexts = []
    footer = bodies = False
    for el in doc.iter("td", "span", "div"):  # one walk for the rows, footer and bodies
        cls = el.get("class")
        if cls is None:
            continue
        if el.tag == "td":
            if "subtext" in cls.split():
                subtexts.append(el)
        elif cls == "comment":
            bodies = True
        elif cls == "yclinks" and el.tag == "span":
            footer = True
    # lxml stops early on broken markup and returns the tree so far (see ``whole``).
    declared = [m.start() for m in _SUBTEXT.finditer(html)]
    whole.check_rows(html, declared, len(subtexts), what="story rows", site=SITE, url=url,
                     parser=parser)
    whole.check_footer(html, whole.footer_start(html), footer, site=SITE, url=url,
                       parser=parser, after=declared[-1] if declared else 0)
    problem = _not_a_listing(doc, url, bodies=bodies)
    if problem is not None:
        raise problem
    if not subtexts:
        raise _no_rows(html, doc, url)
    if not any(_has_rank_cell(s) for s in subtexts):
        # The header of an old item page (-2014) is a title row of vote + title cells,
        # with no rank cell before them: a logged-out thread with no comments yet shows
        # nothing else that tells it from a one-row listing.
        raise ParseError(SITE, url, "no row has a rank cell: an item page, not a listing")

    name, page, offset = listing_name_and_page(url, known_page)
    entries = read_rows(html, subtexts, declared, offset, url=url, fetched_at=fetched_at)
    seen: set[str] = set()
    for e in entries:
        if e.story_id in seen:
            raise ParseError(SITE, url, f"story {e.story_id} is listed twice")
        seen.add(e.story_id)
    more = _more_href(doc)
    whole.check_more(html, more is not None, site=SITE, url=url)
    return Listing(
        site=SITE, name=name, page=page, url=url, fetched_at=fetched_at, entries=entries,
        next_url=join_url(url, more, site=SITE, what="the More link") if more else None,
    )
