"""The item parser's More link and the checks of it it skips (``item.more_link``) give
what the reading before them gave: the same href, and ``whole.check_more`` raising on the
same pages with the same message. The reference is that reading, kept here."""

from __future__ import annotations

import random

import pytest
from lxml import etree

from scraper.parsers import whole
from scraper.parsers.errors import ParseError
from scraper.parsers.hn import item
from tests import hnpages
from tests.corpus import corpus_dir


def _reference(html: str, doc: etree._Element) -> tuple[str | None, tuple[str, ...]]:
    next_href = None
    morelink = "morelink" in html
    if morelink:
        next_href = next(iter(item._MORELINK(doc)), None)
    if next_href is None and item._FNID_MORE_TEXT.search(html):
        next_href = next(iter(item._FNID_MORE(doc)), None)
    return next_href, () if morelink else ("morelink",)


def _checked(html: str, href: str | None, absent: tuple[str, ...]) -> str | None:
    try:
        whole.check_more(html, href is not None, site="hn", url="u", absent=absent)
    except ParseError as exc:
        return str(exc)
    return None


def _same(html: str) -> bool:
    """Whether the page reads the same both ways; True if its More link is checked."""
    doc, _ = whole.parse_html(html, site="hn", url="u")
    href, absent = item.more_link(html, doc)
    want_href, want_absent = _reference(html, doc)
    assert href == want_href
    assert _checked(html, href, absent) == _checked(html, want_href, want_absent)
    return href is not None or _checked(html, href, absent) is not None


# Spellings of the old More links and of things near them: the link without its cell,
# with blanks, in other case, inside a comment's text (escaped), fnid links that are not
# More links (logged-in pages' logout), the word in a body.
_MORE = [
    '<tr><td class="title"><a href="/x?fnid=ab1" rel="nofollow">More</a></td></tr>',
    '<tr><td class="title"><a href="x?fnid=ab1">More </a></td></tr>',
    '<tr><td class="title"><a href="x?fnid=ab1"> More</a></td></tr>',
    '<tr><td><a href="/x?fnid=ab1">More</a></td></tr>',
    '<a href="/x?fnid=ab1">More</a>', '<a href="/x?fnid=ab1">more</a>',
    '<tr><td class="title"><a href="news2">More</a></td></tr>',
    '<tr><td class="title"><a href="/x?fnid=ab1">More\n</a></td></tr>',
    '<a href="logout?fnid=zz">logout</a>', "More &lt;/a&gt; fnid=", "fnid= More</a>",
    '<td class="title"><a href="/x?fnid=a>b">More</a></td>',
    '<a class="morelink" href="item?id=1&p=2">More</a>', '<span class="morelink">x</span>',
]


def test_more_links_of_generated_pages_read_as_before() -> None:
    checked = 0
    for era in ("modern", "old"):
        thread = hnpages.random_thread(40, seed=2)
        for page in hnpages.site_pages(thread, era=era, per_page=10).values():
            checked += _same(page)
    assert checked >= 6  # every page but the last has its More link


def test_more_links_of_the_corpus_read_as_before() -> None:
    for path in sorted(corpus_dir("hn").glob("item-*.html")):
        _same(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("seed", range(3))
def test_more_links_put_anywhere_read_as_before(seed: int) -> None:
    rng = random.Random(seed)
    thread = hnpages.random_thread(12, seed=seed)
    bases = [hnpages.site_pages(thread, era=era)[f"/item?id={thread.story_id}"]
             for era in ("modern", "old")]
    checked = 0
    for _ in range(80):
        page = rng.choice(bases)
        for _ in range(rng.randint(1, 2)):
            at = rng.randrange(len(page))
            page = page[:at] + rng.choice(_MORE) + page[at:]
        checked += _same(page)
    assert checked > 20
