"""Read-only access: a user's SQL, and a thread loaded in display order.

Nothing here writes. ``run_query`` goes through :func:`archive.db.open_readonly`, and on
top of that guards the one statement it runs: an authorizer that allows reading only,
no attached databases, bounded SQL and value sizes, a time limit and a row cap. A
read-only open alone is not enough on SQLite 3.40: it still lets ATTACH create files,
VACUUM INTO write anywhere and ``PRAGMA query_only = 0`` lift the guard.
"""

from __future__ import annotations

import re
import sqlite3
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlite_utils

from archive.db import open_readonly
from archive.errors import ArchiveError

DEFAULT_TIME_LIMIT = 1.0  # seconds
DEFAULT_MAX_ROWS = 1_000
MAX_SQL_BYTES = 100_000
MAX_VALUE_BYTES = 32 * 1024 * 1024  # compressed page bodies stay far below this
_FETCH_CHUNK = 500
# VM instructions between two looks at the clock: often enough to stop within a few
# milliseconds, rare enough that the clock costs nothing measurable.
_PROGRESS_STEPS = 2_000


@dataclass(frozen=True, slots=True)
class QueryResult:
    columns: list[str]
    rows: list[tuple[Any, ...]]
    truncated: bool = False  # True when the row cap cut the result short


def run_query(
    path: str | Path,
    sql: str,
    params: Mapping[str, Any] | None = None,
    *,
    time_limit: float | None = DEFAULT_TIME_LIMIT,
    max_rows: int | None = DEFAULT_MAX_ROWS,
) -> QueryResult:
    """Run one SQL statement read-only against the archive at ``path``.

    ``time_limit`` (seconds) and ``max_rows`` bound the work; ``None`` lifts either.
    Rows past ``max_rows`` are not read, and the result says ``truncated``. Anything
    but reading (a write, ATTACH, VACUUM, a pragma that sets a value, a function that
    reaches outside the archive) is refused before it runs. Every failure, refused or
    from SQLite (syntax, unknown column), is an :class:`ArchiveError` of one line.
    """
    conn = open_readonly(path)
    try:
        return _execute_readonly(
            conn, sql, dict(params or {}), time_limit=time_limit, max_rows=max_rows
        )
    finally:
        conn.close()


def _execute_readonly(
    conn: sqlite3.Connection,
    sql: str,
    params: dict[str, Any],
    *,
    time_limit: float | None = DEFAULT_TIME_LIMIT,
    max_rows: int | None = DEFAULT_MAX_ROWS,
) -> QueryResult:
    size = len(sql.encode("utf-8"))
    if size > MAX_SQL_BYTES:
        raise ArchiveError(
            f"refused: the SQL is {size:,} bytes; linkthread query takes at most {MAX_SQL_BYTES:,}"
        )
    guard = _Guard(sql)
    conn.setlimit(sqlite3.SQLITE_LIMIT_ATTACHED, 0)
    conn.setlimit(sqlite3.SQLITE_LIMIT_SQL_LENGTH, MAX_SQL_BYTES)
    conn.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, MAX_VALUE_BYTES)
    # No implicit BEGIN from Python: the authorizer refuses transactions, and a
    # refused BEGIN would hide what the statement itself tried to do.
    isolation = conn.isolation_level
    conn.isolation_level = None
    conn.set_authorizer(guard.authorize)
    deadline = None if time_limit is None else time.monotonic() + time_limit
    stopped: list[bool] = []

    def progress() -> int:
        if deadline is not None and time.monotonic() > deadline:
            stopped.append(True)
            return 1  # non-zero makes SQLite interrupt the statement
        return 0

    conn.set_progress_handler(progress, _PROGRESS_STEPS)
    try:
        cur = conn.execute(sql, params)
        rows, truncated = _fetch(cur, max_rows)
        columns = [d[0] for d in cur.description or ()]
        cur.close()  # finalises the statement: a capped query reads no further
    # sqlite3.Warning: Python < 3.12 reports "only one statement at a time" with it.
    except (sqlite3.Error, sqlite3.Warning) as e:
        if stopped:
            raise ArchiveError(
                f"query stopped after {float(time_limit or 0)} s "
                "(time limit; raise it with --time-limit)"
            ) from e
        raise ArchiveError(guard.refusal or _sqlite_message(e)) from e
    finally:
        conn.set_progress_handler(None, 0)
        conn.set_authorizer(None)
        conn.isolation_level = isolation
    return QueryResult(columns=columns, rows=rows, truncated=truncated)


