"""The bulk path: many comments from a dump file, in large transactions, then published
into the archive at once (migration 0010_import_progress).

A dump is read in batches (tens of thousands of rows). Each batch is ONE transaction
that stages its comments in ``import_comments`` (a table with no index but its key
and no full-text trigger: cheap to append to), saves its stories through the normal
story merge, and records how far into the file it got in ``import_progress``. So a
killed import leaves the archive as it was plus staged rows and a position, and the
next run of the same import reads on from that position.

When every file is read, :func:`archive.bulk_publish.publish` moves the staged rows
into ``comments`` with set-based SQL: their depth from their parents (a recursive
query), their place among siblings from their times (a window function), the
indexes and the full-text index written by one statement. Memory stays flat whatever
the size of the dump: the rows are only ever held a batch at a time, and the SQL runs
in SQLite, which sorts on disk past its cache.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from operator import itemgetter

from archive.rows import Row, now_iso, upsert_rows
from archive.schema import COMMENT_COLUMNS

# The staged columns: a comment's row (COMMENT_COLUMNS) but for its place in the tree,
# which publishing works out.
STAGED_COLUMNS = tuple(c for c in COMMENT_COLUMNS if c not in ("depth", "position"))
_FROM_COMMENT = itemgetter(*(COMMENT_COLUMNS.index(c) for c in STAGED_COLUMNS))
# Of the comments table, what import_comments has no column for: the place in the tree,
# and what only a crawl can tell (gone_at) or a redaction writes (redacted_at).
_NOT_STAGED = frozenset({"depth", "position", "gone_at", "redacted_at"})

IMPORT_TABLES = (
    # One row per (file, filters) read by an import: how far it got, committed with the
    # rows it read, so that a killed import goes on from there. ``position`` counts the
    # bytes of the file's (decompressed) text up to the end of the last line committed.
    """
CREATE TABLE import_progress (
    key TEXT PRIMARY KEY,
    path TEXT NOT NULL,
    filters TEXT NOT NULL,
    crawl_id INTEGER REFERENCES crawls(id),
    position INTEGER NOT NULL DEFAULT 0,
    lines INTEGER NOT NULL DEFAULT 0,
    kept INTEGER NOT NULL DEFAULT 0,
    state TEXT NOT NULL DEFAULT 'reading' CHECK (state IN ('reading', 'read', 'done')),
    updated_at TEXT NOT NULL
)""",
)


def staging_table(conn: sqlite3.Connection) -> str:
    """``import_comments``, comments read but not yet published (archive.bulk_publish):
    the archive's ``comments`` table, each column with its type, NOT NULL and default,
    but for the columns of _NOT_STAGED; its key; no foreign key, no other index.

    Made from the table itself rather than from a second list of its columns. In
    migration 0010 that is ``comments`` as migrations 0001-0009 left it, so the
    migration makes the same table on every archive, whatever comes after it; a later
    column of ``comments`` (one of COMMENT_COLUMNS, hence of STAGED_COLUMNS) is added
    here by its own migration (tests/test_reddit_dump.py checks the two agree)."""
    info = conn.execute("PRAGMA table_info(comments)").fetchall()
    columns = [" ".join(filter(None, (name, kind, "NOT NULL" if not_null else "",
                                      "" if default is None else f"DEFAULT {default}")))
               for _, name, kind, not_null, default, _ in info
               if name not in _NOT_STAGED]  # fmt: skip
    keys = [name for _, name, *_, key in sorted(info, key=lambda row: row[5]) if key]
    lines = ",\n    ".join((*columns, f"PRIMARY KEY ({', '.join(keys)})"))
    return f"CREATE TABLE import_comments (\n    {lines}\n)"


def m0010_import_progress(conn: sqlite3.Connection) -> None:
    """How far each dump import got, and the comments it staged."""
    for statement in (*IMPORT_TABLES, staging_table(conn)):
        conn.execute(statement)


@dataclass(frozen=True, slots=True, kw_only=True)
class Progress:
    """How far one import of one file got, as last committed."""

    key: str
    position: int = 0
    lines: int = 0
    kept: int = 0
    state: str = "reading"


def staged_row(comment_row: Row, source: str) -> Row:
    """The staged row of a comment's full row (COMMENT_COLUMNS order) but its source."""
    return _FROM_COMMENT((*comment_row, source))


