"""End to end: `linkthread crawl hn --via api|both` against the local Firebase stand-in
(tests/firebase.py) and the local HTML server, one generated tree in both forms."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests import hnpages
from tests.conftest import LINKTHREAD, ROOT, rows, run_linkthread
from tests.firebase import Firebase, items_of_thread, serve_firebase
from tests.server import SiteServer

pytestmark = pytest.mark.e2e

Items = dict[int, dict[str, Any] | None]
COLUMNS = "id, parent_id, depth, position, author, dead, flagged, deleted, colour, text"


@pytest.fixture
def api() -> Iterator[Firebase]:
    with serve_firebase() as stand_in:
        yield stand_in


def crawl(db: Path, story_id: str, via: str, *, site: SiteServer | None = None,
          api: Firebase | None = None, ok: bool = True) -> str:
    env = {"LINKTHREAD_HN_API_URL": api.base_url} if api is not None else {}
    # No HTML server for --via api: the page host is then one that answers nothing.
    result = run_linkthread("crawl", "hn", story_id, "--via", via, "--db", str(db),
                            base_url=site.base_url if site else "http://127.0.0.1:9", env=env)
    assert (result.returncode == 0) is ok, result.stderr[-3000:]
    return result.stderr


def api_truth(items: Items, story_id: int) -> list[tuple]:
    """(id, parent, depth, position, author, created_at, dead, deleted) of every comment
    reachable through kids, position its index in its parent's kids (a null keeps its
    place), straight from the items the stand-in serves."""
    out: list[tuple] = []

    def walk(item_id: int, parent: str | None, depth: int) -> None:
        for position, kid in enumerate((items[item_id] or {}).get("kids", [])):
            item = items.get(kid)
            if item is None:
                continue
            moment = json.dumps(item["time"])  # the epoch as sent: exact, to the second
            out.append((str(kid), parent, depth, position, item.get("by"), moment,
                        int(bool(item.get("dead"))), int(bool(item.get("deleted")))))
            walk(kid, str(kid), depth + 1)

    walk(story_id, None, 0)
    return sorted(out, key=lambda r: int(r[0]))


def stored(db: Path) -> list[tuple]:
    return rows(db, "select id, parent_id, depth, position, author, created_at_raw, dead,"
                    " deleted from comments order by cast(id as integer)")


def test_via_api_archives_a_5000_comment_thread_exactly(api: Firebase, tmp_path: Path) -> None:
    thread = hnpages.random_thread(5000, seed=11)
    items = items_of_thread(thread)
    story = int(thread.story_id)
    # Two nulls in the middle of sibling lists (their later siblings keep their index),
    # and faults the client must ride out: a 500 twice, a dropped connection.
    nulls = [int(thread.roots[3].id), next(int(c.id) for c in thread.comments[100:]
                                           if c.depth == 2)]
    for n in nulls:
        items[n] = None
    api.add(items)
    truth = api_truth(items, story)
    faults = {api.item_path(int(truth[10][0])): ["500", "500"],
              api.item_path(int(truth[20][0])): ["drop"], api.item_path(story): ["500"]}
    api.faults.update({k: list(v) for k, v in faults.items()})
    db = tmp_path / "api.db"

    crawl(db, thread.story_id, "api", api=api)

    assert len(truth) > 4000
    assert stored(db) == truth
    # Dead and deleted items keep their rows and places; the nulls' are absent, their
    # siblings after them keep their index.
    assert {r[6:] for r in truth} == {(0, 0), (1, 0), (0, 1)}
    assert (rows(db, "select count(*) from comments where id in (?, ?)", *map(str, nulls))
            == [(0,)])
    # Every item of the tree asked once (the root, and each id in a kids list,
    # the nulls included), plus one more for each injected fault.
    reachable = 1 + len(truth) + len(nulls)
    assert api.requests == reachable + sum(len(v) for v in faults.values())
    assert sum(1 for path in api.served if "/item/" in path) == reachable
    assert rows(db, "select distinct source from comments") == [("api",)]
    assert rows(db, "select source, comment_count, created_at_raw from stories") == [
        ("api", 5000, str(items[story]["time"]))]  # type: ignore[index]


def test_a_shortfall_against_descendants_is_a_gap(api: Firebase, tmp_path: Path) -> None:
    thread = hnpages.random_thread(50, seed=12, edge_cases=False)
    items = items_of_thread(thread)
    items[int(thread.roots[1].id)] = None  # the API answers null: its replies are unreachable
    api.add(items)
    db = tmp_path / "api.db"

    crawl(db, thread.story_id, "api", api=api)

    lost = 1 + sum(1 for c in thread.comments if _under(c, thread.roots[1].id, thread))
    [gap] = json.loads(run_linkthread("gaps", "--json", "--db", str(db)).stdout)
    assert (gap["kind"], gap["declared"], gap["archived"], gap["shortfall"]) == (
        "short", 50, 50 - lost, lost)


def _under(c: hnpages.GenComment, ancestor: str, thread: hnpages.GenThread) -> bool:
    by_id = {x.id: x for x in thread.comments}
    parent = c.parent_id
    while parent is not None:
        if parent == ancestor:
            return True
        parent = by_id[parent].parent_id
    return False


def test_via_both_is_the_page_plus_exact_times(site: SiteServer, api: Firebase,
                                               tmp_path: Path) -> None:
    # Old markup: the page says only "3 hours ago"; the API the second.
    thread = hnpages.random_thread(400, seed=13, edge_cases=False)
    site.routes.update(hnpages.site_pages(thread, era="old"))
    items = items_of_thread(thread)
    api.add(items)
    page_db, both_db = tmp_path / "html.db", tmp_path / "both.db"

    crawl(page_db, thread.story_id, "html", site=site)
    crawl(both_db, thread.story_id, "both", site=site, api=api)

    query = f"select {COLUMNS} from comments order by cast(id as integer)"
    assert rows(both_db, query) == rows(page_db, query)
    exact = {str(i): str(item["time"]) for i, item in items.items() if item}
    both_times = rows(both_db, "select id, created_at_raw, source from comments")
    assert both_times == [(i, exact[i], "api,html") for i, _, _ in both_times]
    page_raw = {r[0] for r in rows(page_db, "select created_at_raw from comments")}
    assert all(raw.endswith(" ago") for raw in page_raw)
    assert rows(both_db, "select count(*) from source_differences") == [(0,)]
    assert rows(both_db, "select source, created_at_raw from stories") == [
        ("api,html", str(items[int(thread.story_id)]["time"]))]  # type: ignore[index]


def test_via_both_keeps_what_one_form_lacks_and_says_so(site: SiteServer, api: Firebase,
                                                        tmp_path: Path) -> None:
    thread = hnpages.random_thread(120, seed=14, edge_cases=False)
    site.routes.update(hnpages.site_pages(thread))
    items = items_of_thread(thread)
    story = int(thread.story_id)
    # The API lacks a leaf the page shows (null), has a reply the page does not, and
    # puts another comment under the story where the page nests it.
    host = thread.roots[0]
    leaf = next(c for c in thread.comments
                if c.depth == 1 and not c.children and c.parent_id != host.id)
    items[int(leaf.id)] = None
    extra_id = max(i for i in items) + 1
    items[extra_id] = {"id": extra_id, "type": "comment", "by": "apionly", "time": 1768390000,
                       "parent": int(host.id), "text": "only the API has me"}
    items[int(host.id)]["kids"].insert(0, extra_id)  # type: ignore[index]
    moved = next(c for c in thread.comments if c.depth == 1 and c.children
                 and c.parent_id != host.id)
    items[int(moved.parent_id)]["kids"].remove(int(moved.id))  # type: ignore[arg-type,index]
    items[story]["kids"].append(int(moved.id))  # type: ignore[index]
    api.add(items)
    db = tmp_path / "both.db"

    crawl(db, thread.story_id, "both", site=site, api=api)

    assert rows(db, "select id, parent_id, position, author, source from comments where id in"
                    " (?, ?, ?) order by cast(id as integer)", leaf.id, moved.id,
                str(extra_id)) == sorted([
        (leaf.id, leaf.parent_id, _position(thread, leaf), leaf.author, "html"),
        (moved.id, moved.parent_id, _position(thread, moved), moved.author, "api,html"),
        (str(extra_id), host.id, 0, "apionly", "api"),
    ], key=lambda r: int(r[0]))  # fmt: skip
    assert rows(db, "select count(*) from comments") == [(121,)]
    differs = [(r["comment_id"], r["text"]) for r in json.loads(run_linkthread(
        "changes", "hn", thread.story_id, "--json", "--db", str(db)).stdout)
        if r["change"] == "differs"]
    assert sorted(differs) == sorted([
        (leaf.id, "only in html, not in api"),
        (moved.id, f"parent differs: api top level, html {moved.parent_id}"),
        (str(extra_id), "only in api, not in html"),
    ])
    [gap] = json.loads(run_linkthread("gaps", "--json", "--db", str(db)).stdout)
    assert (gap["kind"], gap["story_id"], gap["shortfall"]) == ("disagree", thread.story_id, 3)


def _position(thread: hnpages.GenThread, c: hnpages.GenComment) -> int:
    siblings = (thread.roots if c.parent_id is None else
                next(x for x in thread.comments if x.id == c.parent_id).children)
    return [s.id for s in siblings].index(c.id)


def test_a_listings_threads_come_through_the_api_its_ranks_from_the_page(
        site: SiteServer, api: Firebase, tmp_path: Path) -> None:
    threads = [hnpages.random_thread(30, seed=20 + k, story_id=str(9000 + 100 * k),
                                     edge_cases=False) for k in range(3)]
    stories = [hnpages.GenStory(id=t.story_id, title=t.title, score=10 + k, comments=30)
               for k, t in enumerate(threads)]
    site.routes["/news"] = hnpages.listing_page(stories)
    for t in threads:
        api.add(items_of_thread(t))
    db = tmp_path / "api.db"

    result = run_linkthread("crawl", "hn", "front", "--threads", "--via", "api", "--db",
                            str(db), base_url=site.base_url,
                            env={"LINKTHREAD_HN_API_URL": api.base_url})

    assert result.returncode == 0, result.stderr[-3000:]
    assert rows(db, "select story_id, rank, via from listing_snapshots order by rank") == [
        (t.story_id, k + 1, "html") for k, t in enumerate(threads)]
    assert rows(db, "select story_id, count(*), min(source), max(source) from comments"
                    " group by story_id order by story_id") == [
        (t.story_id, 30, "api", "api") for t in threads]
    # No item page was asked for: only the listing, and robots.txt.
    assert [t for _, t in site.log if t.startswith("/item")] == []


def test_the_pages_crawl_delay_does_not_hold_back_the_api(site: SiteServer, api: Firebase,
                                                          tmp_path: Path) -> None:
    threads = [hnpages.random_thread(200, seed=30 + k, story_id=str(7000 + 1000 * k))
               for k in range(2)]
    for t in threads:
        site.routes.update(hnpages.site_pages(t))
        api.add(items_of_thread(t))
    env = {**os.environ, "LINKTHREAD_DOWNLOAD_DELAY": "0", "LINKTHREAD_MIN_DELAY": "0",
           "LINKTHREAD_CRAWL_DELAY": "60", "LINKTHREAD_HN_BASE_URL": site.base_url,
           "LINKTHREAD_HN_API_URL": api.base_url}
    cmd = [str(LINKTHREAD)] if LINKTHREAD.exists() else [sys.executable, "-m", "scraper.cli"]
    proc = subprocess.Popen([*cmd, "crawl", "hn", *(t.story_id for t in threads), "--via",
                             "both", "--db", str(tmp_path / "both.db")], env=env, cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        # Both trees, whole (the stories and 400 comments), while the pages wait their
        # 60 s (robots.txt, then at most one item page): their pace is the page host's.
        api.wait_requests(402, timeout=120)
        asked = [t for _, t in site.log if t != "/robots.txt"]
        assert asked in ([], [f"/item?id={threads[0].story_id}"],
                         [f"/item?id={threads[1].story_id}"])
    finally:
        proc.terminate()
        proc.communicate(timeout=120)


def test_an_api_that_fails_leaves_the_pages_thread_stored_and_says_so(
        site: SiteServer, api: Firebase, tmp_path: Path) -> None:
    thread = hnpages.random_thread(40, seed=40, edge_cases=False)
    site.routes.update(hnpages.site_pages(thread))
    api.add(items_of_thread(thread))
    root = api.item_path(int(thread.story_id))
    api.faults[root] = ["500"] * 50  # more than the client's retries
    db = tmp_path / "both.db"

    result = run_linkthread("crawl", "hn", thread.story_id, "--via", "both", "--db", str(db),
                            base_url=site.base_url,
                            env={"LINKTHREAD_HN_API_URL": api.base_url,
                                 "LINKTHREAD_HN_API_BACKOFF": "0.01"})

    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error: ")]
    assert errors == [f"Error: hn item {thread.story_id}: the API did not give the thread: "
                      f"{api.base_url}/item/{thread.story_id}.json: HTTP 500, 7 attempts"]
    assert rows(db, "select count(*), min(source), max(source) from comments") == [
        (40, "html", "html")]
