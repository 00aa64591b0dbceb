"""Comment rows read while lxml is still parsing the page, each row emptied once read.

A whole-page tree costs ~12x the page in memory (libxml2's nodes, attributes and text),
and the comment rows are nearly all of it, each read once. So a big page is fed to
lxml's pull parser in pieces: every comment container is read (``item._comment``) as
soon as it is complete, and the row before it is emptied. What is left at the end is
the page's frame (header, More link, footer) with empty rows, which the item parser
reads as it reads a whole tree.

Anything unusual and the page is read the plain way, whole (``read_rows`` returns
None): a container that the bytes do not declare on that line, one inside the story's
header table or a comment's own page (``fatitem``), any error while streaming.
tests/test_hn_stream.py holds both readings to the same records (or the same error)
for every corpus page and the generated pages.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from lxml import etree

from scraper.parsers.hn.text import RawBodies, classes

# Below this (bytes of HTML) a page is read whole: its tree (~12x the page) is small.
# The whole reading costs ~15% fewer instructions (no event, ancestor walk or row
# clearing per element), but no less CPU time on a 1,000-comment page (1.9-2.2x the
# anchor either way, 2026-12-02): this one frees its tree a row at a time, in memory
# still in the caches, and peaks at a third of the memory.
MIN_SIZE = 512 * 1024
_CHUNK = 64 * 1024

ReadRow = Callable[..., dict[str, Any]]


@dataclass(frozen=True, slots=True, kw_only=True)
class Streamed:
    doc: etree._Element  # the page's tree, every comment row emptied but the first
    parser: etree.HTMLPullParser
    rows: list[dict[str, Any]]  # item._comment of each container, in page order
    first: etree._Element  # the first container, its row intact


def _regions(root: etree._Element) -> set[etree._Element]:
    """The tables whose contents are never a thread's comments: a comment's own page
    (``table.fatitem``) and the story header's table (the one holding ``td.subtext``)."""
    found = {t for t in root.iter("table") if "fatitem" in classes(t)}
    for td in root.iter("td"):
        if "subtext" in classes(td):
            row = td.getparent()
            table = row.getparent() if row is not None else None
            if table is not None:
                found.add(table)
    return found


def _row_of(container: etree._Element) -> etree._Element | None:
    cell = container.getparent()
    while cell is not None and cell.tag != "td":
        cell = cell.getparent()
    return cell.getparent() if cell is not None else None


def read_rows(html: str, declared: list[tuple[int, int]], *, url: str,
              fetched_at: datetime, read_row: ReadRow) -> Streamed | None:
    """Every comment row of the page, read as the page is parsed; None where the page
    must be read whole (see the module's notes)."""
    # UTF-8 bytes, as whole.parse_html gives them (a chunk of the str is whole characters).
    parser = etree.HTMLPullParser(events=("end",), tag=("span", "div"), collect_ids=False,
                                  huge_tree=True, encoding="utf-8")
    raw = RawBodies.trusted(html, [pos for pos, _ in declared])
    rows: list[dict[str, Any]] = []
    regions: set[etree._Element] | None = None
    first: etree._Element | None = None
    keep: etree._Element | None = None  # the first row, which the item parser reads again
    previous: etree._Element | None = None
    try:
        for start in range(0, len(html), _CHUNK):
            parser.feed(html[start:start + _CHUNK].encode("utf-8"))
            for _, el in parser.read_events():
                if el.get("class") != "comment":
                    continue
                n = len(rows)
                if n >= len(declared) or el.sourceline != declared[n][1]:
                    return None
                above = list(el.iterancestors())
                if regions is None:
                    regions = _regions(above[-1] if above else el)
                if any(a in regions for a in above):
                    return None
                rows.append(read_row(el, n, raw, url=url, fetched_at=fetched_at))
                row = _row_of(el)
                if first is None:
                    first, keep = el, row
                # The previous row is complete unless it encloses this container.
                if previous is not None and previous is not keep and previous not in above:
                    previous.clear()
                previous = row
        doc = parser.close()
    except Exception:  # the whole reading gives the page's own error, or none
        return None
    if doc is None or first is None or len(rows) != len(declared):
        return None
    if regions != _regions(doc):  # a header that came after the first comment
        return None
    return Streamed(doc=doc, parser=parser, rows=rows, first=first)
