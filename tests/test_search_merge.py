"""The full-text index merged outside the saves (archive/search_merge.py, migration
0021): a save writes its own segment and merges nothing; the upkeep where a crawl ends
merges them in bounded steps, and every search answers the same before and after; an
archive made before 0021 gets the setting and keeps every row of its index."""

from __future__ import annotations

import sqlite3
import struct
import time
from pathlib import Path

import pytest

from archive import migrations, search_auto, search_merge
from archive.db import open_db, transaction
from archive.health import Health
from archive.search_segments import shape
from archive.store import save_thread, start_crawl
from scraper.closing import close_crawl
from tests.test_search_auto import words_thread

WORDS = {"alpha": 7, "beta": 3}


@pytest.fixture(autouse=True)
def upkeep_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(search_auto.ENV, raising=False)


def config(conn: sqlite3.Connection) -> dict[str, object]:
    return dict(conn.execute("SELECT k, v FROM comments_fts_config").fetchall())


def answers(conn: sqlite3.Connection) -> list[list[tuple[int, float]]]:
    """Every word's matches with their bm25, in rank order: what a search reads."""
    words = ["alpha", "beta", "only3x1", "only9x4", "alpha OR beta", "only*"]
    return [conn.execute("SELECT rowid, bm25(comments_fts) FROM comments_fts"
                         " WHERE comments_fts MATCH ? ORDER BY bm25(comments_fts), rowid",
                         (w,)).fetchall() for w in words]  # fmt: skip


def save_many(db: object, stories: range, size: int = 10) -> None:
    for story in stories:
        save_thread(db, words_thread(story, WORDS, size))  # type: ignore[arg-type]


def test_a_fresh_archive_merges_nothing_in_its_saves(tmp_path: Path) -> None:
    db = open_db(tmp_path / "a.db")
    assert config(db.conn)["automerge"] == 0
    save_many(db, range(1, 11))
    # One segment a save, all still on level 0: no save merged any (FTS5's default,
    # automerge 4, would have merged them into one by the fourth).
    assert [len(level.leaves) for level in shape(db.conn).levels] == [10]
    db.close()


def test_merging_keeps_every_answer_and_leaves_fewer_segments(tmp_path: Path) -> None:
    db = open_db(tmp_path / "a.db")
    save_many(db, range(1, 11))
    before = answers(db.conn)
    assert search_merge.merge(db.conn) >= 1
    after = shape(db.conn)
    assert after.segments < 4, after.lines()
    assert answers(db.conn) == before
    assert not search_merge.step(db.conn)  # nothing left below usermerge's 4
    # FTS5's own check against the comments table: raises on any row gone astray.
    db.conn.execute("INSERT INTO comments_fts (comments_fts) VALUES ('integrity-check')")
    db.close()


def test_a_deadline_past_stops_after_one_step(tmp_path: Path) -> None:
    db = open_db(tmp_path / "a.db")
    save_many(db, range(1, 7), size=600)  # segments of several leaves each
    before = answers(db.conn)
    assert min(leaves for level in shape(db.conn).levels for leaves in level.leaves) >= 2
    # A step of one page: the merge is left partway, for later steps to go on with.
    assert search_merge.merge(db.conn, deadline=time.monotonic() - 1, pages=1) == 1
    assert any(level.merging for level in shape(db.conn).levels), shape(db.conn).lines()
    assert answers(db.conn) == before
    assert search_merge.merge(db.conn, pages=1) > 1
    assert shape(db.conn).segments < 4
    assert answers(db.conn) == before
    db.close()


def test_a_crawls_end_merges_even_with_the_bands_off(tmp_path: Path) -> None:
    db = open_db(tmp_path / "a.db")
    with transaction(db) as conn:
        search_auto.set_enabled(conn, False)
    save_many(db, range(1, 9))
    before = answers(db.conn)
    crawl = start_crawl(db, command="crawl", targets=[], args={})
    close_crawl(db, crawl, db_path="a.db", status="finished", pages=1, threads=8, comments=80,
                failures=[], unstored=[], health=Health())  # fmt: skip
    assert shape(db.conn).segments < 4
    assert answers(db.conn) == before
    db.close()


def test_no_merge_inside_a_transaction_or_with_upkeep_off(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = open_db(tmp_path / "a.db")
    save_many(db, range(1, 9))
    with transaction(db):
        assert search_auto.upkeep(db).merged == 0
    monkeypatch.setenv(search_auto.ENV, "0")
    assert search_auto.upkeep(db).merged == 0
    assert shape(db.conn).segments == 8
    monkeypatch.delenv(search_auto.ENV)
    assert search_auto.upkeep(db, seconds=None).merged >= 1
    assert shape(db.conn).segments < 4
    db.close()


def wal_frames(path: Path) -> tuple[int, int]:
    """(frames in the WAL, frames of it copied into the file), from the header of the
    WAL index (-shm) as SQLite lays it out, in the machine's byte order: read without a
    connection, so reading it checkpoints nothing."""
    head = Path(f"{path}-shm").read_bytes()[:100]
    return struct.unpack_from("=I", head, 16)[0], struct.unpack_from("=I", head, 96)[0]


def test_a_crawls_end_checkpoints_what_its_saves_left_in_the_wal(tmp_path: Path) -> None:
    path = tmp_path / "a.db"
    db = open_db(path)
    save_many(db, range(1, 4))
    frames, copied = wal_frames(path)
    assert frames > copied  # below WAL_PAGES: no save checkpointed
    search_auto.upkeep(db)
    assert wal_frames(path)[1] == wal_frames(path)[0] > 0
    db.close()


def test_without_upkeep_crisismerge_still_bounds_the_segments(tmp_path: Path) -> None:
    db = open_db(tmp_path / "a.db")
    save_many(db, range(1, 41))
    assert all(len(level.leaves) < 16 for level in shape(db.conn).levels), \
        shape(db.conn).lines()  # fmt: skip
    db.close()


def test_an_archive_from_before_0021_gets_the_setting_and_keeps_its_index(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "a.db"
    every = migrations.MIGRATIONS
    monkeypatch.setattr(migrations, "MIGRATIONS", tuple(m for m in every if m[0] < "0021"))
    db = open_db(path)
    save_many(db, range(1, 9))
    assert "automerge" not in config(db.conn)
    before = answers(db.conn)
    layout = shape(db.conn)
    db.close()
    monkeypatch.setattr(migrations, "MIGRATIONS", every)
    db = open_db(path)
    assert config(db.conn)["automerge"] == 0
    assert answers(db.conn) == before
    assert shape(db.conn).levels == layout.levels  # the migration merges nothing itself
    assert "0021_fts_merge" in migrations.applied_migrations(db)
    db.close()
