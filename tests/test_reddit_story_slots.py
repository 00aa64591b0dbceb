"""``story_slots.new_story`` builds what Story's own constructor builds: the same
record, of the same class, as frozen, comparable, hashable and picklable."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pytest

from archive.models import Story
from scraper.parsers.reddit import story_slots
from tests.same_record import assert_same_record

ROW = ("reddit", "4b1tfm", "A title", "https://x.org/", "x.org", "bob", 12, 3,
       datetime(2016, 3, 19, tzinfo=UTC), "1458362059.0", "<p>a</p>", "a", "poll", True,
       False, {"sort": "new", "unexpanded_stubs": 0})


def test_the_stores_are_in_use() -> None:
    # If Story's fields change, the keyword build is used: this says so.
    assert story_slots.new_story is story_slots._by_stores
    assert Story.__slots__ == story_slots._STORED  # type: ignore[attr-defined]
    assert [f.name for f in dataclasses.fields(Story)] == list(story_slots._STORED)


@pytest.mark.parametrize("row", [ROW, ("reddit", "", None, None, None, None, None, None,
                                       None, None, None, None, "story", False, True, None)])
def test_a_stored_story_is_the_constructed_one(row: tuple) -> None:  # type: ignore[type-arg]
    ours = story_slots.new_story(*row)
    assert type(ours) is Story
    assert_same_record(ours, story_slots.by_keywords(*row), field="score", value=9)
