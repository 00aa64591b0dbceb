"""What a --db file may be: a new or existing archive, never someone else's database.

Writers (crawl, watch add, run) refuse another program's SQLite file and leave it byte
for byte as it was; readers say it is not an archive. An archive that cannot be
written to (a read-only file system) is still read by every reading command.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import click.testing
import pytest
from click.testing import CliRunner

from archive.db import open_db, open_readonly
from archive.errors import ArchiveError
from archive.migrations import MIGRATIONS
from archive.store import save_thread
from scraper.cli import cli
from tests.conftest import ROOT
from tests.test_store import make_comment, make_story, make_thread


def invoke(*args: str) -> click.testing.Result:
    return CliRunner().invoke(cli, list(args))


def state(folder: Path) -> dict[str, str]:
    """Every file in the folder with the hash of its bytes."""
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def foreign(path: Path, *statements: str, wal: bool = False) -> Path:
    conn = sqlite3.connect(path)
    if wal:
        conn.execute("PRAGMA journal_mode = wal")
    for statement in statements:
        conn.execute(statement)
    conn.commit()
    conn.close()
    return path


NOTES = "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)"
COMMENTS = ("CREATE TABLE comments (id INTEGER PRIMARY KEY, who TEXT, said TEXT)",
            "INSERT INTO comments (who, said) VALUES ('me', 'mine, not yours')")
# What linkthread before this check left in such a file: an empty _migrations beside it.
HALF_TAKEN = (*COMMENTS, "CREATE TABLE _migrations (name TEXT PRIMARY KEY, applied_at TEXT)")


@pytest.mark.parametrize(("statements", "wal", "tables"), [
    ((NOTES,), False, "notes"),
    ((NOTES,), True, "notes"),
    (COMMENTS, False, "comments"),
    (HALF_TAKEN, False, "_migrations, comments"),
])  # fmt: skip
def test_another_programs_database_is_refused_and_left_as_it_was(
        tmp_path: Path, statements: tuple[str, ...], wal: bool, tables: str) -> None:
    path = foreign(tmp_path / "theirs.db", *statements, wal=wal)
    before = state(tmp_path)

    message = (f"{path} is an SQLite database but not a linkthread archive "
               f"(it has tables: {tables}); give another --db")
    with pytest.raises(ArchiveError) as raised:
        open_db(path)
    assert str(raised.value) == message
    with pytest.raises(ArchiveError) as raised:
        open_readonly(path)
    assert str(raised.value) == message
    for args in (("crawl", "hn", "1"), ("watch", "add", "hn", "1"), ("run", "--once"),
                 ("query", "select 1"), ("show", "hn", "1"), ("search", "x"),
                 ("export", "hn", "1"), ("snapshot", str(tmp_path / "copy.db")),
                 ("datasette-metadata",)):
        result = invoke(*args, "--db", str(path))
        assert (result.exit_code, result.output) == (1, f"Error: {message}\n"), args

    assert state(tmp_path) == before, "not a byte changed, no -wal or -shm left behind"


def test_a_missing_folder_or_a_text_file_is_one_line(tmp_path: Path) -> None:
    text = tmp_path / "notes.db"
    text.write_text("my shopping list\n" * 100)
    before = state(tmp_path)

    missing = invoke("crawl", "hn", "1", "--db", str(tmp_path / "nope" / "hn.db"))
    assert (missing.exit_code, missing.output) == (
        1, f"Error: cannot open archive at {tmp_path}/nope/hn.db: "
           f"folder {tmp_path}/nope does not exist\n")
    for args in (("crawl", "hn", "1"), ("watch", "add", "hn", "1")):
        result = invoke(*args, "--db", str(text))
        assert (result.exit_code, result.output) == (
            1, f"Error: cannot open archive at {text}: file is not a database\n"), args
    assert state(tmp_path) == before


def test_new_empty_and_half_created_files_are_archives(tmp_path: Path) -> None:
    empty = tmp_path / "empty.db"
    empty.touch()
    # A first open that stopped before its first migration committed leaves this much.
    half = foreign(tmp_path / "half.db", "CREATE TABLE _migrations (name TEXT PRIMARY KEY,"
                                         " applied_at TEXT NOT NULL)")
    for path in (tmp_path / "new.db", empty, half):
        db = open_db(path)
        assert [r[0] for r in db.conn.execute("SELECT name FROM _migrations")] == [
            name for name, _ in MIGRATIONS]
        db.close()
        open_readonly(path).close()


def test_a_bad_setting_is_one_line_before_anything_starts(tmp_path: Path) -> None:
    db = tmp_path / "hn.db"
    for setting, problem in (
            ("DOWNLOAD_DELAY=soon", "DOWNLOAD_DELAY='soon' is not a valid number"),
            ("RETRY_TIMES=2.5", "RETRY_TIMES='2.5' is not a valid whole number"),
            ("ROBOTSTXT_OBEY=maybe", "ROBOTSTXT_OBEY='maybe' is not a valid boolean "
                                     "(0/1, true/false)"),
            ("LINKTHREAD_CRAWL_DELAY=x", "LINKTHREAD_CRAWL_DELAY='x' is not a valid number"),
            ("LINKTHREAD_CRAWL_DELAYS=1", "unknown setting LINKTHREAD_CRAWL_DELAYS"),
            ("LOG_LEVEL=loud", "LOG_LEVEL='loud' is not a log level (DEBUG, INFO, WARNING, "
                               "ERROR)"),
            ("DOWNLOADER_MIDDLEWARES={x", "DOWNLOADER_MIDDLEWARES='{x' is not a valid JSON "
                                          "object")):  # fmt: skip
        result = invoke("crawl", "hn", "1", "--db", str(db), "-s", setting)
        assert result.exit_code == 2, setting
        assert result.output.splitlines()[-1] == f"Error: Invalid value for -s: {problem}"
    assert not db.exists(), "refused before the archive was touched"


# ------------------------------------------------------------ a read-only archive

def archive(path: Path) -> Path:
    db = open_db(path)
    save_thread(db, make_thread((make_comment("1", text="a readable comment"),),
                                story=make_story(text="What do you think?")))
    db.close()
    return path


def read_only_runner() -> list[str]:
    """The command that runs a child with ``$RO`` bind-mounted read-only over itself.

    A read-only mount stops root too, where chmod does not (CI runs as root): a mount
    namespace (with a user namespace when not root) keeps the mount to the child.
    """
    unshare = shutil.which("unshare")
    if unshare is None:
        pytest.skip("unshare(1) is not installed: cannot make a read-only mount")
    import os

    cmd = [unshare, "-m"] if os.geteuid() == 0 else [unshare, "-r", "-m"]
    mount = 'mount --bind "$RO" "$RO" && mount -o remount,bind,ro "$RO" "$RO" && exec "$@"'
    return [*cmd, "sh", "-c", mount, "sh"]


READERS = """
import json, sys
from click.testing import CliRunner
from scraper.cli import cli
db, out = sys.argv[1], sys.argv[2]
results = {}
for args in (["query", "select id, text from comments"], ["search", "readable"],
             ["show", "hn", "100"], ["export", "hn", "100", "--format", "md"],
             ["snapshot", out]):
    r = CliRunner().invoke(cli, [*args, "--db", db])
    results[args[0]] = [r.exit_code, r.output]
