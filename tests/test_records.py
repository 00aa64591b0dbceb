"""archive.records.quick: the same records as the classes' own constructors, whole."""

from __future__ import annotations

import dataclasses
import pickle
import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from archive import models
from archive.records import quick
from scraper.parsers.pages import ItemPage, PageComment

FROZEN = [c for c in vars(models).values()
          if isinstance(c, type) and dataclasses.is_dataclass(c)] + [PageComment, ItemPage]


def _value(rng: random.Random, f: dataclasses.Field[Any]) -> Any:
    kind = str(f.type)
    if "bytes" in kind:
        return rng.choice([b"", b"<html>", "ünï".encode()])
    if "bool" in kind:
        return rng.random() < 0.5
    if "int" in kind and "str" not in kind:
        return rng.choice([None, 0, rng.randrange(10**9)]) if "None" in kind else rng.randrange(99)
    if "datetime" in kind:
        return datetime(2020, 1, 1, tzinfo=UTC) + timedelta(seconds=rng.randrange(10**8))
    if "dict" in kind:
        return rng.choice([None, {"k": rng.randrange(9)}])
    if "tuple" in kind:
        return tuple(f"t{rng.randrange(9)}" for _ in range(rng.randrange(3)))
    return rng.choice(["", "x", "ünï", f"s{rng.randrange(10**6)}"])


def _hash(record: object) -> int | str:
    try:
        return hash(record)
    except TypeError as exc:  # a dict field: neither can be hashed
        return str(exc)


@pytest.mark.parametrize("cls", FROZEN, ids=lambda c: c.__name__)
def test_quick_gives_the_constructors_record(cls: type[Any]) -> None:
    build = quick(cls)
    rng = random.Random(cls.__name__)
    fields = [f for f in dataclasses.fields(cls) if f.init]
    for _ in range(200):
        # Required fields always, each optional one given or left to its default.
        kw = {f.name: _value(rng, f) for f in fields
              if (f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING)
              or rng.random() < 0.5}
        fast, slow = build(**kw), cls(**kw)
        assert type(fast) is cls
        assert fast == slow
        every = dataclasses.fields(cls)
        assert [getattr(fast, f.name) for f in every] == [getattr(slow, f.name) for f in every]
        assert repr(fast) == repr(slow)
        assert pickle.loads(pickle.dumps(fast)) == slow
        assert _hash(fast) == _hash(slow)


def test_quick_record_is_frozen_and_checks_its_keywords() -> None:
    build = quick(models.Comment)
    c = build(site="hn", id="1", story_id="2", parent_id=None, depth=0, position=0)
    with pytest.raises(dataclasses.FrozenInstanceError):
        c.author = "x"  # type: ignore[misc]
    assert dataclasses.replace(c, author="x").author == "x"
    with pytest.raises(TypeError, match=r"Comment.__init__.* missing"):
        build(site="hn", id="1")
    with pytest.raises(TypeError, match="unexpected keyword"):
        build(site="hn", id="1", story_id="2", parent_id=None, depth=0, position=0, nope=1)


def test_quick_refuses_a_class_it_cannot_twin() -> None:
    @dataclasses.dataclass(frozen=True)
    class NoSlots:
        a: int

    @dataclasses.dataclass(slots=True)
    class NotFrozen:
        a: int

    for cls in (NoSlots, NotFrozen, dict):
        with pytest.raises(TypeError, match="frozen dataclass with slots"):
            quick(cls)
