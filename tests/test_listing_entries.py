"""``entries.new_entry`` builds what ListingEntry's own constructor builds: the same
record, of the same class, as frozen, comparable, hashable and picklable."""

from __future__ import annotations

import dataclasses
import pickle
from datetime import UTC, datetime

import pytest

from archive.models import ListingEntry
from scraper.parsers import entries

ROW = ("hn", "123", 4, "A title", "https://x.org/", "x.org", "bob", 12, 3,
       datetime(2020, 1, 2, tzinfo=UTC), "2 hours ago", "story")


def test_the_stores_are_in_use() -> None:
    # If ListingEntry's fields change, the keyword build is used: this says so.
    assert entries.new_entry is entries._by_stores
    assert ListingEntry.__slots__ == entries._STORED  # type: ignore[attr-defined]
    assert [f.name for f in dataclasses.fields(ListingEntry)] == list(entries._STORED)


@pytest.mark.parametrize("row", [ROW, ("lobsters", "", 1, None, None, None, None, None,
                                       None, None, None, "ask")])
def test_a_stored_entry_is_the_constructed_one(row: tuple) -> None:  # type: ignore[type-arg]
    ours = entries.new_entry(*row)
    reference = entries.by_keywords(*row)
    assert type(ours) is ListingEntry
    assert ours == reference and hash(ours) == hash(reference)
    assert repr(ours) == repr(reference)
    assert dataclasses.asdict(ours) == dataclasses.asdict(reference)
    assert pickle.loads(pickle.dumps(ours)) == reference
    assert dataclasses.replace(ours, rank=9) == dataclasses.replace(reference, rank=9)
    with pytest.raises(dataclasses.FrozenInstanceError):
        ours.rank = 5  # type: ignore[misc]
