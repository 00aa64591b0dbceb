"""``story._unique_end`` (a second match looked for where its word is) gives what the
findall of the page's top gave, on random text made of the two shapes' pieces and on
every HN corpus page."""

from __future__ import annotations

import random
import re

from scraper.parsers.hn import story
from tests.corpus import corpus_dir

_CASES = ((story._OLD_TEXT, story._OLD_TEXT_WORD),
          (story._TOPTEXT, story._TOPTEXT_WORD))
_PIECES = ['<tr style="height:2px"></tr><tr><td></td><td>', "<tr style='height: 2px;'></tr>",
           "<tr>", "<td></td><td>", "<td colspan=2></td><td>", "height:", "height:10px",
           "height:\n2px", " ", "\u2003", "2px", "<tr style=", '<div class="toptext">',
           "<div class=toptext x=1>", "toptext", "<div", ">", "é", "x"]


def _reference(pattern: re.Pattern[str], html: str) -> int | None:
    found = pattern.findall(html, 0, 200_000)
    if len(found) != 1:
        return None
    m = pattern.search(html, 0, 200_000)
    return m.end() if m else None


def test_unique_end_as_the_findall() -> None:
    rng = random.Random(11)
    unique = 0
    for _ in range(20000):
        html = "".join(rng.choice(_PIECES) for _ in range(rng.randint(0, 12)))
        for pattern, word in _CASES:
            want = _reference(pattern, html)
            assert story._unique_end(pattern, html, word) == want, repr(html)
            unique += want is not None
    assert unique > 1000


def test_unique_end_at_the_top_edge() -> None:
    """A second match that would end past the top's limit is no second match."""
    shape = '<tr style="height:2px"></tr><tr><td></td><td>'
    for gap in range(200_000 - 2 * len(shape) - 3, 200_000 - len(shape) + 3):
        html = shape + "x" * (gap - len(shape)) + shape + "y" * 10
        assert story._unique_end(story._OLD_TEXT, html, story._OLD_TEXT_WORD) == \
            _reference(story._OLD_TEXT, html)


def test_unique_end_on_the_corpus() -> None:
    pages = sorted(corpus_dir("hn").glob("*.html"))
    assert pages
    for path in pages:
        html = path.read_text(encoding="utf-8")
        for pattern, word in _CASES:
            assert story._unique_end(pattern, html, word) == _reference(pattern, html)
