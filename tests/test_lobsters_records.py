"""Lobsters' comments built by slot stores (scraper/parsers/comment_stores.py) are the
records Comment's own constructor builds, field for field, on every corpus story JSON
and on generated ones."""

from __future__ import annotations

import dataclasses
import random
from datetime import UTC, datetime

import pytest

from archive.models import Comment
from scraper.parsers import comment_stores as records
from scraper.parsers import parents
from scraper.parsers.lobsters import parse_story
from scraper.parsers.lobsters.common import decoded, leftovers, user_name
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


def test_corpus_stories_json_and_html_get_the_keyword_built_comments() -> None:
    pages = sorted(corpus_dir("lobsters").glob("story-*.*"))
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


def reference_leftovers(obj: dict[str, object], used: frozenset[str]) -> object:
    """``leftovers`` as it was before its key sets were remembered (2026-12-03)."""
    left = {k: v for k, v in obj.items() if k not in used}
    for k, v in left.items():
        if isinstance(v, dict) and "username" in v:
            left[k] = user_name(v)
    return left or None


def test_leftovers_are_the_reference_ones_whatever_the_keys_and_their_order() -> None:
    rng = random.Random(5)
    names = ["short_id", "url", "score", "flags", "user", "a", "b", "c", "username"]
    used_sets = [frozenset(), frozenset(names[:3]), frozenset(names[2:7]), frozenset(names)]
    values: list[object] = [1, None, "x", [], {"username": "bob"}, {"username": 3}, {"k": 1}]
    for _ in range(5_000):  # more key orders than the remembered ones: the bound is hit
        obj = {k: rng.choice(values) for k in rng.sample(names, rng.randint(0, len(names)))}
        used = rng.choice(used_sets)
        got = leftovers(obj, used)
        assert got == reference_leftovers(obj, used), (obj, used)
        assert list(got or ()) == list(reference_leftovers(obj, used) or ())  # type: ignore[call-overload]
        assert got is None or got is not leftovers(obj, used)  # a fresh dict each time
    assert leftovers({"a": 1}, ["b"]) == {"a": 1}  # any iterable of names


def test_rows_and_places_built_by_stores_are_the_frozen_records() -> None:
    assert parents._FAST  # Row's and Place's slots are the ones the builders store
    row = parents.new_row("abc", parents.UNKNOWN, 2)
    assert type(row) is parents.Row and row == parents.Row("abc", parents.UNKNOWN, 2)
    assert hash(row) == hash(parents.Row("abc", parents.UNKNOWN, 2))
    with pytest.raises(dataclasses.FrozenInstanceError):
        row.depth = 3  # type: ignore[misc]
    rng = random.Random(8)
    for _ in range(300):
        rows, open_ids = [], []
        for i in range(rng.randint(0, 30)):
            depth = rng.randint(0, len(open_ids))
            del open_ids[depth:]
            parent = rng.choice([open_ids[-1] if open_ids else None, parents.UNKNOWN])
            rows.append((f"r{i}", parent, rng.choice([depth, None]) if parent is not
                         parents.UNKNOWN else depth))
            open_ids.append(f"r{i}")
        fast = parents.place([parents.new_row(*r) for r in rows], site="x", url="u")
        parents._FAST = False
        try:
            plain = parents.place([parents.new_row(*r) for r in rows], site="x", url="u")
        finally:
            parents._FAST = True
        assert fast == plain and all(type(p) is parents.Place for p in fast)
        assert [hash(p) for p in fast] == [hash(p) for p in plain]
