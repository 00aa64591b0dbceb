"""Comment and story bodies as readable plain text.

A body is the HTML a user wrote (HN allows paragraphs, italics, links and ``<pre><code>``
blocks). Its text is what a reader sees: paragraphs separated by a blank line, ``<pre>``
blocks with their whitespace kept, every other run of whitespace collapsed as a browser
collapses it (ASCII whitespace only: ``&nbsp;`` stays), links as their shown text.

The rules are BeautifulSoup's reading (``soup_texts``, ``tag_text``). BeautifulSoup with
the lxml builder is libxml2's parse replayed into Python objects, so where every body of
a page is made of plain tags (``_PLAIN_TAGS``) lxml's own tree holds the same nodes and
reads the same text at a fraction of the cost (BeautifulSoup was a third of an HN page's
parse); a body in HN's own narrow markup (``_not_simple``) needs no parse at all. A page
with any body that BeautifulSoup reads its own way (``<script>``/``<style>``/
``<template>``/ruby text, doctypes, CDATA, processing instructions, unknown tags) goes
through BeautifulSoup whole. tests/test_bodies_fast.py holds the fast paths to the same
text as BeautifulSoup's for every body of the corpus, of the generated pages and of
random markup.

All bodies of a page go through ONE parse, each inside a marker element: per-body parses
cost 8-12x a bare lxml parse of the whole page on a 1,000-comment page. HN writes a
paragraph break as a bare ``<p>``, most of the tags in a body; those are turned into a
sentinel character before the parse rather than built as elements.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

from lxml import etree

from scraper.parsers.mdblocks import md_blocks
from scraper.parsers.narrow import _OTHER_SPACES as _OTHER_SPACES
from scraper.parsers.narrow import _PARA
from scraper.parsers.narrow import _collapse as _collapse
from scraper.parsers.narrow import _simple_text as _simple_text

# BeautifulSoup is imported by the readings that use it (an odd body), not here: with
# soupsieve it is ~50 ms of every crawl's start, and a crawl whose bodies are all plain,
# or that parses nothing (an unchanged re-crawl), never needs it.
if TYPE_CHECKING:
    from bs4 import PageElement, Tag

_MARK = "lt-body"
_BLOCKS = frozenset({"p", "div", "blockquote", "ul", "ol", "li", "table", "tr",
                     "h1", "h2", "h3", "h4", "h5", "h6"})
_BREAK = "\x00"  # libxml2 never hands a NUL through, so it cannot be in the text
_PARA_SPELLINGS = ("\ue000", "57344", "xe000", "xE000")

# Tags whose text BeautifulSoup and lxml read alike. Comments are allowed: both leave
# their content out (an unclosed one swallows the rest, which the marker check sees).
_PLAIN_TAGS = ("a|abbr|b|big|blockquote|br|caption|cite|code|dd|del|dfn|div|dl|dt|em|"
               "figcaption|figure|font|h[1-6]|hr|i|img|ins|kbd|li|mark|ol|p|pre|q|s|samp|"
               "small|span|strike|strong|sub|summary|details|sup|table|tbody|td|tfoot|th|"
               "thead|tr|tt|u|ul|var|wbr")
_NOT_PLAIN = re.compile(rf"<(?!/?(?:{_PLAIN_TAGS})[\s/>]|!--)[a-zA-Z!?/]", re.IGNORECASE)
# A body whose tags are all inline reads as its text nodes joined, paragraph marks as
# breaks (anything else: a block, <pre>, <br>, a table cell, is walked node by node).
_NOT_INLINE = re.compile(r"<(?!/?(?:a|abbr|b|big|cite|code|del|dfn|em|font|i|ins|kbd|mark|q|"
                         r"s|samp|small|span|strike|strong|sub|sup|tt|u|var)[\s/>])/?[a-zA-Z]",
                         re.IGNORECASE)


class _Verbatim(str):
    """The text of a ``<pre>`` block, whose whitespace is kept."""

    __slots__ = ()


def _string(text: str, out: list[str]) -> None:
    if _PARA in text:
        for k, piece in enumerate(text.split(_PARA)):
            if k:
                out.append(_BREAK)
            out.append(piece)
    else:
        out.append(text)


def _gather(node: Tag, out: list[str]) -> None:
    # A stack of open elements rather than recursion: a damaged body can nest deeper
    # than Python's recursion limit (a thousand unclosed <i>), and libxml2 allows it.
    from bs4 import NavigableString, Tag

    stack: list[tuple[Iterator[PageElement], bool]] = [(iter(node.children), False)]
    while stack:
        children, block = stack[-1]
        child = next(children, None)
        if child is None:
            stack.pop()
            if block:
                out.append(_BREAK)
        elif isinstance(child, Tag):
            if child.name == "pre":
                out.append(_Verbatim(child.get_text()))
            elif child.name in _BLOCKS:
                out.append(_BREAK)
                stack.append((iter(child.children), True))
            elif child.name == "br":
                out.append(_BREAK)
            else:
                stack.append((iter(child.children), False))
        elif type(child) is NavigableString:  # not comments, CDATA or doctypes
            _string(child, out)


def _gather_lxml(node: etree._Element, out: list[str]) -> None:
    """``_gather`` over lxml's text/tail model: an element's text, then each child
    followed by its tail; comments give their tail only."""
    if node.text:
        _string(node.text, out)
    stack: list[tuple[Iterator[etree._Element], etree._Element | None, bool]] = [
        (iter(node), None, False)]
    while stack:
        children, owner, block = stack[-1]
        child = next(children, None)
        if child is None:
            stack.pop()
            if block:
                out.append(_BREAK)
            if owner is not None and owner.tail:
                _string(owner.tail, out)
            continue
        name = child.tag
        if isinstance(name, str):
            if name == "pre":
                out.append(_Verbatim(
                    etree.tostring(child, method="text", encoding="unicode", with_tail=False)))
            elif name == "br":
                out.append(_BREAK)
            else:
                block = name in _BLOCKS
                if block:
                    out.append(_BREAK)
                if child.text:
                    _string(child.text, out)
                stack.append((iter(child), child, block))
                continue
        if child.tail:
            _string(child.tail, out)


def _joined_blocks(out: list[str]) -> str:
    blocks: list[str] = []
    line: list[str] = []
    for part in out:
        verbatim = type(part) is _Verbatim
        if part is _BREAK or verbatim:
            if line:
                block = _collapse("".join(line))
                if block:
                    blocks.append(block)
                line = []
            if verbatim:
                code = part.strip("\n").rstrip()
                if code:
                    blocks.append(code)
        else:
            line.append(part)
    if line:
        block = _collapse("".join(line))
        if block:
            blocks.append(block)
    return "\n\n".join(blocks)


def tag_text(node: Tag) -> str:
    """The readable text of one body parsed by BeautifulSoup (see the module's rules)."""
    out: list[str] = []
    _gather(node, out)
    return _joined_blocks(out)


def _element_text(node: etree._Element, fragment: str) -> str:
    """The readable text of one plain body in lxml's tree (``fragment``: its HTML)."""
    if _NOT_INLINE.search(fragment) is None:
        # Inline markup only: every text node in order, in one C call.
        flat = etree.tostring(node, method="text", encoding="unicode", with_tail=False)
        blocks = (_collapse(piece) for piece in flat.split(_PARA))
        return "\n\n".join(b for b in blocks if b)
    out: list[str] = []
    _gather_lxml(node, out)
    return _joined_blocks(out)


def _is_plain(fragment: str) -> bool:
    return _NOT_PLAIN.search(fragment) is None


def _marked(fragments: Sequence[str]) -> str:
    return "".join(f"<{_MARK}>{f}</{_MARK}>" for f in fragments)


def _lxml_marks(fragments: Sequence[str]) -> list[etree._Element] | None:
    """The marker elements of one lxml parse of ``fragments``, or None if a fragment broke
    out of its marker (the parse then says nothing about where each body is)."""
    doc = etree.fromstring(_marked(fragments), etree.HTMLParser(collect_ids=False))
    if doc is None:
        return None
    top = next(doc.iter("body"), None)  # as BeautifulSoup counts: anywhere in the tree
    marks = list(doc.iter(_MARK))
    if len(marks) == len(fragments) and all(m.getparent() is top for m in marks):
        return marks
    return None


def texts(fragments: Sequence[str], known: Sequence[str | None] | None = None) -> list[str]:
    """The text of each HTML fragment, in order, from one parse of them all. ``known``: the
    texts a caller read (None where not), each the one read here without a parse."""
    if not fragments:
        return []
    # Reddit's and Lobsters' bodies read as inline markup once their block tags are
    # marks; the parse below (when one is needed) still takes every body as the
    # reference does, so that a damaged neighbour sends the same bodies the same way.
    # A </p> is Markdown's, never in HN's narrow markup (_quick_text would refuse it),
    # searched for only where a body opens as Markdown does (HN's open with their text):
    # the search was 6% of the bodies' reading on a 2012 HN item page.
    simple = [_unparsed(f) if _markdown_first(f) and "</p>" in f else _quick_text(f)
              for f in fragments] if known is None else [
        k if k is not None else _unparsed(f) if _markdown_first(f) and "</p>" in f
        else _quick_text(f) for f, k in zip(fragments, known, strict=True)]
    if None not in simple:
        # A body read without a parse holds only plain tags (p, div.md, pre, code, i,
        # a, lists, quotes), so the plain test below would pass them all: it is left out.
        return simple  # type: ignore[return-value]
    simple = [t if t is not None or (_markdown_first(f) and "</p>" in f) else _unparsed(f)
              for f, t in zip(fragments, simple, strict=True)]
    if None not in simple:
        return simple  # type: ignore[return-value]
    if not all(_is_plain(f) for f in fragments):
        return soup_texts(fragments)
    prepared = [_paragraphs(f) for f in fragments]
    marks = _lxml_marks(prepared)
    if marks is None:
        # A fragment broke out of its marker (stray close tags): read each on its own.
        return [text(f) for f in fragments]
    return [_element_text(m, f) if t is None else t
            for m, f, t in zip(marks, prepared, simple, strict=True)]


def _markdown_first(fragment: str) -> bool:
    # Opens as Markdown does. Either order gives one text: _quick_text refuses a </p>.
    return fragment[:1] == "<" or fragment[:1].isspace()


def soup_texts(fragments: Sequence[str]) -> list[str]:
    """``texts`` read by BeautifulSoup alone (the reference the fast path is held to)."""
    if not fragments:
        return []
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(_marked([_paragraphs(f) for f in fragments]), "lxml")
    marks = soup.find_all(_MARK)
    top = soup.body
    if len(marks) == len(fragments) and all(m.parent is top for m in marks):
        return [tag_text(m) for m in marks]
    # A fragment broke out of its marker (stray close tags): read each on its own.
    return [soup_text(f) for f in fragments]


# Markdown as Reddit and Lobsters render it: paragraphs (in a div.md on Reddit), and in
# them no <p> or <div>. (Each run of text is one [^<]* then one tag: no nested
# quantifier that could backtrack.)
_PARAS = r"(?:\s*<p>[^<]*(?:<(?!/?(?:p|div)\b)[^<]*)*</p>)*"
# Blanks between the blocks are ASCII ones (re.ASCII): a no-break space there is text,
# which the paragraphs' marks in texts()' parse join to the paragraph before it.
_MD = re.compile(rf"""\s*(?:<div class="md">{_PARAS}\s*</div>|{_PARAS})\s*""", re.ASCII)
_MD_TAGS = ('<div class="md">', "</div>", "<p>", "</p>")
# lxml's serialisation of HN's bare <p> (a story's text, read to check the served one):
# inline text (no <p>, <div>), then closed paragraphs. The lead is a search of its own:
# in one regex its blanks and the paragraphs' \s* would backtrack on a refused body.
_LEAD = re.compile(r"[^<]*(?:<(?!/?(?:p|div)\b)[^<]*)*")
_LEAD_PARAS = re.compile(rf"{_PARAS}\s*", re.ASCII)


# Quotes too (<blockquote>, nested up to twice): a block like a paragraph, whose edges
# break the text as a paragraph's do. Only where every inline tag closes in its own
# paragraph: libxml2 carries an unclosed one across a quote's edge in its own way.
_PARA_IN_QUOTE = r"\s*<p>[^<]*(?:<(?!/?(?:p|div|blockquote)\b)[^<]*)*</p>"
_QUOTE = rf"\s*<blockquote>(?:{_PARA_IN_QUOTE})*\s*</blockquote>"
_QUOTED = rf"(?:{_PARA_IN_QUOTE}|\s*<blockquote>(?:{_PARA_IN_QUOTE}|{_QUOTE})*\s*</blockquote>)*"
_MD_QUOTED = re.compile(rf"""\s*(?:<div class="md">{_QUOTED}\s*</div>|{_QUOTED})\s*""",
                        re.ASCII)
_QUOTE_TAGS = (*_MD_TAGS, "<blockquote>", "</blockquote>")
_ANY_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9]*)[^>]*>")


