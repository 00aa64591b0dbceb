"""A writer that meets another process's write lock past the busy timeout says what
held it and what to do, in one line, and writes nothing."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from archive import db as archive_db
from tests.clirun import in_process
from tests.conftest import rows
from tests.test_query import archive_path as archive_path


def test_a_locked_archive_names_the_other_writer(archive_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(archive_db, "BUSY_TIMEOUT_MS", 200)
    holder = sqlite3.connect(archive_path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # what a crawl's transaction holds
    try:
        result = in_process("watch", "add", "hn", "100", "--db", str(archive_path))
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert lines == [
        "Error: database error: database is locked: another process (a crawl, an import, "
        "`linkthread run`) held the archive's write lock for the 0.2 s this one waits: "
        "try again when it is done"], result.stderr
    assert rows(archive_path, "SELECT count(*) FROM watches") == [(0,)]
