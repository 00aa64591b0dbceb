"""Files that are no dump nor page given to ``linkthread import``: gzip and zip, an
empty file, an empty folder, a symlink loop, a file that cannot be read, a PNG, an
SQLite database, an API response that is an error, and a throttle or login page saved
as HTML. Each is one line naming the file; the exit status is 1 when nothing could be
imported; the good files beside them still import."""

from __future__ import annotations

import gzip
import os
import sqlite3
import zipfile
from pathlib import Path

import pytest

from tests import hnpages
from tests.conftest import rows
from tests.redditdump import comment, ndjson
from tests.test_import import run_import

FETCHED = "2026-01-14T12:00:00Z"


def errors(result) -> list[str]:  # type: ignore[no-untyped-def]
    return sorted(line for line in result.stderr.splitlines() if line.startswith("Error:"))


def test_files_of_other_kinds_are_one_line_each(tmp_path: Path) -> None:
    folder = tmp_path / "given"
    folder.mkdir()
    (folder / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(64))
    with sqlite3.connect(folder / "old.db") as conn:
        conn.execute("create table t (x)")
    with zipfile.ZipFile(folder / "dumps.zip", "w") as z:
        z.writestr("RC_2024-01.ndjson", ndjson([comment("z1")]))
    (folder / "page.html.gz").write_bytes(gzip.compress(b"<html><body>hi</body></html>"))
    (folder / "empty.ndjson").write_bytes(b"")
    (folder / "error.json").write_text('{"message": "Too Many Requests", "error": 429}')
    (folder / "forbidden.json").write_text('{"reason": "private", "message": "Forbidden",'
                                           ' "error": 403}')
    (folder / "pardner.html").write_text(
        "<html><head><title>Too Many Requests</title></head><body><h1>whoa there, "
        "pardner!</h1><p>reddit.com</p></body></html>")
    (folder / "login.html").write_text(
        "<html><head><title>reddit.com: Log in</title></head><body><form "
        "action='https://www.reddit.com/login' method='post'><input name='user'></form>"
        "<a href='https://www.reddit.com/'>reddit</a></body></html>")
    (folder / "hn-slow.html").write_text(hnpages.THROTTLE_PAGE)
    good = folder / "good_comments.ndjson"
    good.write_bytes(ndjson([comment("kept")]))
    db = tmp_path / "a.db"

    result = run_import(folder, "--fetched-at", FETCHED, "--db", db)

    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert errors(result) == sorted([
        f"Error: {folder / 'logo.png'}: a binary file, not a saved page",
        f"Error: {folder / 'old.db'}: an SQLite database, not a saved page (an archive is "
        "opened with --db, not imported)",
        f"Error: {folder / 'dumps.zip'}: a zip archive: unpack it and import its files (a "
        "WACZ package is read by its .wacz name)",
        f"Error: {folder / 'page.html.gz'}: gzip-compressed, and neither a Reddit dump nor "
        "a WARC: decompress it and import what it holds",
        f"Error: {folder / 'empty.ndjson'}: the file is empty",
        f"Error: {folder / 'error.json'}: HTTP 429 Too Many Requests: too many requests",
        f"Error: {folder / 'forbidden.json'}: HTTP 403 Forbidden: the subreddit is private",
        f"Error: {folder / 'pardner.html'}: Reddit's 'whoa there, pardner!' page: too many "
        "requests, slow down",
        f"Error: {folder / 'login.html'}: Reddit's login page (saved while "
        "signed out), not a thread or listing: nothing in it to import",
        f"Error: {folder / 'hn-slow.html'}: HN says it cannot serve requests this quickly",
    ])
    assert rows(db, "select id from comments") == [("kept",)]


def test_an_empty_folder_and_a_missing_path_exit_1(tmp_path: Path) -> None:
    empty = tmp_path / "nothing"
    empty.mkdir()
    (empty / ".hidden").write_text("skipped")
    db = tmp_path / "a.db"
    result = run_import(empty, "--db", db)
    assert result.exit_code == 1
    assert errors(result) == [f"Error: {empty}: a folder with no file in it to import"]
    missing = tmp_path / "nowhere_comments.zst"
    result = run_import(missing, "--db", db)
    assert result.exit_code == 1
    assert errors(result) == [f"Error: {missing}: no such file"]


def test_a_symlink_loop_and_an_unreadable_file(tmp_path: Path) -> None:
    loop = tmp_path / "loop_comments.zst"
    os.symlink(loop, loop)
    unreadable = tmp_path / "mem_comments.ndjson"
    # Reading /proc/self/mem at offset 0 fails (EIO) whoever reads it, root too: an
    # unreadable file without depending on permissions.
    if not Path("/proc/self/mem").exists():
        pytest.skip("no /proc/self/mem here to stand for an unreadable file")
    os.symlink("/proc/self/mem", unreadable)
    db = tmp_path / "a.db"
    result = run_import(loop, unreadable, "--db", db)
    assert result.exit_code == 1
    assert errors(result) == sorted([
        f"Error: {loop}: cannot read it: Too many levels of symbolic links",
        f"Error: {unreadable}: cannot read it: Input/output error"])
    assert "Traceback" not in result.output


def test_a_folder_with_a_symlink_loop_inside_imports_the_rest(tmp_path: Path) -> None:
    folder = tmp_path / "dumps"
    folder.mkdir()
    (folder / "a_comments.ndjson").write_bytes(ndjson([comment("a1"), comment("a2")]))
    os.symlink(folder, folder / "again")  # a folder that holds itself: walked once
    db = tmp_path / "a.db"
    result = run_import(folder, "--db", db)
    assert result.exit_code == 0, result.output
    assert rows(db, "select id from comments order by id") == [("a1",), ("a2",)]