def _closed_in_paragraphs(fragment: str) -> bool:
    """Whether every tag but the blocks' own opens and closes, nested, in one paragraph."""
    open_tags: list[str] = []
    for m in _ANY_TAG.finditer(fragment):
        name = m.group(2)
        if name in ("p", "div", "blockquote"):
            if open_tags:
                return False
        elif not m.group(1):
            open_tags.append(name)
        elif not open_tags or open_tags.pop() != name:
            return False
    return not open_tags


def _led_paragraphs(fragment: str) -> bool:
    """Whether ``fragment`` is inline text, then paragraphs (``_LEAD``)."""
    lead = _LEAD.match(fragment)
    end = lead.end() if lead is not None else 0
    # Balanced, as quotes: in one parse of a page's bodies a stray close in the lead let
    # the text after the paragraphs fall into the last one (a random test's body).
    return fragment.startswith("<p>", end) and _LEAD_PARAS.fullmatch(
        fragment, end) is not None and _closed_in_paragraphs(fragment)


def _md_paragraphs(fragment: str) -> str | None:
    """A body of that shape with its paragraph and wrapper tags made paragraph marks (the
    breaks they make), so that it reads as inline markup: its text then needs no walk
    node by node, or no parse at all. None for any other body."""
    if ("<p>" not in fragment and "<blockquote>" not in fragment) or any(
            s in fragment for s in _PARA_SPELLINGS):
        return None
    tags: tuple[str, ...] = _MD_TAGS
    if _MD.fullmatch(fragment) is None and not _led_paragraphs(fragment):
        if "<blockquote>" not in fragment or _MD_QUOTED.fullmatch(fragment) is None or \
                not _closed_in_paragraphs(fragment):
            return None
        tags = _QUOTE_TAGS
    for tag in tags:
        fragment = fragment.replace(tag, _PARA)
    return fragment


