"""Where a follow or backfill of a site stands: migration ``0012_follow_state``.

* ``follow_state``: per (site, name) the committed high-water mark of an id range
  (``backfill:A-B``: every id from A up to ``position`` is stored; ``follow``: the last
  new item stored), written in the same transaction as the items it covers, so a killed
  run restarts after it and fetches nothing it had committed. ``detail`` holds what a
  position cannot say (the last list of changed items a follow read).
* ``item_links``: each item an API gave on its own, with its parent and its kids in
  display order as last seen: a reply fetched later is placed (its position is its
  index among its parent's kids) without fetching the parent again.
* ``pending_comments``: a comment whose parent is not stored yet, kept whole (its record
  as JSON) until the parent arrives; then it is stored in its thread and leaves here.
"""

from __future__ import annotations

import sqlite3

from archive.rows import now_iso

TABLES = (
    """CREATE TABLE follow_state (
    site TEXT NOT NULL,
    name TEXT NOT NULL,
    position INTEGER NOT NULL,
    detail TEXT,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (site, name)
)""",
    """CREATE TABLE item_links (
    site TEXT NOT NULL,
    id TEXT NOT NULL,
    parent_id TEXT,
    kids TEXT NOT NULL DEFAULT '[]',
    PRIMARY KEY (site, id)
)""",
    """CREATE TABLE pending_comments (
    site TEXT NOT NULL,
    id TEXT NOT NULL,
    parent_id TEXT NOT NULL,
    seen_at TEXT NOT NULL,
    record TEXT NOT NULL,
    PRIMARY KEY (site, id)
)""",
    "CREATE INDEX pending_comments_parent ON pending_comments (site, parent_id)",
)


def m0012_follow_state(conn: sqlite3.Connection) -> None:
    """Follow/backfill positions, items' links to their parents and kids, comments
    waiting for their parent."""
    for statement in TABLES:
        conn.execute(statement)


def get_state(conn: sqlite3.Connection, site: str, name: str) -> tuple[int, str | None] | None:
    """(position, detail) of ``name``, or None if it never committed anything."""
    row = conn.execute("SELECT position, detail FROM follow_state WHERE site = ? AND name = ?",
                       (site, name)).fetchone()  # fmt: skip
    return None if row is None else (int(row[0]), row[1])


def set_state(conn: sqlite3.Connection, site: str, name: str, position: int,
              detail: str | None = None) -> None:
    """Record ``position`` (and ``detail``), in the transaction of the items it covers
    (the caller's: ``archive.db`` imports this module, through the migrations)."""
    conn.execute(
        "INSERT INTO follow_state (site, name, position, detail, updated_at)"
        " VALUES (?, ?, ?, ?, ?) ON CONFLICT (site, name) DO UPDATE SET"
        " position = excluded.position, detail = coalesce(excluded.detail, detail),"
        " updated_at = excluded.updated_at",
        (site, name, position, detail, now_iso()),
    )
