"""HN comment and story bodies: plain text, the served HTML, and the grey colour code.

HN lets users write only paragraphs, italics, links and ``<pre><code>`` blocks, and
escapes everything else. That makes two things cheap and safe:

* ``text_html`` is cut from the served page itself: a body ends at the first tag a user
  cannot write (``</span>``, ``</font>``, ``<div class='reply'>``...), so the slice is the
  body exactly as served, entities and unclosed ``<p>`` included (``RawBodies``);
* the text is read from that slice with a few regexes (``served_text``), or, for
  ``<pre>`` blocks and bodies that could not be cut out, from the element the page parse
  already built (``element_text``). No body is parsed a second time: with BeautifulSoup
  that alone cost 4-8x the whole page parse (see the timing note in ``hn.py``).
"""

from __future__ import annotations

import html as htmlmod
import re
from collections.abc import Iterator

from lxml import etree

# What may end a body in HN's markup, by era: the wrapper's close, or (2015-17 and
# 2023, where the wrapper is left open) the empty <span> / reply <div> that follows.
_BODY_ENDS = frozenset({"/span", "/font", "/div", "span", "div"})
MARKERS = frozenset({"[deleted]", "[dead]", "[flagged]"})

_COLOUR_CLASS = re.compile(r"c[0-9a-f]{2}")
_HEX = re.compile(r"#?([0-9a-fA-F]{2})[0-9a-fA-F]{4}")
# Whitespace a browser collapses: ASCII only, not &nbsp;. The same set as str.split()
# on ASCII text (which also takes \v and \x1c-\x1f, that HN never serves).
_SPACES = re.compile(r"[ \t\n\r\f\v\x1c-\x1f]+")
_CONTAINER = re.compile(
    r"""<(?:span|div)\s+class\s*=\s*(?:"comment"|'comment'|comment(?=[\s>]))\s*>""")
# The element that wraps a body inside the container, per era: span/div.commtext cXX
# (2017-), span.cXX (2015-17), font color=#rrggbb (-2015).
_WRAPPER = re.compile(
    r"""\s*<(?P<tag>span|div|font)\s+(?:class\s*=\s*["']?(?:commtext(?:\s+c[0-9a-f]{2})?|"""
    r"""c[0-9a-f]{2})["']?|color\s*=\s*["']?\#[0-9a-fA-F]{6}["']?)\s*>"""
)
_P_TAG = re.compile(r"</?p\s*>", re.IGNORECASE)
_ANY_TAG = re.compile(r"<[^>]*>")
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
    cls = (el.get("class") or "").split()
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
        m = _HEX.fullmatch((wrapper.get("color") or "").strip())
        return "c" + m.group(1).lower() if m else None
    for c in classes(wrapper):
        if _COLOUR_CLASS.fullmatch(c):
            return c
    return None


# Paragraph boundary while gathering a body's text: libxml2 turns NUL into U+FFFD (even
# from "&#0;"), so no text node can contain it. <pre> blocks travel as _Verbatim parts.
_BREAK = "\x00"


class _Verbatim(str):
    """The text of a ``<pre>`` block: its whitespace is kept as is."""

    __slots__ = ()


def _collapse(text: str) -> str:
    if text.isascii():  # the common case, and str.split() is the fastest way
        return " ".join(text.split())
    return _SPACES.sub(" ", text).strip(" ")


def _gather(node: etree._Element, out: list[str]) -> bool:
    """Append the text under ``node`` to ``out``, with _BREAK around blocks; True if it
    met a ``<pre>``. Hot: one call per element of every body, so leaf elements are read
    without recursing."""
    verbatim = False
    if node.text:
        out.append(node.text)
    for child in node:
        tag = child.tag
        block = tag == "p" or (tag == "div" and not is_chrome(child))
        if block:
            out.append(_BREAK)
        if tag == "pre":
            out.append(_Verbatim("".join(child.itertext())))
            verbatim = True
        elif not isinstance(tag, str) or (not block and is_chrome(child)):
            pass  # comments/processing instructions and page chrome carry no text
        elif len(child):
            verbatim = _gather(child, out) or verbatim
        elif child.text:
            out.append(child.text)
        if block:
            out.append(_BREAK)
        if child.tail:
            out.append(child.tail)
    return verbatim


