"""HN rows whose vote link or comhead tag has its attributes parted by other blanks (HN's
server broke its long lines there: item-5002483's logged-in vote links) are read from
the bytes as lxml's walk reads them, and those parted by what libxml2 takes for no
blank are left to the walk or read the same."""

from __future__ import annotations

import random

import pytest

from scraper.parsers.hn import served_rows
from scraper.parsers.hn.text import container_starts
from tests.corpus import corpus_dir
from tests.test_served_rows import AT, _both_readings, _old_page, _rows

# Where the blanks go: before each attribute of the vote link, and in the comhead's tag.
_SPOTS = [" onclick=", " href=\"vote", "<span class=\"comhead\">"]
_BLANKS = ["\n    ", "\n", "\t", "\r\n", "  ", " \n ", "\xa0", "\f", "\x0b", "", "\u2003"]


def _parted(html: str, rng: random.Random) -> str:
    """The page with a few rows' vote links and comhead tags parted by other blanks."""
    for _ in range(rng.randint(1, 4)):
        spot = rng.choice(_SPOTS)
        places = []
        at = html.find(spot)
        while at >= 0:
            places.append(at)
            at = html.find(spot, at + 1)
        if not places:
            continue
        at = rng.choice(places)
        cut = at + (5 if spot.startswith("<span") else 0)  # the blank after "<span"
        html = html[:cut] + rng.choice(_BLANKS) + html[cut + 1:]
    return html


def _pages() -> list[str]:
    folder = corpus_dir("hn")
    names = ("item-5002483.html", "item-3412900.html", "item-4992617.html", "item-9342369.html")
    return [_old_page(30, 1)] + [(folder / n).read_text(encoding="utf-8") for n in names]


def test_the_wrapped_logged_in_page_is_read_from_the_bytes() -> None:
    html = (corpus_dir("hn") / "item-5002483.html").read_text(encoding="utf-8")
    assert "\n    href=\"vote" in html and "<span\n    class=\"comhead\">" in html
    served, walked = _both_readings(html)
    assert served == walked and len(served) == 9


@pytest.mark.parametrize("seed", range(3))
def test_parted_rows_read_as_the_walk(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(seed)
    pages = _pages()
    taken = declined = 0
    for _ in range(60):
        html = _parted(rng.choice(pages), rng)
        walked = _rows(html, served=False, monkeypatch=monkeypatch)
        if walked is None:
            continue
        assert _rows(html, served=True, monkeypatch=monkeypatch) == walked
        lo = 0
        for start in (pos for pos, _ in container_starts(html)):
            read = served_rows.read_served(html, lo, start, fetched_at=AT)
            taken += read is not None
            declined += read is None
            lo = start
    assert taken > 1000 and declined > 0
