"""Hostile trees from the OAuth API stand-in: morechildren answers with duplicates,
a comment that is its own parent, parent cycles, comments nobody asked for, junk
kinds, stubs that come back forever, chains thousands deep, 413s. Each through the
direct loop and the spider: no hang, no traceback, nothing lost, and what could not
be read a gap that ``gaps`` reports."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import rows
from tests.redditapi import JSON, Cut, RedditAPI, listing, make_thread, post
from tests.reddithostile import (
    WAYS,
    crawl,
    errors,
    gaps,
    rewrite,
    stand_in,
    stored_ids,
    t1,
    things_of,
    with_things,
)
from tests.server import Reply, SiteServer, serve
from tests.test_reddit_crawl_e2e import tree_in_order

pytestmark = pytest.mark.e2e

@pytest.fixture
def api() -> Iterator[RedditAPI]:
    with stand_in() as api:
        yield api


def morechildren_calls(api: RedditAPI) -> list[str]:
    return [t for _, t in api.site.log if t.startswith("/api/morechildren")]


def first_call_changed(api: RedditAPI, change) -> None:  # type: ignore[no-untyped-def]
    """The first morechildren answer goes through ``change(things) -> things``."""
    seen: list[int] = []

    def rewrite_first(path: str, query: dict[str, str], reply: Reply) -> Reply | None:
        if path != "/api/morechildren" or reply.status != 200 or seen:
            return None
        seen.append(1)
        return with_things(change(things_of(reply)))
    rewrite(api, rewrite_first)


def assert_gap(db: Path, thread_size: int) -> None:
    (gap,) = gaps(db)
    assert gap["story_id"] == "abc12" and gap["unexpanded"] > 0
    assert 0 < gap["archived"] < thread_size


@WAYS
def test_duplicate_things_are_placed_once(api: RedditAPI, tmp_path: Path, way: str) -> None:
    thread = api.threads["abc12"] = make_thread(80, seed=11)
    first_call_changed(api, lambda things: things + things[::-1] + things)
    db = tmp_path / "r.db"
    result = crawl(api, db, way, "abc12", real=True)  # an exit 0 of the console script
    assert result.returncode == 0, result.stderr
    assert tree_in_order(db, "abc12") == thread.order()
    assert gaps(db) == []


@WAYS
@pytest.mark.parametrize("bad", ["self", "cycle", "cycle-through-tree"])
def test_a_parent_cycle_is_refused_and_kept_as_a_gap(api: RedditAPI, tmp_path: Path,
                                                     way: str, bad: str) -> None:
    thread = api.threads["abc12"] = make_thread(80, seed=12)

    def change(things: list[dict]) -> list[dict]:
        if bad == "self":
            return [*things, t1("zself", "t1_zself")]
        if bad == "cycle":
            return [*things, t1("zaaa", "t1_zbbb"), t1("zbbb", "t1_zccc"), t1("zccc", "t1_zaaa")]
        # A reply that names a comment of the answer as its parent, which in turn
        # names that reply: the cycle closes through what was just placed.
        return [t1("zaaa", "t1_zbbb"), *things, t1("zbbb", "t1_zaaa")]
    first_call_changed(api, change)
    db = tmp_path / "r.db"
    result = crawl(api, db, way, "abc12")
    assert result.returncode == 0, result.stderr
    assert "is its own ancestor" in result.stderr
    assert not stored_ids(db) & {"zself", "zaaa", "zbbb", "zccc"}
    assert_gap(db, len(thread.nodes))
    # Whatever was stored is a tree: every parent is stored, or the post.
    assert rows(db, "SELECT count(*) FROM comments c WHERE parent_id IS NOT NULL AND NOT "
                    "EXISTS (SELECT 1 FROM comments p WHERE p.id = c.parent_id)") == [(0,)]
    # The next crawl, answered honestly, fills the gap.
    api.site.fault = None
    assert crawl(api, db, way, "abc12").returncode == 0
    assert tree_in_order(db, "abc12") == thread.order()
    assert gaps(db) == []


@WAYS
def test_comments_nobody_asked_for_are_kept_in_place(api: RedditAPI, tmp_path: Path,
                                                     way: str) -> None:
    thread = api.threads["abc12"] = make_thread(80, seed=13)
    top = thread.tops[0]
    first_call_changed(api, lambda things: [t1("zextra1", "t3_abc12"), *things,
                                            t1("zextra2", f"t1_{top}")])
    db = tmp_path / "r.db"
    result = crawl(api, db, way, "abc12")
    assert result.returncode == 0, result.stderr
    stored = rows(db, "SELECT id, parent_id FROM comments WHERE id LIKE 'zextra%' "
                      "ORDER BY id")
    assert stored == [("zextra1", None), ("zextra2", top)]
    assert stored_ids(db) == set(thread.nodes) | {"zextra1", "zextra2"}
    assert gaps(db) == []


@WAYS
def test_a_comment_of_another_post_is_refused(api: RedditAPI, tmp_path: Path,
                                              way: str) -> None:
    thread = api.threads["abc12"] = make_thread(80, seed=14)
    first_call_changed(api, lambda things: [*things, t1("zother", "t3_zzz99", story="zzz99")])
    db = tmp_path / "r.db"
    result = crawl(api, db, way, "abc12")
    assert result.returncode == 0, result.stderr
    assert "of post zzz99" in result.stderr
    assert "zother" not in stored_ids(db)
    assert_gap(db, len(thread.nodes))


@WAYS
@pytest.mark.parametrize("junk", [
    {"kind": "t5", "data": {"id": "sub1", "display_name": "x"}},
    {"kind": None, "data": {"id": "zz1"}},
    {"kind": "t1", "data": "not a thing"},
    {"kind": "t1", "data": {"id": 12345, "parent_id": "t3_abc12"}},
    {"kind": "more", "data": {"id": "m1", "parent_id": "t3_abc12", "count": "lots",
                              "children": "abcdef"}},
    "a bare string",
], ids=["t5", "no-kind", "data-not-object", "id-not-text", "more-junk", "string"])
def test_a_junk_thing_is_one_line_and_a_gap(api: RedditAPI, tmp_path: Path, way: str,
                                             junk: object) -> None:
    thread = api.threads["abc12"] = make_thread(80, seed=15)
    first_call_changed(api, lambda things: [*things[:2], junk, *things[2:]])
    db = tmp_path / "r.db"
    result = crawl(api, db, way, "abc12")
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert "could not expand a stub" in result.stderr
    assert_gap(db, len(thread.nodes))
    # Nothing of the refused answer was placed (one answer is placed whole or not).
    asked = set(morechildren_calls(api)[0].split("children=")[1].split("&")[0].split("%2C"))
    assert not asked & stored_ids(db)


@WAYS
def test_a_stub_that_comes_back_forever_stops_as_a_gap(api: RedditAPI, tmp_path: Path,
                                                       way: str) -> None:
    thread = api.threads["abc12"] = make_thread(80, seed=16)

    def same_stub(path: str, query: dict[str, str], reply: Reply) -> Reply | None:
        if path != "/api/morechildren":
            return None
        ids = query["children"].split(",")
        return with_things([{"kind": "more", "data": {
            "count": len(ids), "id": ids[0], "name": f"t1_{ids[0]}",
            "parent_id": "t3_abc12", "depth": 0, "children": ids}}])
    rewrite(api, same_stub)
    db = tmp_path / "r.db"
    result = crawl(api, db, way, "abc12")
    assert result.returncode == 0, result.stderr
    calls = morechildren_calls(api)
    # Each id asked for once: what came back asked for nothing new.
    assert len(calls) == len({c for c in calls}) <= len(thread.nodes)
    assert "no progress" in result.stderr
    assert_gap(db, len(thread.nodes))


@WAYS
def test_a_continue_thread_that_continues_itself_stops_as_a_gap(tmp_path: Path,
                                                                way: str) -> None:
    with serve(SiteServer()) as site:
        api = RedditAPI(site, cut=Cut(top=50, kids=50, depth=2))
        thread = api.threads["abc12"] = make_thread(1, seed=17, chain=6)

        def again(path: str, query: dict[str, str], reply: Reply) -> Reply | None:
            bits = path.strip("/").split("/")
            if len(bits) != 4 or bits[2] != "_":
                return None
            parent = bits[3]
            stub = {"kind": "more", "data": {"count": 0, "id": "_", "name": "t1__",
                                             "parent_id": f"t1_{parent}", "depth": 1,
                                             "children": []}}
            top = json.loads(reply.body)[1]["data"]["children"][0]
            top["data"]["replies"] = listing([stub])
            return Reply(json.dumps([listing([post(thread)]), listing([top])]),
                         content_type=JSON)
        rewrite(api, again)
        db = tmp_path / "r.db"
        result = crawl(api, db, way, "abc12")
        assert result.returncode == 0, result.stderr
        assert "no progress" in result.stderr
        continues = [t for _, t in site.log if "/_/" in t]
        assert len(continues) == len(set(continues)) == 1
        (gap,) = gaps(db)
        assert gap["unexpanded"] >= 1


def chain_answer(story: str, ids: list[str]) -> Reply:
    things = [t1(cid, f"t1_{ids[k - 1]}" if k else "t3_" + story, story=story, depth=k)
              for k, cid in enumerate(ids)]
    return with_things(things)


@WAYS
def test_a_chain_thousands_deep_is_stored_whole(tmp_path: Path, way: str) -> None:
    ids = [f"q{k:05d}" for k in range(3000)]
    with serve(SiteServer()) as site:
        api = RedditAPI(site)
        # Known to the stand-in (its answers are replaced below, whole).
        api.threads["deep1"] = make_thread(1, story_id="deep1")
        first = [listing([{"kind": "t3", "data": {
                     "id": "deep1", "name": "t3_deep1", "title": "Deep", "author": "poster",
                     "subreddit": "test", "score": 1, "num_comments": len(ids),
                     "created_utc": 1_700_000_000.0, "url": "https://example.org/",
                     "permalink": "/r/test/comments/deep1/deep/", "is_self": False,
                     "selftext": ""}}]),
                 listing([{"kind": "more", "data": {
                     "count": len(ids), "id": ids[0], "name": f"t1_{ids[0]}",
                     "parent_id": "t3_deep1", "depth": 0, "children": [ids[0]]}}])]

        def answer(path: str, query: dict[str, str], reply: Reply) -> Reply | None:
            if path == "/comments/deep1":
                return Reply(json.dumps(first), content_type=JSON)
            if path == "/api/morechildren":
                return chain_answer("deep1", ids)
            return None
        rewrite(api, answer)
        db = tmp_path / "r.db"
        result = crawl(api, db, way, "deep1")
        assert result.returncode == 0, result.stderr
        assert "Traceback" not in result.stderr
        stored = rows(db, "SELECT id, parent_id FROM comments WHERE story_id = 'deep1' "
                          "ORDER BY id")
        assert stored == [(cid, ids[k - 1] if k else None) for k, cid in enumerate(ids)]
        assert gaps(db) == []


@WAYS
def test_a_page_nested_too_deep_to_decode_is_one_line(api: RedditAPI, tmp_path: Path,
                                                      way: str) -> None:
    api.threads["abc12"] = thread = make_thread(3, seed=18)
    # Built as text: json.dumps itself cannot nest this deep.
    heads, tails = [], []
    for k in range(3000):
        text = json.dumps(listing([t1(f"n{k + 1:05d}", f"t1_n{k:05d}", replies="@")]))
        head, tail = text.split('"@"')
        heads.append(head)
        tails.append(tail)
    top = json.dumps(t1("n00000", "t3_abc12", replies="@")).split('"@"')
    comments = "".join([top[0], *heads, '""', *reversed(tails), top[1]])
    body = (f'[{json.dumps(listing([post(thread)]))}, '
            f'{{"kind": "Listing", "data": {{"children": [{comments}]}}}}]')

    def deep(path: str, query: dict[str, str], reply: Reply) -> Reply | None:
        return Reply(body, content_type=JSON) if path == "/comments/abc12" else None
    rewrite(api, deep)
    db = tmp_path / "r.db"
    result = crawl(api, db, way, "abc12", real=True)  # a failure of the console script
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    (line,) = errors(result)
    assert line.startswith("Error: reddit item abc12:") and "nested too deep" in line
    assert rows(db, "SELECT count(*) FROM comments") == [(0,)]


@WAYS
def test_a_413_answer_is_a_gap_and_the_rest_goes_on(api: RedditAPI, tmp_path: Path,
                                                    way: str) -> None:
    thread = api.threads["abc12"] = make_thread(400, seed=19)
    refused: list[str] = []

    def too_large(path: str, query: dict[str, str], reply: Reply) -> Reply | None:
        if path != "/api/morechildren" or refused:
            return None
        refused.append(query["children"])
        return Reply("<html><body><h1>413 Request Entity Too Large</h1></body></html>",
                     status=413, content_type="text/html")
    rewrite(api, too_large)
    db = tmp_path / "r.db"
    result = crawl(api, db, way, "abc12")
    assert result.returncode == 0, result.stderr
    assert "413" in result.stderr and "kept as a gap" in result.stderr
    assert len(morechildren_calls(api)) > 1  # the other stubs were still asked for
    assert_gap(db, len(thread.nodes))
    api.site.fault = None
    assert crawl(api, db, way, "abc12").returncode == 0
    assert tree_in_order(db, "abc12") == thread.order()


@WAYS
def test_a_stub_of_hundreds_of_ids_with_repeats_is_asked_in_chunks(tmp_path: Path,
                                                                    way: str) -> None:
    with serve(SiteServer()) as site:
        api = RedditAPI(site, cut=Cut(top=2, kids=50, depth=50))
        thread = api.threads["abc12"] = make_thread(400, seed=20, recent=400)

        def repeats(path: str, query: dict[str, str], reply: Reply) -> Reply | None:
            if path != "/comments/abc12":
                return None
            page = json.loads(reply.body)
            for thing in page[1]["data"]["children"]:
                if thing["kind"] == "more":  # every id listed twice
                    thing["data"]["children"] = thing["data"]["children"] * 2
            return Reply(json.dumps(page), content_type=JSON)
        rewrite(api, repeats)
        db = tmp_path / "r.db"
        result = crawl(api, db, way, "abc12")
        assert result.returncode == 0, result.stderr
        sizes = [len(t.split("children=")[1].split("&")[0].split("%2C"))
                 for _, t in site.log if t.startswith("/api/morechildren")]
        assert sizes and max(sizes) <= 100
        assert tree_in_order(db, "abc12") == thread.order()
        assert gaps(db) == []
