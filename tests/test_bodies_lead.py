"""Inline text, then closed paragraphs: how lxml writes HN's bare ``<p>`` back (a story's
text, which ``hn.text.served_or_rendered`` reads in both forms to check the served one).
``bodies`` reads that shape without a parse; random bodies of it, whole and damaged,
hold that reading to BeautifulSoup's.
"""

from __future__ import annotations

import random

from scraper.parsers import bodies

# The lead's and the paragraphs' text: HN's inline markup (each tag closed where it
# opens, as lxml writes it), its entities and blanks.
_LINK = '<a href="https://x.org/?a=1&amp;b=2" rel="nofollow">'
_TEXT = ["a", "b c", " ", "  ", "\n", "\t", "é", "\xa0", "&amp;", "&lt;", "&#38;", "&#x27;",
         "<i>x</i>", "<code>y z</code>", f"{_LINK}link</a>", f"<i>{_LINK}l</a> </i>",
         "http://news.ycombinator.com/item?id=4992618"]
# What may break the shape: blocks, other paragraph spellings, the marks' characters,
# code blocks, raw text, tags left open or closed twice.
_DAMAGE = ["<p>", "</p>", "<P>", "<p class=x>", "</ p>", "<div>", "</div>",
           '<div class="md">', "<blockquote>", "</blockquote>", "<br>", "<ul><li>", "</li>",
           "<pre><code>x\n</code></pre>", "<pre>", "\ue000", "&#57344;", "&#xE000;", "\x00",
           "\x01", "\r\n", "<!-- c -->", "<script>", "</lt-body>", "&nbsp;", "&", "<3",
           "<i>", "</i>", "</a>", _LINK, "<code>"]


def _run(rng: random.Random, damaged: bool) -> str:
    pieces = _TEXT + _DAMAGE if damaged and rng.random() < 0.5 else _TEXT
    return "".join(rng.choice(pieces) for _ in range(rng.randint(0, 5)))


def _led_body(rng: random.Random, damaged: bool) -> str:
    paragraphs = "".join(f"<p>{_run(rng, damaged)}</p>" + rng.choice(["", "\n", " "])
                         for _ in range(rng.randint(1, 4)))
    return _run(rng, damaged) + paragraphs + rng.choice(["", "\n", _run(rng, damaged)])


def test_led_paragraphs_read_as_beautifulsoup_reads_them() -> None:
    rng = random.Random(2012)
    unparsed = 0
    for _ in range(3000):
        fragments = [_led_body(rng, rng.random() < 0.4) for _ in range(rng.randint(1, 3))]
        assert bodies.texts(fragments) == bodies.soup_texts(fragments), fragments
        for f in fragments:
            assert bodies.text(f) == bodies.soup_text(f), f
            if bodies._unparsed(f) is not None:
                unparsed += 1
                assert bodies._is_plain(f), f  # texts() skips the test for such a body
    assert unparsed > 2000


def test_hn_story_text_as_lxml_writes_it_needs_no_parse() -> None:
    """The story text of item 4992617 (2012) as lxml serialises it, and as served."""
    lead = ("Please lead with the location of the position and include the keywords "
            "INTERN, REMOTE, or H1B if the corresponding sort of candidate is welcome.")
    rendered = (f'{lead}<p>Also see:</p><p>"Ask HN: Freelancer? Seeking freelancer?" '
                'http://news.ycombinator.com/item?id=4992618</p>')
    served = rendered.replace("</p>", "")
    text = (f'{lead}\n\nAlso see:\n\n"Ask HN: Freelancer? Seeking freelancer?" '
            "http://news.ycombinator.com/item?id=4992618")
    assert bodies._unparsed(rendered) == text == bodies.soup_text(rendered)
    assert bodies.text(served) == text
    # A block after the paragraphs, or a paragraph with attributes, is left to a parse.
    for other in (rendered + "<div>x</div>", rendered.replace("<p>", "<p class=x>", 1),
                  rendered.replace("</p>", "</p>tail", 1)):
        assert bodies._md_paragraphs(other) is None, other



def test_a_close_paragraph_is_never_hn_markup() -> None:
    """texts() reads a body that opens with its text (HN's) by ``_quick_text`` first
    even if it holds a ``</p>``: that reading must refuse it, and the Markdown reading
    after it give BeautifulSoup's text."""
    rng = random.Random(14)
    for _ in range(2000):
        f = _run(rng, True) + _led_body(rng, rng.random() < 0.5)
        if "</p>" not in f:
            continue
        assert bodies._quick_text(f) is None, f
        assert bodies.texts([f]) == bodies.soup_texts([f]), f
