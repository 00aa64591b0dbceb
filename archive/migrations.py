"""Append-only schema migrations, each applied once and recorded in ``_migrations``.

Rules: never edit or reorder a released migration; add a new function at the end
with the next number. Each migration runs in its own transaction together with the
row that records it, so a failure leaves neither half-applied schema nor a record
claiming it was applied. The runner is a few lines on purpose: no extra dependency,
and nothing in it that a reader has to look up.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime

import sqlite_utils

from archive import schema

Migration = Callable[[sqlite3.Connection], None]

MIGRATIONS_TABLE = """
CREATE TABLE IF NOT EXISTS _migrations (
    name TEXT PRIMARY KEY,
    applied_at TEXT NOT NULL
)
"""


def m0001_initial(conn: sqlite3.Connection) -> None:
    """Tables stories, comments, pages, crawls; their indexes; FTS5 over text."""
    for statement in schema.initial_statements():
        conn.execute(statement)


# The order of this list is the order of application. Append only.
MIGRATIONS: tuple[tuple[str, Migration], ...] = (("0001_initial", m0001_initial),)


def applied_migrations(db: sqlite_utils.Database | sqlite3.Connection) -> list[str]:
    """Names of the migrations recorded in the database, in the order applied."""
    conn = db.conn if isinstance(db, sqlite_utils.Database) else db
    exists = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_migrations'"
    ).fetchone()
    if not exists:
        return []
    return [row[0] for row in conn.execute("SELECT name FROM _migrations ORDER BY rowid")]


def apply_migrations(db: sqlite_utils.Database) -> list[str]:
    """Apply every migration not yet recorded; return the names applied (maybe none)."""
    # Imported here: archive.db imports this module to migrate on open.
    from archive.db import transaction

    conn = db.conn
    conn.execute(MIGRATIONS_TABLE)
    if conn.in_transaction:
        conn.commit()
    applied: list[str] = []
    for name, migration in MIGRATIONS:
        with transaction(conn):
            # Checked inside the write transaction: two processes opening a new
            # archive at once must not both run the same migration.
            done = conn.execute("SELECT 1 FROM _migrations WHERE name = ?", (name,)).fetchone()
            if done:
                continue
            migration(conn)
            conn.execute(
                "INSERT INTO _migrations (name, applied_at) VALUES (?, ?)",
                (name, datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")),
            )
        applied.append(name)
    return applied
