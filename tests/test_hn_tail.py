"""A row's close in ``served_rows`` (``_TAIL``: HN's usual closes tried first as text,
then the loop of tags) matches what the loop alone matched: the same end or none, and
the chained row the same groups, on random closes of HN's pieces (fixed seeds) and at
every close on the corpus's item pages and generated old pages."""

from __future__ import annotations

import re

from scraper.parsers.hn import served_rows as sr
from tests import hnpages
from tests.corpus import corpus_dir
from tests.pieces import joined

# The reference: the tail as it was, its tags one by one.
_LOOP_TAIL = re.compile(sr._TAIL_LOOP + sr._TAIL_END)
_NEW_TAIL = re.compile(sr._TAIL)
_LOOP_CHAINED = re.compile(sr._TAIL_LOOP + sr._TAIL_END + sr._ROW)

_PIECES = [
    "</font>", "</span>", "<p>", "<font size=1>", '<font size="1">', "<font size=2>", "<u>",
    "</u>", '<a href="reply?id=12&whence=%69">', '<a href="reply?id=12&amp;goto=item%3F">',
    '<a href="reply?id=1"', '<a href="replay?id=1">', "reply", "repl", "</a>",
    "<font color=#f6f6ef>", "<font color=#f6f6ee>", '<font color="#f6f6ef">', "-----", "----",
    "</font></span><p><font size=1>", "</font></span><p><font size=1><u>",
    '<u><a href="reply?id=5&whence=x">reply</a></u></font>',
    "<font color=#f6f6ef>-----</font></font>", "</td>", "</tr>", "</table>",
    "</td></tr></table></td></tr>", " ", "\n", "x", "<", ">", '"', "<br>", "<div>", "</div>",
    "<i>", "<b>", "<a>", "<span class=x>",
]


def _same(text: str, at: int = 0) -> None:
    want = _LOOP_TAIL.match(text, at)
    got = _NEW_TAIL.match(text, at)
    assert (got and got.end()) == (want and want.end()), repr(text[at:at + 300])


def test_random_closes() -> None:
    matched = 0
    for rng, text in joined(_PIECES, seeds=range(4), each=8000, most=12):
        if rng.random() < 0.7:
            text += "</td></tr></table></td></tr>" + rng.choice(["", " ", "<tr>"])
        _same(text)
        matched += _LOOP_TAIL.match(text) is not None
    assert 2000 < matched < 30000


def _pages() -> list[str]:
    pages = [p.read_text(encoding="utf-8") for p in sorted(corpus_dir("hn").glob("item-*.html"))]
    for seed in (1, 2):
        thread = hnpages.random_thread(60, seed=seed)
        pages.append(hnpages.site_pages(thread, era="old")[f"/item?id={thread.story_id}"])
    return pages


def test_every_close_on_the_pages() -> None:
    closes = chained = 0
    for html in _pages():
        at = html.find("</")
        while at >= 0:
            _same(html, at)
            want = _LOOP_CHAINED.match(html, at)
            got = sr._CHAINED.match(html, at)
            assert (got and (got.end(), got.groups())) == (want and (want.end(), want.groups()))
            closes += 1
            chained += want is not None
            at = html.find("</", at + 2)
    assert closes > 20000 and chained > 800, (closes, chained)
