"""The blocks of rendered Markdown read without a parse (``bodies``' fast path).

Lobsters and Reddit serve bodies made by a Markdown renderer: paragraphs, and beside
them lists (``<ul>``/``<ol>`` of ``<li>``), quotes, headings and ``<pre><code>`` blocks,
each tag closed where it opened. In such a body every block tag makes the same break of
the text wherever it stands (``bodies._gather_lxml`` reads a break at each block's edges),
so once each is made a paragraph mark the body is narrow markup (``narrow._simple_text``)
and needs no parse. ``bodies._md_paragraphs`` took paragraphs and quotes alone; a list
or a code block sent the body, and with it every body of its page, through lxml (two
of a Lobsters story's ten bodies; a tag listing's descriptions one parse each).

Only a body whose blocks nest as the renderer nests them is taken, where libxml2 builds
the tree the tags spell: no block inside a paragraph or heading (libxml2 closes the
paragraph there), no inline tag open across a block's edge (it carries it over in its
own way), no text outside a paragraph or list item, no attribute on a block, a rule
(``<hr>``) only between blocks. Anything else, and whatever the narrow reading then
refuses (other tags, entities, comments), is None: lxml reads it.
tests/test_bodies_markdown.py holds it to BeautifulSoup's reading.
"""

from __future__ import annotations

import re

from scraper.parsers.narrow import _INLINE_TAGS, _PARA

# The tags of the blocks as the renderer writes them, bare, and its code blocks whole
# (no tag inside). One split in C cuts a body at them; what lies between (text and
# inline tags) is checked piece by piece, most with no tag at all. A spelling of them
# that is not this one ("<p class=x>", "<pre>" alone) is left in a piece, which refuses it.
_BLOCK = re.compile(r"""(</?(?:p|ul|ol|li|blockquote|h[1-6])>|<div class="md">|</div>|<hr ?/?>|"""
                    r"""<pre><code>[^<]*</code></pre>)""")
# An inline tag or a line break, its attributes read past quoted values: a piece holds
# as many tags as it holds "<" (else one is a stray "<", a comment, or a block tag inside
# an attribute value, '<a href="</p>">', which the split cut in two).
_TOKEN = re.compile(r"""<(/?)([a-zA-Z][a-zA-Z0-9]*)((?:[^<>"']|"[^"]*"|'[^']*')*)>""")
_INLINE = frozenset(_INLINE_TAGS.split("|"))
# The pieces most bodies hold, matched in C: inline tags nested at most twice, each
# closed, no "<" inside an attribute's value (so every "<" opens one of them), and line
# breaks. Whatever it does not match, ``_inline_closed`` reads tag by tag.
# Unrolled (a run of text, then a tag and a run, ...): no alternation tried at each
# character, and no two ways to match a text, so no backtracking on a body it refuses.
_ATTRS = r"""[^<>"']*(?:(?:"[^"<]*"|'[^'<]*')[^<>"']*)*"""
_BR = r"<br(?: ?/)?>"
_NAMES = rf"(?:{_INLINE_TAGS})(?![a-zA-Z0-9])"
_INNER = rf"[^<]*(?:{_BR}[^<]*)*"
_NESTED = rf"[^<]*(?:(?:{_BR}|<({_NAMES}){_ATTRS}>{_INNER}</\2>)[^<]*)*"
_FLAT = re.compile(rf"[^<]*(?:(?:{_BR}|<({_NAMES}){_ATTRS}>{_NESTED}</\1>)[^<]*)*")


def _inline(name: str) -> str:
    """``_FLAT``'s pattern, its groups named after ``name`` (one pattern holds several)."""
    nested = (rf"[^<]*(?:(?:{_BR}|<(?P<{name}2>{_NAMES}){_ATTRS}>{_INNER}</(?P={name}2)>)"
              r"[^<]*)*")
    return rf"[^<]*(?:(?:{_BR}|<(?P<{name}1>{_NAMES}){_ATTRS}>{nested}</(?P={name}1)>)[^<]*)*"


# The shapes most bodies take, matched whole in C: paragraphs, quotes of paragraphs,
# lists of one-line items, code blocks, in Reddit's div.md or not. Each is one the walk
# below takes; a body it does not match, the walk reads (its Python loop was a third of
# reading a Lobsters body).
_S = r"[ \t\n\r]*"


def _shapes(n: str) -> str:
    return (rf"(?:{_S}(?:<p>{_inline('p' + n)}</p>|<blockquote>(?:{_S}<p>{_inline('q' + n)}"
            rf"</p>)*{_S}</blockquote>|<(?P<list{n}>ul|ol)>(?:{_S}<li>{_inline('l' + n)}</li>)*"
            rf"{_S}</(?P=list{n})>|<pre><code>[^<]*</code></pre>))*{_S}")


_COMMON = re.compile(rf"""{_S}<div class="md">{_shapes("d")}</div>{_S}|{_shapes("")}""")
# Of those, the shape of most of Reddit's comments (7 of 10 in the corpus): one paragraph
# and no tag in it. Matched by a regex with no nesting, which is a fifth of _COMMON's
# cost, and read as its text: no pass of _MARKS over it (a one-line comment's whole
# reading 3.1 -> ~1.3 us).
_ONE_PARAGRAPH = re.compile(rf"""{_S}<div class="md"><p>([^<]*)</p>{_S}</div>{_S}|"""
                            rf"""{_S}<p>([^<]*)</p>{_S}""")
