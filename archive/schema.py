"""The archive's tables, indexes and full-text indexes, as SQL.

These statements are what migration ``0001_initial`` runs. They are frozen once
released: a later change is a NEW migration in ``archive/migrations.py`` (ALTER TABLE,
a new index), never an edit here, because databases already created from these
statements would silently differ from new ones. The README documents them.

Conventions: ids are TEXT so one schema serves every site; times are UTC ISO 8601
strings (``2026-01-14T09:30:00Z``), which sort and compare correctly as text; flags
are INTEGER 0/1; the raw time string the page showed is kept beside the parsed one.
"""

from __future__ import annotations

CRAWLS = """
CREATE TABLE crawls (
    id INTEGER PRIMARY KEY,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    command TEXT NOT NULL,
    args TEXT NOT NULL DEFAULT '{}',
    status TEXT NOT NULL DEFAULT 'running'
        CHECK (status IN ('running', 'finished', 'failed', 'interrupted')),
    pages INTEGER NOT NULL DEFAULT 0,
    threads INTEGER NOT NULL DEFAULT 0,
    comments INTEGER NOT NULL DEFAULT 0,
    errors INTEGER NOT NULL DEFAULT 0,
    message TEXT
)
"""

STORIES = """
CREATE TABLE stories (
    site TEXT NOT NULL,
    id TEXT NOT NULL,
    title TEXT,
    url TEXT,
    domain TEXT,
    author TEXT,
    score INTEGER,
    comment_count INTEGER,
    created_at TEXT,
    created_at_raw TEXT,
    text_html TEXT,
    text TEXT,
    kind TEXT NOT NULL DEFAULT 'story',
    dead INTEGER NOT NULL DEFAULT 0,
    flagged INTEGER NOT NULL DEFAULT 0,
    deleted INTEGER NOT NULL DEFAULT 0,
    first_seen_at TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    archived_count INTEGER NOT NULL DEFAULT 0,
    last_crawl_id INTEGER REFERENCES crawls(id),
    PRIMARY KEY (site, id)
)
"""

COMMENTS = """
CREATE TABLE comments (
    site TEXT NOT NULL,
    id TEXT NOT NULL,
    story_id TEXT NOT NULL,
    parent_id TEXT,
    depth INTEGER NOT NULL,
    position INTEGER NOT NULL,
    author TEXT,
    created_at TEXT,
    created_at_raw TEXT,
    text_html TEXT,
    text TEXT,
    dead INTEGER NOT NULL DEFAULT 0,
    flagged INTEGER NOT NULL DEFAULT 0,
    deleted INTEGER NOT NULL DEFAULT 0,
    colour TEXT,
    synthetic_id INTEGER NOT NULL DEFAULT 0,
    first_seen_at TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    last_crawl_id INTEGER REFERENCES crawls(id),
    PRIMARY KEY (site, id),
    FOREIGN KEY (site, story_id) REFERENCES stories(site, id)
)
"""

# No foreign key to stories: a page that failed to parse may belong to a story that
# was never stored, and the page must be kept anyway (nothing lost).
PAGES = """
CREATE TABLE pages (
    id INTEGER PRIMARY KEY,
    site TEXT NOT NULL,
    url TEXT NOT NULL,
    status INTEGER,
    sha256 TEXT NOT NULL,
    body BLOB NOT NULL,
    first_fetched_at TEXT NOT NULL,
    last_fetched_at TEXT NOT NULL,
    fetch_count INTEGER NOT NULL DEFAULT 1,
    story_id TEXT,
    crawl_id INTEGER REFERENCES crawls(id),
    error TEXT,
    UNIQUE (url, sha256)
)
"""