def _fetch(cur: sqlite3.Cursor, max_rows: int | None) -> tuple[list[tuple[Any, ...]], bool]:
    # One row past the cap tells "exactly max_rows" from "more", without reading on.
    rows: list[tuple[Any, ...]] = []
    while True:
        want = _FETCH_CHUNK if max_rows is None else min(_FETCH_CHUNK, max_rows + 1 - len(rows))
        batch = cur.fetchmany(want)
        rows.extend(batch)
        if len(batch) < want or (max_rows is not None and len(rows) > max_rows):
            break
    if max_rows is not None and len(rows) > max_rows:
        return rows[:max_rows], True
    return rows, False


def _sqlite_message(e: BaseException) -> str:
    text = str(e)
    if text == "string or blob too big":
        return (
            f"query stopped: a value grew past {MAX_VALUE_BYTES // (1024 * 1024)} MiB "
            "(string or blob too big)"
        )
    if "readonly database" in text or "may not be modified" in text:
        return f"refused: the query tries to write ({text}); linkthread query is read-only"
    return f"SQL error: {text}"


# Pragmas that only read. Those in _PRAGMA_ON_TABLE take a table or index name; the
# rest are allowed only bare, since with an argument most of them set the value.
# data_version is read by FTS5 itself whenever a query touches a full-text index.
_PRAGMA_ON_TABLE = frozenset(
    {"table_info", "table_xinfo", "index_list", "index_info", "index_xinfo",
     "foreign_key_list"}
)  # fmt: skip
_PRAGMA_BARE = frozenset(
    {"data_version", "user_version", "schema_version", "page_count", "page_size",
     "freelist_count", "encoding", "journal_mode", "table_list", "database_list",
     "function_list", "module_list", "pragma_list", "compile_options", "collation_list"}
)  # fmt: skip
# Functions that reach outside the archive (files, shared libraries, tokenizer
# pointers). Python builds SQLite without most of them, but a system library may not.
_DENIED_FUNCTIONS = frozenset({"load_extension", "readfile", "writefile", "edit", "fts3_tokenizer"})
_READ_ACTIONS = frozenset({sqlite3.SQLITE_SELECT, sqlite3.SQLITE_READ, sqlite3.SQLITE_RECURSIVE})
_SCHEMA_TABLES = frozenset({"sqlite_master", "sqlite_temp_master"})
_ROW_WRITES = frozenset({sqlite3.SQLITE_INSERT, sqlite3.SQLITE_UPDATE, sqlite3.SQLITE_DELETE})
_WRITES = {
    sqlite3.SQLITE_INSERT: "INSERT into {a}",
    sqlite3.SQLITE_UPDATE: "UPDATE of {a}",
    sqlite3.SQLITE_DELETE: "DELETE from {a}",
    sqlite3.SQLITE_CREATE_INDEX: "CREATE INDEX {a}",
    sqlite3.SQLITE_CREATE_TABLE: "CREATE TABLE {a}",
    sqlite3.SQLITE_CREATE_TEMP_INDEX: "CREATE TEMP INDEX {a}",
    sqlite3.SQLITE_CREATE_TEMP_TABLE: "CREATE TEMP TABLE {a}",
    sqlite3.SQLITE_CREATE_TEMP_TRIGGER: "CREATE TEMP TRIGGER {a}",
    sqlite3.SQLITE_CREATE_TEMP_VIEW: "CREATE TEMP VIEW {a}",
    sqlite3.SQLITE_CREATE_TRIGGER: "CREATE TRIGGER {a}",
    sqlite3.SQLITE_CREATE_VIEW: "CREATE VIEW {a}",
    sqlite3.SQLITE_CREATE_VTABLE: "CREATE VIRTUAL TABLE {a}",
    sqlite3.SQLITE_DROP_INDEX: "DROP INDEX {a}",
    sqlite3.SQLITE_DROP_TABLE: "DROP TABLE {a}",
    sqlite3.SQLITE_DROP_TEMP_INDEX: "DROP INDEX {a}",
    sqlite3.SQLITE_DROP_TEMP_TABLE: "DROP TABLE {a}",
    sqlite3.SQLITE_DROP_TEMP_TRIGGER: "DROP TRIGGER {a}",
    sqlite3.SQLITE_DROP_TEMP_VIEW: "DROP VIEW {a}",
    sqlite3.SQLITE_DROP_TRIGGER: "DROP TRIGGER {a}",
    sqlite3.SQLITE_DROP_VIEW: "DROP VIEW {a}",
    sqlite3.SQLITE_DROP_VTABLE: "DROP VIRTUAL TABLE {a}",
    sqlite3.SQLITE_ALTER_TABLE: "ALTER TABLE {b}",
    sqlite3.SQLITE_REINDEX: "REINDEX",
    sqlite3.SQLITE_ANALYZE: "ANALYZE {a}",
}
_FIRST_WORD = re.compile(r"(?:\s+|--[^\n]*|/\*.*?(?:\*/|$))*(\w*)", re.S)