_SITE, _STORY = STAGED_COLUMNS.index("site"), STAGED_COLUMNS.index("story_id")
_FIRST, _LAST = STAGED_COLUMNS.index("first_seen_at"), STAGED_COLUMNS.index("last_seen_at")
# The threads of the staged comments, with the first and last time a comment of each
# was seen: what publishing needs of them (archive.bulk_publish), kept while staging
# rather than read again by a GROUP BY over every staged row.
STORY_LOG = """
CREATE TEMP TABLE bulk_stories (site TEXT, story_id TEXT, first TEXT, last TEXT,
    PRIMARY KEY (site, story_id)) WITHOUT ROWID
"""


def start_story_log(conn: sqlite3.Connection) -> None:
    """Keep ``temp.bulk_stories`` while staging, when nothing is staged yet (a resumed
    import's earlier rows are not in it: then publishing reads them all instead)."""
    conn.execute("DROP TABLE IF EXISTS temp.bulk_stories")
    if not conn.execute("SELECT 1 FROM import_comments LIMIT 1").fetchone():
        conn.execute(STORY_LOG)


def _logging(conn: sqlite3.Connection) -> bool:
    return conn.execute("SELECT 1 FROM temp.sqlite_master WHERE name = 'bulk_stories'"
                        " AND type = 'table'").fetchone() is not None  # fmt: skip


# What a staged row says of its comment, as against when and by what it was seen: two
# observations that differ here are two versions, not one comment seen twice.
_CONTENT = [i for i, c in enumerate(STAGED_COLUMNS)
            if c not in ("site", "id", "first_seen_at", "last_seen_at", "last_crawl_id",
                         "source")]  # fmt: skip
_content = itemgetter(*_CONTENT)
_KEYS_A_QUERY = 5_000


def stage_comments(conn: sqlite3.Connection, rows: Sequence[Row]) -> list[Row]:
    """Stage comment rows (STAGED_COLUMNS order) in the caller's transaction; the rows
    held back, not staged: later observations of a comment staged already (or earlier
    among ``rows``) that say something else of it.

    A comment a dump holds twice with the same content (overlapping files, or one
    line repeated) is kept once, its times widened. One with other content is a
    version: the caller publishes what is staged and stages the held rows after it,
    so that they merge by the history rules (archive.bulk_merge). The rows are first
    written as they come, in a savepoint; only when some met a staged key (the
    rowids grew by fewer than the rows) are they sorted out, so a dump of distinct
    comments pays for no look-up. The table has no trigger, so executemany costs
    nothing extra here (see archive.rows.upsert_rows for the full-text tables, where
    it would). The story log (:func:`start_story_log`) takes the rows' threads; a
    row that met one staged before may have moved it to another thread, and the log
    is given up for the GROUP BY.
    """
    if not rows:
        return []
    logging = _logging(conn)
    before = _last_rowid(conn)
    conn.execute("SAVEPOINT stage_comments")
    try:
        _upsert(conn, rows)
        clash = _last_rowid(conn) - before != len(rows)
        if clash:
            conn.execute("ROLLBACK TO stage_comments")
    finally:
        conn.execute("RELEASE stage_comments")
    later: list[Row] = []
    if clash:
        rows, later = _versions_apart(conn, rows)
        _upsert(conn, rows)
        if logging:
            conn.execute("DROP TABLE temp.bulk_stories")
        return later
    if logging:
        _log_threads(conn, rows)
    return later


