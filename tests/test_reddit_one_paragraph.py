"""A Reddit body of one plain paragraph read by one match (``things.one_paragraph``)
gives ``shaped.shaped_text``'s text, and a page of bodies (``things._texts``)
``shaped.texts``' texts: random bodies around that shape (its wrapper, its
whitespace, what its run of text refuses, more paragraphs, tags, entities, damage),
and every comment body of the corpus's threads."""

from __future__ import annotations

import random

from scraper.parsers import shaped
from scraper.parsers.errors import ParseError
from scraper.parsers.reddit import thread
from scraper.parsers.reddit.things import _texts, one_paragraph
from tests.corpus import corpus_dir
from tests.hnpages import FETCHED_AT

URL = "https://www.reddit.com/r/x/comments/1/x/"

_PIECES = ["a", "word", " ", "  ", "\n", "\t", "\r", "\r\n", "\x0c", "\x0b", "\xa0",
           "\u2009", "\u3000", "é", "😀", "[deleted]", "1 > 0", "x=\"y\"", "'q'"]
# What the one match must refuse or leave to shaped_text: a tag, an entity, NUL, the
# paragraph mark, another block, the wrapper spelled otherwise. (Not a lone surrogate,
# which the reference cannot read: test_what_is_taken_and_refused has it.)
_ODD = ["<", ">", "&", "&amp;", "&#39;", "&nbsp;", "\x00", "\ue000", "<em>x</em>",
        "</p><p>", "</p>\n\n<p>", "<p>", "</p>", "<br>", "</div>", '<div class="md">',
        "<blockquote>", '<a href="x">y</a>', "<pre><code>c</code></pre>"]
_SPACE = ["", "", "\n", " ", "\t", "\r\n", "\n\n", "\xa0", "\x0c"]


def _body(rng: random.Random) -> str:
    text = "".join(rng.choice(_ODD if rng.random() < 0.04 else _PIECES)
                   for _ in range(rng.randint(0, 8)))
    body = (f'<div class="md">{rng.choice(_SPACE)}<p>{text}</p>{rng.choice(_SPACE)}'
            f'</div>{rng.choice(_SPACE)}')
    if rng.random() < 0.15:
        at = rng.randint(0, len(body))
        body = body[:at] + rng.choice(_ODD + _SPACE) + body[at:]
    if rng.random() < 0.05:
        body = body.replace('<div class="md">', rng.choice(['<div class="md" >', "",
                                                           ' <div class="md">']))
    return body


def _taken(body: str) -> bool:
    fast = one_paragraph(body)
    if fast is None:
        return False
    assert fast == shaped.shaped_text(body), body
    return True


def test_random_bodies_read_as_shaped_text_reads_them() -> None:
    rng = random.Random(41)
    seen = taken = 0
    for _ in range(3000):
        page = [_body(rng) for _ in range(rng.randint(1, 4))]
        assert _texts(page) == shaped.texts(page), page
        seen += len(page)
        taken += sum(map(_taken, page))
    assert seen * 0.9 > taken > seen * 0.25, (seen, taken)


def test_what_is_taken_and_refused() -> None:
    for body, text in {'<div class="md"><p>Test reply</p>\n</div>': "Test reply",
                       '<div class="md">\n<p> a \n\t b\xa0</p>\n</div>\n': "a b\xa0",
                       '<div class="md"><p></p></div>': ""}.items():
        assert one_paragraph(body) == text == shaped.shaped_text(body), body
    for body in ('<div class="md"><p>a &amp; b</p></div>', '<div class="md"><p>a</p>'
                 '<p>b</p></div>', '<div class="md"><p>a</p></div>x', "<p>a</p>",
                 '<div class="md"><p>a\x00</p></div>',
                 '<div class="md"><p>a\ud800</p></div>', '<div class="md"><p>\xa0</p>\xa0</div>'):
        assert one_paragraph(body) is None, body


def test_every_corpus_comment_body() -> None:
    seen = taken = 0
    for path in sorted(corpus_dir("reddit").glob("comments-*.json")):
        try:
            read = thread.parse_thread_pages([(URL, path.read_text(encoding="utf-8"))],
                                             fetched_at=FETCHED_AT)
        except ParseError:  # a deleted comment's permalink: no thread
            continue
        found = [c.text_html for c in read.comments if c.text_html is not None]
        assert _texts(found) == shaped.texts(found), path
        seen += len(found)
        taken += sum(map(_taken, found))
    assert seen > 1000 and taken > seen * 0.3, (seen, taken)
