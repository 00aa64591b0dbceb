"""bench/scale_save.py, the bench of issue 14's target 3, on a small archive of its own.

It saves into the archive it is given (the lead's 10-million build, kept as built): every
save, every floor variant (which drops indexes) and main's side of ``--main`` must be
rolled back, leaving the archive's rows, schema, full-text index and summaries exactly
as they were. These tests check that, and that each part prints its figures; they
time nothing.
"""

from __future__ import annotations

import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from archive.db import open_db
from archive.store import save_thread
from bench import scale_save, scale_save_floor
from bench.scale_data import Generator
from tests.test_summaries import assert_recounted

ROOT = Path(__file__).resolve().parent.parent


def _archive(path: Path) -> Path:
    db = open_db(path)
    try:
        for thread in Generator(2_000, seed=5).threads():
            save_thread(db, thread)
    finally:
        db.close()
    return path


def _state(path: Path) -> dict[str, object]:
    """Everything a rolled-back save could leave behind, read back."""
    conn = sqlite3.connect(path)
    try:
        out: dict[str, object] = {
            "schema": conn.execute("SELECT type, name, sql FROM sqlite_master"
                                   " ORDER BY type, name").fetchall(),
        }
        for table in ("stories", "comments", "author_threads", "author_counts",
                      "thread_crawls", "story_snapshots", "pages"):
            out[table] = conn.execute(f"SELECT * FROM {table} ORDER BY 1, 2").fetchall()
        # Raises if the external-content index no longer matches the rows.
        conn.execute("INSERT INTO comments_fts (comments_fts) VALUES ('integrity-check')")
        out["matches"] = conn.execute(
            "SELECT count(*) FROM comments_fts WHERE comments_fts MATCH 'people'").fetchone()
        return out
    finally:
        conn.close()


@pytest.fixture(scope="module")
def archive_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _archive(tmp_path_factory.mktemp("scale") / "small.db")


def test_time_save_leaves_the_archive_as_built(
    archive_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = _state(archive_path)
    scale_save.time_save(archive_path, 2, split=True, floor=True, savepoint=True)
    printed = capsys.readouterr().out
    assert _state(archive_path) == before
    db = open_db(archive_path)
    try:
        assert_recounted(db)
    finally:
        db.close()
    assert re.search(r"\(CPU, best of 2 alternate rounds\).* = [\d.]+x", printed)
    assert re.search(r"\(CPU, best of 2 alternate rounds, inside an outer transaction.*"
                     r" = [\d.]+x", printed)  # fmt: skip
    assert "INSERT INTO comments" in printed  # the split names the statements
    floor = re.findall(r"^  (.+?) +[\d.]+ -> +[\d.]+ ms = [\d.]+x$", printed, re.M)
    assert floor == [label for label, _ in scale_save_floor._FLOOR_VARIANTS]


def test_floor_inserts_the_rows_a_first_save_writes(archive_path: Path) -> None:
    thread = scale_save.new_thread()
    db = open_db(archive_path)
    try:
        rows = scale_save_floor._stored_rows(db, thread)
        assert db.conn.execute("SELECT count(*) FROM comments WHERE story_id = ?",
                               (thread.story.id,)).fetchone() == (0,)
    finally:
        db.close()
    assert sorted(row[1] for row in rows) == sorted(c.id for c in thread.comments)
    assert {row[6] for row in rows} == {c.author for c in thread.comments}


def test_cli_against_another_checkout(archive_path: Path) -> None:
    before = _state(archive_path)
    # This checkout stands for main's too: the comparison's plumbing, not its figures.
    out = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "scale_save.py"), "--db", str(archive_path),
         "--rounds", "1", "--main", str(ROOT), "--pairs", "1"],
        capture_output=True, text=True, check=True, cwd=ROOT).stdout
    assert re.search(r"^  this \(.*\): empty \(anchor\) [\d.]+ ms, big [\d.]+ ms = [\d.]+x$",
                     out, re.M)
    assert re.search(r"^  main \(.*\): empty", out, re.M)
    assert "load average" in out
    assert _state(archive_path) == before


def test_cli_refuses_a_missing_archive(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "scale_save.py"), "--db",
         str(tmp_path / "absent.db")], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode != 0
    assert "no archive at" in done.stderr
    assert not (tmp_path / "absent.db").exists()


def test_the_timed_save_runs_at_the_top_level_and_is_rolled_back(archive_path: Path) -> None:
    """As a crawl's save: its own BEGIN IMMEDIATE, no SAVEPOINT around it, and its
    COMMIT sent as a ROLLBACK."""
    sent: list[str] = []

    class Noted(scale_save.Undoing):
        def execute(self, sql: str, *args: object) -> sqlite3.Cursor:
            sent.append(sql)
            return super().execute(sql, *args)  # type: ignore[arg-type]

    before = _state(archive_path)
    with scale_save._connections(Noted):
        db = open_db(archive_path)
    try:
        sent.clear()
        scale_save._save_rolled_back(db, scale_save.new_thread())
        assert not db.conn.in_transaction
    finally:
        db.close()
    # The save's own transaction is the outermost one: its savepoints are its own.
    assert sent[0] == "BEGIN IMMEDIATE" and sent[-1] == "COMMIT"
    assert sent.count("BEGIN IMMEDIATE") == 1
    assert _state(archive_path) == before
