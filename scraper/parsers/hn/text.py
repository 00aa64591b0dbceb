"""HN comment and story bodies as served: their HTML, and the grey colour code.

HN lets users write only paragraphs, italics, links and ``<pre><code>`` blocks, and
escapes everything else. So ``text_html`` can be cut from the served page itself: a body
ends at the first tag a user cannot write (``</span>``, ``</font>``, ``<div
class='reply'>``...), and the slice is the body exactly as served, entities and unclosed
``<p>`` included (``RawBodies``). Where a body cannot be cut out faithfully, lxml's
serialisation of its element stands in. The plain text is read from that HTML by
``bodies`` (BeautifulSoup).
"""

from __future__ import annotations

import functools
import html as htmlmod
import re

from lxml import etree

from scraper.parsers import bodies

# What may end a body in HN's markup, by era: the wrapper's close, or (2015-17 and
# 2023, where the wrapper is left open) the empty <span> / reply <div> that follows.
BODY_ENDS = frozenset({"/span", "/font", "/div", "span", "div"})
MARKERS = frozenset({"[deleted]", "[dead]", "[flagged]"})

# The grey class is two hex digits in either case: a 2026 page of a 2008 thread greys a
# comment with "commtext c5A". Codes are returned in lower case ("c5a").
_COLOUR_CLASS = re.compile(r"c[0-9a-fA-F]{2}")
_HEX = re.compile(r"#?([0-9a-fA-F]{2})[0-9a-fA-F]{4}")
# A container opens as <span|div class=comment>: the class part is searched for, and
# the tag's start checked behind it (the "<" nearest before it). A search for the whole
# shape stopped at every "<" of the page: ~30 instructions a character of a 2013 page,
# a fifth of its parse by lxml (the class's name is rarer).
_CONTAINER_CLASS = re.compile(r"""class\s*=\s*(?:"comment"|'comment'|comment(?=[\s>]))\s*>""")
_CONTAINER_TAG = re.compile(r"<(?:span|div)\s+")
# The element that wraps a body inside the container, per era: span/div.commtext cXX
# (2017-), span.cXX (2015-17), font color=#rrggbb (-2015).
_WRAPPER = re.compile(
    r"""\s*<(?P<tag>span|div|font)\s+(?:class\s*=\s*["']?(?:commtext(?:\s+c[0-9a-fA-F]{2})?|"""
    r"""c[0-9a-fA-F]{2})["']?|color\s*=\s*["']?\#[0-9a-fA-F]{6}["']?)\s*>"""
)
# The first tag that is not one a user can write: where a body ends.
_NOT_USER_TAG = re.compile(
    r"<(/?)(?!(?:p|i|a|pre|code)[\s>/])([a-zA-Z][a-zA-Z0-9]*)", re.IGNORECASE)


def classes(el: etree._Element) -> list[str]:
    return (el.get("class") or "").split()


def is_wrapper(el: etree._Element) -> bool:
    """The element that holds a comment's own text inside ``span/div.comment``."""
    tag = el.tag
    if tag == "font":
        return el.get("color") is not None and el.get("size") is None
    if tag != "span" and tag != "div":
        return False
    shown = el.get("class")
    if not shown:
        return False
    if shown.startswith("commtext ") or shown == "commtext":  # 2017-: nearly every row
        return True
    if _COLOUR_CLASS.fullmatch(shown):  # 2015-17: the grey class alone, "c00"
        return True
    cls = shown.split()
    return "commtext" in cls or any(_COLOUR_CLASS.fullmatch(c) for c in cls)


def is_chrome(el: etree._Element) -> bool:
    """Page furniture that can end up inside a body: the reply link block, the
    ``-----`` spacer (``<font size=1>``), and the empty ``<span>`` 2015-17 pages emit."""
    tag = el.tag
    if tag != "div" and tag != "font" and tag != "span":
        return False
    if tag == "div" and "reply" in classes(el):
        return True
    if tag == "font" and el.get("size") is not None:
        return True
    return tag == "span" and not el.get("class") and len(el) == 0 and not (el.text or "").strip()


def colour_of(wrapper: etree._Element | None) -> str | None:
    """HN's grey level as a class code: c00 normal, c5a ... cdd ever fainter.

    Old pages used ``<font color=#737373>``: the first hex pair gives the same code
    (#737373 -> c73, #000000 -> c00)."""
    if wrapper is None:
        return None
    if wrapper.tag == "font":
        return colour_code("color", wrapper.get("color") or "")
    return colour_code("class", wrapper.get("class") or "")


@functools.lru_cache(maxsize=256)
def colour_code(attribute: str, value: str) -> str | None:
    # A page spells its few grey levels the same way on every row.
    if attribute == "color":
        m = _HEX.fullmatch(value.strip())
        return "c" + m.group(1).lower() if m else None
    for c in value.split():
        if _COLOUR_CLASS.fullmatch(c):
            return c.lower()
    return None


def served_trim(fragment: str) -> str:
    """Without surrounding whitespace and the dangling ``<p>`` that opens the reply block."""
    fragment = fragment.strip()
    while fragment[-3:].lower() == "<p>":
        fragment = fragment[:-3].rstrip()
    return fragment


