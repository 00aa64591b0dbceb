"""The texts of Lobsters' and Reddit's bodies, the renderers' common shapes read in two
passes of C and a few calls a block.

``bodies.texts`` reads a Lobsters body as any rendered Markdown (``mdblocks`` then
``narrow``): two matches of its shape, its block tags made marks, a search for tags
narrow does not take, the others cut, its entities, its whitespace: ~15 passes and ten
Python calls, 4-7 us a 300-character body, half of a story JSON's parse. Where a body
is paragraphs, quotes of them, lists of one-line items and code blocks, its inline
tags narrow's (bare, or a link with a plain href) and each closed where it opened, its
text is each paragraph's, item's and code block's in order, joined by a blank line:
every one of them is a block of its own, and the quotes and lists around them break
the text only where they do, with only blank text between. So one match of that shape
and one ``findall`` of those blocks give it; a block's inline tags are cut, its
entities decoded, its whitespace collapsed (a code block's kept), as narrow does.
Reddit's bodies (snudown's) are the same shapes in a ``<div class="md">``, a block
around them all, which adds no break of its own: the same text.
The other bodies are ``bodies.texts``', told the texts read here. A fragment of text
and inline tags alone (a Lobsters profile's about) reads as a paragraph's text.
tests/test_shaped.py holds this to BeautifulSoup's reading.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from scraper.parsers import bodies
from scraper.parsers.narrow import (
    _INLINE_TAGS,
    _NOT_SIMPLE_ENTITY,
    _PARA,
    _decoded,
    _squeezed,
)

# A run of text: no tag. What else a run may not hold is tested once over the whole
# body (``_clean``): a NUL (libxml2 makes it U+FFFD), a lone surrogate (libxml2 refuses
# it), a paragraph mark (the reference's reading breaks the text at one), an entity
# other than narrow's. A run of one excluded character is sre's own counting loop, which
# the class of all of them was not (a run of that class cost 2.3x, 165 -> 71 us on the
# corpus's story bodies, and the body's tests ~10 us). The runs are possessive (3.11): a
# body refused late was matched again with every shorter run before (12 us on a
# 672-character body). Not the groups: 3.11's sre loses a capture's span in a
# possessive repeat of a group that holds one (SystemError, a random test's).
_TEXT = "[^<]*+"
# narrow's inline tags, bare, and its links (the href only after "<a": a lookbehind).
_NAMES = rf"(?:{_INLINE_TAGS})(?![a-zA-Z0-9])"
_LINK = r'(?:(?<=<a) href="[^"<>\x00-\x1f]*"(?: rel="[a-z ]*")?)?'
_CODE = "[^<\r]*+"  # libxml2 makes CR LF one LF, which a <pre> shows
_SP = "[ \t\n\r]*+"


def _inline(name: str) -> str:
    """Text and inline tags, nested at most twice, each closed where it opened: one
    left open libxml2 carries across a block's edge in its own way (``mdblocks``)."""
    inner = rf"{_TEXT}(?:<(?P<{name}2>{_NAMES}){_LINK}>{_TEXT}</(?P={name}2)>{_TEXT})*"
    return rf"{_TEXT}(?:<(?P<{name}1>{_NAMES}){_LINK}>{inner}</(?P={name}1)>{_TEXT})*"


# Paragraphs, quotes of them, lists of one-line items, code blocks with no tag inside.
_SHAPE = re.compile(
    rf"(?:{_SP}(?:<p>{_inline('p')}</p>|<blockquote>(?:{_SP}<p>{_inline('q')}</p>)*"
    rf"{_SP}</blockquote>|<(?P<list>ul|ol)>(?:{_SP}<li>{_inline('l')}</li>)*"
    rf"{_SP}</(?P=list)>|<pre><code>{_CODE}</code></pre>))*{_SP}")