class _Guard:
    """The authorizer for one statement; remembers why it refused, for the message."""

    def __init__(self, sql: str) -> None:
        match = _FIRST_WORD.match(sql)
        self.verb = (match.group(1) if match else "").upper()
        self.refusal: str | None = None

    def authorize(
        self, action: int, a: str | None, b: str | None, _db: str | None, _src: str | None
    ) -> int:
        reason = self._reason(action, a, b)
        if reason is None:
            return sqlite3.SQLITE_OK
        # The first refusal is the user's statement; later ones are SQLite unwinding.
        self.refusal = self.refusal or reason
        return sqlite3.SQLITE_DENY

    def _reason(self, action: int, a: str | None, b: str | None) -> str | None:
        if action in _READ_ACTIONS:
            return None
        if action == sqlite3.SQLITE_FUNCTION:
            name = (b or "").lower()
            if name not in _DENIED_FUNCTIONS:
                return None
            return (
                f"refused: the function {name}() is not allowed; it reaches outside the "
                "archive, and linkthread query only reads it"
            )
        if action == sqlite3.SQLITE_PRAGMA:
            return self._pragma(a or "", b)
        if action in _ROW_WRITES and a in _SCHEMA_TABLES:
            # Let the specific question that follows (CREATE TABLE t, DROP VIEW v) be the
            # one refused, for a message that names it. SQLite 3.40 also asks UPDATE of
            # the schema table while a virtual table (FTS5, pragma_*) declares its
            # columns, a statement it then discards. A user's own write to the schema
            # table SQLite refuses by itself ("may not be modified") before asking.
            return None
        if action == sqlite3.SQLITE_ATTACH and self.verb == "VACUUM":
            what = f"VACUUM INTO {a!r}" if a else "VACUUM"
            return (
                f"refused: the query tries to write ({what}); linkthread query is "
                "read-only (linkthread snapshot makes a copy)"
            )
        if action == sqlite3.SQLITE_ATTACH:
            return (
                f"refused: the query tries to attach another database (ATTACH {a!r}); "
                "linkthread query reads only the archive"
            )
        if action == sqlite3.SQLITE_DETACH:
            return f"refused: the query tries to detach a database (DETACH {a})"
        if action in (sqlite3.SQLITE_TRANSACTION, sqlite3.SQLITE_SAVEPOINT):
            what = f"SAVEPOINT {b}" if action == sqlite3.SQLITE_SAVEPOINT else (a or "")
            return (
                f"refused: the query tries to control a transaction ({what}); "
                "linkthread query runs one read-only statement"
            )
        template = _WRITES.get(action)
        what = template.format(a=a or "", b=b or "").strip() if template else f"action {action}"
        return f"refused: the query tries to write ({what}); linkthread query is read-only"

    @staticmethod
    def _pragma(name: str, arg: str | None) -> str | None:
        name = name.lower()
        if name in _PRAGMA_ON_TABLE or (name in _PRAGMA_BARE and arg is None):
            return None
        shown = f"PRAGMA {name}" + (f" = {arg}" if arg is not None else "")
        return (
            f"refused: {shown} is not allowed; linkthread query allows only pragmas that "
            "read, such as table_info(name), index_list(name) or a bare user_version"
        )


