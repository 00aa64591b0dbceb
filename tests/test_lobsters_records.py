"""Lobsters' comments built by slot stores (scraper/parsers/lobsters/records.py) are the
records Comment's own constructor builds, field for field, on every corpus story JSON
and on generated ones."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pytest

from archive.models import Comment
from scraper.parsers.lobsters import parse_story, records
from scraper.parsers.lobsters.common import decoded
from tests.corpus import corpus_dir
from tests.lobsterspages import Node, story_json

AT = datetime(2026, 12, 3, tzinfo=UTC)


def both(text: str, url: str) -> tuple[object, object]:
    decoded.cache_clear()
    fast = parse_story(text, url=url, fetched_at=AT)
    stored = records.new_comment
    records.new_comment = records.by_keywords
    try:
        decoded.cache_clear()
        plain = parse_story(text, url=url, fetched_at=AT)
    finally:
        records.new_comment = stored
    return fast, plain


def test_the_stores_fill_every_slot_of_comment() -> None:
    assert records.new_comment is records._by_stores  # Comment's slots are the twin's
    assert tuple(f.name for f in dataclasses.fields(Comment)) == records._STORED


def test_corpus_stories_get_the_keyword_built_comments() -> None:
    pages = sorted(corpus_dir("lobsters").glob("story-*.json"))
    assert pages
    for path in pages:
        fast, plain = both(path.read_text(encoding="utf-8"), "https://lobste.rs/s/x.json")
        assert fast == plain, path.name
        assert repr(fast) == repr(plain), path.name
        assert all(type(c) is Comment for c in fast.thread.comments)  # type: ignore[attr-defined]


@pytest.mark.parametrize("seed", range(3))
def test_generated_stories_get_the_keyword_built_comments(seed: int) -> None:
    nodes = [Node(f"c{seed}{i:04d}", user=f"u{i % 3}", text=f"<p>comment {i}</p>",
                  edited=i % 4 == 1, gone="Comment removed by author" if i == 5 else None)
             for i in range(12)]
    fast, plain = both(story_json(nodes), "https://lobste.rs/s/abc123.json")
    assert fast == plain
    comment = fast.thread.comments[0]  # type: ignore[attr-defined]
    with pytest.raises(dataclasses.FrozenInstanceError):
        comment.score = 3  # type: ignore[misc]
