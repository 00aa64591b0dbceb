"""Migration 0019 (``m0019_band_auto``): the tables of automatic band upkeep
(:mod:`archive.search_auto`), and the change log's triggers again, now keeping a
changed comment's text before the change (so that upkeep knows whether the row held a
word without counting the word's rows again). Its own module: the migrations import
it, and it imports nothing of the archive.
"""

from __future__ import annotations

import sqlite3

TABLES = (
    # Settings and cursors: 'auto' (1/0), 'looked' (the rowid sampled up to).
    "CREATE TABLE search_auto (key TEXT PRIMARY KEY, value) WITHOUT ROWID",
    # Terms counted and found below MIN_DOCS: not counted again until `at_rows` has
    # grown enough that they could have crossed it; `dropped` by hand: never kept again.
    "CREATE TABLE search_counted (term TEXT PRIMARY KEY, docs INTEGER NOT NULL,"
    " at_rows INTEGER NOT NULL, dropped INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID",
    # A changed comment's text and author before the change, under its search_changes seq.
    "CREATE TABLE search_before (seq INTEGER PRIMARY KEY, doc INTEGER NOT NULL, text TEXT,"
    " author TEXT)",
    "ALTER TABLE search_terms ADD COLUMN frontier TEXT",
    "DROP TRIGGER comments_search_au",
    "DROP TRIGGER comments_search_ad",
    # last_insert_rowid() inside a trigger: the row the trigger itself just inserted.
    "CREATE TRIGGER comments_search_au AFTER UPDATE ON comments"
    " WHEN (old.text IS NOT new.text OR old.author IS NOT new.author)"
    " AND EXISTS (SELECT 1 FROM search_terms)"
    " BEGIN INSERT INTO search_changes (doc) VALUES (old.rowid);"
    " INSERT INTO search_before (seq, doc, text, author)"
    " VALUES (last_insert_rowid(), old.rowid, old.text, old.author); END",
    "CREATE TRIGGER comments_search_ad AFTER DELETE ON comments"
    " WHEN EXISTS (SELECT 1 FROM search_terms)"
    " BEGIN INSERT INTO search_changes (doc) VALUES (old.rowid);"
    " INSERT INTO search_before (seq, doc, text, author)"
    " VALUES (last_insert_rowid(), old.rowid, old.text, old.author); END",
)


def m0019_band_auto(conn: sqlite3.Connection) -> None:
    """Automatic upkeep's tables; empty, so the migration costs nothing at any size."""
    for statement in TABLES:
        conn.execute(statement)
