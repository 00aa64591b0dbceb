"""``entries.slot_builder``: records built through their slots' descriptors (Reddit's
stubs, Lobsters' profiles) are the records their keyword constructors build."""

from __future__ import annotations

import random
from dataclasses import fields

import pytest

from scraper.parsers.entries import slot_builder
from scraper.parsers.reddit.answers import More, new_more


def test_a_stub_is_the_constructors() -> None:
    rng = random.Random(61)
    for _ in range(3000):
        args = (rng.choice(["_", "abc", "t1_x"]), rng.choice([None, "p", "q1"]),
                rng.randint(-2, 5000), tuple(rng.choice(["a", "b", "c"])
                                             for _ in range(rng.randint(0, 6))),
                rng.randint(0, 12))
        built = new_more(*args)
        reference = More(id=args[0], parent_id=args[1], count=args[2], children=args[3],
                         depth=args[4])
        assert type(built) is More
        for f in fields(More):
            assert getattr(built, f.name) == getattr(reference, f.name), f.name
        assert built == reference and hash(built) == hash(reference)
        assert repr(built) == repr(reference) and built.is_continue == reference.is_continue


def test_other_fields_give_no_builder() -> None:
    """A class whose slots are not the fields named (a field added, moved, renamed):
    no builder, so that its callers build by keywords and leave no slot unset."""
    names = ("id", "parent_id", "count", "children", "depth")
    assert slot_builder(More, names) is not None
    assert slot_builder(More, names[::-1]) is None
    assert slot_builder(More, (*names, "extra")) is None
    assert slot_builder(dict, names) is None


def test_a_built_record_stays_frozen() -> None:
    built = new_more("abc", None, 3, ("x",), 0)
    with pytest.raises(AttributeError):
        built.count = 4  # type: ignore[misc]
    build = slot_builder(More, ("id", "parent_id", "count", "children", "depth"))
    assert build is not None
    with pytest.raises(ValueError):  # too few values: no record with a slot unset
        build("too", "few")
