"""The staged comments' tree placed in one pass (archive.bulk_tree.place) equals the
recursive walk it replaced (bulk_tree.walk): the same temp.bulk_tree on random staged
rows, and the same archive, whole tables, from whole imports."""

from __future__ import annotations

import random
import sqlite3
from pathlib import Path

import pytest

from archive import bulk_tree
from tests.redditdump import START, comment, generate, ndjson
from tests.test_import import run_import
from tests.test_reddit_dump import table_rows


def _staged(rnd: random.Random) -> sqlite3.Connection:
    """Random staged rows over a few threads and sites: replies, roots on the story,
    on stored comments and on missing ones, parents named before or after their
    replies, self-parents and cycles, equal times, ids of other lengths, no time."""
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE import_comments (site TEXT, story_id TEXT, parent_id TEXT,"
                 " id TEXT, created_at TEXT, PRIMARY KEY (site, id))")
    conn.execute("CREATE TABLE comments (site TEXT, id TEXT, story_id TEXT, depth INTEGER,"
                 " PRIMARY KEY (site, id))")
    threads = [(site, f"s{n}") for site in ("reddit", "hn") for n in range(rnd.randint(1, 4))]
    for site, story in threads:
        for n in range(rnd.randint(0, 5)):
            conn.execute("INSERT INTO comments VALUES (?, ?, ?, ?)",
                         (site, f"old{story}{n}", story, rnd.randint(0, 6)))
    rows = []
    for site, story in threads:
        ids = [f"{story}c{n}{'x' * rnd.randint(0, 2)}é"[:rnd.randint(3, 8)] + str(n)
               for n in range(rnd.randint(0, 60))]
        for cid in ids:
            pick = rnd.random()
            if pick < 0.15:
                parent = None
            elif pick < 0.25:
                parent = f"old{story}{rnd.randint(0, 6)}"  # stored, or missing
            elif pick < 0.3:
                parent = f"gone{rnd.randint(0, 3)}"
            elif pick < 0.33:
                parent = cid
            elif pick < 0.36:
                parent = f"{threads[0][1]}c0"  # a name of another thread at times
            else:
                parent = rnd.choice(ids)
            created = None if rnd.random() < 0.05 else \
                f"2024-01-01T00:{rnd.randint(0, 9):02d}:00Z"
            rows.append((site, story, parent, cid, created))
    rnd.shuffle(rows)
    conn.executemany("INSERT OR IGNORE INTO import_comments VALUES (?, ?, ?, ?, ?)", rows)
    return conn


@pytest.mark.parametrize("seed", range(40))
def test_one_pass_equals_the_walk_on_random_rows(seed: int) -> None:
    rnd = random.Random(seed)
    conn = _staged(rnd)
    placed = {}
    for name, how in (("place", bulk_tree.place), ("walk", bulk_tree.walk)):
        for stored in (True, False) if name == "place" else (True,):
            if stored is False and conn.execute("SELECT 1 FROM comments").fetchone():
                continue
            how(conn, stored=stored)
            placed[name, stored] = conn.execute(
                "SELECT * FROM temp.bulk_tree ORDER BY row").fetchall()
            conn.execute("DROP TABLE temp.bulk_tree")
    assert placed["place", True] == placed["walk", True]
    if ("place", False) in placed:
        assert placed["place", False] == placed["walk", True]


def test_one_pass_equals_the_walk_with_no_rows() -> None:
    conn = _staged(random.Random(0))
    conn.execute("DELETE FROM import_comments")
    bulk_tree.place(conn, stored=True)
    assert conn.execute("SELECT count(*) FROM temp.bulk_tree").fetchone() == (0,)


def _walked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bulk_tree, "place", bulk_tree.walk)


def _archive(db: Path, *files: Path) -> dict[str, list[tuple]]:
    for path in files:
        result = run_import(path, "--db", db)
        assert result.exit_code == 0, result.output
    return table_rows(db)


def test_imports_place_as_the_walk_did(tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """A dump into an empty archive, a second dump into the same threads, and a file
    of replies to stored comments, ties in time, a cycle and a missing parent."""
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = generate(tmp_path / "a", comments=4_000, threads=40, seed=21,
                     missing_share=0.05)
    second = generate(tmp_path / "b", comments=2_000, threads=40, seed=22,
                      missing_share=0.05, first_id=36**5 + 50_000)
    story = first.submissions_path  # the stories of the generated threads
    stored = sorted(first.truth)[:6]
    late = tmp_path / "late_comments.ndjson"
    thread = first.truth[stored[0]][0]
    late.write_bytes(ndjson([
        *(comment(f"zz{n}", cid, story=first.truth[cid][0], at=START + 99)
          for n, cid in enumerate(stored)),
        comment("zza", "zz0", story=thread, at=START + 99),
        comment("zzb", "zz0", story=thread, at=START + 99),
        comment("zc1", "zc2", story=thread), comment("zc2", "zc1", story=thread),
        comment("zm", "nowhere", story=thread),
    ]))
    files = (story, first.comments_path, second.comments_path, late)
    new = _archive(tmp_path / "new.db", *files)
    _walked(monkeypatch)
    assert new == _archive(tmp_path / "walked.db", *files)
    assert new["comments"]
