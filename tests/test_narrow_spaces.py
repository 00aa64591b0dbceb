"""``narrow._squeezed`` (each ASCII blank made a space, then each run of spaces one)
against ``" ".join(text.split())``, the reading it replaced, on random text with
paragraph marks: the two agree wherever no whitespace but the ASCII kind stands."""

from __future__ import annotations

import random

from scraper.parsers import narrow


def test_squeezed_is_split_and_join_but_for_the_edges() -> None:
    rng = random.Random(7)
    pieces = [" ", "  ", "   ", " " * 9, "\t", "\n", "\r", "\f", "\v", "a", "é", ".",
              "\x00", narrow._PARA, "\u2003"]
    for _ in range(6000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 14)))
        if narrow._OTHER_SPACES.search(text):
            continue  # str.split() splits there too; a browser (and _squeezed) does not
        joined = " ".join(text.split())
        squeezed = narrow._squeezed(text)
        assert squeezed.strip(" ") == joined, repr(text)
        # Split at a paragraph mark (no whitespace), each piece stripped: the same.
        for mark in ("\x00", narrow._PARA):
            assert [p.strip(" ") for p in squeezed.split(mark)] == \
                [p.strip(" ") for p in joined.split(mark)], repr(text)
    assert narrow._squeezed("a" + " " * 1000 + "b") == "a b"
