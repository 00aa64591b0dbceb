"""``item._fnid_more_text`` (each "fnid=" found by str.find, the shape tried there)
answers as the regex's own search of the whole page did, on random text made of the
shape's pieces and on every HN corpus page."""

from __future__ import annotations

import random

from scraper.parsers.hn import item
from tests.corpus import corpus_dir

_PIECES = ["fnid=", "fnid", "=", "fnid=fnid=", "x?", "ab1", '"', "'", ">", "<", " ", "\n",
           "\u2003", "More", "more", "</a>", "</a", "<a href=", "é", "logout",
           'fnid=ab1">', ">More</a>", " More </a>"]


def test_fnid_more_text_as_the_regex_search() -> None:
    rng = random.Random(5)
    found = 0
    for _ in range(20000):
        html = "".join(rng.choice(_PIECES) for _ in range(rng.randint(0, 16)))
        want = item._FNID_MORE_TEXT.search(html) is not None
        assert item._fnid_more_text(html) == want, repr(html)
        found += want
    assert 1000 < found < 19000


def test_fnid_more_text_on_the_corpus() -> None:
    pages = sorted(corpus_dir("hn").glob("*.html"))
    assert pages
    for path in pages:
        html = path.read_text(encoding="utf-8")
        assert item._fnid_more_text(html) == (item._FNID_MORE_TEXT.search(html) is not None)
