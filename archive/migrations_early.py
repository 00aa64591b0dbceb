"""Migrations 0002 (``m0002_history``) and 0003 (``m0003_schedule``): the history
tables and the watch list, as released. Their own module to keep
:mod:`archive.migrations` small; never edit them (its rules say why).
"""

from __future__ import annotations

import sqlite3

HISTORY_TABLES = (
    # One row per observed change of a comment, plus 'added' when first archived. The
    # change is part of the key: one crawl can see a comment edited AND flagged.
    """
CREATE TABLE comment_versions (
    site TEXT NOT NULL,
    comment_id TEXT NOT NULL,
    seen_at TEXT NOT NULL,
    crawl_id INTEGER REFERENCES crawls(id),
    change TEXT NOT NULL CHECK (change IN ('added', 'edited', 'deleted', 'undeleted',
        'dead', 'undead', 'flagged', 'unflagged', 'gone', 'back')),
    text_html TEXT,
    text TEXT,
    dead INTEGER NOT NULL DEFAULT 0,
    flagged INTEGER NOT NULL DEFAULT 0,
    deleted INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (site, comment_id, seen_at, change)
)""",
    # Written only when a value differs from the previous snapshot of the same source.
    """
CREATE TABLE story_snapshots (
    site TEXT NOT NULL,
    story_id TEXT NOT NULL,
    seen_at TEXT NOT NULL,
    crawl_id INTEGER REFERENCES crawls(id),
    source TEXT NOT NULL,
    score INTEGER,
    comment_count INTEGER,
    title TEXT,
    rank INTEGER,
    PRIMARY KEY (site, story_id, seen_at, source)
)""",
    """
CREATE TABLE listing_snapshots (
    site TEXT NOT NULL,
    listing TEXT NOT NULL,
    page INTEGER,
    rank INTEGER NOT NULL,
    story_id TEXT NOT NULL,
    score INTEGER,
    comment_count INTEGER,
    seen_at TEXT NOT NULL,
    crawl_id INTEGER REFERENCES crawls(id),
    PRIMARY KEY (site, listing, seen_at, rank)
)""",
    """
CREATE TABLE thread_crawls (
    site TEXT NOT NULL,
    story_id TEXT NOT NULL,
    crawl_id INTEGER REFERENCES crawls(id),
    seen_at TEXT NOT NULL,
    declared INTEGER,
    archived INTEGER NOT NULL,
    dead INTEGER NOT NULL,
    deleted INTEGER NOT NULL,
    missing INTEGER,
    PRIMARY KEY (site, story_id, seen_at)
)""",
    """
CREATE TABLE users (
    site TEXT NOT NULL,
    id TEXT NOT NULL,
    created_at TEXT,
    created_at_raw TEXT,
    karma INTEGER,
    about_html TEXT,
    about TEXT,
    first_seen_at TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    PRIMARY KEY (site, id)
)""",
    """
CREATE TABLE user_snapshots (
    site TEXT NOT NULL,
    user_id TEXT NOT NULL,
    seen_at TEXT NOT NULL,
    crawl_id INTEGER REFERENCES crawls(id),
    karma INTEGER,
    about TEXT,
    PRIMARY KEY (site, user_id, seen_at)
)""",
    # The primary keys above already index (site, comment_id, seen_at) and
    # (site, story_id, seen_at); a listing's ranks of one story need their own.
    "CREATE INDEX listing_snapshots_site_story_id ON listing_snapshots (site, story_id)",
    # When a re-crawl of the whole thread no longer showed the comment; NULL while shown.
    "ALTER TABLE comments ADD COLUMN gone_at TEXT",
)


def m0002_history(conn: sqlite3.Connection) -> None:
    """History: comment versions, story/listing/user snapshots, thread crawls, gone_at."""
    for statement in HISTORY_TABLES:
        conn.execute(statement)


SCHEDULE_TABLES = (
    # The watch list: what `linkthread run` revisits, and the state of its policy.
    # claimed_by/claimed_until are a lease: a runner takes due rows in one write
    # transaction, so two runners never take the same one; a lease past its end, or
    # held by a process that is gone, may be taken over.
    """
CREATE TABLE watches (
    id INTEGER PRIMARY KEY,
    site TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('thread', 'listing', 'user')),
    target TEXT NOT NULL,
    every INTEGER CHECK (every > 0),
    interval INTEGER NOT NULL CHECK (interval > 0),
    until TEXT,
    added_at TEXT NOT NULL,
    next_due_at TEXT NOT NULL,
    last_run_at TEXT,
    last_status TEXT,
    last_result TEXT,
    runs INTEGER NOT NULL DEFAULT 0,
    quiet_runs INTEGER NOT NULL DEFAULT 0,
    claimed_by TEXT,
    claimed_until TEXT,
    UNIQUE (site, kind, target)
)""",
    "CREATE INDEX watches_next_due_at ON watches (next_due_at)",
    # What each crawl was asked to do and how far it got: the part of a crawl's state
    # that must outlive a crash (Scrapy's JOBDIR only survives a clean stop). A
    # target is 'done' in the same transaction that stores it; 'resumed' once a later
    # crawl (`crawl --resume`) has taken it over.
    """
CREATE TABLE crawl_targets (
    crawl_id INTEGER NOT NULL REFERENCES crawls(id),
    site TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('thread', 'listing', 'user')),
    target TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'queued'
        CHECK (state IN ('queued', 'done', 'failed', 'resumed')),
    detail TEXT,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (crawl_id, site, kind, target)
)""",
    # Which process runs a crawl, so a later run can tell a live crawl from a dead one.
    "ALTER TABLE crawls ADD COLUMN host TEXT",
    "ALTER TABLE crawls ADD COLUMN pid INTEGER",
)


def m0003_schedule(conn: sqlite3.Connection) -> None:
    """The watch list, each crawl's targets, and the process behind each crawl."""
    for statement in SCHEDULE_TABLES:
        conn.execute(statement)
