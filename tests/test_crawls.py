"""archive.crawls: what each crawl was asked to do, how far it got, and what is left."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import sqlite_utils

from archive.crawls import (
    Target,
    crawl_args,
    crawl_targets,
    finish_crawl,
    recover_dead_crawls,
    resumable,
    start_crawl,
)
from archive.db import open_db
from archive.models import Listing, ListingEntry, User
from archive.store import save_listing, save_thread, save_user
from tests.test_store import T0, make_story, make_thread, table_rows


@pytest.fixture
def db(tmp_path: Path) -> sqlite_utils.Database:
    return open_db(tmp_path / "c.db")


def targets(db: sqlite_utils.Database) -> list[tuple]:
    return [(t["crawl_id"], t["kind"], t["target"], t["state"], t["detail"])
            for t in table_rows(db, "crawl_targets")]  # fmt: skip


def listing(*ids: str) -> Listing:
    entries = tuple(ListingEntry(site="hn", story_id=i, rank=n, title=f"Story {i}")
                    for n, i in enumerate(ids, 1))  # fmt: skip
    return Listing(site="hn", name="news", page=1, url="https://news.ycombinator.com/news",
                   fetched_at=T0, entries=entries)  # fmt: skip


def test_targets_are_done_in_the_transaction_that_stores_them(db: sqlite_utils.Database) -> None:
    crawl = start_crawl(db, command="crawl hn", args={}, targets=[
        Target("hn", "thread", "100"), Target("hn", "thread", "200"),
        Target("hn", "listing", "news"), Target("hn", "user", "pg")])  # fmt: skip
    save_thread(db, make_thread(), crawl_id=crawl)
    save_listing(db, listing("300", "100"), crawl_id=crawl, target="news", follow=True)
    save_user(db, User(site="hn", id="pg", karma=1), crawl_id=crawl, fetched_at=T0)

    assert targets(db) == [
        (crawl, "thread", "100", "done", None), (crawl, "thread", "200", "queued", None),
        (crawl, "listing", "news", "done", None), (crawl, "user", "pg", "done", None),
        (crawl, "thread", "300", "queued", None),  # followed from the listing; 100 was done
    ]  # fmt: skip


def test_a_finished_crawl_marks_what_it_did_not_store_failed(db: sqlite_utils.Database) -> None:
    crawl = start_crawl(db, command="crawl hn", args={}, targets=[
        Target("hn", "thread", "100"), Target("hn", "thread", "200"),
        Target("hn", "thread", "300")])  # fmt: skip
    save_thread(db, make_thread(), crawl_id=crawl)
    finish_crawl(db, crawl, status="finished", pages=1, threads=1, comments=3, errors=1,
                 failures=["hn item 200: No such item."])  # fmt: skip
    assert targets(db) == [
        (crawl, "thread", "100", "done", None),
        (crawl, "thread", "200", "failed", "hn item 200: No such item."),
        (crawl, "thread", "300", "failed", "not archived"),
    ]  # fmt: skip
    assert resumable(db, "hn") == ([], [])


def test_an_interrupted_crawl_leaves_its_queue_to_resume(db: sqlite_utils.Database) -> None:
    first = start_crawl(db, command="crawl hn", args={}, targets=[
        Target("hn", "thread", "100"), Target("hn", "thread", "200")])  # fmt: skip
    save_thread(db, make_thread(), crawl_id=first)
    assert resumable(db, "hn") == ([], [])  # still running: not ours to take
    finish_crawl(db, first, status="interrupted", pages=1, threads=1, comments=3, errors=0)
    assert resumable(db, "hn") == ([first], [Target("hn", "thread", "200")])
    assert resumable(db, "lobsters") == ([], [])

    second = start_crawl(db, command="crawl hn", args={"pages": 1}, resume="hn",
                         targets=[Target("hn", "thread", "300")])  # fmt: skip
    assert targets(db) == [
        (first, "thread", "100", "done", None),
        (first, "thread", "200", "resumed", f"by crawl {second}"),
        (second, "thread", "300", "queued", None),
        (second, "thread", "200", "queued", None),
    ]  # fmt: skip
    assert crawl_targets(db, second) == [Target("hn", "thread", "300"),
                                         Target("hn", "thread", "200")]
    assert crawl_args(db, [second, first]) == [{}, {"pages": 1, "resume_from": [first]}]
    assert resumable(db, "hn") == ([], [])  # the second crawl runs (in this process)


def test_two_resumes_never_take_the_same_target(db: sqlite_utils.Database) -> None:
    first = start_crawl(db, command="crawl hn", args={}, targets=[
        Target("hn", "thread", "100"), Target("hn", "user", "pg")])  # fmt: skip
    finish_crawl(db, first, status="interrupted", pages=0, threads=0, comments=0, errors=0)
    # Both looked (as `crawl --resume` does before Scrapy starts) and saw the same work...
    assert resumable(db, "hn") == resumable(db, "hn") == (
        [first], [Target("hn", "thread", "100"), Target("hn", "user", "pg")])

    # ...but only the first to record its crawl takes it over.
    one = start_crawl(db, command="crawl hn", args={}, resume="hn")
    two = start_crawl(db, command="crawl hn", args={}, resume="hn")
    assert crawl_targets(db, one) == [Target("hn", "thread", "100"), Target("hn", "user", "pg")]
    assert crawl_targets(db, two) == []


def test_a_crawl_whose_process_is_gone_is_interrupted(db: sqlite_utils.Database) -> None:
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    crawl = start_crawl(db, command="crawl hn", args={}, targets=[Target("hn", "thread", "1")])
    db.conn.execute("UPDATE crawls SET pid = ? WHERE id = ?", (int(gone.stdout), crawl))
    db.conn.commit()
    live = start_crawl(db, command="crawl hn", args={})  # this process: alive

    assert [(c["id"], c["status"]) for c in table_rows(db, "crawls")] == [
        (crawl, "interrupted"), (live, "running")]  # fmt: skip
    assert recover_dead_crawls(db.conn) == 0
    assert resumable(db, "hn") == ([crawl], [Target("hn", "thread", "1")])
    assert save_thread(db, make_thread(story=make_story()), crawl_id=live).new_comments == 3
