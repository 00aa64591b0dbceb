"""A batch that meets comments staged before (archive.bulk.stage_comments): split into
the rows to stage now and the later observations that differ, over more keys than one
look-up takes."""

from __future__ import annotations

from pathlib import Path

from archive import bulk
from archive.bulk import STAGED_COLUMNS
from archive.db import open_db


def _row(cid: str, text: str, seen: str = "2026-01-01T00:00:00Z") -> tuple[object, ...]:
    values = {"site": "reddit", "id": cid, "story_id": "post", "text": text,
              "first_seen_at": seen, "last_seen_at": seen, "source": "dump"}  # fmt: skip
    defaults = {"dead": 0, "flagged": 0, "deleted": 0, "synthetic_id": 0, "edited": 0,
                "removed": 0, "by_submitter": 0}  # fmt: skip
    return tuple(values.get(c, defaults.get(c)) for c in STAGED_COLUMNS)


def test_a_clashing_batch_is_split_by_what_is_staged(tmp_path: Path) -> None:
    conn = open_db(tmp_path / "clash.db").conn
    count = 2 * bulk._KEYS_A_QUERY + 7  # more keys than one statement looks up
    with conn:
        assert bulk.stage_comments(conn, [_row(f"c{n}", "first") for n in range(count)]) == []
    later_seen = "2026-02-01T00:00:00Z"
    batch = [_row(f"c{n}", "first" if n % 3 else "edited", later_seen) for n in range(count)]
    batch += [_row("new1", "x"), _row("new1", "y"), _row("new2", "z")]
    with conn:
        later = bulk.stage_comments(conn, batch)
    # Another text is a version for later; the same text is staged (its time widened);
    # a key new to the table is staged with its first content, a second content held.
    assert sorted(row[1] for row in later) == sorted(
        [f"c{n}" for n in range(count) if n % 3 == 0] + ["new1"])
    staged = dict(conn.execute("SELECT id, last_seen_at FROM import_comments"))
    assert len(staged) == count + 2
    assert all(staged[f"c{n}"] == (later_seen if n % 3 else "2026-01-01T00:00:00Z")
               for n in range(count))
    assert conn.execute("SELECT text FROM import_comments WHERE id = 'new1'").fetchone() == ("x",)
