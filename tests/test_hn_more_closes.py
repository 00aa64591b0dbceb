"""``item._more_closes``, the one pass that rules out both old More-link shapes: every
"More" followed by ``\\s*</a>`` (Python's \\s), and where there is none, none of the
three shapes ``whole.check_more`` looks for, nor the loose fnid shape, can match; and
``item._fnid_more_text`` read from those places as the loose shape's regex search.
Random strings of the words' pieces (fixed seeds), the corpus, and pages with
near-misses put anywhere read as the reading before (``tests/test_hn_more_link``)."""

from __future__ import annotations

import random
import re

from lxml import etree

from scraper.parsers import whole
from scraper.parsers.hn import item
from tests import hnpages
from tests.corpus import corpus_dir
from tests.pieces import joined
from tests.spiked import spiked
from tests.test_hn_more_link import _same

_CLOSED = re.compile(r"More\s*</a>")
_PIECES = ["More", "Mor", "ore", "M", "More</a>", "</a>", "</A>", "</ a>", "</a", " ", "\n",
           "\t", "\u2003", "\xa0", "\x1c", "fnid=", "fnid=ab1", '"', "'", ">", "<", "<a href=",
           '<td class="title">', "<a>", "MoreMore", "more", "x", "More </a>", "More\n\n</a>",
           '<a href="x?fnid=1">', "fnid", "nid=", "f", "=", '<a href="/x?fnid=ab1">More</a>',
           "> More</a>", ">More </a>", ">\u2003More</a>", '"fnid="', ">>"]


def _shapes_absent(text: str) -> bool:
    return (item._FNID_MORE_TEXT.search(text) is None and "More</a>" not in text
            and all(shape.search(text) is None for _, shape in whole._MORE_SHAPES[1:]))


def _fnid_as_the_search(text: str, closes: list[int]) -> bool:
    want = item._FNID_MORE_TEXT.search(text) is not None
    assert item._fnid_more_text(text, closes) == want, repr(text)
    assert item._fnid_more_text(text) == want, repr(text)
    return want


def test_random_strings() -> None:
    closed = fnid = 0
    for _, text in joined(_PIECES, seeds=range(4), each=6000, most=10):
        got = item._more_closes(text)
        assert got == [m.start() for m in _CLOSED.finditer(text)], repr(text)
        assert got or _shapes_absent(text), repr(text)
        closed += bool(got)
        fnid += _fnid_as_the_search(text, got)
    assert 3000 < closed < 20000
    assert 300 < fnid < closed


def test_the_corpus() -> None:
    for path in sorted(corpus_dir("hn").glob("*.html")):
        html = path.read_text(encoding="utf-8")
        closes = item._more_closes(html)
        assert closes == [m.start() for m in _CLOSED.finditer(html)], path.name
        assert closes or _shapes_absent(html), path.name
        _fnid_as_the_search(html, closes)


# The word in text, and closed by </a> in ways only the regexes' \s takes.
_NEAR = ["More </a>", "More\u2003</a>", "More\xa0</a>", "More\x1c</a>", "More</A>", "More",
         "More &lt;/a&gt;", "Mor</a>", "<a href=\"x?fnid=1\">More\u2003</a>",
         '<td class="title"><a href="x">More\xa0</a></td>', "MoreMore</a>", "Moore</a>"]


def _generated_pages(seed: int) -> list[str]:
    """A thread's pages of 10 rows in both markups, More links and all."""
    thread = hnpages.random_thread(40, seed=seed)
    return [p for era in ("modern", "old")
            for p in hnpages.site_pages(thread, era=era, per_page=10).values()]


def test_near_misses_put_anywhere_read_as_before() -> None:
    bases = _generated_pages(5)
    rng = random.Random(5)
    for _ in range(180):
        _same(spiked(rng.choice(bases), _NEAR, rng, most=3))


# The More links' XPaths as they were, from "//": the same hrefs in the same order.
_OLD_MORELINK = etree.XPath("//a[contains(concat(' ', @class, ' '), ' morelink ')]/@href")
_OLD_FNID_MORE = etree.XPath(
    "//td[@class='title']/a[contains(@href, 'fnid=')][normalize-space()='More']/@href")


def test_the_xpaths_find_what_they_found_from_the_root() -> None:
    pages = _generated_pages(4)
    pages += [p.read_text(encoding="utf-8") for p in sorted(corpus_dir("hn").glob("*.html"))]
    rng = random.Random(8)
    pages += [spiked(page, _LINKS, rng, most=3) for page in pages]  # in tables or not
    found = 0
    for page in pages:
        doc, _ = whole.parse_html(page, site="hn", url="u")
        assert item._MORELINK(doc) == _OLD_MORELINK(doc)
        assert item._FNID_MORE(doc) == _OLD_FNID_MORE(doc)
        found += len(item._MORELINK(doc)) + len(item._FNID_MORE(doc))
    assert found > 40


_LINKS = ['<a class="morelink" href="item?id=1&p=2">More</a>',
          '<td class="title"><a href="/x?fnid=ab1">More</a></td>',
          '<table><tr><td class="title"><a href="x?fnid=2"> More </a></td></tr></table>',
          '<a class="x morelink" href="m">x</a>']
