"""A chained row read in one match (``served_rows.read_served``) reads as the row, its
wrapper and its body matched one by one (``read_served_apart``): on every corpus item
page, on generated pages of 2010-16 markup, and on those pages damaged at random near
their rows (fixed seeds), row by row along the page's chain."""

from __future__ import annotations

import random

import pytest

from scraper.parsers.hn import served_rows
from scraper.parsers.hn.text import colour_code, container_starts
from tests import hnpages
from tests.corpus import corpus_dir

AT = hnpages.FETCHED_AT

# Pieces a damaged row may gain or lose: the markup the two readings key on.
_PIECES = ("<", ">", '"', "'", " ", "\n", "</td>", "</tr>", "<tr>", "<br>", "<p>", "</p>",
           "</span>", "</font>", "<span class=\"comment\">", "<div class=\"comment\">",
           "<span class=\"c00\">", "<font color=#000000>", "<a href=\"x\">", "</a>",
           "<i>", "<pre>", "s.gif", "width=41", "width=\"80\"", "&amp;", "x", "</div>",
           "<span class='storyon'></span>", "<font size=1>", "class=comment>")


def _compare(html: str) -> int:
    """Every row read both ways along the chain the reference reads; how many rows the
    one-match reading took."""
    seen_a: served_rows.Seen = {}
    seen_b: served_rows.Seen = {}
    lo, after, fast = 0, -1, 0
    for start, _ in container_starts(html):
        one = served_rows.read_served(html, lo, start, after=after, fetched_at=AT, seen=seen_a)
        apart = served_rows.read_served_apart(html, lo, start, after=after, fetched_at=AT,
                                              seen=seen_b)
        assert one == apart, (start, one, apart)
        if one is not None and one[1]:
            fast += 1
        lo = start
        after = apart[2] if apart is not None else -1
    return fast


def _old_page(n: int, seed: int) -> str:
    thread = hnpages.random_thread(n, seed=seed)
    return hnpages.site_pages(thread, era="old")[f"/item?id={thread.story_id}"]


def _damaged(html: str, rng: random.Random) -> str:
    starts = [pos for pos, _ in container_starts(html)]
    for _ in range(rng.randint(1, 6)):
        at = rng.choice(starts) + rng.randint(-700, 400)
        at = max(0, min(len(html), at))
        cut = rng.randint(0, 12) if rng.random() < 0.5 else 0
        html = html[:at] + rng.choice(_PIECES) * (rng.random() < 0.8) + html[at + cut:]
    return html


def test_generated_pages_read_alike_and_mostly_in_one_match() -> None:
    for seed in range(1, 5):
        html = _old_page(80, seed)
        assert _compare(html) > 40


def test_corpus_pages_read_alike() -> None:
    folder = corpus_dir("hn")
    fast = 0
    for path in sorted(folder.glob("item-*.html")):
        fast += _compare(path.read_text(encoding="utf-8"))
    assert fast > 300  # the 2010-16 pages' rows: the one-match reading was taken


@pytest.mark.parametrize("seed", range(6))
def test_damaged_pages_read_alike(seed: int) -> None:
    rng = random.Random(seed)
    bases = [_old_page(40, s) for s in (1, 2)]
    try:
        folder = corpus_dir("hn")
        bases += [(folder / n).read_text(encoding="utf-8")
                  for n in ("item-6561358.html", "item-3412900.html", "item-9342369.html")
                  if (folder / n).is_file()]
    except pytest.skip.Exception:
        pass
    for _ in range(60):
        _compare(_damaged(rng.choice(bases), rng))


def test_a_wrappers_colour_is_text_colour_code() -> None:
    rng = random.Random(7)
    digits = "0123456789abcdefABCDEF"
    for _ in range(2000):
        code = "".join(rng.choice(digits) for _ in range(6))
        shown = rng.choice((f"#{code}", f'"#{code}"'))
        tag = f'<font color={shown}>' if rng.random() < 0.5 else f'<span class="c{code[:2]}">'
        m = served_rows._WRAPPER.match(tag)
        assert m is not None
        cls, hex_ = m.group("cls", "hex")
        want = (colour_code("class", cls) if cls is not None
                else colour_code("color", hex_.strip('"')))
        got = served_rows._fields(40, "a", "1 day ago", "1", "x", cls, hex_, AT, None)
        assert got["colour"] == want
