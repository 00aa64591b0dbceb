"""A body of one paragraph and no tag in it (most of Reddit's comments) is read as its
text alone (``mdblocks._ONE_PARAGRAPH``): held to the reading of the body with its
marks (``_MARKS``, as every other body of that shape is read) and to BeautifulSoup's."""

from __future__ import annotations

import random

from scraper.parsers import bodies, mdblocks, narrow
from tests.test_bodies_code_blocks import assert_read_as_soup, bodies_and_marks

_TEXT = ["a", "b c", " ", "  ", "\n", "\n\n", "\t", "\r", "\r\n", "\f", "\v", "\xa0",
         "\u2003", "\x1c", "é", "\u2019", "&amp;", "&lt;", "&gt;", "&#39;", "&quot;",
         "&#x200B;", "&nbsp;", "&", ">", "\x00", "\ue000", "&#57344;", "\ud800", "."]
_EDGES = ["", " ", "\n", "\n\n", "\t", "\r\n"]


def _one(rng: random.Random, pieces: list[str] = _TEXT) -> str:
    text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 10)))
    inner = f"<p>{text}</p>{rng.choice(_EDGES)}"
    if rng.random() < 0.6:
        inner = f'<div class="md">{inner}</div>'
    return rng.choice(_EDGES) + inner + rng.choice(_EDGES)


def test_one_paragraph_reads_as_its_marked_body() -> None:
    taken = 0
    for body, para in bodies_and_marks(_one, 31, 20000):
        read = mdblocks.md_blocks(body, para)
        marked = mdblocks._MARKS.sub(para, body) if mdblocks._COMMON.fullmatch(body) \
            and "</" in body and mdblocks._PARA not in body and para not in body else None
        assert (read is None) == (marked is None), repr(body)
        if read is not None and marked is not None:
            assert mdblocks._ONE_PARAGRAPH.fullmatch(body) is not None
            assert narrow._simple_text(read, para) == narrow._simple_text(marked, para), \
                repr(body)
            taken += 1
    assert taken > 15000


def test_one_paragraph_reads_as_beautifulsoup() -> None:
    encodable = [t for t in _TEXT if t != "\ud800"]  # which BeautifulSoup cannot take
    assert_read_as_soup(lambda rng: _one(rng, encodable), 32)


def test_the_text_alone_is_what_is_read() -> None:
    assert mdblocks.md_blocks('<div class="md"><p>a  &amp;\nb</p>\n</div>') == "a  &amp;\nb"
    assert mdblocks.md_blocks("\n<p> x </p>\n", "\x00") == " x "
    assert bodies.text('<div class="md"><p>a  &amp;\nb</p>\n</div>') == "a & b"
    # a tag inside, or a second paragraph: the body is read with its marks, as before
    assert mdblocks.md_blocks("<p>a <em>b</em></p>", "\x00") == "\x00a <em>b</em>\x00"