def _unparsed(fragment: str) -> str | None:
    """The text of a body read without a parse, or None. Any blocks of rendered Markdown
    (``mdblocks``: a list or a code block sent a Lobsters story's every body through
    lxml), then paragraphs and quotes as before."""
    # Marks that are NULs where the body holds none, as _quick_text's: _PARA made an
    # ASCII body a string of 2-byte characters, and every scan after it twice as long.
    para = "\x00" if "\x00" not in fragment else _PARA
    blocks = md_blocks(fragment, para)
    if blocks is not None:
        # Where both readings give a text it is one text: md_blocks makes marks of the
        # same tags, and of others (lists, <br>) that the narrow reading refuses.
        read = _simple_text(blocks, para)
        if read is not None:
            return read
    return _simple_text(_md_paragraphs(fragment) or _paragraphs(fragment))


def _quick_text(fragment: str) -> str | None:
    """``_simple_text(_md_paragraphs(f) or _paragraphs(f))`` of a body whose paragraphs
    are HN's bare ``<p>``, or None (then read it that way). Its marks are NULs, which no
    such body holds, not ``_PARA``: that one made the body a string of 2-byte characters
    (Python's widest character sets the width of the whole string), and every scan after
    it twice as long (bodies were a quarter of a 2013 item page's parse)."""
    # Markdown's shape needs a </p> or a block, which _not_simple refuses: where this
    # gives a text, _md_paragraphs gives None. The rest is where _paragraphs leaves a
    # body be (and where a NUL could not mark a paragraph). Of those, a body that spells
    # the mark as a reference ("&#57344;") is not tested here: _not_simple refuses every
    # entity but HN's own, and the search for "&#" and its digits was ~7% of the bodies'
    # reading on a 2012 item page, whose "&" are numeric references ("&#38;").
    if "\x00" in fragment or _PARA in fragment:
        return None
    if "<p>" in fragment:
        # One search; replace() counts first, then searches again (0.27 -> 0.22 ms).
        fragment = "\x00".join(fragment.split("<p>"))
    return _simple_text(fragment, "\x00")


