"""Opening the archive: one place that sets the pragmas every connection needs.

Writers go through :func:`open_db` (creates the file, WAL, migrations); readers that
must never change anything go through :func:`open_readonly`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlite_utils

from archive.errors import ArchiveError
from archive.migrations import apply_migrations

# A crawl holds the write lock for one thread at a time (milliseconds); readers in WAL
# mode never wait for it. 30 s only matters when a second writer (a scheduled crawl,
# a snapshot) overlaps, and then waiting is better than failing with "locked".
BUSY_TIMEOUT_MS = 30_000


def open_db(path: str | Path) -> sqlite_utils.Database:
    """Open (creating if absent) the archive at ``path`` for writing, migrated to date."""
    path = Path(path)
    try:
        conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_MS / 1000)
    except sqlite3.Error as e:
        raise ArchiveError(f"cannot open archive at {path}: {e}") from e
    try:
        db = sqlite_utils.Database(conn)
        _set_pragmas(conn)
        # WAL lets `linkthread query` read while a crawl writes, and it survives a
        # crash of the writer without a hot journal to roll back.
        db.enable_wal()
        # In WAL mode NORMAL loses no committed data on an application crash and only
        # the last commits on power loss, and it makes each per-thread commit cheap.
        conn.execute("PRAGMA synchronous = NORMAL")
        apply_migrations(db)
    except sqlite3.Error as e:
        conn.close()
        raise ArchiveError(f"cannot open archive at {path}: {e}") from e
    return db


def open_readonly(path: str | Path) -> sqlite3.Connection:
    """Open the archive at ``path`` so that nothing through this connection can write.

    A missing file is an :class:`ArchiveError`; no empty database is created.
    """
    path = Path(path)
    if not path.is_file():
        raise ArchiveError(f"no archive at {path}")
    # mode=ro stops writes at the file level; query_only also refuses writes that
    # mode=ro would let through to TEMP objects, so a user's SQL cannot change state.
    uri = f"{path.resolve().as_uri()}?mode=ro"
    try:
        conn = sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_MS / 1000)
    except sqlite3.Error as e:
        raise ArchiveError(f"cannot open archive at {path}: {e}") from e
    # ATTACH of a missing file would create it: a write outside the archive.
    conn.setlimit(sqlite3.SQLITE_LIMIT_ATTACHED, 0)
    try:
        _set_pragmas(conn)
        conn.execute("PRAGMA query_only = 1")
        # Read the schema now, so a file that is not SQLite fails here, clearly, and
        # not later on whichever query happens to touch a table first.
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.Error as e:
        conn.close()
        raise ArchiveError(f"cannot open archive at {path}: {e}") from e
    return conn


def _set_pragmas(conn: sqlite3.Connection) -> None:
    # sqlite3.connect(timeout=) already installs a busy handler; the pragma makes the
    # value visible to anyone inspecting the connection and to code that re-reads it.
    conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_MS)}")
    conn.execute("PRAGMA foreign_keys = ON")


@contextmanager
def transaction(db: sqlite_utils.Database | sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """All-or-nothing block: commit on success, roll back everything on any exception.

    BEGIN IMMEDIATE takes the write lock up front: a save reads existing rows before
    writing, and a deferred transaction that read first can fail with SQLITE_BUSY when
    it later upgrades to write (the busy timeout cannot help there). Inside an already
    open transaction it nests as a savepoint, so callers can group several saves.
    """
    conn = db.conn if isinstance(db, sqlite_utils.Database) else db
    if conn.in_transaction:
        conn.execute("SAVEPOINT archive_tx")
        try:
            yield conn
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK TO SAVEPOINT archive_tx")
                conn.execute("RELEASE SAVEPOINT archive_tx")
            raise
        conn.execute("RELEASE SAVEPOINT archive_tx")
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.rollback()
        raise
    try:
        conn.execute("COMMIT")
    except BaseException:
        conn.rollback()
        raise
