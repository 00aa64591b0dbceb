"""``item._more_closes``, the one pass that rules out both old More-link shapes: True
exactly where some "More" is followed by ``\\s*</a>`` (Python's \\s), and where it is
False none of the three shapes ``whole.check_more`` looks for, nor the loose fnid shape,
can match. Random strings of the words' pieces (fixed seeds), the corpus, and pages with
near-misses put anywhere read as the reading before (``tests/test_hn_more_link``)."""

from __future__ import annotations

import random
import re

import pytest

from scraper.parsers import whole
from scraper.parsers.hn import item
from tests import hnpages
from tests.corpus import corpus_dir
from tests.pieces import joined
from tests.test_hn_more_link import _same

_CLOSED = re.compile(r"More\s*</a>")
_PIECES = ["More", "Mor", "ore", "M", "More</a>", "</a>", "</A>", "</ a>", "</a", " ", "\n",
           "\t", "\u2003", "\xa0", "\x1c", "fnid=", "fnid=ab1", '"', "'", ">", "<", "<a href=",
           '<td class="title">', "<a>", "MoreMore", "more", "x", "More </a>", "More\n\n</a>"]


def _shapes_absent(text: str) -> bool:
    return (item._FNID_MORE_TEXT.search(text) is None and "More</a>" not in text
            and all(shape.search(text) is None for _, shape in whole._MORE_SHAPES[1:]))


def test_random_strings() -> None:
    closed = 0
    for _, text in joined(_PIECES, seeds=range(4), each=5000, most=10):
        got = item._more_closes(text)
        assert got == (_CLOSED.search(text) is not None), repr(text)
        assert got or _shapes_absent(text), repr(text)
        closed += got
    assert 2000 < closed < 18000


def test_the_corpus() -> None:
    for path in sorted(corpus_dir("hn").glob("*.html")):
        html = path.read_text(encoding="utf-8")
        assert item._more_closes(html) == (_CLOSED.search(html) is not None), path.name
        assert item._more_closes(html) or _shapes_absent(html), path.name


# The word in text, and closed by </a> in ways only the regexes' \s takes.
_NEAR = ["More </a>", "More\u2003</a>", "More\xa0</a>", "More\x1c</a>", "More</A>", "More",
         "More &lt;/a&gt;", "Mor</a>", "<a href=\"x?fnid=1\">More\u2003</a>",
         '<td class="title"><a href="x">More\xa0</a></td>', "MoreMore</a>", "Moore</a>"]


@pytest.mark.parametrize("seed", range(3))
def test_near_misses_put_anywhere_read_as_before(seed: int) -> None:
    rng = random.Random(seed)
    thread = hnpages.random_thread(12, seed=seed)
    bases = [hnpages.site_pages(thread, era=era)[f"/item?id={thread.story_id}"]
             for era in ("modern", "old")]
    for _ in range(60):
        page = rng.choice(bases)
        for _ in range(rng.randint(1, 3)):
            at = rng.randrange(len(page))
            page = page[:at] + rng.choice(_NEAR) + page[at:]
        _same(page)