_LEAVES = ("p", "h1", "h2", "h3", "h4", "h5", "h6")  # inline content alone
_LISTS = ("ul", "ol")  # list items alone
# Where text and inline tags stand, and where blocks open ("": the body itself).
_HOLD_TEXT = frozenset({*_LEAVES, "li"})
_HOLD_BLOCKS = frozenset({"", "div", "blockquote", "li"})
# (the innermost open block, a tag) -> the block it opens; the only blocks allowed.
_OPEN = {(where, f"<{name}>"): name for where in _HOLD_BLOCKS
         for name in (*_LEAVES, *_LISTS, "blockquote")}
_OPEN |= {(where, "<li>"): "li" for where in _LISTS}
_OPEN[("", '<div class="md">')] = "div"  # Reddit's div.md around the whole body
# ... and the close of the innermost block, "/": one lookup a tag.
_OPEN |= {(name, f"</{name}>"): "/" for name in (*_HOLD_TEXT, *_LISTS, "blockquote", "div")}
# ... and a rule ("-": it opens nothing) between blocks, where it stands beside no text:
# the reference reads no break at an <hr> (it is no block), which beside text would
# join it to its neighbour, but between blocks their own edges break the text.
# (Reddit's bots end their comments with one; one such body sent all of a page's
# bodies through lxml.)
_OPEN |= {(where, hr): "-" for where in ("", "div", "blockquote")
          for hr in ("<hr>", "<hr/>", "<hr />")}
_BLANK = " \t\n\r"
_SC_OFF, _SC_ON = "<!-- SC_OFF -->", "<!-- SC_ON -->"
_BR_ATTRS = ("", "/", " /")
# Every tag that breaks the text: the blocks' and the line breaks (inside an inline
# tag too). Once a body is of the shape, no other "<br" or block tag is in it.
_MARKS = re.compile(rf"""</?(?:p|ul|ol|li|blockquote|h[1-6])>|<div class="md">|</div>|{_BR}|"""
                    r"<hr ?/?>")


def _inline_closed(piece: str) -> bool:
    """Whether every "<" of ``piece`` opens an inline tag or a line break and the tags
    nest and all close (libxml2 carries one left open across a block's edge in its own
    way)."""
    open_tags: list[str] = []
    found = 0
    for m in _TOKEN.finditer(piece):
        found += 1
        closing, name, attrs = m.groups()
        if name not in _INLINE:
            if name == "br" and not closing and attrs in _BR_ATTRS:
                continue
            return False
        if not closing:
            open_tags.append(name)
        elif attrs or not open_tags or open_tags.pop() != name:
            return False
    return not open_tags and found == piece.count("<")


def md_blocks(fragment: str, para: str = _PARA) -> str | None:
    """``fragment`` with its block tags and line breaks made paragraph marks (``para``)
    and its code blocks kept (as ``narrow._with_code_blocks`` reads them), or None if it
    is not of that shape."""
    if "</" not in fragment or _PARA in fragment or para in fragment:
        return None
    if fragment.startswith(_SC_OFF) and fragment.endswith(_SC_ON) and \
            len(fragment) >= len(_SC_OFF) + len(_SC_ON):
        # Reddit's two comments around a post's text, which no reading shows (a comment
        # is no text and no break): the one body of a thread that sent all of its
        # bodies through lxml, and every body of a listing one parse each.
        fragment = fragment[len(_SC_OFF):-len(_SC_ON)]
    one = _ONE_PARAGRAPH.fullmatch(fragment)
    if one is not None:
        # Its text alone: the marks at its edges would only break off nothing.
        return one.group(1) if one.group(1) is not None else one.group(2)
    if _COMMON.fullmatch(fragment) is not None:
        return _MARKS.sub(para, fragment)
    return _walked(fragment, para)


def _walked(fragment: str, para: str = _PARA) -> str | None:
    """``md_blocks`` of any body, its blocks walked tag by tag."""
    parts = _BLOCK.split(fragment)
    pieces = parts[::2]
    stack: list[str] = []  # the blocks open around the innermost, ``where``
    where = ""
    for piece, tag in zip(pieces, parts[1::2], strict=False):
        if piece:
            if where in _HOLD_TEXT:
                if "<" in piece and _FLAT.fullmatch(piece) is None and \
                        not _inline_closed(piece):
                    return None
            elif piece.strip(_BLANK):
                return None
        opened = _OPEN.get((where, tag))
        if opened == "/":
            where = stack.pop()
        elif opened == "-":
            continue
        elif opened is not None:
            stack.append(where)
            where = opened
        elif tag[1] != "p" or where not in _HOLD_BLOCKS:
            # Left: a code block (every block tag beginning "<p" opens where code may
            # stand), kept whole and read as a <pre>; anything else is out of place.
            return None
    if where or pieces[-1].strip(_BLANK):
        return None
    return _MARKS.sub(para, fragment)
