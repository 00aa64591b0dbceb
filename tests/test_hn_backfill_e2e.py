"""`linkthread backfill hn` against the local Firebase stand-in: a range with null ids,
and a backfill killed (SIGKILL) and started again."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from archive.search_segments import shape
from tests.conftest import LINKTHREAD, rows, run_linkthread, wait_until
from tests.firebase import Firebase, generated_range, serve_firebase

pytestmark = pytest.mark.e2e


def expected_rows(items: dict[int, dict[str, Any] | None]) -> tuple[list[tuple], list[tuple]]:
    """(stories, comments) as the archive must hold them: (id, title, author, created_at)
    and (id, story_id, parent_id, depth, position, author, created_at, text)."""
    where: dict[int, tuple[int, int]] = {}
    stories, comments = [], []
    for i, item in sorted(items.items()):
        if item is None:
            continue
        when = f"{datetime.fromtimestamp(item['time'], UTC):%Y-%m-%dT%H:%M:%SZ}"
        if item["type"] == "story":
            where[i] = (i, -1)
            stories.append((str(i), item["title"], item["by"], when))
            continue
        parent = item["parent"]
        story, depth = where[parent]
        where[i] = (story, depth + 1)
        above = items[parent]
        assert above is not None
        text = item["text"].replace("<p>", "\n\n")
        comments.append((str(i), str(story), None if depth < 0 else str(parent), depth + 1,
                         above["kids"].index(i), item["by"], when, text))
    return stories, comments


def stored(db: Path) -> tuple[list[tuple], list[tuple]]:
    return (
        rows(db, "SELECT id, title, author, created_at FROM stories ORDER BY CAST(id AS INT)"),
        rows(db, "SELECT id, story_id, parent_id, depth, position, author, created_at, text"
                 " FROM comments ORDER BY CAST(id AS INT)"),
    )  # fmt: skip


def env_for(fb: Firebase) -> dict[str, str]:
    return {"LINKTHREAD_HN_API_URL": fb.base_url}


def test_a_range_with_null_ids_stores_every_other_item(tmp_path: Path) -> None:
    items = generated_range(1, 2000, null_every=9, seed=3)
    db = tmp_path / "hn.db"
    with serve_firebase(Firebase(items=dict(items))) as fb:
        done = run_linkthread("backfill", "hn", "--from", "1", "--to", "2000", "--batch", "150",
                              "--db", str(db), env=env_for(fb))
    assert done.returncode == 0, done.stderr
    assert stored(db) == expected_rows(items)
    assert fb.requests == 2000  # one request per id, the null ones included
    assert rows(db, "SELECT DISTINCT source FROM comments") == [("api",)]
    assert rows(db, "SELECT name, position FROM follow_state") == [("backfill:1-2000", 2000)]
    assert rows(db, "SELECT count(*) FROM pending_comments") == [(0,)]
    assert "backfilled 1-2000 of 1-2000" in done.stderr
    # A batch a transaction is a segment of the full-text index a batch, merged where
    # the backfill ends (search_merge), as a crawl's are.
    with sqlite3.connect(db) as conn:
        assert not shape(conn).mergeable(4), shape(conn).lines()


def test_a_killed_backfill_continues_and_fetches_nothing_it_had_stored(tmp_path: Path) -> None:
    items = generated_range(1, 3000, null_every=13, seed=5)
    db = tmp_path / "hn.db"
    held = 1500
    api = Firebase(items=dict(items))
    with serve_firebase(api) as fb:
        fb.hold(fb.item_path(held))
        args = [str(LINKTHREAD), "backfill", "hn", "--from", "1", "--to", "3000", "--batch",
                "100", "--db", str(db)]
        proc = subprocess.Popen(args, env={**os.environ, **env_for(fb)}, text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            fb.wait_asked(fb.item_path(held))
            # Ids are committed in order: the batch that holds the held id cannot be.
            wait_until(lambda: rows(db, "SELECT position FROM follow_state") == [(1400,)],
                       "the batch before the held id committed", proc)
            proc.send_signal(signal.SIGKILL)
            proc.wait(60)
        finally:
            if proc.poll() is None:
                proc.kill()
            proc.communicate()
        before = dict(fb.served)
        fb.release()
        done = run_linkthread(*args[1:], env=env_for(fb))
        assert done.returncode == 0, done.stderr
        after = dict(fb.served)
    assert all(after.get(fb.item_path(i), 0) == 1 for i in range(1, 1401)), \
        "an id committed before the kill was fetched again"
    assert all(after.get(fb.item_path(i), 0) >= 1 for i in range(1401, 3001))
    assert sum(before.values()) < 3000
    assert stored(db) == expected_rows(items)
    assert rows(db, "SELECT position FROM follow_state") == [(3000,)]
    assert "backfilled 1-3000 of 1-3000" in done.stderr


def test_last_n_is_the_range_up_to_maxitem(tmp_path: Path) -> None:
    items = generated_range(1, 400, seed=2)
    db = tmp_path / "hn.db"
    with serve_firebase(Firebase(items=dict(items), maxitem=400)) as fb:
        done = run_linkthread("backfill", "hn", "--last", "50", "--db", str(db),
                              env=env_for(fb))
        asked = sorted(int(p.split("/")[-1].removesuffix(".json"))
                       for p in fb.served if p.startswith("/v0/item/"))
    assert done.returncode == 0, done.stderr
    assert asked == list(range(351, 401))
    assert "--last 50 is ids 351-400: `--from 351 --to 400` continues" in done.stderr
    # Replies to stories before the range wait for them; the rest is stored.
    waiting = rows(db, "SELECT count(*) FROM pending_comments")[0][0]
    stored_ids = rows(db, "SELECT count(*) FROM stories")[0][0] + \
        rows(db, "SELECT count(*) FROM comments")[0][0]
    assert stored_ids + waiting == 50
    assert rows(db, "SELECT name, position FROM follow_state") == [("backfill:351-400", 400)]


def test_an_api_that_keeps_failing_is_one_line_and_keeps_what_came_before(
        tmp_path: Path) -> None:
    items = generated_range(1, 300, seed=2)
    db = tmp_path / "hn.db"
    api = Firebase(items=dict(items), faults={"/v0/item/250.json": ["500"] * 20})
    with serve_firebase(api) as fb:
        done = run_linkthread("backfill", "hn", "--from", "1", "--to", "300", "--batch", "100",
                              "--db", str(db),
                              env={**env_for(fb), "LINKTHREAD_HN_API_BACKOFF": "0.01"})
    assert done.returncode == 1
    assert done.stderr.strip().splitlines()[-1] == (
        f"Error: {fb.base_url}/item/250.json: HTTP 500, 7 attempts (what was fetched before"
        " it is stored; run the same backfill again to continue)")
    assert "Traceback" not in done.stderr
    assert rows(db, "SELECT position FROM follow_state") == [(249,)]


def test_ctrl_c_stores_what_was_fetched_and_says_how_to_continue(tmp_path: Path) -> None:
    items = generated_range(1, 2000, seed=4)
    db = tmp_path / "hn.db"
    with serve_firebase(Firebase(items=dict(items))) as fb:
        fb.hold(fb.item_path(800))  # hangs: the stop must not wait for it
        proc = subprocess.Popen(
            [str(LINKTHREAD), "backfill", "hn", "--from", "1", "--to", "2000", "--batch", "100",
             "--db", str(db)], env={**os.environ, **env_for(fb)}, text=True,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip
        try:
            fb.wait_asked(fb.item_path(800))
            wait_until(lambda: rows(db, "SELECT position FROM follow_state") == [(700,)],
                       "the batches before the held id committed", proc)
            proc.send_signal(signal.SIGINT)
            _, err = proc.communicate(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
    assert proc.returncode == 130, err
    # What had arrived when the stop came (ids fetched in order, short of the held one)
    # is stored: the mark moved past the last batch boundary.
    [(position,)] = rows(db, "SELECT position FROM follow_state")
    assert 700 <= position < 800
    want = expected_rows({i: item for i, item in items.items() if i <= position})
    assert stored(db) == want
    assert err.strip().splitlines()[-1] == (
        f"stopped: run `linkthread backfill hn --from 1 --to 2000 --db {db}` to continue")
    assert "Traceback" not in err