def _last_rowid(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT coalesce(max(rowid), 0) FROM import_comments"
                            ).fetchone()[0])  # fmt: skip


def _upsert(conn: sqlite3.Connection, rows: Sequence[Row]) -> None:
    assigns = ", ".join(f"{c} = excluded.{c}" for c in STAGED_COLUMNS[2:])
    conn.executemany(
        f"INSERT INTO import_comments ({', '.join(STAGED_COLUMNS)})"
        f" VALUES ({', '.join('?' * len(STAGED_COLUMNS))}) ON CONFLICT (site, id)"
        f" DO UPDATE SET {assigns} WHERE excluded.last_seen_at >= import_comments.last_seen_at",
        rows)


def _versions_apart(conn: sqlite3.Connection,
                    rows: Sequence[Row]) -> tuple[list[Row], list[Row]]:  # fmt: skip
    """``rows`` split into those to stage now (new comments, and ones that only repeat
    what is staged) and the later observations that differ from it."""
    content: dict[tuple[str, str], tuple[object, ...]] = {}
    keys = sorted({(row[0], row[1]) for row in rows})
    # The staged rows of the batch's keys, one statement a slice of keys rather than a
    # query a row; the keys go in as a JSON array, looked up by the table's key.
    for at in range(0, len(keys), _KEYS_A_QUERY):
        for found in conn.execute(
                f"SELECT {', '.join(f's.{c}' for c in STAGED_COLUMNS)}"
                " FROM json_each(?) AS k CROSS JOIN import_comments AS s"
                " ON s.site = k.value ->> 0 AND s.id = k.value ->> 1",
                (json.dumps(keys[at:at + _KEYS_A_QUERY]),)):  # fmt: skip
            content[(found[0], found[1])] = _content(found)
    now: list[Row] = []
    later: list[Row] = []
    for row in rows:
        key = (row[0], row[1])
        known = content.get(key)
        if known is None:
            content[key] = _content(row)
            now.append(row)
        elif known == _content(row):
            now.append(row)
        else:
            later.append(row)
    return now, later


def _log_threads(conn: sqlite3.Connection, rows: Sequence[Row]) -> None:
    seen: dict[tuple[str, str], list[str]] = {}
    for row in rows:
        key = (row[_SITE], row[_STORY])
        span = seen.get(key)
        if span is None:
            seen[key] = [row[_FIRST], row[_LAST]]
        else:
            span[0] = min(span[0], row[_FIRST])
            span[1] = max(span[1], row[_LAST])
    conn.executemany(
        "INSERT INTO temp.bulk_stories (site, story_id, first, last) VALUES (?, ?, ?, ?)"
        " ON CONFLICT DO UPDATE SET first = min(first, excluded.first),"
        " last = max(last, excluded.last)",
        [(site, story, first, last) for (site, story), (first, last) in seen.items()])


def progress(conn: sqlite3.Connection, key: str) -> Progress | None:
    """The committed progress of an import of one file, if it was started before."""
    row = conn.execute("SELECT key, position, lines, kept, state FROM import_progress"
                       " WHERE key = ?", (key,)).fetchone()  # fmt: skip
    return None if row is None else Progress(key=row[0], position=row[1], lines=row[2],
                                             kept=row[3], state=row[4])


def save_progress(conn: sqlite3.Connection, done: Progress, *, path: str, filters: str,
                  crawl_id: int | None) -> None:  # fmt: skip
    """Record how far the import of a file got, in the transaction of the rows it read."""
    upsert_rows(conn, "import_progress",
                ("key", "path", "filters", "crawl_id", "position", "lines", "kept", "state",
                 "updated_at"), ("key",),
                [(done.key, path, filters, crawl_id, done.position, done.lines, done.kept,
                  done.state, now_iso())])  # fmt: skip


def staged_count(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT count(*) FROM import_comments").fetchone()[0])