# Once the shape is matched every "<" opens a tag and every "&" an entity of narrow's:
# a paragraph's or an item's content (its inline tags with it, up to its close) and a
# code block's text, unrolled and possessive as above.
# Where no inline tag's name starts with "p" or "l", "</p" or "</l" can only close the
# leaf (the test of "/p>" and "/li>" was a tenth of the findall).
_NOT_CLOSE = ("/[pl]" if not any(name[0] in "pl" for name in _INLINE_TAGS.split("|"))
              else "/(?:p|li)>")
_LEAF = re.compile(f"<(?:p|li)>([^<]*+(?:<(?!{_NOT_CLOSE})[^<]*+)*+)</(?:p|li)>"
                   "|<pre><code>([^<]*+)</code></pre>")
_TAG = re.compile("<[^>]*>")


# Text and inline tags alone, no block: a Lobsters profile's about of 2018-23 (the
# user's own text, a link in it at times).
_INLINE_SHAPE = re.compile(_inline("t"))

_MD_OPEN = '<div class="md">'


def shaped_text(fragment: str) -> str | None:
    """The text of a body of that shape, bare or in snudown's wrapper, or None for any
    other body."""
    if fragment.startswith(_MD_OPEN):
        inner = fragment.rstrip(" \t\n\r")
        if not inner.endswith("</div>"):
            return None
        fragment = inner[len(_MD_OPEN):-len("</div>")]
    if not _clean(fragment) or _SHAPE.fullmatch(fragment) is None:
        return None
    blocks = []
    # Every paragraph, item and code block a block of its own, in order; the quotes and
    # lists around them break the text only where the blocks do, and between them
    # stands only blank text, which reads as nothing.
    for text, code in _LEAF.findall(fragment):
        if text:  # narrow's _collapse(_decoded(...)), its calls saved where not needed
            if "<" in text:
                text = _TAG.sub("", text)
            block = _squeezed(_decoded(text) if "&" in text else text).strip(" ")
        else:
            block = _decoded(code).strip("\n").rstrip()
        if block:
            blocks.append(block)
    return "\n\n".join(blocks)


def inline_text(fragment: str) -> str | None:
    """The text of a fragment of text and narrow's inline tags alone, nested and closed
    as in a paragraph, or None for any other: a paragraph's text, with no paragraph
    around it (the tags cut, the entities decoded, the whitespace collapsed)."""
    if not _clean(fragment) or _INLINE_SHAPE.fullmatch(fragment) is None:
        return None
    if "<" in fragment:
        fragment = _TAG.sub("", fragment)
    return _squeezed(_decoded(fragment) if "&" in fragment else fragment).strip(" ")


_PARA_UTF8 = _PARA.encode("utf-8")
_PARA_LEAD = _PARA_UTF8[:1]  # found by memchr; the three bytes by a slower search


def _clean(fragment: str) -> bool:
    """Whether every "&" of ``fragment`` opens one of narrow's entities and it holds no
    NUL, no paragraph mark and no lone surrogate: what the shape's runs take for granted.
    (Anywhere: the shape's code blocks and links took a surrogate or a mark before; such
    a body now goes to ``bodies.texts``, which reads it as it always did.)"""
    if "&" in fragment and _NOT_SIMPLE_ENTITY.search(fragment) is not None:
        return False
    if fragment.isascii():
        return "\x00" not in fragment
    # One encode refuses a lone surrogate; the bytes are then searched at memchr's
    # speed, where ``in`` on a str of 2-byte characters is a slow loop.
    try:
        encoded = fragment.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return b"\x00" not in encoded and (_PARA_LEAD not in encoded or
                                       _PARA_UTF8 not in encoded)


def texts(fragments: Sequence[str]) -> list[str]:
    """``bodies.texts(fragments)``, the bodies of that shape read here first: where any
    other is left, ``bodies.texts`` reads it beside them all, as ever (a damaged body's
    reading can hang on its neighbours)."""
    known = [shaped_text(f) for f in fragments]
    if None not in known:
        return known  # type: ignore[return-value]
    return bodies.texts(fragments, known)
