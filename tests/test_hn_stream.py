"""A big HN page read as it streams (``hn.stream``) gives the records, or the error, that
reading its whole tree gives: every corpus page, generated pages of both markups, their
continuation pages, and damaged copies of them."""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path

import pytest

from scraper.parsers import hn
from scraper.parsers.errors import ParseError
from scraper.parsers.hn import item_rows, stream
from scraper.parsers.hn.text import container_starts
from tests import hnpages
from tests.corpus import corpus_dir
from tests.test_parser_fuzz import mutate


def _outcome(parse: Callable[[], object]) -> object:
    try:
        return parse()
    except ParseError as exc:
        return f"{type(exc).__name__}: {exc}"


def both_readings(html: str, url: str, monkeypatch: pytest.MonkeyPatch,
                  story_id: str | None = None) -> tuple[object, object]:
    def parse() -> object:
        return hn.parse_item_page(html, url=url, fetched_at=hnpages.FETCHED_AT,
                                  story_id=story_id)

    with monkeypatch.context() as m:
        m.setattr(stream, "MIN_SIZE", 0)
        streamed = _outcome(parse)
    with monkeypatch.context() as m:
        m.setattr(stream, "MIN_SIZE", 10**12)
        whole = _outcome(parse)
    return streamed, whole


def streams(html: str, url: str) -> bool:
    """Whether the page is read as it streams (not handed to the whole reading)."""
    return stream.read_rows(html, container_starts(html), url=url, fetched_at=hnpages.FETCHED_AT,
                            read_row=item_rows.read_comment) is not None


def _item_pages() -> list[Path]:
    return sorted(corpus_dir("hn").glob("item-*.html"))


def test_every_corpus_item_page(monkeypatch: pytest.MonkeyPatch) -> None:
    streamed_pages = 0
    for path in _item_pages():
        html = path.read_text(encoding="utf-8")
        sid = path.stem.split("-")[1]
        url = f"https://news.ycombinator.com/item?id={sid}"
        streamed, whole = both_readings(html, url, monkeypatch, story_id=sid)
        assert streamed == whole, path.name
        streamed_pages += streams(html, url)
    assert streamed_pages >= 15  # the fast path is the one taken, not the fallback


@pytest.mark.parametrize("era", ["modern", "old"])
@pytest.mark.parametrize("per_page", [10**9, 300])
def test_generated_pages(era: str, per_page: int, monkeypatch: pytest.MonkeyPatch) -> None:
    thread = hnpages.random_thread(900, seed=5)
    pages = hnpages.site_pages(thread, era=era, per_page=per_page)
    for path, html in pages.items():
        url = "https://news.ycombinator.com" + path
        streamed, whole = both_readings(html, url, monkeypatch, story_id=thread.story_id)
        assert streamed == whole
        assert not isinstance(streamed, str), streamed
        assert streams(html, url)


def test_damaged_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(14)
    thread = hnpages.random_thread(120, seed=6)
    for era in ("modern", "old"):
        html = hnpages.site_pages(thread, era=era)[f"/item?id={thread.story_id}"]
        url = f"https://news.ycombinator.com/item?id={thread.story_id}"
        for _ in range(40):
            broken, _, what = mutate(rng, html)
            streamed, whole = both_readings(broken, url, monkeypatch)
            assert streamed == whole, what


def test_rows_are_dropped_as_they_are_read() -> None:
    thread = hnpages.random_thread(300, seed=7)
    html = hnpages.site_pages(thread)[f"/item?id={thread.story_id}"]
    url = f"https://news.ycombinator.com/item?id={thread.story_id}"
    read = stream.read_rows(html, container_starts(html), url=url,
                            fetched_at=hnpages.FETCHED_AT, read_row=item_rows.read_comment)
    assert read is not None and len(read.rows) == 300
    # Only the first row and the last (read as the page ended) keep their comment.
    left = [e for e in read.doc.iter("div") if e.get("class") == "comment"]
    assert len(left) == 2 and left[0] is read.first
