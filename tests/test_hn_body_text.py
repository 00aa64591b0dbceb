"""hn.body_text reads every body it accepts as bodies.texts does: random bodies of HN's
pieces (fixed seeds) and every body of the corpus's HN item pages."""

from __future__ import annotations

import os
import random
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from unittest import mock

import pytest

from scraper.parsers import bodies
from scraper.parsers.hn import body_text, item

_PIECES = (
    "<p>", "</p>", "<i>", "</i>", "<code>", "</code>", "<pre><code>", "</code></pre>",
    '<a href="https://x.com/a?b=1&amp;c=2" rel="nofollow">', "</a>", '<a href="/item?id=1">',
    '<a href="x&bad;">', "&amp;", "&lt;", "&gt;", "&quot;", "&#x27;", "&#39;", "&#38;",
    "&#60;", "&#62;", "&#34;", "&#x2F;", "&#x200B;", "&nbsp;", "&#57344;", "&amp;lt;",
    "&", "&am", "p;", "<", ">", "p>", "i>", "<b>", "<em>", "</em>", "<div>", "<br>",
    "  ", " ", "\n", "\n\n", "\t", "\r", "\r\n", "\x0b", "\x0c", "\xa0", "\u2003",
    "\x00", "\ue000", "\ud800", "é", "日本", "word", "two words", "x", "-", ";",
)


def _body(rng: random.Random) -> str:
    return "".join(rng.choice(_PIECES) for _ in range(rng.randint(0, 14)))


@pytest.mark.parametrize("seed", range(8))
def test_random_bodies_read_as_bodies_texts(seed: int) -> None:
    rng = random.Random(seed)
    accepted = 0
    for _ in range(3000):
        body = _body(rng)
        got = body_text.body_text(body)
        if got is not None:
            accepted += 1
            assert got == bodies.texts([body])[0], repr(body)
    assert accepted > 300  # the shape is met often enough to be tested


@pytest.mark.parametrize("seed", range(4))
def test_random_pages_read_as_bodies_texts(seed: int) -> None:
    rng = random.Random(100 + seed)
    for _ in range(300):
        page = [_body(rng) for _ in range(rng.randint(1, 6))]
        assert _outcome(body_text.texts, page) == _outcome(bodies.texts, page), page


def _outcome(read: Callable[[list[str]], list[str]], page: list[str]) -> object:
    # A lone surrogate that reaches lxml is its error, on either side alike.
    try:
        return read(page)
    except UnicodeEncodeError as e:
        return type(e)


def test_cut_tag_leaves_no_paragraph() -> None:
    assert body_text.body_text("a<<i>p>b") is None
    assert body_text.body_text("a<p>b <i>c</i>") == "a\n\nb c"


def _corpus_pages() -> list[Path]:
    root = os.environ.get("LINKTHREAD_CORPUS")
    if not root:
        pytest.skip("LINKTHREAD_CORPUS not set")
    return sorted((Path(root) / "hn").glob("item-*.html"))


def test_corpus_bodies_read_as_bodies_texts() -> None:
    seen: list[list[str]] = []
    reference = bodies.texts

    def spy(fragments: list[str], known: object = None) -> list[str]:
        seen.append(list(fragments))
        return reference(fragments)

    for path in _corpus_pages():
        page_id = path.name.split("-")[1].split(".")[0]
        html = path.read_text(encoding="utf-8", errors="replace")
        with mock.patch.object(body_text, "texts", spy):
            item.parse_item_page(html, url=f"https://news.ycombinator.com/item?id={page_id}",
                                 fetched_at=datetime(2026, 1, 1, tzinfo=UTC))
    assert sum(map(len, seen)) > 1000
    for fragments in seen:
        assert body_text.texts(fragments) == reference(fragments)
        for f in fragments:
            got = body_text.body_text(f)
            if got is not None:
                assert got == reference([f])[0], repr(f)
