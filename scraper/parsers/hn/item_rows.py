"""One HN comment row -> the fields of its PageComment (all but its plain text, which
``item._with_texts`` reads for all rows at once). Split from ``item``, which finds the
rows and checks the page; ``stream`` calls ``read_comment`` on each row as it parses.

Where the row's pieces are (td.ind or s.gif spacer, tr.athing id, span.comhead) is
described in ``item``'s docstring; this is the per-row Python of issue 14's parse
budget (~1 ms of a typical page's ~2.4 ms), so it walks lxml's elements directly. A row
in HN's 2010-16 spelling is read from its bytes first (``served_rows``); this walk reads
every other row, and the rows that hold the bytes' reading to it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from lxml import etree

from scraper.parsers import ages
from scraper.parsers.errors import ParseError
from scraper.parsers.hn.story import hn_path, item_id_of, text_of
from scraper.parsers.hn.text import MARKERS, RawBodies, classes, colour_of, is_wrapper
from scraper.parsers.values import is_id, number

SITE = "hn"
_ABSOLUTE = ("h", "/")  # the first characters of the links hn_path rewrites


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


def comhead(cell: etree._Element) -> etree._Element | None:
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


def is_focus_comment(head: etree._Element | None) -> bool:
    """Whether this head is that of the comment a comment's own page is about: it links
    its story ("on: <title>"), where rows of a thread leave that span empty, and before
    2015 it linked its parent, which rows of a thread never did."""
    if head is None:
        return False
    for span in head.iter("span"):
        if {"onstory", "storyon"} & set(classes(span)) and span.find(".//a") is not None:
            return True
    return any(text_of(a) == "parent" and item_id_of(a.get("href"))
               for a in head.iter("a"))


def read_comment(container: etree._Element, n: int, raw: RawBodies, *, url: str,
                 fetched_at: datetime) -> dict[str, Any]:
    """The fields of one comment row but its plain text, which is read for all rows at
    once (see ``item._with_texts``)."""
    cell = container.getparent()
    while cell is not None and cell.tag != "td":
        cell = cell.getparent()
    row = cell.getparent() if cell is not None else None
    if cell is None or row is None:
        raise ParseError(SITE, url, f"comment row {n}: body outside a table cell")
    depth = _depth(row, url, n)
    head_el = comhead(cell)
    ident = _row_id(row)
    author = created_raw = None
    created_at = None
    head = ""
    if head_el is not None:
        # One C call for the text (itertext() builds a Python string per text node).
        head = etree.tostring(head_el, method="text", encoding="unicode").replace("\xa0", " ")
        age_title = None
        # The head's own span (class "comhead", never "age") is skipped, and a relative
        # href, as HN writes them all, is not passed through hn_path: the same reading
        # with fewer calls a row (the head's links were a quarter of an old-markup row).
        for el in head_el.iterdescendants("a", "span"):
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
