"""The collector paused for a parse: off inside, back on after, left off by a nested
pause and by a parse that fails, and never switched on where it was off before."""

from __future__ import annotations

import gc

import pytest

from scraper.parsers.errors import ParseError, gc_paused, parser_entry


def test_paused_inside_and_back_after_nested() -> None:
    assert gc.isenabled()
    with gc_paused():
        assert not gc.isenabled()
        with gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the inner one leaves it to the outer
    assert gc.isenabled()


def test_back_after_an_error() -> None:
    with pytest.raises(ValueError), gc_paused():
        raise ValueError("boom")
    assert gc.isenabled()


def test_left_off_where_it_was_off() -> None:
    gc.disable()
    try:
        with gc_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_parser_entry_pauses_and_resumes() -> None:
    seen: list[bool] = []

    @parser_entry("hn")
    def parse(*, url: str) -> None:
        seen.append(gc.isenabled())
        raise KeyError("x")

    with pytest.raises(ParseError, match="unreadable page"):
        parse(url="https://news.ycombinator.com/item?id=1")
    assert seen == [False]
    assert gc.isenabled()
