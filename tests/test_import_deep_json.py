"""JSON nested deeper than Python's reader goes (past orjson's 1,024 levels) in a saved
page or a dump line: one clear line, or the line skipped and counted, never a
RecursionError that stops the import."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from tests.lobsterspages import chain, story_json
from tests.redditdump import comment, ndjson
from tests.redditpages import Cut, comments_page, generate_thread
from tests.test_import import FETCHED, run_import, write

DEEP = "[" * 5000 + "]" * 5000


def test_a_saved_page_nested_too_deep_is_refused_in_one_line(tmp_path: Path) -> None:
    story = story_json([chain(3)])
    answer = comments_page(generate_thread(20, seed=3), Cut())
    pages = [write(tmp_path / "story-abc123.json", story[:-1] + f', "x": {DEEP}}}'),
             write(tmp_path / "thread.json", answer[:-1] + f", {DEEP}]")]
    for path in pages:
        result = run_import(path, "--db", tmp_path / "a.db", "--fetched-at", FETCHED)
        assert result.exception is None or isinstance(result.exception, SystemExit), \
            result.output
        assert "Traceback" not in result.output
        assert f"Error: {path}: JSON nested too deep to decode" in result.output


def test_a_dump_line_nested_too_deep_is_skipped(tmp_path: Path) -> None:
    lines = ndjson([comment(f"c{i}") for i in range(5)]).split(b"\n")
    lines[2] = lines[2][:-1] + f', "x": {DEEP}}}'.encode()
    path = write(tmp_path / "deep_comments.ndjson", b"\n".join(lines))
    db = tmp_path / "a.db"
    result = run_import(path, "--db", db)
    assert result.exit_code == 0, result.output
    assert "1 line(s) skipped" in result.output and "line 3" in result.output
    with sqlite3.connect(db) as conn:
        ids = [r[0] for r in conn.execute("SELECT id FROM comments ORDER BY id")]
    assert ids == ["c0", "c1", "c3", "c4"]
