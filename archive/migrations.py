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
from importlib import import_module
from typing import TYPE_CHECKING

from archive import site_table

if TYPE_CHECKING:
    import sqlite_utils

Migration = Callable[[sqlite3.Connection], None]



def _in(module: str, name: str) -> Migration:
    """Migration ``name`` of ``archive.<module>``, imported when it is applied: an
    archive migrated to date (every open but the first) imports none of them, and their
    modules (search, bulk import, summaries) were ~10 ms of a crawl's start-up."""
    def migration(conn: sqlite3.Connection) -> None:
        getattr(import_module(f"archive.{module}"), name)(conn)

    migration.__name__ = migration.__qualname__ = name
    return migration


MIGRATIONS_TABLE = """
CREATE TABLE IF NOT EXISTS _migrations (
    name TEXT PRIMARY KEY,
    applied_at TEXT NOT NULL
)
"""


def m0001_initial(conn: sqlite3.Connection) -> None:
    """Tables stories, comments, pages, crawls; their indexes; FTS5 over text."""
    from archive import schema

    for statement in schema.initial_statements():
        conn.execute(statement)


# Fields that sites other than HN show (issue 11): Lobsters first, Reddit next. HN
# leaves them NULL / 0. ``extra`` columns hold canonical JSON (sorted keys) of the
# site-specific values that have no common column, so nothing a parser read is dropped
# and an unchanged re-crawl compares equal.
SITE_FIELDS = (
    "ALTER TABLE comments ADD COLUMN score INTEGER",
    "ALTER TABLE comments ADD COLUMN edited INTEGER NOT NULL DEFAULT 0",
    "ALTER TABLE comments ADD COLUMN edited_at TEXT",
    "ALTER TABLE comments ADD COLUMN edited_at_raw TEXT",
    # By a moderator (or with a banned user); ``deleted`` stays "by its author".
    "ALTER TABLE comments ADD COLUMN removed INTEGER NOT NULL DEFAULT 0",
    "ALTER TABLE comments ADD COLUMN by_submitter INTEGER NOT NULL DEFAULT 0",
    "ALTER TABLE comments ADD COLUMN extra TEXT",
    "ALTER TABLE stories ADD COLUMN merged_into TEXT",
    "ALTER TABLE stories ADD COLUMN extra TEXT",
    "ALTER TABLE users ADD COLUMN extra TEXT",
    # A table rather than a JSON list in stories: "stories tagged rust" and "stories
    # per tag" are then an index lookup and a GROUP BY, where a JSON column would be
    # a json_each over every story of the archive.
    """
CREATE TABLE story_tags (
    site TEXT NOT NULL,
    story_id TEXT NOT NULL,
    tag TEXT NOT NULL,
    PRIMARY KEY (site, story_id, tag),
    FOREIGN KEY (site, story_id) REFERENCES stories(site, id)
)""",
    "CREATE INDEX story_tags_site_tag ON story_tags (site, tag)",
    # A score moves on nearly every crawl: a snapshot, not a version of the comment.
    # Written only when it differs from the previous row, as story_snapshots are.
    """
CREATE TABLE comment_scores (
    site TEXT NOT NULL,
    comment_id TEXT NOT NULL,
    seen_at TEXT NOT NULL,
    crawl_id INTEGER REFERENCES crawls(id),
    score INTEGER NOT NULL,
    PRIMARY KEY (site, comment_id, seen_at)
)""",
)

# comment_versions as 0002 made it, plus 'removed'/'unremoved' in the CHECK and the
# state those and an edit carry. SQLite cannot alter a CHECK in place: the table is
# rebuilt (see rebuild_table).
COMMENT_VERSIONS_0006 = """
CREATE TABLE comment_versions (
    site TEXT NOT NULL,
    comment_id TEXT NOT NULL,
    seen_at TEXT NOT NULL,
    crawl_id INTEGER REFERENCES crawls(id),
    change TEXT NOT NULL CHECK (change IN ('added', 'edited', 'deleted', 'undeleted',
        'dead', 'undead', 'flagged', 'unflagged', 'gone', 'back', 'removed', 'unremoved')),
    text_html TEXT,
    text TEXT,
    dead INTEGER NOT NULL DEFAULT 0,
    flagged INTEGER NOT NULL DEFAULT 0,
    deleted INTEGER NOT NULL DEFAULT 0,
    removed INTEGER NOT NULL DEFAULT 0,
    edited INTEGER NOT NULL DEFAULT 0,
    edited_at TEXT,
    edited_at_raw TEXT,
    PRIMARY KEY (site, comment_id, seen_at, change)
)"""


