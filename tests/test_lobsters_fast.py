"""The Lobsters parsers' fast paths, each held to the reading it replaced:

* ``leftovers`` and ``user_name`` test ``type(v) is dict`` before the Mapping ABC: the
  same fields for dicts, other Mappings and plain values;
* a story's users are built once a name: the first object of each name, as before;
* a time string met twice on a page is read once: the same times as each read alone;
* ``has_class`` (a substring test, then the split) says what ``name in classes(el)`` says.
"""

from __future__ import annotations

import json
import random
from collections.abc import Mapping
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any

from lxml import etree

from scraper.parsers.lobsters.common import (
    classes,
    has_class,
    iso_time,
    leftovers,
    user_name,
    user_record,
)
from scraper.parsers.lobsters.story_json import parse_story_json
from tests.lobsterspages import Node, story_json

URL = "https://lobste.rs/s/abc123.json"
FETCHED = datetime(2026, 7, 10, 12, 0, tzinfo=UTC)

def _old_user_name(value: object) -> str | None:
    if isinstance(value, Mapping):
        value = value.get("username")
    return value if isinstance(value, str) and value else None


def _old_leftovers(obj: Mapping[str, Any], consumed: tuple[str, ...]) -> dict[str, Any] | None:
    used = set(consumed)
    left = {k: (_old_user_name(v) if isinstance(v, Mapping) and "username" in v else v)
            for k, v in obj.items() if k not in used}
    return left or None


def test_leftovers_and_user_names_as_the_mapping_tests_read_them() -> None:
    rng = random.Random(3)
    values: list[object] = [None, "", "bob", 3, 2.5, True, [], ["x"], {}, {"username": "amy"},
                            {"username": ""}, {"username": 5}, {"name": "x"},
                            MappingProxyType({"username": "zed"}), MappingProxyType({})]
    for _ in range(500):
        obj = {f"k{i}": rng.choice(values) for i in range(rng.randrange(0, 6))}
        used = tuple(k for k in obj if rng.random() < 0.3)
        assert leftovers(obj, used) == _old_leftovers(obj, used)
        assert leftovers(obj, frozenset(used)) == _old_leftovers(obj, used)
        assert leftovers(MappingProxyType(obj), used) == _old_leftovers(obj, used)
    for value in values:
        assert user_name(value) == _old_user_name(value)


def test_users_are_the_first_object_of_each_name() -> None:
    profile = {"username": "amy", "karma": 1, "about": "first"}
    later = {"username": "amy", "karma": 9, "about": "second"}
    obj = json.loads(story_json([Node("c1", user="x"), Node("c2", user="y"),
                                 Node("c3", user="z"), Node("c4", user="w")]))
    holders: list[object] = [later, {"username": ["odd"]}, "amy", {"username": "bob"}]
    obj["submitter_user"] = profile
    for c, holder in zip(obj["comments"], holders, strict=True):
        c["commenting_user"] = holder
    users = parse_story_json(json.dumps(obj), url=URL, fetched_at=FETCHED).users
    expected: dict[str, object] = {}
    for holder in [profile, *holders]:
        user = user_record(holder)
        if user is not None:
            expected.setdefault(user.id, user)
    assert users == tuple(expected.values())
    assert users[0].about == "first"


def test_a_time_met_twice_reads_as_each_alone() -> None:
    obj = json.loads(story_json([Node(f"c{i}", edited=i % 3 == 0) for i in range(8)]))
    same = obj["comments"][0]["created_at"]
    for k, c in enumerate(obj["comments"]):
        if k % 2:
            c["created_at"] = c["last_edited_at"] = same
        if k == 5:
            c["created_at"] = ["not", "a", "time"]
    comments = parse_story_json(json.dumps(obj), url=URL, fetched_at=FETCHED).thread.comments
    for c, raw in zip(comments, obj["comments"], strict=True):
        assert (c.created_at, c.created_at_raw) == iso_time(raw["created_at"])
        assert (c.edited_at, c.edited_at_raw) == iso_time(raw["last_edited_at"])


def test_has_class_is_the_class_sets_test() -> None:
    rng = random.Random(5)
    words = ["comment", "comments_subtree", "story", "story_text", "na", "hat", "x", "",
             "comment\n", "\tstory", "COMMENT", "commentary"]
    names = ["comment", "story", "story_text", "na", "hat", "comments_subtree", "details"]
    for _ in range(2000):
        el = etree.Element("div")
        if rng.random() < 0.9:
            el.set("class", rng.choice([" ", "\n", "  ", "\t"]).join(
                rng.choice(words) for _ in range(rng.randrange(0, 4))))
        for name in names:
            assert has_class(el, name) == (name in classes(el)), (el.get("class"), name)
