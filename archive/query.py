"""Read-only access: a user's SQL, and a thread loaded in display order.

Nothing here writes. ``run_query`` goes through :func:`archive.db.open_readonly`, and
runs the one statement in :class:`archive.sandbox.Sandbox`: an authorizer that allows
reading only, bounded SQL and value sizes, SQLite's memory and temporary storage
bounded, a time limit that also stops a running C call, a row cap and a byte budget.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from archive.db import connection, open_readonly
from archive.errors import ArchiveError
from archive.sandbox import DEFAULT_MAX_BYTES, MAX_SQL_BYTES, MAX_VALUE_BYTES, Sandbox
from archive.seen import seen_now

if TYPE_CHECKING:
    import sqlite_utils

__all__ = ["DEFAULT_MAX_BYTES", "MAX_SQL_BYTES", "MAX_VALUE_BYTES", "QueryResult", "run_query"]

DEFAULT_TIME_LIMIT = 1.0  # seconds
DEFAULT_MAX_ROWS = 1_000


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
    max_bytes: int | None = DEFAULT_MAX_BYTES,
) -> QueryResult:
    """Run one SQL statement read-only against the archive at ``path``.

    ``time_limit`` (seconds), ``max_rows`` and ``max_bytes`` (of values fetched) bound
    the work; ``None`` lifts any of them. Rows past ``max_rows`` are not read, and the
    result says ``truncated``; a result past ``max_bytes`` is an error. Anything but
    reading (a write, ATTACH, VACUUM, a pragma that sets a value, a function that
    reaches outside the archive) is refused before it runs. Every failure, refused,
    stopped or from SQLite (syntax, unknown column), is an :class:`ArchiveError` of one
    line; Ctrl-C is :class:`archive.sandbox.Interrupted`.
    """
    if not sql.strip():
        raise ArchiveError("empty query: give the SQL to run")
    conn = open_readonly(path)
    try:
        with Sandbox(conn, time_limit=time_limit, command="query") as box:
            try:
                cur = box.execute(sql, params)
                rows, truncated = box.fetch(cur, max_rows, max_bytes)
                columns = [d[0] for d in cur.description or ()]
                cur.close()  # finalises the statement: a capped query reads no further
            # sqlite3.Warning: Python < 3.12 reports "one statement at a time" with it.
            except (sqlite3.Error, sqlite3.Warning) as e:
                raise ArchiveError(_sqlite_message(e)) from e
    finally:
        conn.close()
    return QueryResult(columns=columns, rows=rows, truncated=truncated)


def _sqlite_message(e: BaseException) -> str:
    text = str(e)
    if "readonly database" in text or "may not be modified" in text:
        return f"refused: the query tries to write ({text}); linkthread query is read-only"
    return f"SQL error: {text}"


def load_thread(
    conn_or_db: sqlite3.Connection | sqlite_utils.Database, site: str, story_id: str
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The story row and its comment rows, comments in display order.

    Display order is depth-first, siblings by ``position``. Rows are dicts of the
    stored columns (flags stay 0/1, times stay ISO strings), exactly as SQL sees them,
    except that a comment's ``last_seen_at``/``last_crawl_id`` are its last sighting
    (``comments_seen``, see ``archive.seen``).
    Every stored comment is returned once, even one whose parent is not stored (it is
    shown at the top level, after the real top-level comments).
    """
    conn = connection(conn_or_db)
    try:
        stories = _dicts(
            conn.execute("SELECT * FROM stories WHERE site = ? AND id = ?", (site, story_id))
        )
        if not stories:
            raise ArchiveError(_missing_thread_message(conn, site, story_id))
        comments = _dicts(
            conn.execute("SELECT * FROM comments WHERE site = ? AND story_id = ?", (site, story_id))
        )
        seen_now(conn, stories[0], comments)  # last sightings an unchanged crawl left unwritten
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
