"""Comment rows read while lxml is still parsing the page, each row emptied once read.

A whole-page tree costs ~12x the page in memory (libxml2's nodes, attributes and text),
and the comment rows are nearly all of it, each read once. So a big page is fed to
lxml's pull parser in pieces, a marker (an HTML comment) before each container the
bytes declare: every comment container is read (``item_rows.read_comment``) once the next
marker is parsed, which it then precedes whole, and the row before it is emptied; the
marker is removed. What is left at the end is
the page's frame (header, More link, footer) with empty rows, which the item parser
reads as it reads a whole tree.

Anything unusual and the page is read the plain way, whole (``read_rows`` returns
None): a container that the bytes do not declare on that line or that is not its
marker's next sibling (libxml2 moved one or the other), one inside the story's
header table or a comment's own page (``fatitem``), any error while streaming.
tests/test_hn_stream.py holds both readings to the same records (or the same error)
for every corpus page and the generated pages.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from lxml import etree

from scraper.parsers.hn.text import RawBodies, classes

# Below this (characters of HTML) a page is read whole: its tree (~12x the page, at
# most ~12 MB here) is small. The whole reading costs 16% fewer instructions: on the
# generated 1,000-comment page in old markup (0.75 MB), 2.33x the anchor's against the
# streamed reading's 2.78x (callgrind, 2026-12-03; the push parser, lxml's hook on the
# start of every element, the ancestors of each row, the clearing). At 512 KiB its CPU
# time measured the same either way (2026-12-02) but was 20% more streamed under load
# (2026-12-03). The streamed reading peaks at a third of the memory, which pays from
# here on (a 10,000-comment page is ~10 MB; issue 14 wants <= 10x the page).
MIN_SIZE = 1024 * 1024
_CHUNK = 64 * 1024

ReadRow = Callable[..., dict[str, Any]]


@dataclass(frozen=True, slots=True, kw_only=True)
class Streamed:
    doc: etree._Element  # the page's tree, every comment row emptied but the first
    parser: etree.HTMLPullParser
    rows: list[dict[str, Any]]  # item_rows.read_comment of each container, in page order
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


def _row_of(above: list[etree._Element]) -> etree._Element | None:
    """The row of a container whose ancestors are ``above`` (nearest first): the
    parent of its nearest ``td``."""
    for i, el in enumerate(above):
        if el.tag == "td":
            return above[i + 1] if i + 1 < len(above) else None
    return None


# Where each container opens, the page is fed a comment holding this text: lxml then
# reports one event a row (a comment), not one per span and div (a proxy, a tuple and
# a Python test each), and leaves the end of every element to libxml2 alone. That took
# 5.3% (modern markup) and 1.4% (old) of the instructions of a streamed 1,000-comment
# page (callgrind, 2026-12-02). The streamed reading still costs ~20% more than the
# whole one: libxml2's push parser, and lxml's hook on the start of every element of
# an HTML page (a GIL round trip each), which it installs whatever the events asked.
# A comment adds no line, so every element keeps the source line the bytes give it.
MARK = "lt-row"
_MARKER = f"<!--{MARK}-->"


def _pieces(html: str, declared: list[tuple[int, int]]) -> Iterator[bytes]:
    """The page as UTF-8 bytes in pieces of about ``_CHUNK``, a marker before each
    declared container's opening tag (whose ``<`` is the last before its end)."""
    parts: list[str] = []
    size = last = 0
    for end, _ in declared:
        start = html.rfind("<", 0, end)
        parts += (html[last:start], _MARKER)
        size += start - last
        last = start
        if size >= _CHUNK:
            yield "".join(parts).encode("utf-8")
            parts, size = [], 0
    parts.append(html[last:])
    yield "".join(parts).encode("utf-8")


def read_rows(html: str, declared: list[tuple[int, int]], *, url: str,
              fetched_at: datetime, read_row: ReadRow) -> Streamed | None:
    """Every comment row of the page, read as the page is parsed; None where the page
    must be read whole (see the module's notes)."""
    parser = etree.HTMLPullParser(events=("comment",), collect_ids=False, huge_tree=True,
                                  encoding="utf-8")
    raw = RawBodies.trusted(html, [pos for pos, _ in declared])
    rows: list[dict[str, Any]] = []
    regions: set[etree._Element] | None = None
    first: etree._Element | None = None
    keep: etree._Element | None = None  # the first row, which the item parser reads again
    previous: etree._Element | None = None
    # The marker whose container is not read yet, and the marker's ancestors (its
    # container's too: the two are siblings).
    pending: tuple[etree._Element, list[etree._Element]] | None = None

    def read(marker: etree._Element, above: list[etree._Element],
             after: list[etree._Element] | None) -> bool:
        """Read the container after ``marker``; ``after``: the next marker's ancestors
        (None at the end of the page). False where the page must be read whole."""
        nonlocal regions, first, keep, previous
        n = len(rows)
        container = marker.getnext()
        if (n >= len(declared) or container is None or marker.tail
                or container.get("class") != "comment"
                or container.sourceline != declared[n][1]
                or (after is not None and container in after)):  # not complete yet
            return False
        if regions is None:
            regions = _regions(above[-1] if above else container)
        if not regions.isdisjoint(above):
            return False
        parent = marker.getparent()
        if parent is None:
            return False
        parent.remove(marker)  # (its tail is empty: the container follows at once)
        rows.append(read_row(container, n, raw, url=url, fetched_at=fetched_at))
        row = _row_of(above)  # (the marker's ancestors are its sibling's)
        if first is None:
            first, keep = container, row
        # The previous row is complete unless it encloses this container.
        if previous is not None and previous is not keep and previous not in above:
            previous.clear()
        previous = row
        return True

    try:
        for piece in _pieces(html, declared):
            parser.feed(piece)
            for _, el in parser.read_events():
                if el.text != MARK:
                    continue  # the page's own comment
                above = list(el.iterancestors())
                if pending is not None and not read(*pending, above):
                    return None
                pending = (el, above)
        doc = parser.close()
        for _, el in parser.read_events():
            if el.text == MARK:
                return None  # (close() reports what feed() did not: not expected)
        if pending is None or not read(*pending, None):
            return None
    except Exception:  # the whole reading gives the page's own error, or none
        return None
    if doc is None or first is None or len(rows) != len(declared):
        return None
    if regions != _regions(doc):  # a header that came after the first comment
        return None
    return Streamed(doc=doc, parser=parser, rows=rows, first=first)
