"""A Lobsters listing row read into its entry (``story_row.listing_entry``) gives the
entry of its full reading (``read_story_li``'s first story), errors alike: on every
row of the corpus's pages, and on rows damaged at random."""

from __future__ import annotations

import copy
import random

from lxml import etree

from scraper.parsers.errors import ParseError
from scraper.parsers.lobsters import listing
from scraper.parsers.lobsters.common import html_doc, page_now
from scraper.parsers.lobsters.story_row import listing_entry, read_story_li, story_items
from tests import hnpages
from tests.corpus import corpus_dir

URL = "https://lobste.rs/"


def _both(li: etree._Element, now: object) -> tuple[object, object]:
    def outcome(read: object) -> object:
        try:
            return read()  # type: ignore[operator]
        except (ParseError, ValueError) as exc:
            return f"{type(exc).__name__}: {exc}"
    return (outcome(lambda: listing_entry(li, 7, page_url=URL, now=now)),
            outcome(lambda: listing._entry(read_story_li(li, page_url=URL, now=now)[0].story,
                                           7)))


def _docs() -> list[etree._Element]:
    return [html_doc(p.read_text(encoding="utf-8"), url=URL)
            for p in sorted(corpus_dir("lobsters").glob("*.html"))
            if p.name.split("-")[0] in ("front", "search", "story", "user")]


def test_every_corpus_row_reads_alike() -> None:
    seen = 0
    for doc in _docs():
        now = page_now(doc, hnpages.FETCHED_AT)
        for li in story_items(doc):
            ours, reference = _both(li, now)
            assert ours == reference
            seen += 1
    assert seen >= 100


_ATTRS = ("class", "href", "title", "data-shortid", "id", "data-at-unix")
_VALUES = ("", "story", "details", "story_liner", "voters", "score", "upvoter", "link",
           "tag", "domain", "byline", "comments_label", "user_is_author", "/~bob", "/u/al",
           "/s/abc123/x", "https://lobste.rs/s/zz9/x", "https://x.org/", "abc123", "ABC",
           "2016-10-05 17:35:45 -0500", "2016-10-05 17:35:45", "1700000000", "x")
_TEXTS = ("", "12", "-3", "~", "5 comments", "1 comment", "no comments", "3 hours ago",
          "just now", " a \n b ", "\xa0", "[Story removed by moderator]", "rust")


def _damage(li: etree._Element, rng: random.Random) -> None:
    for _ in range(rng.randint(1, 4)):
        els = [el for el in li.iter() if isinstance(el.tag, str)]
        el = rng.choice(els)
        what = rng.random()
        if what < 0.45:
            attr = rng.choice(_ATTRS)
            if rng.random() < 0.5:
                el.attrib.pop(attr, None)
            else:
                el.set(attr, rng.choice(_VALUES))
        elif what < 0.75:
            el.text = rng.choice(_TEXTS)
        elif what < 0.85:
            el.tail = rng.choice(_TEXTS)
        elif el is not li and el.getparent() is not None:
            el.getparent().remove(el)


def test_damaged_rows_read_alike() -> None:
    rng = random.Random(26)
    rows = [(li, page_now(doc, hnpages.FETCHED_AT)) for doc in _docs()
            for li in story_items(doc)]
    for _ in range(1500):
        li, now = rng.choice(rows)
        li = copy.deepcopy(li)
        _damage(li, rng)
        ours, reference = _both(li, now)
        assert ours == reference


def test_user_of_href_read_alike() -> None:
    from scraper.parsers.lobsters.common import user_of_href
    from scraper.parsers.lobsters.story_row import user_of

    pieces = ["/", "//", "~", "u/", "bob", "a.b", "?x", "#f", "https://lobste.rs", "\t",
              " ", "\u00e4", "s/", ";", ""]
    rng = random.Random(2)
    for _ in range(3000):
        href = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 5)))
        assert user_of(href) == user_of_href(href), href
    assert user_of(None) == user_of_href(None)


def test_shows_text_is_text_of() -> None:
    from scraper.parsers.lobsters.common import text_of
    from scraper.parsers.lobsters.story_row import _shows_text, _text_of

    pieces = ["", " ", "\n  ", "\xa0", "&nbsp;", "bob", "<img src=x>", "<b> </b>",
              "<!-- c -->", "<span>s</span>", "<script>x</script>", "<?pi q?>", "\u2003", "\t|\n",
              "<a>5\ncomments</a>", "&amp;", "\u00e9"]
    rng = random.Random(8)
    for _ in range(600):
        inner = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 5)))
        doc = etree.fromstring(f"<html><body><div><a href='/u/x'>{inner}</a>tail</div>"
                               "</body></html>", etree.HTMLParser())
        a = doc.find(".//a")
        assert a is not None
        assert _shows_text(a) == bool(text_of(a)), inner
        assert _text_of(a) == text_of(a), inner
