"""Bodies with several code blocks, read in one pass (``narrow._with_code_blocks``):
held to the reading of each piece apart and to BeautifulSoup's."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator

from scraper.parsers import bodies, narrow

# Text, runs of spaces, entities and inline tags between blocks, as Lobsters' and HN's
# bodies hold them; the code mark itself, now and then, sends a body the old way.
_AROUND = ["a", "b c", " ", "  ", "   ", "\n", "\t", "\xa0", "é", "\u2019", "&amp;", "&lt;",
           "&#x27;", "<i>", "</i>", "<code>", "</code>", "<em>x</em>", "\x01", "&#x200B;",
           '<a href="https://x.org/?a=1&amp;b=2" rel="ugc">', "</a>", "<p>", "</p>",
           "<blockquote>", "</blockquote>", "<ul>", "<li>", "</li>", "</ul>", "<br>"]
_CODE = ["", " ", "\n", "  x = 1\n", "a &lt; b", "\n\n  y\n  \n", "\x01", "é\u2019", "&amp;lt;",
         "&bogus;", "\ue000"]


def _body(rng: random.Random) -> str:
    out = []
    for _ in range(rng.randint(1, 5)):
        out.append("".join(rng.choice(_AROUND) for _ in range(rng.randint(0, 8))))
        if rng.random() < 0.9:
            out.append("<pre><code>" + "".join(rng.choice(_CODE) for _ in range(
                rng.randint(0, 3))) + "</code></pre>")
    return "".join(out)


def bodies_and_marks(make: Callable[[random.Random], str], seed: int,
                     count: int) -> Iterator[tuple[str, str]]:
    """``count`` random bodies of ``make``, each with both paragraph marks."""
    rng = random.Random(seed)
    for _ in range(count):
        body = make(rng)
        for para in (narrow._PARA, "\x00"):
            yield body, para


def assert_read_as_soup(make: Callable[[random.Random], str], seed: int) -> None:
    """``texts`` and ``text`` of random pages of ``make``'s bodies read as BeautifulSoup
    reads them."""
    rng = random.Random(seed)
    for _ in range(1500):
        fragments = [make(rng) for _ in range(rng.randint(1, 3))]
        assert bodies.texts(fragments) == bodies.soup_texts(fragments), fragments
        for f in fragments:
            assert bodies.text(f) == bodies.soup_text(f), f


def test_one_pass_reads_as_each_piece_apart() -> None:
    read = 0
    for body, para in bodies_and_marks(_body, 21, 6000):
        marked = body.replace("<p>", para)
        whole = narrow._with_code_blocks(marked, para)
        assert whole == narrow._with_code_blocks_apart(marked, para), repr(marked)
        read += whole is not None and narrow._CODE_MARK not in body
    assert read > 500  # the one pass is the one taken, and gives texts


def test_one_pass_reads_as_beautifulsoup() -> None:
    assert_read_as_soup(_body, 22)


def test_a_code_block_is_a_paragraph_of_its_own() -> None:
    body = "Run  it:<pre><code>  make\n</code></pre>then <i>look</i>.<pre><code></code></pre>ok"
    assert narrow._with_code_blocks(body) == "Run it:\n\n  make\n\nthen look.\n\nok"
    assert narrow._with_code_blocks("a\x01<pre><code>x</code></pre>b") == "a\x01\n\nx\n\nb"
