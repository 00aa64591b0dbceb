"""Hacker News item (thread) pages -> ItemPage / Thread records. Pure: no network, no clock.

One parser for every markup HN has served since 2010. What stayed the same is what it
keys on:

* every comment, in every era, has exactly one body container, ``span.comment``
  (-2016) or ``div.comment`` (2016-), inside the cell that also holds its
  ``span.comhead``; the first cell of that row carries the indent, as
  ``td.ind[indent]`` (2017-) or a spacer ``s.gif`` whose width is 40px a level;
* the comment's id is the row's ``tr.athing[id]`` (2015-) or else its own
  ``item?id=N`` link in the comhead (the age link, or "link" before 2015);
* the story header is the row above ``td.subtext``.

lxml stops early on broken markup and returns a well-formed tree of the page so far, so
the tree is checked against the bytes (``whole``): as many comment containers as the
served HTML opens, the footer, the More link. ``parse_item_page`` and ``parse_thread``
raise ParseError and nothing else (``errors.parser_entry``).

Speed (issue 14: parse + tree within 2.5x a bare ``lxml.html.fromstring`` of the page;
docs/performance.md has the figures): the page is split into rows by lxml's etree HTML
parser (BeautifulSoup over a whole HN page is ~22x, and html.parser is quadratic on its
nested tables), handed the page as UTF-8 bytes (``whole.parse_html``). Each body's
served HTML is cut out (``hn.text``) and read as text without a parse where it is in
HN's own narrow markup, code blocks included (``bodies``). A row spelled exactly as HN
spelled its rows in 2010-16 is read from its bytes, not by walking its elements
(``hn.served_rows``: ~5 us a row against the walk's ~9). A page of 1 MiB or more is
read as it parses, each row emptied once read (``hn.stream``): its whole tree would be
~12x the page in memory. Records are built through ``archive.records.quick``.
docs/performance.md has the figures (bench/parse.py: ~2.0x modern, ~2.8x old on
generated 1,000-comment pages, 1.9-4.3x on HN's corpus item pages).
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime
from typing import Any

from lxml import etree

from archive.models import Thread
from archive.records import quick
from scraper.parsers import ages, whole
from scraper.parsers.errors import (
    NoSuchItem,
    ParseError,
    ThrottledPage,
    TruncatedPage,
    parser_entry,
)
from scraper.parsers.hn import body_text, stream
from scraper.parsers.hn.item_rows import SITE, comhead, is_focus_comment
from scraper.parsers.hn.served_rows import RowReader, read_rows
from scraper.parsers.hn.story import Header, parse_header
from scraper.parsers.hn.text import RawBodies, classes, container_starts
from scraper.parsers.hn.urls import next_url, url_story_id
from scraper.parsers.pages import ItemPage, PageComment

_new_row = quick(PageComment)  # a record per row (see archive.records)

_THROTTLE = re.compile(r"not able to serve your requests this quickly", re.IGNORECASE)
_NO_SUCH_ITEM = "No such item."
_END = re.compile(r"</html>\s*\Z", re.IGNORECASE)
# Whole-document scans cost 3-15 ms each on a 1,000-comment page (the budget for all
# the work is 4x the page parse), so the containers are found by one iteration over
# spans and divs (a union XPath was 2x slower: it sorts its result), and the rare
# landmarks are looked for only when their name occurs in the page at all.
# Logged-in old pages have fnid= links (logout, comment form) on every page: look for
# the More link's whole shape before scanning the document for it.
_FNID_MORE_TEXT = re.compile(r"""fnid=[^"'>\s]*["']?[^>]*>\s*More\s*</a>""")
_CLOSE_A = re.compile(r"\s*</a>")  # what follows "More" in both old shapes
# From the document by /descendant:: (the same nodes as //, the steps' tests being no
# positions): libxml2 walks the tree once, where // was ~2x slower (item-3412900's More
# link: ~130 -> ~85 us).
_MORELINK = etree.XPath(
    "/descendant::a[contains(concat(' ', @class, ' '), ' morelink ')]/@href")
_FNID_MORE = etree.XPath("/descendant::td[@class='title']/a[contains(@href, 'fnid=')]"
                         "[normalize-space()='More']/@href")


def is_throttle_page(html: str) -> bool:
    """HN's "Sorry, we're not able to serve your requests this quickly." (status 200).

    A short page, sometimes inside the usual header and footer; a story or comment that
    quotes the sentence is not one (it has a subtext or comment heads)."""
    # The plain searches first: they settle every thread and listing, where the
    # case-blind regex is a slow scan (~70 us on a 16 KB page).
    return (len(html) < 16384 and "subtext" not in html and "comhead" not in html
            and _THROTTLE.search(html) is not None)


def looks_complete(html: str) -> bool:
    """Whether an HTML body reaches the end of its document: every HN page ends with
    ``</html>`` after the footer; a cut connection or a proxy's partial body does not.

    A body that is not an HTML document at all (robots.txt, HN's bare "No such item.")
    has no end to miss, so it counts as complete; an empty body does not."""
    if not html or html.isspace():  # (strip() would copy the page)
        return False
    if "<html" not in html[:2048].lower():
        return True
    return _END.search(html[-512:]) is not None


def _check_served(html: str, url: str) -> None:
    """The pages HN serves instead of the item asked for, before any parsing."""
    if is_throttle_page(html):
        raise ThrottledPage(SITE, url, "HN says it cannot serve requests this quickly")
    if not html or html.isspace():
        raise TruncatedPage(SITE, url, "empty body")
    if len(html) < 16384 and _NO_SUCH_ITEM in html and "comhead" not in html \
            and "subtext" not in html:
        raise NoSuchItem(SITE, url, "HN says: No such item.")
    if not looks_complete(html):
        raise TruncatedPage(SITE, url, "the body stops before </html>: truncated page")


def _with_texts(rows: list[dict[str, Any]]) -> tuple[PageComment, ...]:
    """The comments, with every body's plain text from one BeautifulSoup parse of all
    of them; a body that reads as nothing is no body."""
    found = iter(body_text.texts([r["text_html"] for r in rows if r["text_html"]]))
    for r in rows:
        if r["text_html"]:
            r["text"] = next(found)
            if not r["text"]:
                r["text_html"] = r["colour"] = r["text"] = None
    return tuple(_new_row(**r) for r in rows)


def landmarks(doc: etree._Element) -> tuple[list[etree._Element], bool, etree._Element | None]:
    """The page's comment containers (``span/div.comment``), whether it has the footer
    (``span/div.yclinks``), and its first ``table.fatitem`` (the header of a story's or
    a comment's own page), in one walk of the tree: where there is no fatitem (2010-15)
    a walk of the tables of its own was a pass of the whole tree (~100 us of
    item-4992617's ~9 ms). A tag is read only where the class matches."""
    containers = []
    footer = False
    fatitem = None
    for e in doc.iter("span", "div", "table"):
        cls = e.get("class")
        if cls == "comment":
            if e.tag != "table":
                containers.append(e)
        elif cls == "yclinks":
            footer = footer or e.tag != "table"
        elif (cls and fatitem is None and "fatitem" in cls and e.tag == "table"
              and "fatitem" in cls.split()):
            fatitem = e
    return containers, footer, fatitem


def more_link(html: str, doc: etree._Element) -> tuple[str | None, tuple[str, ...]]:
    """The More link's href in the tree (None if it shows none), and the guards of
    ``whole.check_more`` whose shapes the page cannot hold, found on the way: the
    ``morelink`` class where the name is not in the page, and the old fnid link where
    its loose shape (``_FNID_MORE_TEXT``) is not (its stricter shape there cannot be
    either); both old shapes (fnid= and the bare "More</a>") where no "More" in the
    page is closed by ``</a>`` (``_more_closes``): one pass for the two. Each guard
    skipped is a search of the whole page not made twice: the fnid shape's alone was 1
    ms of item-4992617's ~11 ms."""
    next_href = None
    morelink = "morelink" in html
    absent = [] if morelink else ["morelink"]
    if morelink:
        next_href = next(iter(_MORELINK(doc)), None)
    if next_href is None:
        closes = _more_closes(html)
        if not closes:  # both old shapes hold "More" closed by </a>
            absent += ["fnid=", "More</a>"]
        elif _fnid_more_text(html, closes):  # old one-shot "More" link
            next_href = next(iter(_FNID_MORE(doc)), None)
        else:
            absent.append("fnid=")
    return next_href, tuple(absent)


def _more_closes(html: str) -> list[int]:
    r"""Where each "More" in the page followed by ``\s*</a>`` stands, as in both old
    shapes of the More link (the fnid link's, loose or strict, and the bare
    ``More</a>``): where none is, neither can match. A page holds the word a few times
    at most (a 2013 thread's 386 K characters: 10), so each is tested where str.find
    stops, in the one pass that ``"More" in`` made; the fnid search and check_more's
    ``"More</a>" in`` were a pass each on the pages that name the word in text
    (item-4992617: ~160 us of ~9.4 ms)."""
    out = []
    at = html.find("More")
    while at >= 0:
        if _CLOSE_A.match(html, at + 4):
            out.append(at)
        at = html.find("More", at + 4)  # "More" cannot overlap itself
    return out


def _fnid_more_text(html: str, closes: list[int] | None = None) -> bool:
    r"""Whether ``_FNID_MORE_TEXT.search(html)`` finds a match, read from the page's
    closed "More"s (``closes``: ``_more_closes``), not by a search of the page for
    "fnid=" (~0.5 ns a character, 70 us of item-3412900's ~3.9 ms). In a match the run
    from "fnid=" to its ">" holds no ">" (``[^"'>\s]*["']?[^>]*`` takes any other run)
    and only blanks (``\s``, which is ``str.isspace``) stand between that ">" and
    "More": so a closed "More" ends a match exactly where the last ">" before it is
    followed by blanks alone, and an "fnid=" lies wholly between that ">" and the ">"
    before it."""
    for at in closes if closes is not None else _more_closes(html):
        gt = html.rfind(">", 0, at)
        between = html[gt + 1:at]
        if gt < 0 or (between and not between.isspace()):
            continue
        if html.find("fnid=", html.rfind(">", 0, gt) + 1, gt) >= 0:
            return True
    return False


def _not_an_item_page(html: str, doc: etree._Element, url: str) -> ParseError:
    if doc.xpath("//form[@action='login' or @action='/login']") or 'name="acct"' in html:
        return ParseError(SITE, url, "a login page, not an item page")
    title = doc.findtext(".//title") or ""
    return ParseError(SITE, url, "no story header and no comment rows: not an HN item page"
                                 + (f" (title {title.strip()[:80]!r})" if title.strip() else ""))


@parser_entry(SITE)
def parse_item_page(html: str, *, url: str, fetched_at: datetime,
                    story_id: str | None = None) -> ItemPage:
    """One page of an HN thread: its story header (if it has one), its comment rows in
    page order with their depth, and the absolute URL of the thread's next page.

    ``story_id`` defaults to the ``id`` of ``url``; old ``/x?fnid=`` continuation pages
    have neither header nor id, so the caller passes it for them."""
    _check_served(html, url)
    # Each count is a pass over the page; an item page names "subtext" once (its
    # header), so one pass for the bare name mostly settles it.
    named = html.count("subtext")
    listed = 0 if named < 2 else html.count('class="subtext"') + html.count("class='subtext'")
    if listed > 1:
        raise ParseError(SITE, url, f"a listing of {listed} stories, not an item page")
    fetched_at = ages.as_utc(fetched_at)
    declared = container_starts(html)
    if len(html) >= stream.MIN_SIZE:  # a big page: its rows read and dropped as it parses
        streamed = stream.read_rows(html, declared, url=url, fetched_at=fetched_at,
                                    read_row=RowReader())
        if streamed is not None:
            try:
                return _item_page(html, url, fetched_at, story_id, declared, streamed,
                                  named > 0)
            except ParseError:
                pass  # the whole reading finds the page's own error
    return _item_page(html, url, fetched_at, story_id, declared, None, named > 0)


def _item_page(html: str, url: str, fetched_at: datetime, story_id: str | None,
               declared: list[tuple[int, int]], streamed: stream.Streamed | None,
               has_subtext: bool) -> ItemPage:
    containers: list[etree._Element] = []
    fatitem = None  # a streamed page's regions hold no container (stream.read_rows)
    if streamed is None:
        doc, parser = whole.parse_html(html, site=SITE, url=url)
        containers, footer, fatitem = landmarks(doc)
        count = len(containers)
    else:
        doc, parser = streamed.doc, streamed.parser
        footer = any(e.get("class") == "yclinks" for e in doc.iter("span", "div"))
        count = len(streamed.rows)
    # lxml stops early on broken markup and returns the tree so far: the bytes say how
    # many rows and whether a footer the tree must hold (see ``whole``).
    whole.check_rows(html, [pos for pos, _ in declared], count,
                     what="comment rows", site=SITE, url=url, parser=parser)
    whole.check_footer(html, whole.footer_start(html), footer, site=SITE, url=url,
                       parser=parser, after=declared[-1][0] if declared else 0)
    subtext = None
    if has_subtext:  # the header comes first: stop at its cell
        subtext = next((td for td in doc.iter("td") if "subtext" in classes(td)), None)
    next_href, absent = more_link(html, doc)
    whole.check_more(html, next_href is not None, site=SITE, url=url, absent=absent)

    header: Header | None = None
    if subtext is not None:
        header = parse_header(html, subtext, page_url=url, fetched_at=fetched_at)
    # The header's table holds the story, its text and poll options, never comments; a
    # header table (fatitem) with a comment body but no story subtext is the page of a
    # comment itself (item?id=<comment>), which is not a thread this parser can archive.
    # (A streamed page has no container in either: stream.read_rows makes sure.)
    for region in (fatitem, header.table if header is not None else None):
        if region is None or streamed is not None:
            continue
        inside = set(region.iter("span", "div"))
        if header is None and any(c in inside for c in containers):
            raise ParseError(SITE, url, "the page is a comment's own page, not a story's thread")
        containers = [c for c in containers if c not in inside]

    first = streamed.first if streamed is not None else (containers[0] if containers else None)
    if header is None and first is None:
        raise _not_an_item_page(html, doc, url)
    if header is None and first is not None:
        head = comhead(first.getparent())
        if head is not None and is_focus_comment(head):
            raise ParseError(SITE, url, "the page is a comment's own page, not a story's thread")
    wanted = story_id or url_story_id(url)
    shown = header.story_id if header is not None else None
    if wanted and shown and wanted != shown:
        raise ParseError(SITE, url, f"page shows item {shown}, not {wanted}")
    sid = wanted or shown
    if not sid:
        raise ParseError(SITE, url, "cannot tell which story this page belongs to: "
                                    "pass story_id for /x?fnid= continuation pages")

    if streamed is not None:
        rows = streamed.rows
    else:
        raw = RawBodies(html, containers, declared)
        rows = read_rows(containers, raw, url=url, fetched_at=fetched_at)
    return ItemPage(
        site=SITE, story_id=sid, url=url, fetched_at=fetched_at,
        story=replace(header.story, id=sid) if header is not None else None,
        comments=_with_texts(rows),
        next_url=next_url(url, next_href, sid) if next_href else None,
    )


@parser_entry(SITE)
def parse_thread(html: str, *, url: str, fetched_at: datetime) -> Thread:
    """A thread that fits on one page: parse it and place its comments in the tree."""
    from scraper.parsers.tree import assemble_thread  # tree imports nothing from here

    return assemble_thread([parse_item_page(html, url=url, fetched_at=fetched_at)])