print(json.dumps(results))
"""


def test_a_read_only_archive_is_still_read(tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    db = archive(folder / "hn.db")
    assert sorted(p.name for p in folder.iterdir()) == ["hn.db"]  # no -shm to share
    probe = subprocess.run([*read_only_runner(), "touch", str(folder / "probe")],
                           env={"RO": str(folder), "PATH": "/usr/bin:/bin"},
                           capture_output=True, text=True, check=False)
    if "Read-only file system" not in probe.stderr:
        pytest.skip(f"no read-only mount here: {probe.stderr.strip() or probe.returncode}")
    before = state(folder)

    out = tmp_path / "copy.db"
    result = subprocess.run(
        [*read_only_runner(), sys.executable, "-c", READERS, str(db), str(out)],
        env={"RO": str(folder), "PATH": "/usr/bin:/bin"}, cwd=ROOT,
        capture_output=True, text=True, check=False)  # fmt: skip

    assert result.returncode == 0, result.stderr[-3000:]
    results = json.loads(result.stdout)
    assert {name: code for name, (code, _) in results.items()} == dict.fromkeys(results, 0), \
        results
    assert json.loads(results["query"][1]) == [{"id": "1", "text": "a readable comment"}]
    assert "a [readable] comment" in results["search"][1]
    assert "a readable comment" in results["show"][1]
    assert "a readable comment" in results["export"][1]
    with sqlite3.connect(out) as copy:
        assert copy.execute("SELECT text FROM comments").fetchall() == [("a readable comment",)]
    assert state(folder) == before
