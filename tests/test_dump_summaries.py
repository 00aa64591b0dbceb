"""The author parts of a dump's comments counted in the pass that places their tree
(archive.bulk_threads.StagedParts, with the stored comments' parts added) equal the
GROUP BY over the stored comments they replaced (bulk_threads.recount_parts): on
random rows, and, whole tables, after imports into empty archives and into ones that
already hold some of the threads and authors; and the summaries equal a recount."""

from __future__ import annotations

import random
import sqlite3
from pathlib import Path

import pytest

from archive import bulk_threads, bulk_tree, summaries
from tests.redditdump import START, comment, generate, ndjson
from tests.test_import import run_import
from tests.test_reddit_dump import table_rows

_COLUMNS = "site, story_id, parent_id, id, created_at, author, deleted, dead"


def _rows(rnd: random.Random, count: int, prefix: str) -> list[tuple]:
    """Random comments over a few threads of two sites: authors repeated, none, or
    empty; deleted and dead in every pairing; times missing, equal, not ASCII."""
    threads = [(site, f"s{n}") for site in ("reddit", "hn") for n in range(4)]
    authors = [None, "", "ann", "bob", "zoë", "Ann", "日本"]
    times = [None, "2024-01-01T00:00:00Z", "2024-01-01T00:00:01Z", "2023-12-31T23:59:59Z",
             "2024-01-01T00:00:00Zé", "2024"]
    out = []
    for n in range(count):
        site, story = rnd.choice(threads)
        out.append((site, story, None, f"{prefix}{n}", rnd.choice(times),
                    rnd.choice(authors), rnd.randint(0, 1) * rnd.choice((1, 2)),
                    rnd.randint(0, 1)))
    return out


def _archive(rnd: random.Random) -> tuple[sqlite3.Connection, int]:
    """Stored comments (rowid up to the number returned) and staged ones, as
    publishing has them before the insert; temp.bulk_stories, the staged threads."""
    conn = sqlite3.connect(":memory:")
    for table in ("comments", "import_comments"):
        conn.execute(f"CREATE TABLE {table} (site TEXT, story_id TEXT, parent_id TEXT,"
                     " id TEXT, created_at TEXT, author TEXT, deleted INTEGER NOT NULL,"
                     " dead INTEGER NOT NULL, depth INTEGER, PRIMARY KEY (site, id))")
    conn.execute("CREATE INDEX comments_story ON comments (site, story_id)")
    stored = _rows(rnd, rnd.randint(0, 80), "old")
    conn.executemany(f"INSERT INTO comments ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                     stored)
    staged = _rows(rnd, rnd.randint(1, 150), "new")
    conn.executemany(f"INSERT INTO import_comments ({_COLUMNS})"
                     " VALUES (?, ?, ?, ?, ?, ?, ?, ?)", staged)
    conn.execute("CREATE TEMP TABLE bulk_stories AS SELECT DISTINCT site, story_id"
                 " FROM import_comments")
    return conn, len(stored)


@pytest.mark.parametrize("seed", range(30))
def test_staged_parts_equal_the_recount_on_random_rows(seed: int) -> None:
    conn, before = _archive(random.Random(seed))
    parts = bulk_threads.StagedParts(conn)
    bulk_tree.place(conn, stored=False, each_thread=parts.thread)
    parts.close()
    conn.execute(f"INSERT INTO comments ({_COLUMNS}) SELECT {_COLUMNS} FROM import_comments")
    bulk_threads.add_stored_parts(conn, before)
    counted = conn.execute("SELECT * FROM temp.bulk_by_author").fetchall()
    bulk_threads.recount_parts(conn, before)
    recounted = conn.execute("SELECT * FROM temp.bulk_by_author").fetchall()
    assert counted == recounted
    assert recounted


def _recounting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bulk_threads, "add_stored_parts", bulk_threads.recount_parts)


def _imported(db: Path, *files: Path) -> dict[str, list[tuple]]:
    for path in files:
        result = run_import(path, "--db", db)
        assert result.exit_code == 0, result.output
    return table_rows(db)


def _summaries_recounted(db: Path) -> None:
    with sqlite3.connect(db) as conn:
        kept = [conn.execute(f"SELECT * FROM {t} ORDER BY 1, 2, 3").fetchall()
                for t in ("author_threads", "author_counts")]
        summaries.rebuild(conn)
        assert kept == [conn.execute(f"SELECT * FROM {t} ORDER BY 1, 2, 3").fetchall()
                        for t in ("author_threads", "author_counts")]
        conn.rollback()


@pytest.mark.parametrize("seed", [3, 17])
def test_imports_count_the_summaries_as_the_recount_did(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seed: int) -> None:
    """A dump into an empty archive; a second dump, into some of its threads, by some
    of its authors; a file of late replies to stored comments, under their authors'
    names and new ones, and a deleted one: the same tables by the reference path."""
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = generate(tmp_path / "a", comments=3_000, threads=30, seed=seed)
    second = generate(tmp_path / "b", comments=1_500, threads=60, seed=seed + 1,
                      first_id=36**5 + 40_000)
    rnd = random.Random(seed)
    stored = rnd.sample(sorted(first.truth), 8)
    late = tmp_path / "late_comments.ndjson"
    late.write_bytes(ndjson([
        *(comment(f"zz{n}", cid, story=first.truth[cid][0], at=START + 99 + n,
                  author=rnd.choice(("user7", "user_new", "[deleted]")))
          for n, cid in enumerate(stored)),
        comment("zzd", stored[0], story=first.truth[stored[0]][0], at=START - 5,
                body="[deleted]", author="[deleted]"),
    ]))
    files = (first.submissions_path, first.comments_path, second.comments_path, late)
    new = {}
    for n in range(1, len(files) + 1):
        new[n] = _imported(tmp_path / f"new{n}.db", *files[:n])
        _summaries_recounted(tmp_path / f"new{n}.db")
    _recounting(monkeypatch)
    for n in range(1, len(files) + 1):
        assert new[n] == _imported(tmp_path / f"recounted{n}.db", *files[:n])
    assert new[len(files)]["author_threads"] and new[len(files)]["thread_crawls"]