def element_text(el: etree._Element) -> str:
    """Readable text of a body: paragraphs split by a blank line, ``<pre>`` kept verbatim,
    other whitespace collapsed as a browser shows it, links as their shown text."""
    if len(el) == 0:  # most comments: one paragraph, no markup
        return _collapse(el.text or "")
    out: list[str] = []
    if not _gather(el, out):  # no <pre>: collapse once, then cut into paragraphs
        paragraphs = (b.strip(" ") for b in _collapse("".join(out)).split(_BREAK))
        return "\n\n".join(b for b in paragraphs if b)
    blocks: list[str] = []
    line: list[str] = []
    for part in [*out, _BREAK]:
        if part is _BREAK or isinstance(part, _Verbatim):
            block = _collapse("".join(line))
            if block:
                blocks.append(block)
            line.clear()
            if isinstance(part, _Verbatim):
                code = part.strip("\n").rstrip()
                if code:
                    blocks.append(code)
        else:
            line.append(part)
    return "\n\n".join(blocks)


def served_text(fragment: str) -> str | None:
    """The text of a served body, read with regexes: it holds only HN's user tags, so
    ``<p>`` splits paragraphs and every other tag just goes. Twice as fast as walking the
    elements on long comments (what the timing budget is spent on). None for a body with
    ``<pre>``, whose whitespace rules are left to ``element_text``; the tests check both
    readings agree on every comment of the corpus."""
    if "<pre" in fragment or "<PRE" in fragment:
        return None
    paragraphs = []
    for para in _P_TAG.split(fragment) if "<" in fragment else (fragment,):
        if "<" in para:
            para = _ANY_TAG.sub("", para)
        if "&" in para:
            para = htmlmod.unescape(para)
        para = _collapse(para)
        if para:
            paragraphs.append(para)
    return "\n\n".join(paragraphs)


def _trim(fragment: str) -> str:
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
    return _trim("".join(parts))


def served_slice(html: str, begin: int) -> tuple[str, str] | None:
    """(the served user HTML from ``begin`` up to the first tag a user cannot write, that
    tag as "name" or "/name"); None if the page ends first."""
    t = _NOT_USER_TAG.search(html, begin)
    if t is None:
        return None
    return _trim(html[begin:t.start()]), t.group(1) + t.group(2).lower()


def body_slice(html: str, start: int) -> tuple[str | None, str] | None:
    """(wrapper tag or None, served inner HTML) of the body whose container tag ends at
    ``start``; None when the body does not end the way HN's markup does."""
    m = _WRAPPER.match(html, start)
    cut = served_slice(html, m.end() if m else start)
    if cut is None or cut[1] not in _BODY_ENDS:
        return None
    return (m["tag"] if m else None), cut[0]


def served_or_rendered(html: str, begin: int | None, el: etree._Element) -> str:
    """The served HTML of ``el``'s content starting at ``begin`` in the page, if it reads
    the same as ``el`` (one element: the check costs one small parse), else lxml's."""
    if begin is not None:
        cut = served_slice(html, begin)
        if cut is not None:
            frag = etree.fromstring(f"<div>{cut[0]}</div>", etree.HTMLParser())
            div = frag.find(".//div") if frag is not None else None
            if div is not None and element_text(div) == element_text(el):
                return cut[0]
    return inner_html(el)


class RawBodies:
    """The served HTML of every ``span/div.comment`` container, in page order.

    lxml gives no source offsets, so the containers found by a regex over the page are
    matched to the ones lxml found by order, and the match is trusted only if both
    see the same number of containers on the same source lines."""

    def __init__(self, html: str, containers: list[etree._Element]) -> None:
        self.html = html
        self.starts: list[int] | None = None
        found = list(self._scan())
        if len(found) == len(containers) and all(
            el.sourceline == line for el, (_, line) in zip(containers, found, strict=True)
        ):
            self.starts = [pos for pos, _ in found]

    def _scan(self) -> Iterator[tuple[int, int]]:
        line, last = 1, 0
        for m in _CONTAINER.finditer(self.html):
            line += self.html.count("\n", last, m.start())
            last = m.start()
            yield m.end(), line

    def read(self, index: int, wrapper: etree._Element | None,
             body: etree._Element) -> tuple[str, str]:
        """(text_html, text) of container ``index``: the served inner HTML if it can be cut
        out faithfully, else lxml's serialisation of ``body``; the text from either."""
        if self.starts is not None:
            cut = body_slice(self.html, self.starts[index])
            if cut is not None and cut[0] == (wrapper.tag if wrapper is not None else None):
                text = served_text(cut[1])
                return cut[1], text if text is not None else element_text(body)
        return inner_html(body), element_text(body)
