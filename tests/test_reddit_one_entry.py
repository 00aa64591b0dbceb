"""``parse_thread_pages`` calls its steps without their own parser entries (one entry
a parse, not three): an error no check names still comes out as the ParseError the
steps' entries gave, naming the page (placing an answer) or "?" (the thread)."""

from __future__ import annotations

import pytest

from scraper.parsers.errors import ParseError
from scraper.parsers.reddit import thread
from tests.corpus import corpus_dir
from tests.hnpages import FETCHED_AT

URL = "https://www.reddit.com/r/x/comments/4b1tfm/x/"


def _page() -> str:
    return (corpus_dir("reddit") / "comments-4b1tfm-small-deleted.json").read_text(
        encoding="utf-8")


def _raised(fn: object) -> ParseError:
    with pytest.raises(ParseError) as caught:
        fn()  # type: ignore[operator]
    return caught.value


def test_a_fault_placing_an_answer_names_the_page(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(text: str, *, url: str) -> object:
        raise KeyError("data")

    monkeypatch.setattr(thread, "read_json", broken)
    page = _page()
    ours = _raised(lambda: thread.parse_thread_pages([(URL, page)], fetched_at=FETCHED_AT))
    entered = _raised(lambda: thread.ThreadPages().add(page, url=URL))
    assert (type(ours), str(ours), ours.url) == (type(entered), str(entered), URL)
    assert str(ours) == f"reddit: {URL}: unreadable page (KeyError: 'data')"
    assert isinstance(ours.__cause__, KeyError)


def test_a_fault_building_the_thread_names_no_page(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> object:
        raise ValueError("a  broken\nstep")

    page = _page()
    pages = thread.ThreadPages()
    pages.add(page, url=URL)
    monkeypatch.setattr(thread, "_thread", broken)
    ours = _raised(lambda: thread.parse_thread_pages([(URL, page)], fetched_at=FETCHED_AT))
    entered = _raised(lambda: pages.thread(fetched_at=FETCHED_AT))
    assert (type(ours), str(ours)) == (type(entered), str(entered))
    assert str(ours) == "reddit: ?: unreadable page (ValueError: a broken step)"
    assert isinstance(ours.__cause__, ValueError)


def test_a_parse_error_passes_as_it_is() -> None:
    ours = _raised(lambda: thread.parse_thread_pages([(URL, "[1, 2")], fetched_at=FETCHED_AT))
    assert str(ours) == f"reddit: {URL}: the JSON stops before its end"
