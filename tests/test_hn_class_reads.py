"""Two readings of classes that split a class only where its text can match:
``story._is_poll`` (where it names "poll" or "comment") and ``text.is_wrapper`` (a
class of one grey code taken by one match). Each reads as the test before it (every
class split, here) on random elements of their pieces (fixed seeds) and on every
element of the corpus's item pages that each reads."""

from __future__ import annotations

import random
from collections.abc import Iterator

from lxml import etree

from scraper.parsers import whole
from scraper.parsers.hn import story, text
from tests.corpus import corpus_dir


def _poll_reference(table: etree._Element) -> bool:
    scores = 0
    for el in table.iter():
        if not isinstance(el.tag, str):
            continue
        cls = text.classes(el)
        if "pollopt" in cls or "pollopts" in cls or (el.tag == "td" and "comment" in cls):
            return True
        if (el.get("id") or "").startswith("score_"):
            scores += 1
    return scores > 1


def _classes_wrap(el: etree._Element) -> bool:
    """What a span's or div's classes tell: the wrapper holds commtext or a grey code."""
    cls = text.classes(el)
    return "commtext" in cls or any(text._COLOUR_CLASS.fullmatch(c) for c in cls)


_CLASSES = ["pollopt", "pollopts", "poll", "polloptx", "comment", "comments", "xcomment",
            "comment x", "x pollopt", "pollopt\x0b", "\u2003pollopt", "commtext", "", "a b",
            "c00", "c5A", "cdd", "c0", "c000", "C00", "cxx", "c00 ", " c00", "c00\n", "x c00",
            "c00 x", "commtext c00", "c\u0660\u0660", "c00\x0b"]
_TAGS = ["td", "tr", "span", "div", "font", "a"]
_IDS = ["score_1", "score_", "score", "up_1", "xscore_1", ""]


def _element(rng: random.Random) -> str:
    tag = rng.choice(_TAGS)
    attrs = ""
    if rng.random() < 0.6:
        attrs += f' class="{rng.choice(_CLASSES)}"'
    if rng.random() < 0.3:
        attrs += f' id="{rng.choice(_IDS)}"'
    inner = "<!-- c -->" if rng.random() < 0.1 else "x"
    return f"<{tag}{attrs}>{inner}</{tag}>"


def _random_tables(seed: int, n: int) -> Iterator[etree._Element]:
    rng = random.Random(seed)
    for _ in range(n):
        cells = "".join(_element(rng) for _ in range(rng.randint(0, 8)))
        doc = etree.fromstring(f"<html><body><table><tr><td>{cells}</td></tr></table>"
                               "</body></html>", etree.HTMLParser())
        yield next(doc.iter("table"))


def _corpus_trees() -> Iterator[tuple[str, etree._Element]]:
    for path in sorted(corpus_dir("hn").glob("item-*.html")):
        yield path.name, whole.parse_html(path.read_text(encoding="utf-8"), site="hn",
                                          url="u")[0]


def test_polls_of_random_tables() -> None:
    polls = 0
    for table in _random_tables(5, 3000):
        want = _poll_reference(table)
        assert story._is_poll(table) == want, etree.tostring(table)
        polls += want
    assert 500 < polls < 2900


def test_wrappers_of_random_elements() -> None:
    wrappers = 0
    for table in _random_tables(9, 800):
        for el in table.iter("span", "div"):
            want = _classes_wrap(el) if el.get("class") else False
            assert text.is_wrapper(el) == want, etree.tostring(el)
            wrappers += want
    assert 200 < wrappers < 2000


def test_the_corpus() -> None:
    for name, doc in _corpus_trees():
        for table in doc.iter("table"):
            assert story._is_poll(table) == _poll_reference(table), name
        for el in doc.iter("span", "div"):
            want = _classes_wrap(el) if el.get("class") else False
            assert text.is_wrapper(el) == want, name
