"""The one-match reading of a chained row (``served_rows._CHAINED_BODY``) takes its vote
and reply hrefs to their quote by ``[^"]*+`` and rules out a "<" or ">" in them after the
match: it reads as the row matched apart (``read_served_apart``, whose patterns keep the
class ``[^"<>]``) on pages whose hrefs were given "<", ">", quotes and the row's other
markup at random (fixed seeds), and takes most rows of them in one match."""

from __future__ import annotations

import random
import re

import pytest

from scraper.parsers.hn import served_rows
from tests.corpus import corpus_dir
from tests.test_hn_chained_rows import _compare, _old_page

_HREF = re.compile(r'href="(?:vote|reply)\?')
_INSERTS = ("<", ">", "<>", '"', "'", "&amp;", "&", " ", "\n", '">', "<b>", "</a>", "x")


def _bases() -> list[str]:
    bases = [_old_page(40, s) for s in (1, 3)]
    try:
        folder = corpus_dir("hn")
    except pytest.skip.Exception:
        return bases
    # Logged in (auth tokens in the vote links), logged out, and the wrapped vote links.
    return bases + [(folder / n).read_text(encoding="utf-8")
                    for n in ("item-4992617.html", "item-6561358.html", "item-5002483.html")
                    if (folder / n).is_file()]


def _spoilt(html: str, rng: random.Random) -> str:
    """Up to six of the page's vote and reply hrefs with a piece put inside each."""
    hrefs = [m.end() for m in _HREF.finditer(html)]
    for at in sorted(rng.sample(hrefs, min(len(hrefs), rng.randint(1, 6))), reverse=True):
        end = html.find('"', at)
        put = rng.randint(at, end if end >= 0 else at)
        html = html[:put] + rng.choice(_INSERTS) + html[put:]
    return html


def test_pages_read_alike_and_through_the_one_match() -> None:
    for html in _bases():
        assert "vote?" in html
        assert _compare(html) > 5


@pytest.mark.parametrize("seed", range(4))
def test_spoilt_hrefs_read_alike(seed: int) -> None:
    rng = random.Random(seed)
    bases = _bases()
    fast = 0
    for _ in range(40):
        fast += _compare(_spoilt(rng.choice(bases), rng))
    assert fast > 200  # the rows around the spoilt ones still read in one match


def test_a_href_with_an_angle_bracket_is_refused_by_the_check() -> None:
    assert served_rows._hrefs_plain(None, None)
    assert served_rows._hrefs_plain("id=1&whence=x", "for=1&dir=up")
    for bad in ("a<b", "a>b", "<", ">"):
        assert not served_rows._hrefs_plain(bad, None)
        assert not served_rows._hrefs_plain(None, bad)
