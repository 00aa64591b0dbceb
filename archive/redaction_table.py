"""Migration 0015_redactions: the log of redactions and the rows' ``redacted_at``
(kept apart from :mod:`archive.redact`, which the migrations cannot import: it
writes through ``archive.db``)."""

from __future__ import annotations

import sqlite3


def m0015_redactions(conn: sqlite3.Connection) -> None:
    """The `redactions` log; `redacted_at` on comments, stories, users and pages."""
    conn.execute("""
        CREATE TABLE redactions (
            id INTEGER PRIMARY KEY,
            site TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('comment', 'author', 'thread',
                                               'deleted-on-site')),
            key TEXT NOT NULL,  -- comment id, author name, story id; '' for deleted-on-site
            reason TEXT NOT NULL,
            redacted_at TEXT NOT NULL,
            unredacted_at TEXT,
            unredact_reason TEXT,
            comments INTEGER NOT NULL DEFAULT 0,
            stories INTEGER NOT NULL DEFAULT 0,
            users INTEGER NOT NULL DEFAULT 0,
            pages INTEGER NOT NULL DEFAULT 0
        )""")
    conn.execute("CREATE INDEX redactions_site ON redactions (site, kind, key)")
    for table in ("comments", "stories", "users", "pages"):
        conn.execute(f"ALTER TABLE {table} ADD COLUMN redacted_at TEXT")
