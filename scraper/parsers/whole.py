"""Whether the tree lxml built from a page is the whole page.

libxml2's HTML parser does not fail on broken markup: it stops early and hands back
the tree so far. A raw-text element left open (``<textarea>``, ``<script>``, ``<style>``,
``<title>``, ``<iframe>``, ``<xmp>``, ``<plaintext>``), an unclosed ``<!--``, or a stray
``</html>`` swallows the rest of the page into one text node (or ends it); nesting
past its depth limit or a text node over its size limit stops the parse. The tree it
returns is well-formed, so a parser that trusts it archives the first comments of a
thread and reports success.

The page's bytes say how much the tree should hold: every HN page ends in a footer
(``span.yclinks``) after all of its rows, and each row has an opening a regex can
count (``span/div.comment``, ``td.subtext``, a profile's label cells). HN escapes what
users write, so those openings never occur in a body as markup. Comparing the count in
the bytes with the count in the tree costs one regex pass; a second parse would cost
as much as the first.

Valid pages parse whole: ``huge_tree`` lifts libxml2's depth (256 -> 2048) and text
node (10 MB) limits. Failing loudly is for the pages that are broken.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from lxml import etree

from scraper.parsers.errors import ParseError

# What can make libxml2 read the rest of a page as text, or stop, when left open.
_BREAKER = re.compile(
    r"<(?:textarea|script|style|title|iframe|xmp|plaintext|noembed|noframes|noscript)\b"
    r"|<!--|</(?:html|body)\b", re.IGNORECASE)
_FOOTER = re.compile(r"""class\s*=\s*["']?yclinks\b""")


def html_parser() -> etree.HTMLParser:
    """lxml's HTML parser as the HN parsers use it: without libxml2's size and depth
    limits, which cut valid long or deeply nested pages short. It reads UTF-8 bytes
    (``parse_html`` says why)."""
    return etree.HTMLParser(collect_ids=False, huge_tree=True, encoding="utf-8")


def parse_html(html: str, *, site: str, url: str) -> tuple[etree._Element, etree.HTMLParser]:
    """The page's tree (and its parser, whose error log explains an early stop).

    The text is handed to libxml2 as UTF-8 bytes, its own encoding: given a ``str``,
    lxml passes it in Python's internal form (UCS-2/UCS-4 for any page with a non-Latin
    character), which libxml2 converts first; the tree is the same and the parse ~40%
    quicker (bench/parse.py). It also takes pages that declare an encoding
    (``<?xml ... encoding=...?>``), which lxml refuses as a ``str``."""
    parser = html_parser()
    try:
        doc = etree.fromstring(html.encode("utf-8"), parser)
    except (etree.XMLSyntaxError, etree.ParserError, ValueError) as exc:
        # ValueError here: lone surrogates (no UTF-8 for them), which no decoded page holds.
        raise ParseError(site, url, f"lxml cannot parse the body: {one_line(exc)}") from exc
    if doc is None:
        raise ParseError(site, url, "no HTML document in the body")
    return doc, parser


def one_line(exc: BaseException, limit: int = 160) -> str:
    text = " ".join(str(exc).split())
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _closed(html: str, token: str, after: int, end: int) -> bool:
    if token.startswith("</"):
        return False  # a stray end of the document is the trouble itself
    if token == "<!--":
        return html.find("-->", after, end) >= 0
    close = re.compile(rf"</{token[1:]}\s*>", re.IGNORECASE)
    return close.search(html, after, end) is not None


def _cause(html: str, begin: int, end: int, parser: etree.HTMLParser) -> str:
    """A guess at why the tree stopped, for the error message: the first breaker left
    open between the last row the tree kept and the first it lost."""
    for m in _BREAKER.finditer(html, begin, end):
        token = m.group(0).lower()
        if _closed(html, token, m.end(), end):
            continue
        name = (f"a stray {token}>" if token.startswith("</") else "an unclosed <!--"
                if token == "<!--" else f"an unclosed {token}>")
        return f" ({name} at offset {m.start()}?)"
    for entry in parser.error_log:
        if "depth" in entry.message.lower() or "huge" in entry.message.lower():
            return f" (libxml2: {one_line(Exception(entry.message), 80)})"
    return ""


def check_rows(html: str, starts: Sequence[int], in_tree: int, *, what: str, site: str,
               url: str, parser: etree.HTMLParser) -> None:
    """ParseError if the tree holds fewer ``what`` than the bytes open (``starts``: the
    offset of each opening in ``html``, in page order)."""
    if in_tree >= len(starts):
        return
    # The tree usually keeps the rows before the point where libxml2 went astray.
    begin = starts[in_tree - 1] if in_tree > 0 else 0
    raise ParseError(site, url, f"the page's markup holds {len(starts)} {what}, the parsed "
                                f"tree {in_tree}: the HTML is malformed"
                                + _cause(html, begin, starts[in_tree], parser))


def footer_start(html: str) -> int | None:
    """Where the page's footer opens in the bytes, if it has one (every HN page does)."""
    at = html.rfind("yclinks")
    if at < 0:
        return None
    m = _FOOTER.search(html, max(0, at - 32), at + 8)
    return m.start() if m else None


def check_footer(html: str, start: int | None, in_tree: bool, *, site: str, url: str,
                 parser: etree.HTMLParser, after: int = 0) -> None:
    """ParseError if the bytes have a footer (at ``start``) that the tree lacks: the
    parse stopped somewhere after ``after`` (the last row it kept), and what lies
    between (a More link, the rest of a profile) is lost."""
    if start is None or in_tree:
        return
    raise ParseError(site, url, "the page's footer (span.yclinks) is not in the parsed "
                                "tree: the HTML is malformed" + _cause(html, after, start, parser))


# The More link as served, in each era: a.morelink (2016-), a "More" link to /x?fnid=
# (-2014, item pages), a bare "More" link in a td.title (-2015, listings). Each has
# a cheap plain-string guard, so a page with no such link costs three `in` tests.
_MORE_SHAPES = (
    ("morelink", re.compile(r"""<a\s(?:[^<>]*?\s)?class\s*=\s*["']?morelink\b""")),
    ("fnid=", re.compile(r"""fnid=[^"'<>\s]*["']?[^<>]*>\s*More\s*</a>""")),
    ("More</a>", re.compile(r"""<td\s[^<>]*?class\s*=\s*["']?title\b[^<>]*>\s*<a\s[^<>]*>"""
                            r"""\s*More\s*</a>""")),
)


def check_more(html: str, in_tree: bool, *, site: str, url: str,
               absent: tuple[str, ...] = ()) -> None:
    """ParseError if the bytes hold a More link the tree does not show: without it the
    crawl would stop at this page, one silent half thread or listing. ``absent``:
    guards the caller has found not in the page (each search is a pass over it)."""
    if in_tree:
        return
    for guard, shape in _MORE_SHAPES:
        if guard not in absent and guard in html:
            m = shape.search(html)
            if m is not None:
                raise ParseError(site, url, f"the page's markup has a More link (offset "
                                            f"{m.start()}) that the parsed tree does not "
                                            "show: the HTML is malformed")
