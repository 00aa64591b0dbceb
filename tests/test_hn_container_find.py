"""``text.container_starts`` (each "comment" found by str.find, the class regex tried
only at the last "class" before it) finds what the regex's own scan of the page found:
the same offsets and lines, on every HN corpus page, generated pages of both markups,
pages damaged at random and random strings of the containers' pieces (fixed seeds)."""

from __future__ import annotations

import random

from scraper.parsers.hn import text
from tests import hnpages
from tests.corpus import corpus_dir
from tests.pieces import joined


def by_regex(html: str) -> list[tuple[int, int]]:
    """The reference: the class regex's scan of the whole page, its tag checked behind."""
    out = []
    line, last = 1, 0
    for m in text._CONTAINER_CLASS.finditer(html):
        start = html.rfind("<", last, m.start())
        if start < 0 or text._CONTAINER_TAG.fullmatch(html, start, m.start()) is None:
            continue
        line += html.count("\n", last, start)
        last = start
        out.append((m.end(), line))
    return out


_PIECES = ["comment", "class", "class=", 'class="comment">', "class='comment'>",
           "class=comment>", "class = comment >", '"', "'", "=", " ", "\n", "\t", "\u2003",
           "<", ">", "<span ", "<div ", "<span\n", "<spam ", "<div  ", "<p ", "x",
           "comments", "commentclass", "subclass=", '<span class="comment">',
           '<div class="comment">', "é", "\x00", "c"]


_EDGES = ['comment"><span class="', 'comment">x<span class="', '<span comment"><span class="',
          '<div class="comment">', 'class="comment">', '<span class="comment">',
          '<span class="comment"><span class="comment">', "<span class=\ncomment\n>"]


def test_edges() -> None:
    for html in _EDGES:
        assert text.container_starts(html) == by_regex(html), repr(html)


def test_random_pieces() -> None:
    found = 0
    for _, html in joined(_PIECES, seeds=range(4), each=10000, most=20):
        want = by_regex(html)
        assert text.container_starts(html) == want, repr(html)
        found += bool(want)
    assert 5000 < found < 35000


def _damaged(html: str, rng: random.Random) -> str:
    """The page with a few cuts and pieces put in near its containers."""
    spots = [i for i in range(len(html)) if html.startswith("comment", i)] or [0]
    for _ in range(rng.randint(1, 8)):
        at = max(0, rng.choice(spots) + rng.randint(-12, 12))
        if rng.random() < 0.4:
            html = html[:at] + html[at + rng.randint(1, 6):]
        else:
            html = html[:at] + rng.choice(_PIECES) + html[at:]
    return html


def _pages() -> list[str]:
    pages = [p.read_text(encoding="utf-8") for p in sorted(corpus_dir("hn").glob("*.html"))]
    for n, era in ((7, "modern"), (7, "old"), (100, "modern"), (100, "old")):
        thread = hnpages.random_thread(n, seed=n)
        pages.append(hnpages.site_pages(thread, era=era)[f"/item?id={thread.story_id}"])
    return pages


def test_pages_and_damaged_pages() -> None:
    pages = _pages()
    rows = 0
    for html in pages:
        want = by_regex(html)
        assert text.container_starts(html) == want
        rows += len(want)
    assert rows > 1200
    for seed in range(3):
        rng = random.Random(100 + seed)
        for html in pages:
            for _ in range(4):
                bad = _damaged(html, rng)
                assert text.container_starts(bad) == by_regex(bad)
