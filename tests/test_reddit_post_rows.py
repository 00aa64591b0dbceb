"""A listing's posts read straight into entries give what the full Story reading
(``things.story_from``, then the entry of that Story) gave."""

from __future__ import annotations

import json
import random
from typing import Any

from archive.models import ListingEntry
from scraper.parsers.reddit.post_rows import post_entry
from scraper.parsers.reddit.things import story_from
from tests.corpus import corpus_dir
from tests.hnpages import FETCHED_AT


def _reference(data: dict[str, Any], rank: int) -> ListingEntry | None:
    story = story_from(data, fetched_at=FETCHED_AT, source="api")
    if not story.id:
        return None
    return ListingEntry(
        site=story.site, story_id=story.id, rank=rank, title=story.title, url=story.url,
        domain=story.domain, author=story.author, score=story.score,
        comment_count=story.comment_count, created_at=story.created_at,
        created_at_raw=story.created_at_raw, kind=story.kind)


def test_corpus_listings_read_alike() -> None:
    seen = 0
    for path in sorted(corpus_dir("reddit").glob("listing-*.json")):
        obj = json.loads(path.read_text(encoding="utf-8"))
        for i, thing in enumerate(obj["data"]["children"]):
            assert post_entry(thing["data"], i + 1) == _reference(thing["data"], i + 1)
            seen += 1
    assert seen >= 20


def test_odd_posts_read_alike() -> None:
    values: dict[str, list[object]] = {
        "id": ["abc", "t3_abc", "", None, 5, "t3_"],
        "name": ["t3_xyz", None, ""],
        "title": ["A title", "", None, 3],
        "url": ["https://www.a.com/x", "", None, 7, "https://B.org:81/", "/r/x/comments/1/",
                "https://i.redd.it/x.png", "https://x.org%25Z/"],
        "is_self": [False, True, None, "true", 1],
        "author": ["alice", "[deleted]", "", None, 4],
        "created_utc": [1409875200.0, 1409875200, "1409875200", "", None, True, 1e300,
                        "soon", -5.5, float("nan")],
        "score": [3, None, "3", 2.5, True, -1],
        "num_comments": [0, 12, None, "1", False],
        "poll_data": [None, {}, {"options": []}, ""],
        "selftext": ["[deleted]", "[removed]", "hi", ""],
        "selftext_html": ["&lt;p&gt;hi&lt;/p&gt;", None],
        "edited": [False, True, 1409875300.0],
    }
    rng = random.Random(7)
    for _ in range(2000):
        data = {k: v[0] if rng.random() < 0.5 else rng.choice(v)
                for k, v in values.items() if rng.random() < 0.9}
        rank = rng.randint(1, 1000)
        assert post_entry(data, rank) == _reference(data, rank), data