INDEXES = (
    # (site, story_id) loads a thread and counts its archived comments.
    "CREATE INDEX comments_site_story_id ON comments (site, story_id)",
    "CREATE INDEX comments_site_parent_id ON comments (site, parent_id)",
    "CREATE INDEX comments_author ON comments (author)",
    "CREATE INDEX comments_created_at ON comments (created_at)",
    "CREATE INDEX stories_author ON stories (author)",
    "CREATE INDEX stories_created_at ON stories (created_at)",
    "CREATE INDEX pages_site_story_id ON pages (site, story_id)",
)


def fts_statements(table: str, columns: tuple[str, ...]) -> tuple[str, ...]:
    """External-content FTS5 index over ``table`` plus the triggers that keep it in sync.

    Named and shaped like sqlite-utils' ``enable_fts`` (``<table>_fts``,
    ``content="<table>"``, triggers ``<table>_ai/_ad/_au``) so that ``sqlite-utils
    search`` and ``Table.search()`` recognise it. One difference, deliberately: the
    update trigger only re-indexes a row when an indexed column really changed. A
    re-crawl rewrites every comment's last_seen_at; re-tokenising 5,000 unchanged
    texts for that would dominate the cost of the save.
    """
    fts = f"{table}_fts"
    cols = ", ".join(columns)
    new = ", ".join(f"new.{c}" for c in columns)
    old = ", ".join(f"old.{c}" for c in columns)
    changed = " OR ".join(f"old.{c} IS NOT new.{c}" for c in columns)
    return (
        f'CREATE VIRTUAL TABLE "{fts}" USING FTS5 ({cols}, '
        f"tokenize='porter unicode61', content=\"{table}\")",
        f'CREATE TRIGGER "{table}_ai" AFTER INSERT ON "{table}" BEGIN\n'
        f'  INSERT INTO "{fts}" (rowid, {cols}) VALUES (new.rowid, {new});\nEND',
        f'CREATE TRIGGER "{table}_ad" AFTER DELETE ON "{table}" BEGIN\n'
        f'  INSERT INTO "{fts}" ("{fts}", rowid, {cols}) VALUES (\'delete\', old.rowid, {old});\n'
        "END",
        f'CREATE TRIGGER "{table}_au" AFTER UPDATE ON "{table}" WHEN {changed} BEGIN\n'
        f'  INSERT INTO "{fts}" ("{fts}", rowid, {cols}) VALUES (\'delete\', old.rowid, {old});\n'
        f'  INSERT INTO "{fts}" (rowid, {cols}) VALUES (new.rowid, {new});\nEND',
    )


def initial_statements() -> tuple[str, ...]:
    """Every statement of migration 0001, in dependency order (crawls before rows)."""
    return (
        CRAWLS,
        STORIES,
        COMMENTS,
        PAGES,
        *INDEXES,
        *fts_statements("comments", ("text", "author")),
        *fts_statements("stories", ("title", "text")),
    )


# Column order the store writes in; kept here beside the DDL they must match.
STORY_COLUMNS = (
    "site",
    "id",
    "title",
    "url",
    "domain",
    "author",
    "score",
    "comment_count",
    "created_at",
    "created_at_raw",
    "text_html",
    "text",
    "kind",
    "dead",
    "flagged",
    "deleted",
    # 0006_sites; in the content part the store merges, though the table has them last.
    "merged_into",
    "extra",
    "first_seen_at",
    "last_seen_at",
    "archived_count",
    "last_crawl_id",
    "source",  # 0008_source: the set of sources (archive.sources), merged as a set
)
COMMENT_COLUMNS = (
    "site",
    "id",
    "story_id",
    "parent_id",
    "depth",
    "position",
    "author",
    "created_at",
    "created_at_raw",
    "text_html",
    "text",
    "dead",
    "flagged",
    "deleted",
    "colour",
    "synthetic_id",
    # 0006_sites; in the content part the store merges, though the table has them last.
    "score",
    "edited",
    "edited_at",
    "edited_at_raw",
    "removed",
    "by_submitter",
    "extra",
    "first_seen_at",
    "last_seen_at",
    "last_crawl_id",
    "source",  # 0008_source: the set of sources (archive.sources), merged as a set
)
