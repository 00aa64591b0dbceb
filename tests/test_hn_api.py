"""The Firebase client against the local stand-in, and the pure mapping of API items."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import pytest

from archive.models import Comment, Story
from scraper.hnapi.client import ApiClient, ApiError
from scraper.parsers import hn
from scraper.parsers.hn import api
from scraper.parsers.tree import assemble_thread
from tests import hnpages
from tests.firebase import (
    ROBOTS_PATH,
    Firebase,
    generated_range,
    items_of_thread,
    serve_firebase,
)

T = datetime(2026, 1, 14, 12, 0, tzinfo=UTC)


def run(coro: Any) -> Any:
    return asyncio.run(coro)


def test_a_generated_tree_maps_to_the_rows_its_html_gives_plus_exact_times() -> None:
    gen = hnpages.random_thread(400, seed=4, story_id="9000000")
    items = items_of_thread(gen, dead_text=True)
    root = items[9000000]
    assert root is not None
    thread = api.tree_to_thread(root, items, fetched_at=T)
    page = hn.parse_item_page(hnpages.site_pages(gen)[f"/item?id={gen.story_id}"],
                              url=f"https://news.ycombinator.com/item?id={gen.story_id}",
                              fetched_at=hnpages.FETCHED_AT, story_id=gen.story_id)
    html = assemble_thread([page])

    def placed(c: Comment) -> tuple[Any, ...]:
        return (c.id, c.parent_id, c.depth, c.position, c.author, c.created_at, c.deleted,
                c.dead)

    assert [placed(c) for c in thread.comments] == [placed(c) for c in html.comments]
    # The page's text, but for [flagged] comments, whose text only the API gives.
    shown = {c.id for c in gen.comments if not c.flagged}
    assert [c.text for c in thread.comments if c.id in shown] == \
        [c.text for c in html.comments if c.id in shown]
    assert thread.comments[0].created_at_raw == str(items[int(gen.comments[0].id)]["time"])


def test_null_items_keep_their_place_and_flags_map() -> None:
    root = {"id": 1, "type": "story", "title": "Ask HN: x?", "by": "pg", "time": 1160418111,
            "score": 5, "descendants": 4, "kids": [2, 3, 4]}
    items: dict[int, Any] = {
        1: root, 2: None,
        3: {"id": 3, "type": "comment", "deleted": True, "parent": 1, "time": 1160418200,
            "kids": [5]},
        4: {"id": 4, "type": "comment", "by": "a", "dead": True, "parent": 1, "time": 1160418300,
            "text": "gone <i>away</i>"},
        5: {"id": 5, "type": "comment", "by": "b", "parent": 3, "time": 1160418400, "text": "x"},
    }  # fmt: skip
    thread = api.tree_to_thread(root, items, fetched_at=T)
    t = datetime.fromtimestamp
    assert thread.story == Story(
        site="hn", id="1", title="Ask HN: x?", author="pg", score=5, comment_count=4,
        created_at=t(1160418111, UTC), created_at_raw="1160418111", kind="ask",
    )  # fmt: skip
    assert list(thread.comments) == [
        Comment(site="hn", id="3", story_id="1", parent_id=None, depth=0, position=1,
                created_at=t(1160418200, UTC), created_at_raw="1160418200", deleted=True),
        Comment(site="hn", id="5", story_id="1", parent_id="3", depth=1, position=0,
                author="b", created_at=t(1160418400, UTC), created_at_raw="1160418400",
                text_html="x", text="x"),
        Comment(site="hn", id="4", story_id="1", parent_id=None, depth=0, position=2,
                author="a", created_at=t(1160418300, UTC), created_at_raw="1160418300",
                text_html="gone <i>away</i>", text="gone away", dead=True),
    ]  # fmt: skip


def test_users_and_jobs_map() -> None:
    user = api.user_to_user({"id": "pg", "created": 1160418092, "karma": 157236,
                             "about": "Bug fixer.<p>Essays"})
    assert (user.id, user.karma, user.about, user.created_at_raw) == \
        ("pg", 157236, "Bug fixer.\n\nEssays", "1160418092")
    job = api.item_to_story({"id": 7, "type": "job", "title": "Hiring", "time": 1,
                             "url": "https://www.example.com/jobs"})
    assert (job.kind, job.domain, job.author, job.score) == ("job", "example.com", None, None)


def test_fetch_tree_asks_once_per_item_and_finds_every_one() -> None:
    gen = hnpages.random_thread(1500, seed=2, story_id="5000000")
    with serve_firebase(Firebase(items=items_of_thread(gen))) as fb:
        async def go() -> Any:
            async with ApiClient(fb.base_url, concurrency=16) as client:
                return await client.fetch_tree(5000000), client.requests
        tree, requests = run(go())
    assert set(tree.items) == {5000000, *(int(c.id) for c in gen.comments)}
    assert requests == fb.requests == 1501
    assert fb.served[ROBOTS_PATH] == 1  # read once, before the first item


def test_items_come_in_order_through_500s_dropped_connections_and_nulls() -> None:
    items = generated_range(1, 300, null_every=7)
    fb_api = Firebase(items=dict(items),
                      faults={"/v0/item/5.json": ["500", "drop", "503"],
                              "/v0/item/77.json": ["drop"]})  # fmt: skip
    with serve_firebase(fb_api) as fb:
        async def go() -> Any:
            async with ApiClient(fb.base_url, concurrency=8, backoff=0.01) as client:
                got = [pair async for pair in client.fetch_items(range(1, 301))]
                return got, client.retried, await client.maxitem()
        got, retried, maxitem = run(go())
    assert got == [(i, items[i]) for i in range(1, 301)]
    # aiohttp itself resends once a request whose reused connection the server dropped,
    # so a drop costs this client a retry only where it happens twice.
    assert retried >= 2
    assert fb.served["/v0/item/5.json"] == 4 and maxitem == 0


def test_a_site_that_keeps_failing_is_one_clear_error() -> None:
    with serve_firebase(Firebase(faults={"/v0/item/1.json": ["500"] * 10})) as fb:
        async def go() -> None:
            async with ApiClient(fb.base_url, retries=2, backoff=0.01) as client:
                await client.item(1)
        with pytest.raises(ApiError, match=r"item/1.json: HTTP 500, 3 attempts"):
            run(go())


def test_lists_updates_users_and_the_body_cap() -> None:
    fb_api = Firebase(lists={"topstories": [3, 2, 1]}, users={"pg": {"id": "pg", "karma": 1}},
                      updates={"items": [5, 6], "profiles": ["pg"]}, maxitem=42)
    with serve_firebase(fb_api) as fb:
        async def go() -> Any:
            async with ApiClient(fb.base_url) as client:
                got = (await client.story_ids("topstories"), await client.updates(),
                       await client.user("pg"), await client.maxitem())
            async with ApiClient(fb.base_url, max_body=5) as small:
                with pytest.raises(ApiError, match="LINKTHREAD_MAX_BODY"):
                    await small.story_ids("topstories")
            return got
        assert run(go()) == ([3, 2, 1], ([5, 6], ["pg"]), {"id": "pg", "karma": 1}, 42)


def test_robots_txt_is_read_once_and_obeyed() -> None:
    # The real host's rules (tests.firebase.ROBOTS): /*.json allowed, the rest not.
    with serve_firebase(Firebase(items=generated_range(1, 50))) as fb:
        async def go() -> Any:
            async with ApiClient(fb.base_url, concurrency=8) as client:
                got = [pair async for pair in client.fetch_items(range(1, 51))]
                with pytest.raises(ApiError, match=r"robots.txt of http://127.0.0.1:\d+ "
                                                   r"forbids /v0/item/1 for linkthread"):
                    await client.get("item/1")
                return got, client.requests, client.robots_requests
        got, requests, robots = run(go())
    assert [i for i, item in got if item is not None] == list(range(1, 51))
    assert (requests, robots) == (50, 1)
    assert fb.served[ROBOTS_PATH] == 1 and fb.asked["/v0/item/1"] == 0  # never asked


def test_no_robots_txt_allows_everything_an_unreadable_one_nothing() -> None:
    with serve_firebase(Firebase(robots=None, maxitem=7)) as fb:
        async def go() -> Any:
            async with ApiClient(fb.base_url) as client:
                return await client.maxitem()
        assert run(go()) == 7
    failing = Firebase(maxitem=7, faults={ROBOTS_PATH: ["500"] * 10})
    with serve_firebase(failing) as fb:
        async def refused() -> None:
            async with ApiClient(fb.base_url, retries=2, backoff=0.01) as client:
                await client.maxitem()
        with pytest.raises(ApiError, match=r"robots.txt of .* could not be read, so nothing"):
            run(refused())
        assert fb.requests == 0  # the API itself was never asked


def test_robots_can_be_left_unread() -> None:
    with serve_firebase(Firebase(maxitem=3)) as fb:
        async def go() -> Any:
            async with ApiClient(fb.base_url, robots=False) as client:
                return await client.maxitem()
        assert run(go()) == 3
        assert fb.served[ROBOTS_PATH] == 0


def test_which_crawls_read_the_api_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    from scraper.hnapi.crawl import ApiCrawl, api_threads

    monkeypatch.delenv("LINKTHREAD_HN_VIA", raising=False)
    no = {"items": "", "listings": "", "users": ""}
    assert api_threads({**no, "items": "1,2", "via": "api"}) == ["1", "2"]
    assert api_threads({**no, "items": "1"}) is None  # --via both, the default
    assert api_threads({**no, "items": "1", "via": "html"}) is None
    assert api_threads({**no, "items": "1", "listings": "news", "via": "api"}) is None
    assert api_threads({**no, "users": "pg", "via": "api"}) is None
    monkeypatch.setenv("LINKTHREAD_HN_VIA", "api")
    assert api_threads({**no, "items": "7"}) == ["7"]
    run = ApiCrawl(db_path="x.db", story_ids=["7", "8"], threads=1, comments=12, requests=40)
    run.fail("8", "the API did not give the thread: ...")
    assert run.line() == "1/2 targets · 12 comments · 1 error · 40 items fetched from the API"
    assert run.failures == ["hn item 8: the API did not give the thread: ..."]
