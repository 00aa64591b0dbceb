"""``text.is_wrapper`` (a class of one grey code taken without its split) tells a body's
wrapper as the test before it did, on random elements of the wrappers' pieces (fixed
seed) and on every span, div and font of the corpus's item pages."""

from __future__ import annotations

import random

from lxml import etree

from scraper.parsers import whole
from scraper.parsers.hn import text
from tests.corpus import corpus_dir


def _reference(el: etree._Element) -> bool:
    tag = el.tag
    if tag == "font":
        return el.get("color") is not None and el.get("size") is None
    if tag != "span" and tag != "div":
        return False
    shown = el.get("class")
    if not shown:
        return False
    if shown.startswith("commtext ") or shown == "commtext":
        return True
    cls = shown.split()
    return "commtext" in cls or any(text._COLOUR_CLASS.fullmatch(c) for c in cls)


_CLASSES = ["c00", "c5A", "cdd", "c0", "c000", "C00", "cxx", "c00 ", " c00", "c00\n", "x c00",
            "c00 x", "commtext", "commtext c00", "comment", "c\u0660\u0660", "c00\x0b", ""]


def test_random_elements() -> None:
    rng = random.Random(9)
    wrappers = 0
    for _ in range(4000):
        tag = rng.choice(["span", "div", "font", "p", "a"])
        attrs = "".join(rng.choice([f' class="{rng.choice(_CLASSES)}"', ' color="#000000"',
                                    ' size="1"', ""]) for _ in range(rng.randint(0, 2)))
        doc = etree.fromstring(f"<html><body><{tag}{attrs}>x</{tag}></body></html>",
                               etree.HTMLParser())
        el = next(e for e in doc.iter() if e.tag == tag)
        want = _reference(el)
        assert text.is_wrapper(el) == want, attrs
        wrappers += want
    assert 200 < wrappers < 3000


def test_the_corpus() -> None:
    for path in sorted(corpus_dir("hn").glob("item-*.html")):
        doc, _ = whole.parse_html(path.read_text(encoding="utf-8"), site="hn", url="u")
        for el in doc.iter("span", "div", "font"):
            assert text.is_wrapper(el) == _reference(el), path.name