def inner_html(el: etree._Element) -> str:
    """The element's content re-serialised by lxml, without page chrome.

    Only used where the served bytes cannot be located (see ``RawBodies``)."""
    parts = [htmlmod.escape(el.text or "", quote=False)]
    for child in el:
        if isinstance(child.tag, str) and is_chrome(child):
            parts.append(htmlmod.escape(child.tail or "", quote=False))
        else:
            parts.append(etree.tostring(child, method="html", encoding="unicode"))
    return served_trim("".join(parts))


def served_slice(html: str, begin: int) -> tuple[str, str] | None:
    """(the served user HTML from ``begin`` up to the first tag a user cannot write, that
    tag as "name" or "/name"); None if the page ends first."""
    cut = served_cut(html, begin)
    return cut[:2] if cut is not None else None


def served_cut(html: str, begin: int) -> tuple[str, str, int] | None:
    """``served_slice`` and the offset of the tag that ends the user HTML."""
    t = _NOT_USER_TAG.search(html, begin)
    if t is None:
        return None
    return served_trim(html[begin:t.start()]), t.group(1) + t.group(2).lower(), t.start()


def body_slice(html: str, start: int) -> tuple[str | None, str] | None:
    """(wrapper tag or None, served inner HTML) of the body whose container tag ends at
    ``start``; None when the body does not end the way HN's markup does."""
    m = _WRAPPER.match(html, start)
    cut = served_slice(html, m.end() if m else start)
    if cut is None or cut[1] not in BODY_ENDS:
        return None
    return (m["tag"] if m else None), cut[0]


def served_or_rendered(html: str, begin: int | None, el: etree._Element) -> tuple[str, str]:
    """The served HTML of ``el``'s content starting at ``begin`` in the page, if it reads
    the same as ``el`` (one element: the check costs two small parses), else lxml's; and
    its text (``bodies.text``), which the check has read already."""
    rendered = inner_html(el)
    if begin is not None:
        cut = served_slice(html, begin)
        if cut is not None:
            shown = bodies.text(rendered)
            if bodies.text(cut[0]) == shown:
                return cut[0], shown
            return rendered, shown
    return rendered, bodies.text(rendered)


def container_starts(html: str) -> list[tuple[int, int]]:
    """(offset just after the tag, source line) of every ``span/div.comment`` opening
    in the served page, in order: the comment rows the bytes declare.

    Every match of ``_CONTAINER_CLASS`` holds the word "comment" once, and between its
    "class" and the word only blanks, "=" and a quote: so each "comment" is found by
    str.find (~0.45 ns a character, the regex's own scan for "class" ~1.2) and the
    regex tried only at the last "class" before it. HN's own spelling,
    ``<span class="comment">`` (or div), is taken without the regex."""
    out = []
    line, last = 1, 0
    seen = 0  # where the last "comment" ends: no match holding the next starts before
    at = html.find("comment")
    while at >= 0:
        if at >= 7 and html.startswith('class="', at - 7) and html.startswith('">', at + 7):
            cls, end = at - 7, at + 9
            if html.startswith("<span ", cls - 6) and cls - 6 >= last:
                start = cls - 6
            elif html.startswith("<div ", cls - 5) and cls - 5 >= last:
                start = cls - 5
            else:
                start = _tag_before(html, last, cls)
        else:
            cls = html.rfind("class", seen, at)
            m = _CONTAINER_CLASS.match(html, cls) if cls >= 0 else None
            start = _tag_before(html, last, cls) if m is not None else -1
            end = m.end() if m is not None else -1
        seen = at + 7
        at = html.find("comment", seen)
        if start < 0:
            continue
        line += html.count("\n", last, start)
        last = start
        out.append((end, line))
    return out


def _tag_before(html: str, last: int, cls: int) -> int:
    """The start of the container tag whose class is at ``cls`` (-1: none). Its "<" is
    the nearest one before the class (no "<" in "span" and blanks)."""
    start = html.rfind("<", last, cls)
    if start < 0 or _CONTAINER_TAG.fullmatch(html, start, cls) is None:
        return -1
    return start


class RawBodies:
    """The served HTML of every ``span/div.comment`` container, in page order.

    lxml gives no source offsets, so the containers found by a regex over the page are
    matched to the ones lxml found by order, and the match is trusted only if both
    see the same number of containers on the same source lines."""

    def __init__(self, html: str, containers: list[etree._Element],
                 found: list[tuple[int, int]] | None = None) -> None:
        self.html = html
        self.starts: list[int] | None = None
        if found is None:
            found = container_starts(html)
        if len(found) == len(containers) and all(
            el.sourceline == line for el, (_, line) in zip(containers, found, strict=True)
        ):
            self.starts = [pos for pos, _ in found]

    @classmethod
    def trusted(cls, html: str, starts: list[int]) -> RawBodies:
        """Offsets already matched to the containers, one by one, by the caller."""
        raw = cls(html, [], [])
        raw.starts = starts
        return raw

    def read(self, index: int, wrapper: etree._Element | None, body: etree._Element) -> str:
        """The text_html of container ``index``: the served inner HTML if it can be cut
        out faithfully, else lxml's serialisation of ``body``."""
        if self.starts is not None:
            cut = body_slice(self.html, self.starts[index])
            if cut is not None and cut[0] == (wrapper.tag if wrapper is not None else None):
                return cut[1]
        return inner_html(body)
