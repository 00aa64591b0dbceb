"""Opening the archive: one place that sets the pragmas every connection needs.

Writers go through :func:`open_db` (creates the file, WAL, migrations); readers that
must never change anything go through :func:`open_readonly`.

Readers need the stdlib's sqlite3 alone: sqlite-utils (with numpy and pluggy, which it
imports where installed) is imported by :func:`open_db`, so that ``query``, ``show`` or
``search`` do not pay its ~0.2 s at every start (tests/test_startup.py).
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from archive.errors import ArchiveError
from archive.migrations import MIGRATIONS, applied_migrations, apply_migrations

if TYPE_CHECKING:
    import sqlite_utils

# A crawl holds the write lock for one thread at a time (milliseconds); readers in WAL
# mode never wait for it. 30 s only matters when a second writer (a scheduled crawl,
# a snapshot) overlaps, and then waiting is better than failing with "locked".
BUSY_TIMEOUT_MS = 30_000


def open_db(path: str | Path) -> sqlite_utils.Database:
    """Open (creating if absent) the archive at ``path`` for writing, migrated to date.

    A file that is not a linkthread archive (see :func:`check_archive_file`) is refused with
    an :class:`ArchiveError` before anything is written to it.
    """
    import sqlite_utils

    conn = open_writer(path)
    try:
        return sqlite_utils.Database(conn)
    except BaseException:
        conn.close()
        raise


def open_writer(path: str | Path) -> sqlite3.Connection:
    """:func:`open_db`'s connection without sqlite-utils' :class:`Database` around it:
    the same checks, pragmas and migrations. A crawl writes through ``archive.store``
    alone, which takes either, and so does not import sqlite-utils (with numpy and
    pluggy where installed) at every start."""
    path = Path(path)
    if not path.parent.is_dir():
        raise ArchiveError(f"cannot open archive at {path}: folder {path.parent} does not exist")
    if path.is_file() and path.stat().st_size > 0:
        check_archive_file(path)
    try:
        conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_MS / 1000)
    except sqlite3.Error as e:
        raise ArchiveError(f"cannot open archive at {path}: {e}") from e
    try:
        # What sqlite-utils' Database sets on every connection it wraps: a writer's
        # triggers fire the same whichever handle it holds.
        conn.execute("PRAGMA recursive_triggers = ON")
        _set_pragmas(conn)
        _check_not_newer(conn, path)
        # WAL lets `linkthread query` read while a crawl writes, and it survives a
        # crash of the writer without a hot journal to roll back.
        if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            conn.execute("PRAGMA journal_mode = WAL")
        # In WAL mode NORMAL loses no committed data on an application crash and only
        # the last commits on power loss, and it makes each per-thread commit cheap.
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute(f"PRAGMA wal_autocheckpoint = {WAL_PAGES}")
        apply_migrations(conn)
    except sqlite3.Error as e:
        conn.close()
        raise ArchiveError(f"cannot open archive at {path}: {e}") from e
    except BaseException:
        conn.close()
        raise
    return conn


def _check_not_newer(conn: sqlite3.Connection, path: Path) -> None:
    # A newer linkthread's migrations may have changed what a row means (a table's
    # invariants, a trigger's work): this one writing there could break them unseen.
    # Reading is left to the readers, which read the tables they know.
    known = {name for name, _ in MIGRATIONS}
    newer = sorted(set(applied_migrations(conn)) - known)
    if newer:
        raise ArchiveError(
            f"{path} was written by a newer linkthread (its schema has {newer[-1]}, "
            f"which this one, at {MIGRATIONS[-1][0]}, does not know): upgrade linkthread "
            "to write to it; query, show, search and export still read it"
        )


def open_readonly(path: str | Path) -> sqlite3.Connection:
    """Open the archive at ``path`` so that nothing through this connection can write.

    A missing file, or one that is not a linkthread archive, is an :class:`ArchiveError`;
    no empty database is created. An archive on a read-only file system, or in a folder
    we may not write to, is still read (see :func:`connect_readonly`).
    """
    path = Path(path)
    if not path.is_file():
        raise ArchiveError(f"no archive at {path}")
    check_archive_file(path)
    _migrate_if_behind(path)
    conn = connect_readonly(path)
    # ATTACH of a missing file would create it: a write outside the archive.
    conn.setlimit(sqlite3.SQLITE_LIMIT_ATTACHED, 0)
    try:
        _set_pragmas(conn)
        # mode=ro stops writes at the file level; query_only also refuses writes that
        # mode=ro would let through to TEMP objects, so a user's SQL cannot change state.
        conn.execute("PRAGMA query_only = 1")
    except BaseException:
        conn.close()
        raise
    return conn


def _migrate_if_behind(path: Path) -> None:
    """Bring an archive made by an older linkthread up to date before reading it, as
    the first write would: a read command must not fail on a table it does not have
    yet (a summary, a view). Left as it is where the file cannot be written (a read-only
    copy): the commands read what it holds."""
    probe = connect_readonly(path, immutable=not Path(f"{path}-wal").exists())
    try:
        applied = set(applied_migrations(probe))
    finally:
        probe.close()
    known = {name for name, _ in MIGRATIONS}
    # A newer linkthread's archive is read as it is (see _check_not_newer).
    if known <= applied or applied - known or not os.access(path, os.W_OK) or \
            not os.access(path.parent, os.W_OK):
        return
    open_db(path).close()


def check_archive_file(path: str | Path) -> None:
    """Raise :class:`ArchiveError` unless the file at ``path`` is a linkthread archive
    (see :func:`check_archive`), judged without changing the file or leaving a file
    beside it: refusing someone's database must not touch it.

    Even a mode=ro connection to a WAL database creates its -wal and -shm and cannot
    remove them, so while there is no -wal the file is judged ``immutable``. With no
    -wal, no WAL connection has it open, and the file itself is the whole database.
    """
    path = Path(path)
    probe = connect_readonly(path, immutable=not Path(f"{path}-wal").exists())
    try:
        check_archive(probe, path)
    finally:
        probe.close()


def connect_readonly(path: str | Path, *, immutable: bool = False) -> sqlite3.Connection:
    """A plain read-only connection to the SQLite file at ``path`` (no pragmas, no guard).

    A WAL database is read through its -shm file, which a reader must be able to create
    or open: on a read-only file system, or in a folder we may not write to, mode=ro
    fails with SQLITE_CANTOPEN. Then the file is opened ``immutable``, which gives up
    locking and the -wal: SQLite trusts that nobody changes the file while it reads, and
    it does not see commits still in a -wal file. Where nobody can write, nobody changes
    it; a -wal that could not be checkpointed there is the one thing such a reader misses.
    """
    path = Path(path)
    uri = path.resolve().as_uri()
    try:
        conn = _connect(f"{uri}?mode=ro" + "&immutable=1" * immutable, path)
    except sqlite3.Error as e:
        if immutable or e.sqlite_errorcode & 0xFF not in (sqlite3.SQLITE_CANTOPEN,
                                                          sqlite3.SQLITE_READONLY):
            raise _unreadable(path, e) from e
        try:
            conn = _connect(f"{uri}?mode=ro&immutable=1", path)
        except sqlite3.Error as e2:
            raise _unreadable(path, e2) from e2
    return conn


def _connect(uri: str, path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_MS / 1000)
    try:
        # Read the schema now, so a file that is not SQLite (or cannot be read) fails
        # here, clearly, and not later on whichever query touches a table first.
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except BaseException:
        conn.close()
        raise
    return conn


def _unreadable(path: Path, e: sqlite3.Error) -> ArchiveError:
    # "cannot open archive at x.db: file is not a database" for a text file.
    return ArchiveError(f"cannot open archive at {path}: {e}")


def check_archive(conn: sqlite3.Connection, path: str | Path) -> None:
    """Raise :class:`ArchiveError` unless the database is a linkthread archive.

    An archive is a database with nothing in it yet (a new file), or one whose
    ``_migrations`` table records linkthread's first migration. A bare ``_migrations``
    table alone also counts: a first open that stopped before its first migration
    committed leaves just that. Anything else is someone else's database, which we
    neither read as an archive nor migrate into one.
    """
    try:
        objects = conn.execute(
            "SELECT type, name FROM sqlite_master WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\'"
        ).fetchall()
    except sqlite3.Error as e:
        raise _unreadable(Path(path), e) from e
    names = {name for _, name in objects}
    if not names or names == {"_migrations"}:
        return
    if "_migrations" in names:
        first = MIGRATIONS[0][0]
        try:
            if conn.execute("SELECT 1 FROM _migrations WHERE name = ?", (first,)).fetchone():
                return
        except sqlite3.Error:
            pass  # a _migrations table of another shape: another program's
    tables = sorted(name for kind, name in objects if kind == "table") or sorted(names)
    raise ArchiveError(f"{path} is an SQLite database but not a linkthread archive "
                       f"(it has tables: {', '.join(tables)}); give another --db")


# SQLite's default page cache is 2 MB: at a million comments a save's index lookups
# miss it on nearly every page, and writes slowed 2.4x (issue 14). 64 MiB holds the
# upper levels of every index of a 10-million-comment archive. Memory-mapped reads
# skip a copy of each page read; 256 MiB is address space, not memory.
CACHE_KIB = 64 * 1024
MMAP_BYTES = 256 * 1024 * 1024


# SQLite's default checkpoints the WAL into the file after any commit that leaves 1,000
# pages in it: at ten million comments a 1,000-comment save writes ~1,770 (into an
# empty archive ~270), so every save there paid a checkpoint of its own pages, ~20 ms
# CPU of its ~110. At 10,000 pages (40 MB of WAL) a save pays one every five or six
# saves of that size, and the upkeep where a crawl ends (:func:`checkpoint`) copies
# the rest, so a crawl of a few threads pays none inside a save.
WAL_PAGES = 10_000


def checkpoint(conn: sqlite3.Connection) -> None:
    """Copy what the WAL holds into the file, where no reader still needs the WAL's
    pages (PASSIVE: it waits for nobody, and what it cannot copy waits for the next)."""
    conn.execute("PRAGMA wal_checkpoint(PASSIVE)")


def _set_pragmas(conn: sqlite3.Connection) -> None:
    # sqlite3.connect(timeout=) already installs a busy handler; the pragma makes the
    # value visible to anyone inspecting the connection and to code that re-reads it.
    conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_MS)}")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
    conn.execute(f"PRAGMA mmap_size = {MMAP_BYTES}")


def connection(db: sqlite_utils.Database | sqlite3.Connection) -> sqlite3.Connection:
    """The sqlite3 connection of an archive handle, whichever of the two it is (asked
    without importing sqlite-utils: a reader's handle is a plain connection)."""
    return db if isinstance(db, sqlite3.Connection) else db.conn


@contextmanager
def transaction(db: sqlite_utils.Database | sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """All-or-nothing block: commit on success, roll back everything on any exception.

    BEGIN IMMEDIATE takes the write lock up front: a save reads existing rows before
    writing, and a deferred transaction that read first can fail with SQLITE_BUSY when
    it later upgrades to write (the busy timeout cannot help there). Inside an already
    open transaction it nests as a savepoint, so callers can group several saves.
    """
    conn = connection(db)
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
