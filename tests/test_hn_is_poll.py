"""``story._is_poll`` (each class split only where it names "poll" or "comment") reads as
the test before it (every element's class split) on random header tables of poll,
comment and score pieces (fixed seeds) and on the corpus's item pages' headers."""

from __future__ import annotations

import random

from lxml import etree

from scraper.parsers import whole
from scraper.parsers.hn import story
from scraper.parsers.hn.text import classes
from tests.corpus import corpus_dir


def _reference(table: etree._Element) -> bool:
    scores = 0
    for el in table.iter():
        if not isinstance(el.tag, str):
            continue
        cls = classes(el)
        if "pollopt" in cls or "pollopts" in cls or (el.tag == "td" and "comment" in cls):
            return True
        if (el.get("id") or "").startswith("score_"):
            scores += 1
    return scores > 1


_CLASSES = ["pollopt", "pollopts", "poll", "polloptx", "comment", "comments", "xcomment",
            "comment x", "x pollopt", "pollopt\x0b", "\u2003pollopt", "commtext", "", "a b"]
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


def test_random_tables() -> None:
    rng = random.Random(5)
    polls = 0
    for _ in range(3000):
        cells = "".join(_element(rng) for _ in range(rng.randint(0, 8)))
        doc = etree.fromstring(f"<html><body><table><tr><td>{cells}</td></tr></table>"
                               "</body></html>", etree.HTMLParser())
        table = next(doc.iter("table"))
        want = _reference(table)
        assert story._is_poll(table) == want, cells
        polls += want
    assert 500 < polls < 2900


def test_corpus_headers() -> None:
    for path in sorted(corpus_dir("hn").glob("item-*.html")):
        doc, _ = whole.parse_html(path.read_text(encoding="utf-8"), site="hn", url="u")
        for table in doc.iter("table"):
            assert story._is_poll(table) == _reference(table), path.name
