"""A parent missing from one dump and brought by a later one: the replies stored
before move under it (depth, marker taken away), and only those."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import rows
from tests.test_import import run_import


def _line(cid: str, parent: str, at: int) -> str:
    return json.dumps({"id": cid, "link_id": "t3_post", "parent_id": parent,
                       "body": f"text {cid}", "author": "a", "created_utc": at,
                       "retrieved_on": at + 60, "subreddit": "python"})  # fmt: skip


def _dump(path: Path, *lines: str) -> Path:
    path.write_text("\n".join(lines) + "\n")
    return path


def test_a_later_dump_brings_the_missing_parent(tmp_path: Path) -> None:
    db = tmp_path / "parents.db"
    first = _dump(tmp_path / "first_comments.ndjson",
                  _line("top", "t3_post", 10), _line("reply", "t1_mid", 30),
                  _line("deeper", "t1_reply", 40), _line("stray", "t1_never", 50))  # fmt: skip
    assert run_import(first, "--db", db).exit_code == 0
    assert rows(db, "select id, depth, extra ->> '$.parent_missing' from comments"
                    " order by id") == [("deeper", 2, None), ("reply", 1, 1),
                                        ("stray", 1, 1), ("top", 0, None)]  # fmt: skip

    # The parent comes, with a comment the archive has already (merged, not new).
    second = _dump(tmp_path / "second_comments.ndjson",
                   _line("mid", "t1_top", 20), _line("top", "t3_post", 10))
    assert run_import(second, "--db", db).exit_code == 0
    assert rows(db, "select id, parent_id, depth, extra ->> '$.parent_missing'"
                    " from comments order by id") == [
        ("deeper", "reply", 3, None), ("mid", "top", 1, None), ("reply", "mid", 2, None),
        ("stray", "never", 1, 1), ("top", None, 0, None)]  # fmt: skip
    assert rows(db, "select count(*) from comments_fts where comments_fts match 'mid'") == [(1,)]
