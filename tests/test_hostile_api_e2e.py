"""The HN API answering another item than asked, or kids that are no list of ids: the
thread fails in one line and nothing of it is stored (it was stored under the other id,
or whole without the kids it could not read)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from scraper.hnapi.client import ApiClient, ApiError
from tests.conftest import rows, run_linkthread
from tests.firebase import STORY_TIME, Firebase, serve_firebase

pytestmark = pytest.mark.e2e

Items = dict[int, dict[str, Any] | None]


@pytest.fixture
def api() -> Iterator[Firebase]:
    with serve_firebase() as fb:
        yield fb


def thread() -> Items:
    def comment(cid: int, parent: int, **more: Any) -> dict[str, Any]:
        return {"id": cid, "type": "comment", "by": "b", "time": STORY_TIME + cid,
                "parent": parent, "text": f"c{cid}", **more}
    return {100: {"id": 100, "type": "story", "by": "a", "time": STORY_TIME, "title": "T",
                  "score": 5, "descendants": 3, "kids": [101, 102]},
            101: comment(101, 100, kids=[103]), 102: comment(102, 100), 103: comment(103, 101)}


def _set(item: int, **fields: Any) -> Callable[[Items], None]:
    return lambda items: items[item].update(fields)  # type: ignore[union-attr]


ODD = {
    "a kid answered as another id": (_set(102, id=555), 102, "an answer for item '555', not 102"),
    "the story answered as another": (_set(100, id=999), 100, "an answer for item '999'"),
    "an id of true": (_set(102, id=True), 102, "an answer for item 'True', not 102"),
    "an id as text": (_set(102, id="102"), 102, "an answer for item '102', not 102"),
    "kids as text": (_set(100, kids="101"), 100, "its 'kids' are not a list of item ids"),
    "kids as a number": (_set(100, kids=5), 100, "its 'kids' are not a list of item ids"),
    "a kid as a float": (_set(100, kids=[101, 102.0]), 100, "its 'kids' are not a list"),
    "a negative kid": (_set(101, kids=[-5]), 101, "its 'kids' are not a list of item ids"),
}


@pytest.mark.parametrize("name", ODD)
def test_an_answer_that_is_not_the_item_asked_fails_its_thread(
        api: Firebase, tmp_path: Path, name: str) -> None:
    change, at, why = ODD[name]
    items = thread()
    change(items)
    api.add(items)
    db = tmp_path / "a.db"

    result = run_linkthread("crawl", "hn", "100", "--via", "api", "--db", str(db),
                            env={"LINKTHREAD_HN_API_URL": api.base_url}, timeout=60)

    assert result.returncode == 1, result.stderr[-2000:]
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error: ")]
    assert len(errors) == 1 and errors[0].startswith(
        f"Error: hn item 100: the API did not give the thread: {api.base_url}/item/{at}.json: "
        f"{why}"), errors
    assert rows(db, "select count(*) from stories") == [(0,)]
    assert rows(db, "select count(*) from comments") == [(0,)]


def test_a_range_read_stops_at_an_answer_for_another_item(api: Firebase) -> None:
    api.add({1: {"id": 1, "type": "comment"}, 2: {"id": 7, "type": "comment"}})

    async def read() -> list[int]:
        seen = []
        async with ApiClient(api.base_url, retries=0) as client:
            async for item_id, _ in client.fetch_items([1, 2, 3]):
                seen.append(item_id)
        return seen

    with pytest.raises(ApiError, match=r"item/2.json: an answer for item '7', not 2"):
        asyncio.run(read())


def test_cycles_and_repeats_in_kids_are_read_once(api: Firebase, tmp_path: Path) -> None:
    items = thread()
    items[103]["kids"] = [100, 101, 103]  # type: ignore[index]
    items[100]["kids"] = [101, 101, 102]  # type: ignore[index]
    api.add(items)
    db = tmp_path / "a.db"

    result = run_linkthread("crawl", "hn", "100", "--via", "api", "--db", str(db),
                            env={"LINKTHREAD_HN_API_URL": api.base_url}, timeout=60)

    assert result.returncode == 0, result.stderr[-2000:]
    assert rows(db, "select id, parent_id from comments order by id") == [
        ("101", None), ("102", None), ("103", "101")]
    assert all(api.served[f"/v0/item/{i}.json"] == 1 for i in (100, 101, 102, 103))


def test_lists_keep_only_item_ids_and_refuse_what_is_no_list() -> None:
    lists = {"topstories": [3, True, -1, 2.0, 5], "newstories": {"a": 1}}  # type: ignore[dict-item]
    with serve_firebase(Firebase(lists=lists,
                                 updates={"items": [True, 4, "x"], "profiles": ["pg", 5]})) as fb:
        async def read() -> tuple[list[int], tuple[list[int], list[str]]]:
            async with ApiClient(fb.base_url, retries=0) as client:
                return await client.story_ids("topstories"), await client.updates()

        async def read_new() -> list[int]:
            async with ApiClient(fb.base_url, retries=0) as client:
                return await client.story_ids("newstories")

        assert asyncio.run(read()) == ([3, 5], ([4], ["pg"]))
        with pytest.raises(ApiError, match=r"newstories\.json: not a list of item ids"):
            asyncio.run(read_new())