def _paragraphs(fragment: str) -> str:
    # The spellings but the character itself are references: "&#57344;", "&#xe000;".
    if "<p>" not in fragment or _PARA in fragment or (
            "&#" in fragment and any(s in fragment for s in _PARA_SPELLINGS)):
        return fragment
    return fragment.replace("<p>", _PARA)


def text(fragment: str) -> str:
    """The text of one HTML fragment."""
    # As ``texts`` reads each body: paragraph tags as marks, then no parse where the
    # markup is narrow (a story's text, a profile's about: one each a page). A body so
    # read holds only plain tags, so the plain test comes after, as in ``texts``: its
    # scan was a sixth of reading a Lobsters listing's descriptions.
    simple = _quick_text(fragment) if "</p>" not in fragment else None
    if simple is None:
        simple = _unparsed(fragment)
    if simple is not None:
        return simple
    if not _is_plain(fragment):
        return soup_text(fragment)
    doc = etree.fromstring(f"<div>{fragment}</div>", etree.HTMLParser(collect_ids=False))
    div = next(doc.iter("div"), None) if doc is not None else None
    return _element_text(div, fragment) if div is not None else ""


def soup_text(fragment: str) -> str:
    """``text`` read by BeautifulSoup alone."""
    from bs4 import BeautifulSoup, Tag

    return tag_text(BeautifulSoup(f"<div>{fragment}</div>", "lxml").div or Tag(name="div"))
