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
HN's own narrow markup, code blocks included (``bodies``). A page of 1 MiB or more is
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
from scraper.parsers import ages, bodies, whole
from scraper.parsers.errors import (
    NoSuchItem,
    ParseError,
    ThrottledPage,
    TruncatedPage,
    parser_entry,
)
from scraper.parsers.hn import stream
from scraper.parsers.hn.story import Header, hn_path, item_id_of, parse_header, text_of
from scraper.parsers.hn.text import (
    MARKERS,
    RawBodies,
    classes,
    colour_of,
    container_starts,
    is_wrapper,
)
from scraper.parsers.hn.urls import next_url, url_story_id
from scraper.parsers.pages import ItemPage, PageComment
from scraper.parsers.values import is_id, number

SITE = "hn"
_new_row = quick(PageComment)  # a record per row (see archive.records)
_ABSOLUTE = ("h", "/")  # the first characters of the links hn_path rewrites

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
_MORELINK = etree.XPath("//a[contains(concat(' ', @class, ' '), ' morelink ')]/@href")
_FNID_MORE = etree.XPath(
    "//td[@class='title']/a[contains(@href, 'fnid=')][normalize-space()='More']/@href")


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


def _first_td(row: etree._Element) -> etree._Element | None:
    if len(row):
        cell = row[0]
        if cell.tag == "td":  # nearly every row
            return cell
    for cell in row:
        if cell.tag == "td":
            return cell
    return None


def _depth(row: etree._Element, url: str, n: int) -> int:
    first = _first_td(row)
    if first is not None:
        shown = first.get("indent")
        indent = number(shown) if shown is not None else None
        if indent is not None:
            return indent
        # The spacer is the cell's only child; iter() covers the odd wrapped one. (Each
        # first[0] makes a new proxy: taken once.)
        only = first[0] if len(first) == 1 else None
        spacers = (only,) if only is not None and only.tag == "img" else first.iter("img")
        for img in spacers:
            width = number(img.get("width"))
            if (img.get("src") or "").endswith("s.gif") and width is not None:
                if width % 40:
                    raise ParseError(SITE, url, f"comment row {n}: spacer width {width} "
                                                "is not a multiple of 40px")
                return width // 40
    raise ParseError(SITE, url, f"comment row {n}: no indent cell (td.ind or s.gif spacer)")


def _row_id(row: etree._Element) -> str | None:
    """The id on the enclosing ``tr.athing`` (2015-): row -> table -> td -> tr."""
    outer = row.getparent()
    if outer is not None:
        outer = outer.getparent()
    if outer is not None:
        outer = outer.getparent()
    if outer is not None and outer.tag == "tr" and "athing" in (outer.get("class") or ""):
        ident = outer.get("id")
        if is_id(ident):
            return ident
    return None


def _comhead(cell: etree._Element) -> etree._Element | None:
    # Every era: td > div > span.comhead, the cell's first span; iter() for odd rows.
    div = cell[0] if len(cell) else None
    if div is not None and div.tag == "div":
        span = div[0] if len(div) else None
        if span is not None and span.tag == "span" and span.get("class") == "comhead":
            return span
    for span in cell.iter("span"):
        if span.get("class") == "comhead":
            return span
    return None


def _is_focus_comment(comhead: etree._Element | None) -> bool:
    """Whether this head is that of the comment a comment's own page is about: it links
    its story ("on: <title>"), where rows of a thread leave that span empty, and before
    2015 it linked its parent, which rows of a thread never did."""
    if comhead is None:
        return False
    for span in comhead.iter("span"):
        if {"onstory", "storyon"} & set(classes(span)) and span.find(".//a") is not None:
            return True
    return any(text_of(a) == "parent" and item_id_of(a.get("href"))
               for a in comhead.iter("a"))


