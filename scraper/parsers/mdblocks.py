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
own way), no text outside a paragraph or list item, no attribute on a block. Anything
else, and whatever the narrow reading then refuses (other tags, entities, comments), is
None: lxml reads it. tests/test_bodies_fast.py holds it to BeautifulSoup's reading.
"""

from __future__ import annotations

import re

from scraper.parsers.narrow import _INLINE_TAGS, _PARA

# The tags of the blocks as the renderer writes them, bare, and its code blocks whole
# (no tag inside). One split in C cuts a body at them; what lies between (text and
# inline tags) is checked piece by piece, most with no tag at all. A spelling of them
# that is not this one ("<p class=x>", "<pre>" alone) is left in a piece, which refuses it.
_BLOCK = re.compile(r"""(</?(?:p|ul|ol|li|blockquote|h[1-6])>|<div class="md">|</div>|"""
                    r"""<pre><code>[^<]*</code></pre>)""")
# An inline tag or a line break, its attributes read past quoted values: a piece holds
# as many tags as it holds "<" (else one is a stray "<", a comment, or a block tag inside
# an attribute value, '<a href="</p>">', which the split cut in two).
_TOKEN = re.compile(r"""<(/?)([a-zA-Z][a-zA-Z0-9]*)((?:[^<>"']|"[^"]*"|'[^']*')*)>""")
_INLINE = frozenset(_INLINE_TAGS.split("|"))
_LEAVES = frozenset({"p", "h1", "h2", "h3", "h4", "h5", "h6"})  # inline content alone
_LISTS = frozenset({"ul", "ol"})  # list items alone
# Where text and inline tags stand, and where blocks open ("": the body itself).
_HOLD_TEXT = _LEAVES | {"li"}
_HOLD_BLOCKS = frozenset({"", "div", "blockquote", "li"})
_OPENS = {f"<{name}>": name for name in (*_LEAVES, *_LISTS, "li", "blockquote")}
_CLOSES = {f"</{name}>": name for name in (*_LEAVES, *_LISTS, "li", "blockquote", "div")}
_BLANK = " \t\n\r"
_BR_ATTRS = ("", "/", " /")
# A line break breaks the text as a block's edge does, inside an inline tag too.
_BREAKS = tuple(f"<br{attrs}>" for attrs in _BR_ATTRS)


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


def md_blocks(fragment: str) -> str | None:
    """``fragment`` with its block tags made paragraph marks and its code blocks kept
    (as ``narrow._with_code_blocks`` reads them), or None if it is not of that shape."""
    if "</" not in fragment or _PARA in fragment:
        return None
    parts = _BLOCK.split(fragment)
    blocks = [""]  # the open blocks, innermost last
    for k in range(0, len(parts), 2):
        piece = parts[k]
        if piece:
            if blocks[-1] not in _HOLD_TEXT:
                if piece.strip(_BLANK):
                    return None
            elif "<" in piece:
                if not _inline_closed(piece):
                    return None
                if "<br" in piece:  # each one a line break (every "<" opens a tag)
                    for br in _BREAKS:
                        piece = piece.replace(br, _PARA)
                    parts[k] = piece
        if k + 1 == len(parts):
            break
        tag = parts[k + 1]
        where = blocks[-1]
        name = _OPENS.get(tag)
        if name is not None:
            if name == "li":
                if where not in _LISTS:
                    return None
            elif where not in _HOLD_BLOCKS:
                return None
            blocks.append(name)
        elif (name := _CLOSES.get(tag)) is not None:
            if where != name:
                return None
            blocks.pop()
        elif tag[1] == "p":  # a code block: kept whole, read as a <pre>
            if where not in _HOLD_BLOCKS:
                return None
            continue
        elif k != 0:  # Reddit's div.md: the first tag, around the whole body
            return None
        else:
            blocks.append("div")
        parts[k + 1] = _PARA
    if len(blocks) != 1:
        return None
    return "".join(parts)
