"""The author summaries a dump import keeps (archive.bulk_threads) equal a recount
(archive.summaries.rebuild) after every import of a series: random dumps (fixed
seeds) into an empty archive, then into one that already holds some of the threads
and authors, then late replies to stored comments under known and new names, an
account gone and a comment deleted; and the thread counts equal the comments."""

from __future__ import annotations

import random
import sqlite3
from pathlib import Path

import pytest

from archive import summaries
from tests.redditdump import START, comment, generate, ndjson
from tests.test_import import run_import

_SUMMARIES = ("author_threads", "author_counts")


def _kept_and_recounted(db: Path) -> tuple[list[list[tuple]], list[list[tuple]]]:
    with sqlite3.connect(db) as conn:
        kept = [conn.execute(f"SELECT * FROM {t} ORDER BY 1, 2, 3").fetchall()
                for t in _SUMMARIES]
        summaries.rebuild(conn)
        recounted = [conn.execute(f"SELECT * FROM {t} ORDER BY 1, 2, 3").fetchall()
                     for t in _SUMMARIES]
        conn.rollback()
    return kept, recounted


def _counts_match(db: Path) -> None:
    with sqlite3.connect(db) as conn:
        assert conn.execute(
            "SELECT s.site, s.id, s.archived_count FROM stories s"
            " WHERE s.archived_count IS NOT (SELECT count(*) FROM comments c"
            " WHERE c.site = s.site AND c.story_id = s.id)"
            " AND EXISTS (SELECT 1 FROM comments c WHERE c.site = s.site"
            " AND c.story_id = s.id)").fetchall() == []


@pytest.mark.parametrize("seed", [3, 17])
def test_summaries_equal_a_recount_after_each_import(tmp_path: Path, seed: int) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = generate(tmp_path / "a", comments=3_000, threads=30, seed=seed)
    # Threads 0-29 are the first dump's too; its authors are drawn from the same names.
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
    db = tmp_path / "a.db"
    for path in (first.submissions_path, first.comments_path, second.comments_path, late):
        result = run_import(path, "--db", db)
        assert result.exit_code == 0, result.output
        kept, recounted = _kept_and_recounted(db)
        assert kept == recounted
        _counts_match(db)
    assert kept[0] and kept[1]
    with sqlite3.connect(db) as conn:
        # Some threads and authors were met by more than one import.
        assert conn.execute("SELECT count(*) FROM author_counts WHERE threads > 1"
                            ).fetchone()[0] > 0  # fmt: skip
        assert conn.execute("SELECT count(*) FROM (SELECT site, story_id FROM thread_crawls"
                            " GROUP BY 1, 2 HAVING count(*) > 1)").fetchone()[0] > 0
