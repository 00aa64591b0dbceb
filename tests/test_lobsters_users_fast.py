"""The profiles a Lobsters story's JSON carries (2018-23) are built by plain stores into
a twin of User (``common.new_user``): held to User's own constructor, field by field, on
every user object of the corpus and on random ones."""

from __future__ import annotations

import json
import random
from dataclasses import fields, replace
from datetime import UTC, datetime
from typing import Any

from archive.models import User
from scraper.parsers.lobsters import common
from tests.corpus import corpus_dir


def _holders(obj: Any) -> list[Any]:
    return [obj.get("submitter_user"), *(c.get("commenting_user")
                                         for c in obj.get("comments") or [])]


def _by_keywords(value: Any) -> User | None:
    """``user_record`` as it was: User's keywords."""
    user = common.user_record(value)
    if user is None:
        return None
    return User(site=user.site, id=user.id, created_at=user.created_at,
                created_at_raw=user.created_at_raw, karma=user.karma,
                about_html=user.about_html, about=user.about, extra=user.extra)


def _same(a: User, b: User) -> None:
    assert type(a) is User and type(b) is User
    for f in fields(User):
        assert getattr(a, f.name) == getattr(b, f.name), f.name
    assert a == b and repr(a) == repr(b)


def test_the_slot_stores_are_taken() -> None:
    assert common._USER_SLOTS is not None  # User's fields are the ones new_user sets


def test_every_corpus_profile_is_the_constructors() -> None:
    seen = 0
    for path in sorted(corpus_dir("lobsters").glob("story-*.json")):
        for holder in _holders(json.loads(path.read_text(encoding="utf-8"))):
            user = common.user_record(holder)
            if user is None:
                continue
            seen += 1
            reference = _by_keywords(holder)
            assert reference is not None
            _same(user, reference)
            # The record is a whole User: replace() and the archive's readers see one.
            _same(replace(user, source="api"), replace(reference, source="api"))
    assert seen >= 20


def test_random_profiles_are_the_constructors() -> None:
    rng = random.Random(41)
    values: list[Any] = [None, "", "x", 0, 7, -3, True, 1.5, [], {}, {"a": 1}, "<p>a</p>",
                         "2018-04-25T11:31:25.000-05:00", "not a time", "<b>hi</b> there"]
    for _ in range(3000):
        holder: dict[str, Any] = {"username": rng.choice(["amy", "bob", "c_d"])}
        for key in ("created_at", "karma", "about", "is_admin", "avatar_url",
                    "invited_by_user", "github_username"):
            if rng.random() < 0.7:
                holder[key] = rng.choice(values)
        args = ("amy", rng.choice([None, datetime(2020, 1, 2, tzinfo=UTC)]),
                rng.choice([None, "raw"]), rng.choice([None, 5]), rng.choice([None, "<i>a</i>"]),
                rng.choice([None, "a"]), rng.choice([None, {"k": [1]}]))
        _same(common.new_user(*args), common.user_by_keywords(*args))
        user = common.user_record(holder)
        reference = _by_keywords(holder)
        assert (user is None) == (reference is None)
        if user is not None and reference is not None:
            _same(user, reference)