def load_thread(
    conn_or_db: sqlite3.Connection | sqlite_utils.Database, site: str, story_id: str
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The story row and its comment rows, comments in display order.

    Display order is depth-first, siblings by ``position``. Rows are dicts of the
    stored columns (flags stay 0/1, times stay ISO strings), exactly as SQL sees them.
    Every stored comment is returned once, even one whose parent is not stored (it is
    shown at the top level, after the real top-level comments).
    """
    conn = conn_or_db.conn if isinstance(conn_or_db, sqlite_utils.Database) else conn_or_db
    try:
        stories = _dicts(
            conn.execute("SELECT * FROM stories WHERE site = ? AND id = ?", (site, story_id))
        )
        if not stories:
            raise ArchiveError(_missing_thread_message(conn, site, story_id))
        comments = _dicts(
            conn.execute("SELECT * FROM comments WHERE site = ? AND story_id = ?", (site, story_id))
        )
    except sqlite3.Error as e:
        raise ArchiveError(f"cannot read thread {site}/{story_id}: {e}") from e
    return stories[0], display_order(comments)


def _dicts(cur: sqlite3.Cursor) -> list[dict[str, Any]]:
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur]


def _missing_thread_message(conn: sqlite3.Connection, site: str, story_id: str) -> str:
    # Tell an unknown site apart from an unknown thread: a typo in the site name
    # ("hackernews" for "hn") is the likelier mistake and has an obvious fix.
    sites = [r[0] for r in conn.execute("SELECT DISTINCT site FROM stories ORDER BY site")]
    if site not in sites:
        known = ", ".join(sites) if sites else "none yet"
        return f"unknown site {site!r}: the archive has no threads from it (sites: {known})"
    return f"no thread {site}/{story_id} in the archive"


def _sibling_key(row: Mapping[str, Any]) -> tuple[int, int, str]:
    # Positions can tie once a comment vanished from a later crawl while its old row
    # stays; the id (numeric ids compare by length first) settles it stably.
    return (row["position"], len(row["id"]), row["id"])


def display_order(comments: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Order comment rows depth-first by position, from their parent_id/position."""
    ids = {c["id"] for c in comments}
    children: dict[str | None, list[dict[str, Any]]] = {}
    orphans: list[dict[str, Any]] = []
    for c in comments:
        parent = c["parent_id"]
        if parent is not None and parent not in ids:
            orphans.append(c)
        else:
            children.setdefault(parent, []).append(c)
    for siblings in children.values():
        siblings.sort(key=_sibling_key)
    roots = children.get(None, []) + sorted(orphans, key=lambda c: (c["depth"], *_sibling_key(c)))
    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    stack = list(reversed(roots))
    # Iterative, so a 5,000-deep reply chain cannot hit the recursion limit.
    while stack:
        c = stack.pop()
        if c["id"] in seen:
            continue
        seen.add(c["id"])
        out.append(c)
        stack.extend(reversed(children.get(c["id"], [])))
    # Rows in a parent cycle are reachable from no root; keep them rather than drop them.
    out.extend(c for c in comments if c["id"] not in seen)
    return out
