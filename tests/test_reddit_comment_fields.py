"""``things._comment`` spells out the common cases of ``html.unescape``, ``epoch`` and
``_edited``: held here, on random comments of every state, to the reading through the
three calls (the reading before) and Comment's own constructor."""

from __future__ import annotations

import html
import math
import random
from typing import Any

from archive.models import Comment
from scraper.parsers.reddit import gone, things


def _reference(data: dict[str, Any], body_html: str | None, text: str | None,
               submitter: str | None) -> Comment:
    extra = {k: data[k] for k in things._COMMENT_EXTRA if k in data}
    author = data.get("author")
    if not isinstance(author, str) or not author:
        author = None
    elif author == things.GONE_AUTHOR:
        extra["author"] = author
        author = None
    raw = data.get("body")
    body = html.unescape(raw) if isinstance(raw, str) and raw else None
    deleted, removed = gone.body_state(body)
    if deleted or removed:
        extra["gone_text"] = body
        body_html = text = None
    elif body_html is None:
        text = body
    created_at, created_raw = things.epoch(data.get("created_utc"))
    edited, edited_at, edited_raw = things._edited(data)
    score = data.get("score")
    cid = things.unprefixed(data.get("id") or data.get("name"))
    return Comment(
        site="reddit", id=cid or "", story_id="p1", parent_id="x", depth=2, position=3,
        author=author, created_at=created_at, created_at_raw=created_raw,
        text_html=body_html, text=text or None, deleted=deleted, removed=removed,
        score=score if isinstance(score, int) and not isinstance(score, bool) else None,
        edited=edited, edited_at=edited_at, edited_at_raw=edited_raw,
        by_submitter=data.get("is_submitter") is True or (submitter is not None
                                                          and author == submitter),
        extra=extra or None)


_VALUES: dict[str, list[Any]] = {
    "author": ["alice", "bob", "[deleted]", "", None, 5],
    "body": ["hi", "a &amp; b", "&#91;deleted&#93;", "[deleted]", "[removed]",
             "&lt;b&gt;", "", None, 3, "&amp;"],
    "created_utc": [1_700_000_000.0, 1_700_000_000.5, 1_700_000_000, "1700000000",
                    math.nan, math.inf, -math.inf, 1e300, -1e300, "", None, True, "x", 0.0],
    "edited": [False, True, None, 0, 0.0, 1_700_000_100.0, 1_700_000_100, "1700000100",
               math.nan, "x"],
    "score": [1, 0, -3, True, False, 2.5, None, "7"],
    "is_submitter": [True, False, None, 1],
    "score_hidden": [False, True], "stickied": [False], "distinguished": [None, "moderator"],
    "retrieved_on": [1_700_000_000], "_meta": [{"a": 1}],
}


def test_random_comments_read_as_through_the_calls() -> None:
    rng = random.Random(51)
    for k in range(6000):
        data: dict[str, Any] = {"id": f"c{k}", "name": f"t1_c{k}"}
        for key, choices in _VALUES.items():
            if rng.random() < 0.8:
                data[key] = rng.choice(choices)
        body_html = rng.choice([None, '<div class="md"><p>hi</p></div>'])
        text = "hi" if body_html is not None else None
        submitter = rng.choice([None, "alice"])
        got = things._comment(data, "p1", "x", 2, 3, body_html, text, submitter, "?")
        want = _reference(data, body_html, text, submitter)
        assert type(got) is Comment
        # nan is no nan's equal: the reprs say the same fields with the same values
        assert repr(got) == repr(want), data
