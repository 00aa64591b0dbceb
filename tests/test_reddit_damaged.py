"""Damaged Reddit answers: any value replaced by one of the wrong type or an impossible
one, any answer cut short, gives a ParseError or a thread whose every comment has an
id, a place and a parent in the thread or named by Reddit; never another exception."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime
from typing import Any

import pytest

from scraper.parsers.errors import ParseError
from scraper.parsers.reddit.listing import parse_listing
from scraper.parsers.reddit.thread import parse_thread_pages
from tests.redditpages import Cut, comments_page, generate_thread, listing_page, morechildren_page

NOW = datetime(2026, 1, 2, tzinfo=UTC)
EVIL: tuple[Any, ...] = (None, "", [], {}, "x", -1, 0, True, 1e308, -1e308, "9" * 400,
                         {"kind": "Listing"}, [{"kind": "t1"}], "t1_", "t3_", "_")


def _nodes(obj: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [path]
    if isinstance(obj, dict):
        for k, v in obj.items():
            out += _nodes(v, (*path, k))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            out += _nodes(v, (*path, i))
    return out


def _damaged(text: str, rng: random.Random) -> str:
    obj = json.loads(text)
    for _ in range(rng.randint(1, 4)):
        path = rng.choice(_nodes(obj)[1:])
        holder = obj
        for step in path[:-1]:
            holder = holder[step]
        holder[path[-1]] = rng.choice(EVIL)
    body = json.dumps(obj)
    return body[:rng.randrange(len(body))] if rng.random() < 0.1 else body


@pytest.mark.parametrize("seed", range(6))
def test_a_damaged_thread_is_an_error_or_a_consistent_thread(seed: int) -> None:
    rng = random.Random(seed)
    g = generate_thread(60, seed=seed)
    first = comments_page(g, Cut(top_limit=10, child_limit=2))
    more = morechildren_page(g, [c.id for c in g.comments[30:40]])
    for _ in range(60):
        pages = [("http://x/comments/a", _damaged(first, rng)),
                 ("http://x/api/morechildren", _damaged(more, rng) if rng.random() < 0.5
                  else more)]
        try:
            thread = parse_thread_pages(pages, fetched_at=NOW)
        except ParseError as e:
            assert "\n" not in str(e)
            continue
        ids = [c.id for c in thread.comments]
        assert len(ids) == len(set(ids)) and all(ids)
        assert all(c.depth >= 0 and c.position >= 0 for c in thread.comments)


@pytest.mark.parametrize("seed", range(3))
def test_a_damaged_listing_is_an_error_or_a_ranked_page(seed: int) -> None:
    rng = random.Random(seed)
    text = listing_page([f"p{i}" for i in range(20)], after="t3_p19")
    for _ in range(80):
        try:
            page = parse_listing(_damaged(text, rng), url="http://x/r/a/hot", fetched_at=NOW)
        except ParseError:
            continue
        assert [e.rank for e in page.entries] == list(range(1, len(page.entries) + 1))
