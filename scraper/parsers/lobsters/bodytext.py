"""The texts of a Lobsters story's bodies, the commonest shape read in two C passes.

Most of a story's comments are paragraphs of text, some in a quote, with no tag inside
them (7 of the 11 bodies of the corpus's 2025 story). ``bodies.texts`` reads them as
any rendered Markdown (``mdblocks`` then ``narrow``: two matches of the shape, the
block tags made marks, a search for tags, entities, whitespace, ~15 passes and ten
Python calls, 4-7 us a 300-character body). Of that shape the text is each
paragraph's, whitespace collapsed, joined by a blank line: whatever the quotes around
them, every paragraph is a block of its own and between them is only blank text,
which reads as nothing. One match of the shape and one ``findall`` of the paragraphs
give it. The others are ``bodies.texts``', told the texts read here.
tests/test_lobsters_bodytext.py holds this to BeautifulSoup's reading.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from scraper.parsers import bodies
from scraper.parsers.narrow import _HN_ENTITY, _PARA, _collapse, _decoded

# A paragraph's text: no tag, no NUL (libxml2 makes it U+FFFD), no lone surrogate
# (libxml2 refuses it), no paragraph mark (the reference's reading breaks the text at
# one), and of the entities only narrow's; unrolled, as narrow's patterns are.
# Possessive (3.11): a body not of the shape, refused at its first inline tag, was
# matched again with every shorter run before each (12 us on a 672-character body).
_RUN = "[^<&\x00\ud800-\udfff" + _PARA + "]*+"
_TEXT = rf"{_RUN}(?:{_HN_ENTITY}{_RUN})*+"
_SP = "[ \t\n\r]*+"
_SHAPE = re.compile(rf"(?:{_SP}(?:<p>{_TEXT}</p>|<blockquote>(?:{_SP}<p>{_TEXT}</p>)*+"
                    rf"{_SP}</blockquote>))*+{_SP}")
_PARAGRAPH = re.compile("<p>([^<]*)</p>")


def paragraphs_text(fragment: str) -> str | None:
    """The text of a body of paragraphs and quotes of them with no tag in their text,
    or None for any other body."""
    if _SHAPE.fullmatch(fragment) is None:
        return None
    blocks = []
    for text in _PARAGRAPH.findall(fragment):
        block = _collapse(_decoded(text))
        if block:
            blocks.append(block)
    return "\n\n".join(blocks)


def story_texts(fragments: Sequence[str]) -> list[str]:
    """``bodies.texts(fragments)``, the bodies of that shape read here first: where any
    other is left, ``bodies.texts`` reads it beside them all, as ever (a damaged body's
    reading can hang on its neighbours)."""
    known = [paragraphs_text(f) for f in fragments]
    if None not in known:
        return known  # type: ignore[return-value]
    return bodies.texts(fragments, known)
