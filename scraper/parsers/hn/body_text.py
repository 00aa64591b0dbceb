"""The texts of HN's comment bodies, HN's own markup read in fewer passes.

``bodies.texts`` reads an HN body (``narrow._simple_text`` after its ``<p>`` made marks)
in ~20 passes over it: the split at ``<p>``, the searches for a tag and an entity
outside HN's markup, the tags' removal, the entities' decode, the blanks, the
paragraphs. Here a body of text, HN's ``<p>`` and narrow's inline tags and links (no
``<pre>``, no ``</p>``: those go to ``bodies.texts``) has its ``<p>`` made marks, then
narrow's tags cut in the pass that finds them: any "<" left is a tag narrow refuses, so
one ``in`` tells what the search for one told (and no ``</p>`` or ``<pre>`` test is
needed). Its text is then narrow's: the entities decoded, the whitespace
collapsed. tests/test_hn_body_text.py holds it to ``bodies.texts`` over random bodies
of HN's pieces and every corpus body.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from scraper.parsers import bodies
from scraper.parsers.narrow import (
    _HREF,
    _INLINE_TAGS,
    _NOT_SIMPLE_ENTITY,
    _PARA,
    _decoded,
    _squeezed,
)

# narrow's tags (``_NOT_SIMPLE_TAG``'s complement) but the paragraph's, which splits.
_CUT = re.compile(rf"""<(?:/?(?:{_INLINE_TAGS})|{_HREF})>""")


def body_text(fragment: str) -> str | None:
    """The text ``bodies.texts`` reads for an HN body of that markup, or None for any
    other body (a code block, a NUL or paragraph mark, a lone surrogate, an entity or
    tag outside narrow's)."""
    # A <pre>, a </p> or any other tag outside narrow's is left after the cut: a "<".
    if "\x00" in fragment:
        return None
    if "&" in fragment and _NOT_SIMPLE_ENTITY.search(fragment) is not None:
        return None
    if not fragment.isascii():
        try:  # a lone surrogate, which libxml2 refuses
            fragment.encode("utf-8")
        except UnicodeEncodeError:
            return None
        if _PARA in fragment:
            return None
    if "<" not in fragment:
        return _squeezed(_decoded(fragment)).strip(" ")
    # Split first: a cut tag can leave a "<p>" behind ("<<i>p>"), which is no paragraph.
    fragment = "\x00".join(fragment.split("<p>"))
    # Most bodies hold no tag but <p> (21 of item-6561358's 30): no cut, no scan of it.
    if "<" in fragment:
        fragment = _CUT.sub("", fragment)
        if "<" in fragment:
            return None
    flat = _squeezed(_decoded(fragment))
    if "\x00" not in flat:
        return flat.strip(" ")
    return "\n\n".join([b for piece in flat.split("\x00") if (b := piece.strip(" "))])


def texts(fragments: Sequence[str]) -> list[str]:
    """``bodies.texts(fragments)``, the bodies of HN's markup read here first."""
    known = [body_text(f) for f in fragments]
    if None not in known:
        return known  # type: ignore[return-value]
    return bodies.texts(fragments, known)
