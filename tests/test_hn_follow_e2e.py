"""`linkthread follow hn` against a Firebase stand-in whose maxitem and updates move:
new and changed items stored with history; a kill and a restart lose nothing and fetch
nothing twice. Each poll is let through one at a time (``Firebase.allow`` on
maxitem.json): the next poll's first request says the previous poll is committed."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
from pathlib import Path

import pytest

from archive.db import open_db
from archive.search_segments import shape
from tests.conftest import LINKTHREAD, rows
from tests.firebase import Firebase, generated_range, serve_firebase
from tests.test_search_merge import save_many

pytestmark = pytest.mark.e2e

MAXITEM = "/v0/maxitem.json"


def start(fb: Firebase, db: Path, *extra: str) -> subprocess.Popen[str]:
    args = [str(LINKTHREAD), "follow", "hn", "--from", "1", "--interval", "0.05",
            "--db", str(db), *extra]
    return subprocess.Popen(args, env={**os.environ, "LINKTHREAD_HN_API_URL": fb.base_url},
                            text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def stop(proc: subprocess.Popen[str], sig: signal.Signals) -> tuple[int, str]:
    try:
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    return proc.returncode, err


def test_follow_stores_new_and_changed_items_across_a_kill(tmp_path: Path) -> None:
    items = generated_range(1, 300, seed=7, null_every=23)
    db = tmp_path / "hn.db"
    api = Firebase(items=dict(items), maxitem=100)
    with serve_firebase(api) as fb:
        fb.allow(MAXITEM, 1)
        proc = start(fb, db)
        try:
            fb.wait_asked(MAXITEM, 2)  # the first poll (items 1-100) is committed
            # The site moves on: new items, an edited comment, a story's new score, a profile.
            five, one = dict(items[5] or {}), dict(items[1] or {})
            five["text"] = "edited text"
            one["score"] += 10
            fb.add({5: five, 1: one})
            fb.users["user7"] = {"id": "user7", "created": 1200000000, "karma": 42,
                                 "about": "hi"}
            fb.set_updates([5, 1], ["user7"])
            fb.set_maxitem(200)
            fb.allow(MAXITEM, 2)
            fb.wait_asked(MAXITEM, 3)  # the second poll is committed
        finally:
            code, _ = stop(proc, signal.SIGKILL)
        assert code == -signal.SIGKILL
        # While it is down: more new items, and item 150 changes (1 leaves the list).
        changed = dict(items[150] or {})
        changed["text"] = "changed while nobody looked"
        fb.add({150: changed})
        fb.set_updates([150, 5], [])
        fb.set_maxitem(300)
        fb.allow(MAXITEM, 4)  # the killed run's last request, then the restart's first
        proc = start(fb, db, "--watch-new-stories")
        try:
            fb.wait_asked(MAXITEM, 5)  # the restart's first poll is committed
        finally:
            code, err = stop(proc, signal.SIGTERM)
        served = dict(fb.served)
    assert code == 0, err
    assert "followed to item 300" in err
    twice = {1, 5, 150}
    assert {i: served.get(fb.item_path(i), 0) for i in range(1, 301)} == \
        {i: 2 if i in twice else 1 for i in range(1, 301)}
    assert served["/v0/user/user7.json"] == 1
    non_null = sorted(str(i) for i, item in items.items() if item is not None)
    assert sorted(r[0] for r in rows(db, "SELECT id FROM stories UNION ALL"
                                         " SELECT id FROM comments")) == non_null
    assert rows(db, "SELECT comment_id, change, text FROM comment_versions"
                    " WHERE comment_id IN ('5', '150') ORDER BY comment_id, seen_at, change") == [
        ("150", "added", (items[150] or {})["text"].replace("<p>", "\n\n")),
        ("150", "edited", "changed while nobody looked"),
        ("5", "added", (items[5] or {})["text"].replace("<p>", "\n\n")),
        ("5", "edited", "edited text"),
    ]  # fmt: skip
    # Snapshots are kept per second: both polls may fall in one, the later one kept.
    assert rows(db, "SELECT score, via FROM story_snapshots WHERE story_id = '1'"
                    " ORDER BY seen_at DESC LIMIT 1") == [(one["score"], "api")]
    assert rows(db, "SELECT score, source FROM stories WHERE id = '1'") == \
        [(one["score"], "api")]
    assert rows(db, "SELECT id, karma, source FROM users") == [("user7", 42, "api")]
    assert rows(db, "SELECT target FROM watches ORDER BY CAST(target AS INT)") == \
        [(str(i),) for i in range(201, 301, 10)]
    assert rows(db, "SELECT name, position FROM follow_state WHERE name = 'follow'") == \
        [("follow", 300)]


def test_a_follow_keeps_the_search_index_as_a_crawls_end_does(tmp_path: Path) -> None:
    # Saves leave the merging of the full-text index to the end of a crawl
    # (search_merge); a follow never ends, so each poll that wrote does it.
    db = tmp_path / "hn.db"
    archive = open_db(db)
    save_many(archive, range(1000, 1010))
    assert shape(archive.conn).mergeable(4)
    archive.close()
    api = Firebase(items=dict(generated_range(1, 40, seed=11)), maxitem=40)
    with serve_firebase(api) as fb:
        fb.allow(MAXITEM, 1)
        proc = start(fb, db)
        try:
            fb.wait_asked(MAXITEM, 2)  # the first poll, its upkeep with it, is done
        finally:
            code, err = stop(proc, signal.SIGTERM)
    assert code == 0, err
    with sqlite3.connect(db) as conn:
        assert not shape(conn).mergeable(4), shape(conn).lines()
        assert conn.execute("SELECT count(*) FROM comments_fts WHERE comments_fts MATCH"
                            " 'alpha'").fetchone() == (70,)
