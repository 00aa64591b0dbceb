"""``detect_words``'s flag, which spares the listing's story-page test its two scans,
held to the scans themselves ("comments_subtree" / "story_text" in the text) on the
corpus's HTML pages and on copies with the words spliced in and the pages cut."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from scraper.parsers import lobsters
from scraper.parsers.errors import ParseError
from scraper.parsers.lobsters.detect import detect_checked, detect_words
from tests.lobsters_splice import damaged_pages

_CORPUS = Path(os.environ.get("LINKTHREAD_CORPUS", "/nonexistent")) / "lobsters"
_PAGES = sorted(_CORPUS.glob("*.html")) if _CORPUS.is_dir() else []
_SPLICES = ["comments_subtree", "story_text", "_story_text_", "story_comments_subtree",
            '<li class="a comments_subtree">', '<div class="story_text x">',
            '<div class="story_text">', 'id="story_comments"', "comments_", "story_",
            "_text", "labelled_grid'", "story_text'", "subtree", "comments__subtree"]
_AT = datetime(2026, 12, 7, tzinfo=UTC)


def _scanned(text: str) -> bool:
    return "comments_subtree" in text or "story_text" in text


def _held(text: str) -> None:
    kind, words = detect_words(text)
    assert kind == detect_checked(text)
    if kind not in ("story-html", "story-json", "listing-json", "user-json"):
        assert words == _scanned(text), text[:200]


@pytest.mark.skipif(not _PAGES, reason="no corpus (LINKTHREAD_CORPUS)")
@pytest.mark.parametrize("path", _PAGES, ids=lambda p: p.name)
def test_the_flag_is_the_scans_on_the_corpus(path: Path) -> None:
    _held(path.read_text(encoding="utf-8"))


@pytest.mark.skipif(not _PAGES, reason="no corpus (LINKTHREAD_CORPUS)")
def test_the_flag_is_the_scans_on_spliced_pages() -> None:
    flagged = 0
    for text in damaged_pages(1414, 600, _PAGES, _SPLICES, most=3, cut_end=0.2):
        _held(text)
        flagged += detect_words(text)[1]
    assert flagged > 100


@pytest.mark.skipif(not _PAGES, reason="no corpus (LINKTHREAD_CORPUS)")
@pytest.mark.parametrize("marker", ['<li class="a comments_subtree"></li>',
                                    '<div class="x story_text">y</div>'])
def test_a_listing_with_a_story_pages_class_is_still_refused(marker: str) -> None:
    fronts = [p for p in _PAGES if p.name.startswith(("front-", "search-"))]
    assert fronts
    for path in fronts:
        text = path.read_text(encoding="utf-8")
        lobsters.parse_listing(text, url="https://lobste.rs/", fetched_at=_AT)
        at = text.index("</ol>")
        damaged = text[:at] + marker + text[at:]
        with pytest.raises(ParseError, match="a story page"):
            lobsters.parse_listing(damaged, url="https://lobste.rs/", fetched_at=_AT)
