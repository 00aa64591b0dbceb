"""A thread's first answer, checked in the walk that places it (``first_answer``), held
to the check then the placement it replaced: of a damaged answer the same refusal,
class and message; of one it takes, the same stubs, the same thread and the same
stubs left, and after a refusal a ThreadPages that is still empty."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime
from typing import Any

import pytest

from scraper.parsers.errors import parser_entry
from scraper.parsers.reddit import answers
from scraper.parsers.reddit.answer_check import checked_answer
from scraper.parsers.reddit.errors import SITE
from scraper.parsers.reddit.placing import Tree, merge
from scraper.parsers.reddit.thread import ThreadPages
from tests.corpus import corpus_dir
from tests.test_reddit_one_walk import _damage, _every_thing

URL = "https://www.reddit.com/r/x/comments/1/x/"
AT = datetime(2026, 1, 2, tzinfo=UTC)


def _outcome(run: Any, *args: Any) -> Any:
    try:
        return ("taken", run(*args))
    except Exception as exc:  # the class and the message are what is compared
        return (type(exc).__name__, str(exc))


def _shown(pages: ThreadPages) -> tuple[str, str]:
    return repr(pages.unexpanded()), repr(_outcome(lambda: pages.thread(fetched_at=AT)))


def _one_walk(text: str) -> tuple[Any, ...]:
    pages = ThreadPages()
    try:
        found = pages.add(text, url=URL)
    except Exception:
        assert pages._tree is None and pages._post is None and not pages._urls
        raise
    return (found, *_shown(pages))


@parser_entry(SITE)
def _add_as_before(text: str, *, url: str) -> tuple[list[answers.More], ThreadPages]:
    """``ThreadPages.add`` of a first answer as it was: the check, then the placing."""
    post, tops = answers.comments_response(json.loads(text), url=url)
    found = checked_answer(None, tops, url=url, story=post.get("id"))
    tree = Tree(url)
    merge(tree, tops, None)
    pages = ThreadPages()
    pages._tree, pages._post, pages._urls = tree, post, [url]
    return found, pages


def _two_walks(text: str) -> tuple[Any, ...]:
    found, pages = _add_as_before(text, url=URL)
    return (found, *_shown(pages))


@pytest.mark.parametrize("name", [f"comments-{page}.json" for page in (
    "3hahrw-limit10", "4b1tfm-small-deleted", "6otocc-context-deepchain",
    "6wmniq-context-dma3mi5", "1j7g9uj-context-2025")])
def test_a_first_answer_is_taken_or_refused_as_by_the_check_then_the_placing(
        name: str) -> None:
    text = (corpus_dir("reddit") / name).read_text(encoding="utf-8")
    rng = random.Random(len(name))
    met: set[str] = set()
    for _ in range(200):
        obj = json.loads(text)
        tops = answers.comments_response(obj, url=URL)[1]
        every = _every_thing(tops)
        ids = [str(t["data"].get("id")) for t in every if isinstance(t.get("data"), dict)]
        for _ in range(rng.choice([0, 1, 1, 2, 3])):
            _damage(rng, rng.choice(every), ids)
        damaged = json.dumps(obj)
        one = _outcome(_one_walk, damaged)
        assert one == _outcome(_two_walks, damaged), one
        met.add(one[0] if one[0] == "taken" else one[1].split(":")[-1].split("(")[0])
    # The damage reached the tests it is meant to: answers taken, several refusals.
    assert "taken" in met and len(met) >= 6, met


@pytest.mark.parametrize("loop", [1, 2, 3])
def test_a_first_answer_whose_top_comments_go_round_is_refused_and_leaves_nothing(
        loop: int) -> None:
    # Top comments placed by their parent_id: the first names itself, or each the next
    # and the last the first, and the walk that places them must find the cycle.
    obj = json.loads((corpus_dir("reddit") / "comments-3hahrw.json").read_text(
        encoding="utf-8"))
    tops = [t for t in obj[1]["data"]["children"] if t["kind"] == "t1"][:loop]
    for i, thing in enumerate(tops):
        thing["data"]["parent_id"] = "t1_" + tops[(i + 1) % loop]["data"]["id"]
    text = json.dumps(obj)
    one = _outcome(_one_walk, text)
    assert one == _outcome(_two_walks, text)
    assert one[0] == "ParseError" and "is its own ancestor" in one[1], one


def test_every_corpus_answer_is_placed_as_before() -> None:
    for path in sorted(corpus_dir("reddit").glob("comments-*.json")):
        text = path.read_text(encoding="utf-8")
        assert _outcome(_one_walk, text) == _outcome(_two_walks, text), path.name