def rebuild_table(conn: sqlite3.Connection, table: str, create: str) -> None:
    """Replace ``table`` by the one ``create`` makes, keeping every row and its rowid,
    and the table's own indexes and triggers; in the caller's transaction.

    SQLite's documented procedure for a change ALTER TABLE cannot make: create the new
    table under another name, copy, drop the old, rename the new, recreate indexes and
    triggers. Rowids are copied because readers order a comment's versions by them.
    Columns the new table adds take their defaults. Fails, rolling back with the
    caller's transaction, if a row breaks a new constraint or a foreign key.
    """
    kept = conn.execute(
        "SELECT sql FROM sqlite_master WHERE tbl_name = ? AND type IN ('index', 'trigger')"
        " AND sql IS NOT NULL ORDER BY type, name",
        (table,),
    ).fetchall()
    old_columns = [row[1] for row in conn.execute(f'PRAGMA table_info("{table}")')]
    broken = len(conn.execute(f'PRAGMA foreign_key_check("{table}")').fetchall())
    temp = f"_new_{table}"
    conn.execute(create.replace(f"CREATE TABLE {table} (", f'CREATE TABLE "{temp}" (', 1))
    new_columns = {row[1] for row in conn.execute(f'PRAGMA table_info("{temp}")')}
    cols = ", ".join(f'"{c}"' for c in old_columns if c in new_columns)
    conn.execute(f'INSERT INTO "{temp}" (rowid, {cols}) SELECT rowid, {cols} FROM "{table}"')
    conn.execute(f'DROP TABLE "{table}"')
    conn.execute(f'ALTER TABLE "{temp}" RENAME TO "{table}"')
    for (sql,) in kept:
        conn.execute(sql)
    # The runner turns foreign keys off for this (a copy must not fail on a reference
    # an archive already had dangling, e.g. in an --as-of snapshot); it must add none.
    if len(conn.execute(f'PRAGMA foreign_key_check("{table}")').fetchall()) > broken:
        raise sqlite3.IntegrityError(f"rebuilding {table} broke a foreign key")


def m0006_sites(conn: sqlite3.Connection) -> None:
    """Comment score/edit/removal/submitter fields, story tags and merges, extra JSON,
    comment_scores, and comment_versions with 'removed'/'unremoved'."""
    for statement in SITE_FIELDS:
        conn.execute(statement)
    rebuild_table(conn, "comment_versions", COMMENT_VERSIONS_0006)


def m0009_reddit_gaps(conn: sqlite3.Connection) -> None:
    """``thread_crawls.unexpanded``: comments a crawl knows it left out of the thread
    (stubs it did not expand: Reddit's "load more comments" and "continue this
    thread"). NULL where the crawl gives no such account (HN, Lobsters); then, as
    before, the site's declared count judges whether the thread is whole."""
    conn.execute("ALTER TABLE thread_crawls ADD COLUMN unexpanded INTEGER")


# An archive of millions of comments (issue 14): 0001's index on author alone made
# "an author's comments, newest first" (Datasette's comments?author=, user_comments)
# sort every comment of a prolific author; (author, created_at) reads them in order,
# and gives an author's first and last time in one step (archive/summaries.py).
SCALE_INDEXES = (
    "DROP INDEX comments_author",
    "CREATE INDEX comments_author_created_at ON comments (author, created_at)",
)


def m0014_scale(conn: sqlite3.Connection) -> None:
    """(author, created_at) index; top_authors and gaps read from summary tables the
    store keeps (archive/summaries.py), counted once here; recent_comments
    without its ORDER BY (views.unordered_recent_comments says why)."""
    from archive import summaries, views

    recent = views.unordered_recent_comments(site_table.item_url_sql("c", "c.story_id"))
    for statement in (*SCALE_INDEXES, *summaries.TABLES, *summaries.LATEST, "DROP VIEW top_authors",
                      summaries.TOP_AUTHORS, "DROP VIEW recent_comments", recent):  # fmt: skip
        conn.execute(statement)
    summaries.rebuild(conn)


