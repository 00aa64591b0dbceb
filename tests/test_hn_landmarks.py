"""``item.landmarks`` (the containers, the footer and the first table.fatitem in one
walk of the tree) finds what the two walks before it found: the spans and divs of
class "comment", any of class "yclinks", the first table whose classes hold "fatitem".
On the corpus's item pages, generated pages of both markups, and those pages with
tables, spans and divs of those classes put anywhere (fixed seeds)."""

from __future__ import annotations

import random

from lxml import etree

from scraper.parsers import whole
from scraper.parsers.hn import item
from tests import hnpages
from tests.corpus import corpus_dir
from tests.spiked import spiked


def _reference(doc: etree._Element) -> tuple[list[etree._Element], bool, etree._Element | None]:
    containers = []
    footer = False
    for e in doc.iter("span", "div"):
        cls = e.get("class")
        if cls == "comment":
            containers.append(e)
        elif cls == "yclinks":
            footer = True
    fatitem = next((t for t in doc.iter("table")
                    if (c := t.get("class")) and "fatitem" in c.split()), None)
    return containers, footer, fatitem


_SPIKES = ['<table class="comment"><tr><td>x</td></tr></table>',
           '<table class="yclinks"></table>', '<table class="fatitem"></table>',
           '<table class="x fatitem"><tr><td>a</td></tr></table>',
           '<table class="fatitems"></table>', '<table class="fatitem\x0bx"></table>',
           '<span class="fatitem">s</span>', '<div class="fatitem"></div>',
           '<span class="comment">c</span>', '<div class="yclinks">f</div>',
           '<table class=""></table>', '<table class="\u2003fatitem"></table>', "<table>"]


def _same(html: str) -> int:
    doc, _ = whole.parse_html(html, site="hn", url="u")
    got, want = item.landmarks(doc), _reference(doc)
    assert got == want
    return len(got[0]) + got[1] + (got[2] is not None)


def test_pages_and_spiked_pages() -> None:
    thread = hnpages.random_thread(30, seed=6)
    pages = [p for era in ("modern", "old")
             for p in hnpages.site_pages(thread, era=era, per_page=10).values()]
    pages += [p.read_text(encoding="utf-8") for p in sorted(corpus_dir("hn").glob("item-*.html"))]
    found = sum(_same(page) for page in pages)
    assert found > 500
    rng = random.Random(3)
    fat = 0
    for _ in range(300):
        page = spiked(rng.choice(pages), _SPIKES, rng, most=4)
        doc, _ = whole.parse_html(page, site="hn", url="u")
        fat += item.landmarks(doc)[2] is not None
        _same(page)
    assert 50 < fat < 300
