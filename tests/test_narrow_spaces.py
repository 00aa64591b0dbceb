"""``narrow._squeezed`` (runs of spaces halved by replace()) against the reading it
stands in for, ``" ".join(text.split())``, on random text with paragraph marks."""

from __future__ import annotations

import random

from scraper.parsers import narrow


def test_squeezed_is_split_and_join_but_for_the_edges() -> None:
    rng = random.Random(7)
    pieces = [" ", "  ", "   ", " " * 9, "\t", "\n", "\r", "\f", "\v", "a", "é", ".",
              "\x00", narrow._PARA, "\u2003"]
    for _ in range(6000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 14)))
        if not narrow._no_other_spaces(text):
            continue  # its callers take the regex's way there
        joined = " ".join(text.split())
        squeezed = narrow._squeezed(text)
        assert squeezed.strip(" ") == joined, repr(text)
        # Split at a paragraph mark (no whitespace), each piece stripped: the same.
        for mark in ("\x00", narrow._PARA):
            assert [p.strip(" ") for p in squeezed.split(mark)] == \
                [p.strip(" ") for p in joined.split(mark)], repr(text)
    assert narrow._squeezed("a" + " " * 1000 + "b") == "a b"
