"""``checked_answer``, the one walk of an answer that checks it and finds its stubs, held
to the two walks it replaced: the same stubs of a sound answer, and of an answer damaged
in several places at once the same error, class and message, so that the line a user
sees for it does not change. Held to ``checked_stubs`` then ``check_answer``: the first
of the two still runs first, and what it lets pass the one walk refuses in the order
the second did (900 answers with 2-5 faults each were compared with the code before,
byte for byte, when the walk was written: issue 14's note of 2026-12-04)."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest

from scraper.parsers.reddit import answers
from scraper.parsers.reddit.answer_check import Tree, check_answer, checked_answer
from scraper.parsers.reddit.thread import ThreadPages
from tests.corpus import corpus_dir

URL = "https://www.reddit.com/r/x/comments/1/x/"


def _things(obj: Any) -> list[Any]:
    found = answers.morechildren_things(obj, url=URL)
    return found if found is not None else answers.comments_response(obj, url=URL)[1]


def _every_thing(tops: list[Any]) -> list[dict[str, Any]]:
    """Every thing of the answer, nested ones too, where the walk would meet them."""
    out: list[dict[str, Any]] = []
    todo = list(tops)
    while todo:
        thing = todo.pop()
        out.append(thing)
        replies = thing.get("data", {}).get("replies")
        if isinstance(replies, dict):
            todo.extend(replies["data"]["children"])
    return out


def _damage(rng: random.Random, thing: dict[str, Any], ids: list[str]) -> None:
    data = thing.get("data")
    fault = rng.randrange(11)
    if fault == 0:
        thing["kind"] = rng.choice(["t3", "Listing", None, 5, "T1"])
    elif fault == 1:
        thing.pop(rng.choice(["kind", "data"]), None)
    elif fault == 2:
        thing["data"] = rng.choice([None, [], "x", 3])
    elif not isinstance(data, dict):
        return
    elif fault == 3:
        data["id"] = rng.choice([5, "", "t1_", None, ["a"], "t1_" + rng.choice(ids)])
        if rng.random() < 0.5:
            data.pop("name", None)
    elif fault == 4:
        data.pop("id", None)
        data["name"] = rng.choice([None, 7, "", "t1_", "t1_" + rng.choice(ids)])
    elif fault == 5:
        data["children"] = rng.choice(["abc", 5, {"a": 1}, None, ["x", 3]])
    elif fault == 6:
        data["replies"] = rng.choice([
            {"kind": "Listing", "data": {"children": "x"}}, {"kind": "t1"},
            {"kind": "Listing", "data": {"children": [1]}}, {"kind": "Listing"},
            {"kind": "Listing", "data": {"children": [{"kind": "t1"}]}}, ""])
    elif fault == 7:
        data["link_id"] = rng.choice(["t3_zzzzz", 7, "zzzzz", None])
    elif fault == 8:  # itself its parent: a cycle, where the parent_id places it
        data["parent_id"] = f"t1_{data.get('id')}"
    elif fault == 9:  # another comment of the answer its parent: now and then a cycle
        data["parent_id"] = "t1_" + rng.choice(ids)
    else:
        data["depth"] = rng.choice(["x", None, 0, 40])


def _outcome(run: Any, *args: Any, **kwargs: Any) -> Any:
    try:
        return ("stubs", run(*args, **kwargs))
    except Exception as exc:  # the class and the message are what is compared
        return (type(exc).__name__, str(exc))


def _both(tree: Tree | None, tops: list[Any], *, url: str,
          story: str | None) -> list[answers.More]:
    """The two walks, as ``ThreadPages.add`` ran them before ``checked_answer``."""
    found = answers.checked_stubs(tops, url=url)
    check_answer(tree, tops, url=url, story=story)
    return found


def _compare(text: str, tree: Tree | None, story: str | None, seed: int,
             cases: int) -> set[str]:
    """Each case's outcome both ways; the kinds of outcome met, for the caller to check
    the damage reached the checks it is meant to."""
    rng = random.Random(seed)
    met: set[str] = set()
    for _ in range(cases):
        obj = json.loads(text)
        tops = _things(obj)
        every = _every_thing(tops)
        ids = [str(t["data"].get("id")) for t in every if isinstance(t.get("data"), dict)]
        for _ in range(rng.choice([0, 1, 2, 2, 3, 4])):
            _damage(rng, rng.choice(every), ids)
        one = _outcome(checked_answer, tree, tops, url=URL, story=story)
        assert one == _outcome(_both, tree, tops, url=URL, story=story), (seed, one)
        # Without its stubs (a whole thread read at once): the same refusals, no stubs.
        bare = _outcome(checked_answer, tree, tops, url=URL, story=story, stubs=False)
        assert bare == (("stubs", []) if one[0] == "stubs" else one), (seed, bare)
        met.add(one[0] if one[0] == "stubs" else one[1].split(":")[-1].split("(")[0])
    return met


@pytest.mark.parametrize("name", ["comments-3hahrw-limit10.json",
                                  "comments-4b1tfm-small-deleted.json",
                                  "comments-6otocc-context-deepchain.json",
                                  "comments-6wmniq-context-dma3mi5.json"])
def test_a_damaged_comments_answer_is_refused_as_the_two_walks_refused_it(
        name: str) -> None:
    text = (corpus_dir("reddit") / name).read_text(encoding="utf-8")
    story = json.loads(text)[0]["data"]["children"][0]["data"]["id"]
    met = _compare(text, None, story, seed=len(name), cases=250)
    assert "stubs" in met and len(met) >= 6, met


@pytest.mark.parametrize("first", ["comments-3hahrw-limit10.json", "comments-3hahrw.json"])
def test_a_damaged_morechildren_answer_is_refused_as_the_two_walks_refused_it(
        first: str) -> None:
    # After the capped page the answer's comments are new to the tree, so a parent_id
    # can close a cycle; after the whole page they are all known already.
    folder = corpus_dir("reddit")
    pages = ThreadPages()
    pages.add((folder / first).read_text(encoding="utf-8"), url=URL)
    tree = pages._tree
    text = (folder / "morechildren-3hahrw.json").read_text(encoding="utf-8")
    met = _compare(text, tree, "3hahrw", seed=len(first), cases=300)
    assert "stubs" in met and len(met) >= 6, met
    if first.endswith("limit10.json"):
        assert any("ancestor" in m for m in met), met


def test_a_sound_answer_gives_the_stubs_the_two_walks_gave() -> None:
    for path in sorted(corpus_dir("reddit").glob("comments-*.json")):
        text = path.read_text(encoding="utf-8")
        obj = json.loads(text)
        try:
            tops = _things(obj)
        except Exception:  # a page that is no comments response: other tests read it
            continue
        story = obj[0]["data"]["children"][0]["data"].get("id")
        found = checked_answer(None, tops, url=URL, story=story)
        assert found == answers.checked_stubs(tops, url=URL), path.name
        check_answer(None, tops, url=URL, story=story)


# Run by the base checkout's own Python: ThreadPages.add of each damaged answer there.
