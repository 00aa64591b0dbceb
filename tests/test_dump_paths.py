"""The dump import's shortcuts give the archive its general path gives, whole tables:
the threads kept while staging (archive.bulk.start_story_log) against the GROUP BY
over the staged rows that publishing falls back to."""

from __future__ import annotations

import io
import json
import sqlite3
from pathlib import Path

import pytest
import zstandard

from archive import bulk
from tests.redditdump import generate
from tests.test_import import run_import
from tests.test_reddit_dump import table_rows


def _no_log(conn: sqlite3.Connection) -> None:
    """start_story_log as for a resumed import: nothing kept, publishing reads it all."""
    conn.execute("DROP TABLE IF EXISTS temp.bulk_stories")


def _imported(db: Path, *files: Path) -> dict[str, list[tuple]]:
    result = run_import(*files, "--db", db)
    assert result.exit_code == 0, result.output
    return table_rows(db)


def _lines(path: Path) -> list[bytes]:
    with path.open("rb") as fh:
        reader = zstandard.ZstdDecompressor(max_window_size=2**31).stream_reader(fh)
        return list(io.BufferedReader(reader))


def test_threads_kept_while_staging_equal_the_group_by(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    dump = generate(tmp_path, comments=6_000, threads=60, seed=3)
    logged: list[bool] = []
    logging = bulk._logging
    monkeypatch.setattr(bulk, "_logging", lambda conn: logged.append(logging(conn)) or
                        logged[-1])
    kept = _imported(tmp_path / "kept.db", dump.submissions_path, dump.comments_path)
    assert logged and all(logged)  # the import kept its threads, every batch
    monkeypatch.setattr(bulk, "start_story_log", _no_log)
    read = _imported(tmp_path / "read.db", dump.submissions_path, dump.comments_path)
    assert kept == read
    assert kept["comments"] and kept["thread_crawls"] and kept["author_counts"]


def test_a_comment_staged_twice_gives_the_log_up(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """A second file sees some comments again, later, the first of them in another
    thread (a broken file): the log cannot tell, so it is given up, and the GROUP BY
    reads the staged rows as they ended. No submissions: the stories' rows are what
    the comments say of them (their first time among it)."""
    dump = generate(tmp_path, comments=3_000, threads=30, seed=4)
    again = []
    for number, line in enumerate(_lines(dump.comments_path)[:200]):
        data = json.loads(line)
        data["retrieved_on"] = int(data["retrieved_on"]) + 3_600
        if number == 0:
            data["link_id"] = "t3_elsewhere"
        again.append(json.dumps(data))
    later = tmp_path / "later_comments.ndjson"
    later.write_text("\n".join(again) + "\n")
    files = (dump.comments_path, later)
    kept = _imported(tmp_path / "kept.db", *files)
    monkeypatch.setattr(bulk, "start_story_log", _no_log)
    assert kept == _imported(tmp_path / "read.db", *files)


def test_each_new_comment_has_its_first_score(tmp_path: Path) -> None:
    """The first comment_scores rows: one per new comment with a score, its own time,
    crawl and score, and none for the others."""
    dump = generate(tmp_path, comments=3_000, threads=30, seed=6)
    db = tmp_path / "scores.db"
    assert run_import(dump.submissions_path, dump.comments_path, "--db", db).exit_code == 0
    with sqlite3.connect(db) as conn:
        scores = conn.execute("SELECT site, comment_id, seen_at, crawl_id, score"
                              " FROM comment_scores ORDER BY 1, 2, 3").fetchall()
        expected = conn.execute("SELECT site, id, last_seen_at, last_crawl_id, score"
                                " FROM comments WHERE score IS NOT NULL"
                                " ORDER BY 1, 2, 3").fetchall()
    assert scores == expected and len(scores) > 2_000