# The order of this list is the order of application. Append only.
MIGRATIONS: tuple[tuple[str, Migration], ...] = (
    ("0001_initial", m0001_initial),
    ("0002_history", _in("migrations_early", "m0002_history")),
    ("0003_schedule", _in("migrations_early", "m0003_schedule")),
    ("0004_views", _in("views", "m0004_views")),
    ("0005_pace", _in("pace", "m0005_pace")),
    ("0006_sites", m0006_sites),
    ("0007_site_urls", site_table.m0007_site_urls),
    ("0008_source", _in("sources", "m0008_source")),
    ("0009_reddit_gaps", m0009_reddit_gaps),
    ("0010_import_progress", _in("bulk", "m0010_import_progress")),
    ("0011_hn_api", _in("differences", "m0011_hn_api")),
    ("0012_follow_state", _in("follow_state", "m0012_follow_state")),
    ("0013_revisits", _in("seen", "m0013_revisits")),
    ("0014_scale", m0014_scale),
    ("0015_redactions", _in("redaction_table", "m0015_redactions")),
    ("0016_markup_health", _in("health", "m0016_markup_health")),
    ("0017_scale_search", _in("search_index", "m0017_scale_search")),
    ("0019_band_auto", _in("search_schema", "m0019_band_auto")),
    ("0020_thread_visits", _in("thread_visits", "m0020_thread_visits")),
    ("0021_fts_merge", _in("search_merge", "m0021_fts_merge")),
    ("0022_visits_once", _in("thread_visits", "m0022_visits_once")),
)


def applied_migrations(db: sqlite_utils.Database | sqlite3.Connection) -> list[str]:
    """Names of the migrations recorded in the database, in the order applied."""
    conn = db if isinstance(db, sqlite3.Connection) else db.conn
    if not conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table'"
                        " AND name = '_migrations'").fetchone():  # fmt: skip
        return []
    return [row[0] for row in conn.execute("SELECT name FROM _migrations ORDER BY rowid")]


def apply_migrations(db: sqlite_utils.Database | sqlite3.Connection) -> list[str]:
    """Apply every migration not yet recorded; return the names applied (maybe none)."""
    conn = db if isinstance(db, sqlite3.Connection) else db.conn
    if _up_to_date(conn):  # every open of a current archive: one read, nothing set
        site_table.sync(conn)
        return []
    conn.execute(MIGRATIONS_TABLE)
    if conn.in_transaction:
        conn.commit()
    # Off while the schema changes, as SQLite's procedure for rebuilding a table asks
    # (the pragma is a no-op inside a transaction, so it is set here, between them).
    foreign_keys = conn.execute("PRAGMA foreign_keys").fetchone()[0]
    conn.execute("PRAGMA foreign_keys = OFF")
    try:
        return _apply(conn)
    finally:
        conn.execute(f"PRAGMA foreign_keys = {int(foreign_keys)}")


def _up_to_date(conn: sqlite3.Connection) -> bool:
    names = [name for name, _ in MIGRATIONS]
    try:
        (recorded,) = conn.execute(
            f"SELECT count(*) FROM _migrations WHERE name IN ({', '.join('?' * len(names))})",
            names).fetchone()  # fmt: skip
    except sqlite3.OperationalError:  # no _migrations yet: a new archive
        return False
    return bool(recorded == len(names))


def _apply(conn: sqlite3.Connection) -> list[str]:
    from archive.db import transaction  # here: archive.db imports this module to migrate
    recorded = set(applied_migrations(conn))  # once recorded, passed over with no lock
    applied: list[str] = []
    for name, migration in (m for m in MIGRATIONS if m[0] not in recorded):
        with transaction(conn):
            # Checked again under the lock: two processes may open a new archive at once.
            done = conn.execute("SELECT 1 FROM _migrations WHERE name = ?", (name,)).fetchone()
            if done:
                continue
            migration(conn)
            conn.execute(
                "INSERT INTO _migrations (name, applied_at) VALUES (?, ?)",
                (name, datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")),
            )
        applied.append(name)
    site_table.sync(conn)  # the registry may have a site (or a URL form) the table lacks
    return applied
