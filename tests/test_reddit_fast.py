"""Reddit's quicker readings (issue 14) give what the plain ones gave, whole.

Each fast path is held to the reading it replaced, kept here or in the package as the
reference: one walk that checks an answer and finds its stubs (``checked_stubs``)
against ``check_things`` and ``stubs_of``; a parent's continue stub looked for as its
last kid against the scan of all its kids; a Comment filled through a slotted twin
against Comment's own keywords, with ``by_submitter`` set in the same pass against the
``replace`` that set it after.
"""

from __future__ import annotations

import dataclasses
import json
import random
from typing import Any

import pytest

from archive.models import Comment
from scraper.parsers import comment_stores
from scraper.parsers.errors import ParseError
from scraper.parsers.reddit import answers, things
from scraper.parsers.reddit import thread as reddit_thread
from scraper.parsers.reddit.placing import Node, Stub, Tree
from scraper.parsers.reddit.thread import ThreadPages
from tests.corpus import corpus_dir
from tests.hnpages import FETCHED_AT
from tests.redditpages import (
    Cut,
    comments_page,
    continue_page,
    corpus_kind,
    corpus_readers,
    generate_thread,
    morechildren_page,
)

URL = "https://www.reddit.com/r/x/comments/1/x/"


def _scan_insert(self: Tree, parent: Node, item: Node | Stub, stub: Stub | None) -> None:
    """``Tree._insert`` as it was: the continue stub found by a scan of the kids."""
    if stub is not None and stub.parent is parent and stub in parent.kids:
        parent.kids.insert(parent.kids.index(stub), item)
        return
    tail = next((k for k in parent.kids if isinstance(k, Stub)
                 and k.id == answers.CONTINUE_ID), None)
    parent.kids.insert(parent.kids.index(tail) if tail else len(parent.kids), item)


def _by_keywords_then_replace(rows: Any, *, story_id: str,
                              submitter: str | None = None) -> list[Comment]:
    """``comments_from`` as it was: Comment's keywords, then ``replace`` for the post's
    author (what ``_thread`` did after it)."""
    made = _plain(rows, story_id=story_id)
    if submitter is None:
        return made
    return [c if c.by_submitter or c.author != submitter
            else dataclasses.replace(c, by_submitter=True) for c in made]


def _plain(rows: Any, *, story_id: str) -> list[Comment]:
    fast = comment_stores.new_comment
    comment_stores.new_comment = comment_stores.by_keywords
    try:
        return things.comments_from(rows, story_id=story_id)
    finally:
        comment_stores.new_comment = fast


def _expansion(n: int, seed: int) -> list[tuple[str, str]]:
    """A generated thread's answers as a crawl fetches them: the first page, then each
    stub left (the last first, so answers land in the middle of what is placed)."""
    g = generate_thread(n, seed=seed)
    cut = Cut(top_limit=40, child_limit=3, depth_limit=4)
    built = ThreadPages()
    pages = [(f"http://x/comments/{g.story_id}", comments_page(g, cut))]
    built.add(pages[0][1], url=pages[0][0])
    while left := built.unexpanded():
        stub = left[-1]
        if stub.is_continue and stub.parent_id:
            page = (f"http://x/comments/{g.story_id}/_/{stub.parent_id}",
                    continue_page(g, stub.parent_id, cut))
        else:
            ids = stub.children[:25]
            page = (f"http://x/api/morechildren?children={','.join(ids)}",
                    morechildren_page(g, ids))
        pages.append(page)
        built.add(page[1], url=page[0])
    return pages