def _comment(container: etree._Element, n: int, raw: RawBodies, *, url: str,
             fetched_at: datetime) -> dict[str, Any]:
    """The fields of one comment row but its plain text, which is read for all rows at
    once (see ``_with_texts``)."""
    cell = container.getparent()
    while cell is not None and cell.tag != "td":
        cell = cell.getparent()
    row = cell.getparent() if cell is not None else None
    if cell is None or row is None:
        raise ParseError(SITE, url, f"comment row {n}: body outside a table cell")
    depth = _depth(row, url, n)
    comhead = _comhead(cell)
    ident = _row_id(row)
    author = created_raw = None
    created_at = None
    head = ""
    if comhead is not None:
        # One C call for the text (itertext() builds a Python string per text node).
        head = etree.tostring(comhead, method="text", encoding="unicode").replace("\xa0", " ")
        age_title = None
        # The head's own span (class "comhead", never "age") is skipped, and a relative
        # href, as HN writes them all, is not passed through hn_path: the same reading
        # with fewer calls a row (the head's links were a quarter of an old-markup row).
        for el in comhead.iterdescendants("a", "span"):
            if author is not None and ident is not None and age_title is not None:
                break  # the rest is navigation (parent | next | [-])
            cls = el.get("class")
            if el.tag == "span":
                if age_title is None and cls == "age":
                    age_title = el.get("title")
                continue
            href = el.get("href") or ""
            if href[:1] in _ABSOLUTE:
                href = hn_path(href)
            if author is None and (cls == "hnuser" or href.startswith("user?id=")):
                # The name is the link's text, wrapped in <font> for new accounts (-2014).
                author = (el.text or text_of(el)).strip() or None
            elif ident is None and href.startswith("item?id="):
                # item_id_of(href), href being HN's own spelling already
                shown = href[8:].split("&", 1)[0]
                ident = shown if is_id(shown) else None
        created_at, created_raw = ages.parse_age(age_title, head, fetched_at)

    wrapper = None
    for child in container:
        if is_wrapper(child):
            wrapper = child
            break
    text_html: str | None = None
    colour = None
    marker = None
    if wrapper is None:  # bare text: "[deleted]", "[flagged]", "[dead]" (or odd markup)
        bare = " ".join((container.text or "").split())
        marker = bare if bare in MARKERS else None
    if marker is None:
        body = wrapper if wrapper is not None else container
        text_html = raw.read(n, wrapper, body) or None
        colour = colour_of(wrapper) if text_html else None
    deleted = marker == "[deleted]"
    if ident is None and not deleted:
        raise ParseError(SITE, url, f"comment row {n} (depth {depth}) has no id")
    return dict(
        site=SITE, id=ident, depth=depth, author=None if deleted else author,
        created_at=created_at, created_at_raw=created_raw, text_html=text_html,
        dead=marker == "[dead]" or "[dead]" in head,
        flagged=marker == "[flagged]" or "[flagged]" in head,
        deleted=deleted, colour=colour,
    )


def _with_texts(rows: list[dict[str, Any]]) -> tuple[PageComment, ...]:
    """The comments, with every body's plain text from one BeautifulSoup parse of all
    of them; a body that reads as nothing is no body."""
    found = iter(bodies.texts([r["text_html"] for r in rows if r["text_html"]]))
    for r in rows:
        if r["text_html"]:
            r["text"] = next(found)
            if not r["text"]:
                r["text_html"] = r["colour"] = r["text"] = None
    return tuple(_new_row(**r) for r in rows)


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
                                    read_row=_comment)
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
    footer = False
    if streamed is None:
        doc, parser = whole.parse_html(html, site=SITE, url=url)
        for e in doc.iter("span", "div"):
            cls = e.get("class")
            if cls == "comment":
                containers.append(e)
            elif cls == "yclinks":
                footer = True
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
    # The tables are walked, not the page searched for the name: a table.fatitem is
    # near the top where there is one, and where there is none the walk of the tables
    # (a few per row) costs a fraction of a search of the whole page's text (~2 ns a
    # character once a page holds any character past Latin-1).
    fatitem = next((t for t in doc.iter("table")
                    if (c := t.get("class")) and "fatitem" in c.split()), None)
    subtext = None
    if has_subtext:  # the header comes first: stop at its cell
        subtext = next((td for td in doc.iter("td") if "subtext" in classes(td)), None)
    next_href = None
    morelink = "morelink" in html
    if morelink:
        next_href = next(iter(_MORELINK(doc)), None)
    if next_href is None and _FNID_MORE_TEXT.search(html):  # old one-shot "More" link
        next_href = next(iter(_FNID_MORE(doc)), None)
    whole.check_more(html, next_href is not None, site=SITE, url=url,
                     absent=() if morelink else ("morelink",))

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
        head = _comhead(first.getparent())
        if head is not None and _is_focus_comment(head):
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
        rows = [_comment(c, n, raw, url=url, fetched_at=fetched_at)
                for n, c in enumerate(containers)]
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
