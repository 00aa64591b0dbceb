"""The listing's next-link search reads every link's href by one XPath (``_HREFS``); held
here to the links' walk it replaced, on the corpus's HTML pages and damaged copies."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from scraper.parsers.errors import ParseError
from scraper.parsers.lobsters.common import html_doc
from scraper.parsers.lobsters.listing import _HREFS
from tests.lobsters_splice import damaged_pages

_CORPUS = Path(os.environ.get("LINKTHREAD_CORPUS", "/nonexistent")) / "lobsters"
_PAGES = sorted(_CORPUS.glob("*.html")) if _CORPUS.is_dir() else []
_INSERTS = ['<a>', '<a href="">', '<a href="/page/2">x</a>', '<A HREF="/newest/page/3">',
            '<!-- <a href="/page/9"> -->', '<a name="page">', '<svg><a href="/page/4"/></svg>',
            '<a href="?q=x&amp;page=2">', '</a>', '<a href=page>', '<p><a  href = "/t/x/page/2" >']


def _both(text: str) -> tuple[list[str], list[str]]:
    """(the XPath's hrefs, the walk's), of one tree; ([], []) where there is none."""
    try:
        doc = html_doc(text, url="https://lobste.rs/", checked=True)
    except ParseError:
        return [], []
    walked = [h for h in (a.get("href") for a in doc.iter("a")) if h is not None]
    return list(_HREFS(doc)), walked


@pytest.mark.skipif(not _PAGES, reason="no corpus (LINKTHREAD_CORPUS)")
@pytest.mark.parametrize("path", _PAGES, ids=lambda p: p.name)
def test_hrefs_match_the_walk_on_the_corpus(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    read, walked = _both(text)
    assert any("page" in h for h in walked) or "front" not in path.name
    assert read == walked


@pytest.mark.skipif(not _PAGES, reason="no corpus (LINKTHREAD_CORPUS)")
def test_hrefs_match_the_walk_on_damaged_pages() -> None:
    compared = 0
    for text in damaged_pages(14, 300, _PAGES, _INSERTS, most=6, drop=0.3):
        read, walked = _both(text)
        assert read == walked
        compared += bool(walked)
    assert compared > 250