def _read(pages: list[tuple[str, str]]) -> tuple[list[Any], Any]:
    built = ThreadPages()
    found = [built.add(text, url=url) for url, text in pages]
    return found, built.thread(fetched_at=FETCHED_AT)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_an_expanded_thread_reads_as_the_references_read_it(
        seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    pages = _expansion(400, seed)
    assert len(pages) > 5  # continue pages and morechildren answers both
    assert any("/_/" in url for url, _ in pages)
    fast = _read(pages)
    with monkeypatch.context() as m:
        m.setattr(Tree, "_insert", _scan_insert)
        m.setattr(reddit_thread, "comments_from", _by_keywords_then_replace)
        slow = _read(pages)
    assert fast == slow
    assert len(fast[1].comments) == 400


def _corpus_pages() -> list[tuple[str, str, str]]:
    readers = corpus_readers()
    out = []
    for path in sorted(corpus_dir("reddit").glob("*.*")):
        kind = corpus_kind(path.name, readers)
        if kind is not None:
            out.append((path.name, kind, path.read_text(encoding="utf-8")))
    return out


def test_every_corpus_page_reads_as_the_references_read_it(
        monkeypatch: pytest.MonkeyPatch) -> None:
    pages = _corpus_pages()
    readers = corpus_readers()

    def read_all() -> list[Any]:
        out: list[Any] = []
        for _, kind, text in pages:
            try:
                out.append(readers[kind](text))
            except ParseError as exc:
                out.append(str(exc))
            if kind == "comments":
                try:
                    out.append(ThreadPages().add(text, url=URL))
                except ParseError as exc:
                    out.append(str(exc))
        return out

    fast = read_all()
    with monkeypatch.context() as m:
        m.setattr(Tree, "_insert", _scan_insert)
        m.setattr(reddit_thread, "comments_from", _by_keywords_then_replace)
        slow = read_all()
    assert len(fast) == len(slow) > 12
    for name_kind, a, b in zip(pages, fast, slow, strict=False):
        assert a == b, name_kind[0]
    assert fast == slow


def _answer_things(text: str) -> list[Any]:
    obj = json.loads(text)
    found = answers.morechildren_things(obj, url=URL)
    return found if found is not None else answers.comments_response(obj, url=URL)[1]


def test_one_walk_finds_the_stubs_both_walks_found() -> None:
    pages = _expansion(300, 4)
    for path in corpus_dir("reddit").glob("comments-*.json"):
        pages.append((URL, path.read_text(encoding="utf-8")))
    for url, text in pages:
        tops = _answer_things(text)
        answers.check_things(tops, url=url)
        assert answers.checked_stubs(tops, url=url) == answers.stubs_of(json.loads(text),
                                                                        url=url)


def _t1(cid: str, **data: Any) -> dict[str, Any]:
    return {"kind": "t1", "data": {"id": cid, "body": "x", **data}}


@pytest.mark.parametrize("tops, message", [
    ([{"kind": "t1"}], "a thing without data"),
    ([_t1("a", replies={"kind": "Listing", "data": {"children": [{"kind": "t1"}]}})],
     "a thing without data"),
    ([{"kind": "t1", "data": {"body": "no id"}}], "a comment without an id"),
    ([_t1("a", replies={"kind": "nope"})], "replies is not a Listing"),
    ([_t1("a", replies={"kind": "Listing", "data": {"children": "x"}})],
     "replies has no list of children"),
])
def test_one_walk_refuses_what_the_check_refused(tops: list[Any], message: str) -> None:
    with pytest.raises(ParseError, match=message):
        answers.check_things(tops, url=URL)
    with pytest.raises(ParseError, match=message):
        answers.checked_stubs(tops, url=URL)


def test_one_walk_checks_no_more_than_the_check_did() -> None:
    # A non-t1 thing's replies: stubs_of reads them, check_things does not look.
    odd = [{"kind": "t9", "data": {"replies": {"kind": "Listing", "data": {"children": [
        {"kind": "t1", "data": {"body": "no id"}},
        {"kind": "more", "data": {"id": "m", "count": 2, "children": ["p", "q"],
                                  "parent_id": "t1_z"}}]}}}}]
    answers.check_things(odd, url=URL)
    found = answers.checked_stubs(odd, url=URL)
    assert found == answers.stubs_of([{"kind": "Listing", "data": {"children": [
        {"kind": "t3", "data": {}}]}}, {"kind": "Listing", "data": {"children": odd}}],
        url=URL)
    assert [m.children for m in found] == [("p", "q")]


def _random_data(rng: random.Random, k: int) -> dict[str, Any]:
    data: dict[str, Any] = {"id": f"c{k}", "name": f"t1_c{k}"}
    pick = rng.random
    if pick() < 0.8:
        data["author"] = rng.choice(["ann", "bob", "[deleted]", "", None, 7])
    if pick() < 0.9:
        data["body"] = rng.choice(["Hello &amp; bye", "[deleted]", "[removed]", "", None,
                                   "plain"])
    if pick() < 0.8:
        data["body_html"] = rng.choice([
            "&lt;div class=\"md\"&gt;&lt;p&gt;Hello &amp;amp; bye&lt;/p&gt;\n&lt;/div&gt;",
            "<div class=\"md\"><p>raw <em>json</em></p>\n</div>", "", None])
    for key, values in (("created_utc", [1.5e9, 1500000000, "1500000000", "x", True, None]),
                        ("edited", [False, True, 1.6e9, 0, None, "x"]),
                        ("score", [3, -1, True, None, 2.5]),
                        ("is_submitter", [True, False, None, 1]),
                        ("stickied", [True, False]), ("distinguished", ["moderator", None]),
                        ("retrieved_on", [1.7e9]), ("score_hidden", [False])):
        if pick() < 0.7:
            data[key] = rng.choice(values)
    if pick() < 0.2:
        del data["id"]
    return data


@pytest.mark.parametrize("submitter", [None, "ann"])
def test_the_twin_built_comment_is_the_keyword_built_one(submitter: str | None) -> None:
    assert comment_stores.new_comment is comment_stores._by_stores  # the twin's slots
    rng = random.Random(14)
    rows = [(_random_data(rng, k), rng.choice([None, "p"]), k % 4, k) for k in range(400)]
    fast = things.comments_from(rows, story_id="s", submitter=submitter)
    slow = _by_keywords_then_replace(rows, story_id="s", submitter=submitter)
    assert fast == slow
    for a, b in zip(fast, slow, strict=True):
        assert type(a) is Comment
        for f in dataclasses.fields(Comment):
            assert getattr(a, f.name) == getattr(b, f.name), f.name
        with pytest.raises(dataclasses.FrozenInstanceError):
            a.text = "changed"  # type: ignore[misc]
    # ann's comments that do not say is_submitter: by_submitter where she posted.
    by_name = [c.by_submitter for c, (data, *_) in zip(fast, rows, strict=True)
               if c.author == "ann" and data.get("is_submitter") is not True]
    assert by_name and set(by_name) == {submitter is not None}
    assert any(c.deleted for c in fast) and any(c.removed for c in fast)
    assert any(c.extra and "author" in c.extra for c in fast)

