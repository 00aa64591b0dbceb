"""Every write to the archive: crawls, threads (story + comments + pages), failed pages.

How a re-crawl merges with what is stored (rule 6: never lose what a crawl saw):

* A row is keyed by (site, id); the same thread saved twice adds no rows.
* The newer observation (by ``fetched_at``) wins, except that NULL never replaces a
  stored value: a page that lacks a field says nothing about it. (A comment's place
  in the tree and its flags are current state, taken as given: parent_id NULL means
  top level.) An *older* observation (re-parsing a kept page) only fills NULLs.
* A story saved from a page without a header (``title`` is None, e.g. a continuation
  page) does not touch kind/dead/flagged/deleted, whose dataclass defaults would
  otherwise reset what the first page said.
* A comment absent from the new crawl is left untouched (not deleted).
* ``first_seen_at``/``last_seen_at`` widen to include the observation's time.

Rows are merged in Python against one pre-read of the stored rows, then written a
few hundred rows per statement (see :func:`_upsert_rows` for why not executemany);
rows that only moved their seen-times are touched by a single UPDATE. The counts in
:class:`SaveResult` fall out of the same comparison.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlite_utils

from archive.db import transaction
from archive.models import Comment, FetchedPage, Story, Thread
from archive.schema import COMMENT_COLUMNS, STORY_COLUMNS

CRAWL_STATUSES = ("running", "finished", "failed", "interrupted")

Row = tuple[Any, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class SaveResult:
    """What one :func:`save_thread` changed, for crawl statistics and logs."""

    new_comments: int
    updated_comments: int
    unchanged_comments: int
    pages_added: int


def iso_utc(value: datetime | None) -> str | None:
    """``2026-01-14T09:30:00Z``: one fixed-width form, so stored times compare as text."""
    if value is None:
        return None
    if value.tzinfo is None:
        # A naive time is ambiguous; guessing would store wrong history silently.
        raise ValueError(f"naive datetime {value!r}: records must carry UTC times")
    if value.tzinfo is not UTC:
        value = value.astimezone(UTC)
    # isoformat() is several times faster than strftime, which shows at 5,000 rows;
    # "+00:00" is its fixed six-character ending for a UTC time.
    return value.isoformat(timespec="seconds")[:-6] + "Z"


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# -- crawls ------------------------------------------------------------------------


def start_crawl(db: sqlite_utils.Database, *, command: str, args: dict[str, Any]) -> int:
    """Record a crawl as running and return its id (for ``crawl_id=`` on saves)."""
    with transaction(db) as conn:
        cur = conn.execute(
            "INSERT INTO crawls (started_at, command, args, status) VALUES (?, ?, ?, 'running')",
            (_now(), command, json.dumps(args, sort_keys=True, default=str)),
        )
    assert cur.lastrowid is not None
    return cur.lastrowid


def finish_crawl(
    db: sqlite_utils.Database,
    crawl_id: int,
    *,
    status: str,
    pages: int,
    threads: int,
    comments: int,
    errors: int,
    message: str | None = None,
) -> None:
    """Close a crawl with its outcome and counts."""
    if status not in CRAWL_STATUSES:
        raise ValueError(f"crawl status must be one of {CRAWL_STATUSES}, not {status!r}")
    with transaction(db) as conn:
        cur = conn.execute(
            "UPDATE crawls SET finished_at = ?, status = ?, pages = ?, threads = ?,"
            " comments = ?, errors = ?, message = ? WHERE id = ?",
            (_now(), status, pages, threads, comments, errors, message, crawl_id),
        )
        if cur.rowcount != 1:
            raise ValueError(f"no crawl with id {crawl_id}")


# -- merging -----------------------------------------------------------------------


def _merge(old: Row, new: Row, *, newer: bool, latest: frozenset[int], keep: frozenset[int]) -> Row:
    """Field-by-field merge of a stored row with a new observation of it.

    ``latest``: indexes where the newer observation wins even when it is NULL
    (structure and flags: the current state, not a fact that a page may omit).
    ``keep``: indexes this observation has no say on at all.
    Elsewhere the newer non-NULL value wins; an older observation only fills NULLs.
    """
    out = list(old)
    for i, (o, n) in enumerate(zip(old, new, strict=True)):
        if i in keep:
            continue
        if newer:
            if n is not None or i in latest:
                out[i] = n
        elif o is None:
            out[i] = n
    return tuple(out)


def _seen(old_first: str, old_last: str, seen: str) -> tuple[str, str]:
    return min(old_first, seen), max(old_last, seen)


# Indexes into the *content* part of each row (the columns between id and first_seen_at).
_STORY_CONTENT = STORY_COLUMNS[2:16]
# Fields a header-less story (continuation page) has only as dataclass defaults.
_STORY_HEADER_ONLY = frozenset(
    _STORY_CONTENT.index(c) for c in ("kind", "dead", "flagged", "deleted")
)
_COMMENT_CONTENT = COMMENT_COLUMNS[2:16]
# parent_id None is a fact (top level), not a missing value.
_COMMENT_LATEST = frozenset(
    _COMMENT_CONTENT.index(c)
    for c in ("story_id", "parent_id", "depth", "position", "dead", "flagged", "deleted",
              "synthetic_id")
)  # fmt: skip


def _story_content(story: Story) -> Row:
    return (
        story.title, story.url, story.domain, story.author, story.score, story.comment_count,
        iso_utc(story.created_at), story.created_at_raw, story.text_html, story.text,
        story.kind, int(story.dead), int(story.flagged), int(story.deleted),
    )  # fmt: skip


def _comment_content(c: Comment) -> Row:
    return (
        c.story_id, c.parent_id, c.depth, c.position, c.author, iso_utc(c.created_at),
        c.created_at_raw, c.text_html, c.text, int(c.dead), int(c.flagged), int(c.deleted),
        c.colour, int(c.synthetic_id),
    )  # fmt: skip


# -- threads -----------------------------------------------------------------------


def save_thread(
    db: sqlite_utils.Database, thread: Thread, *, crawl_id: int | None = None
) -> SaveResult:
    """Store one whole thread (story, every comment, its pages) in ONE transaction.

    Either all of it is written or, on any exception, none of it.
    """
    story = thread.story
    seen = iso_utc(thread.fetched_at)
    assert seen is not None
    _check_thread(thread)
    with transaction(db) as conn:
        _save_story(conn, story, seen=seen, crawl_id=crawl_id)
        new, updated, unchanged = _save_comments(
            conn, story.site, thread.comments, seen=seen, crawl_id=crawl_id
        )
        conn.execute(
            "UPDATE stories SET archived_count ="
            " (SELECT count(*) FROM comments WHERE site = ? AND story_id = ?)"
            " WHERE site = ? AND id = ?",
            (story.site, story.id, story.site, story.id),
        )
        added = sum(
            _save_page(conn, page, story_id=story.id, crawl_id=crawl_id, error=None)
            for page in thread.pages
        )
    return SaveResult(
        new_comments=new, updated_comments=updated, unchanged_comments=unchanged, pages_added=added
    )


def _check_thread(thread: Thread) -> None:
    # A Thread that contradicts itself is a bug upstream; storing it would corrupt the
    # tree, so fail before writing anything (rule 4: fail loudly).
    site, story_id = thread.story.site, thread.story.id
    ids: set[str] = set()
    for c in thread.comments:
        if c.site != site or c.story_id != story_id:
            raise ValueError(
                f"comment {c.site}/{c.id} belongs to {c.site}/{c.story_id}, "
                f"not to thread {site}/{story_id}"
            )
        if c.id in ids:
            raise ValueError(f"comment {site}/{c.id} appears twice in thread {story_id}")
        ids.add(c.id)


def _save_story(conn: sqlite3.Connection, story: Story, *, seen: str, crawl_id: int | None) -> None:
    content = _story_content(story)
    stored = conn.execute(
        f"SELECT {', '.join(_STORY_CONTENT)}, first_seen_at, last_seen_at, last_crawl_id"
        " FROM stories WHERE site = ? AND id = ?",
        (story.site, story.id),
    ).fetchone()
    if stored is None:
        conn.execute(
            f"INSERT INTO stories ({', '.join(STORY_COLUMNS)})"
            f" VALUES ({', '.join('?' * len(STORY_COLUMNS))})",
            (story.site, story.id, *content, seen, seen, 0, crawl_id),
        )
        return
    old, (first, last, old_crawl) = stored[:-3], stored[-3:]
    keep = _STORY_HEADER_ONLY if story.title is None else frozenset()
    merged = _merge(old, content, newer=seen >= last, latest=frozenset(), keep=keep)
    first, last = _seen(first, last, seen)
    crawl = old_crawl if crawl_id is None else crawl_id
    assigns = ", ".join(f"{c} = ?" for c in _STORY_CONTENT)
    conn.execute(
        f"UPDATE stories SET {assigns}, first_seen_at = ?, last_seen_at = ?, last_crawl_id = ?"
        " WHERE site = ? AND id = ?",
        (*merged, first, last, crawl, story.site, story.id),
    )


def _save_comments(
    conn: sqlite3.Connection,
    site: str,
    comments: Sequence[Comment],
    *,
    seen: str,
    crawl_id: int | None,
) -> tuple[int, int, int]:
    """Insert new comments, merge known ones; return (new, updated, unchanged)."""
    stored: dict[str, Row] = {}
    # json_each keeps the lookup one statement with one parameter, whatever the count.
    cur = conn.execute(
        f"SELECT id, {', '.join(_COMMENT_CONTENT)}, first_seen_at, last_seen_at, last_crawl_id"
        " FROM comments WHERE site = ? AND id IN (SELECT value FROM json_each(?))",
        (site, json.dumps([c.id for c in comments])),
    )
    for row in cur:
        stored[row[0]] = row[1:]
    writes: list[Row] = []
    touched: list[str] = []
    new = updated = unchanged = 0
    for c in comments:
        content = _comment_content(c)
        old_row = stored.get(c.id)
        if old_row is None:
            new += 1
            writes.append((site, c.id, *content, seen, seen, crawl_id))
            continue
        old, (first, last, old_crawl) = old_row[:-3], old_row[-3:]
        # Fast path: a re-crawl mostly sees comments exactly as stored.
        merged = (
            old
            if content == old
            else _merge(old, content, newer=seen >= last, latest=_COMMENT_LATEST, keep=frozenset())
        )
        new_first, new_last = _seen(first, last, seen)
        crawl = old_crawl if crawl_id is None else crawl_id
        if merged != old:
            updated += 1
            writes.append((site, c.id, *merged, new_first, new_last, crawl))
        else:
            unchanged += 1
            # Skipped when nothing moved (the same observation saved again).
            if (new_first, new_last, crawl) != (first, last, old_crawl):
                touched.append(c.id)
    _upsert_rows(conn, "comments", COMMENT_COLUMNS, ("site", "id"), writes)
    if touched:
        # The common re-crawl case: only the seen-times move. One statement keeps
        # the per-row work inside SQLite instead of 5,000 Python round trips.
        conn.execute(
            "UPDATE comments SET first_seen_at = min(first_seen_at, :seen),"
            " last_seen_at = max(last_seen_at, :seen),"
            " last_crawl_id = coalesce(:crawl, last_crawl_id)"
            " WHERE site = :site AND id IN (SELECT value FROM json_each(:ids))",
            {"seen": seen, "crawl": crawl_id, "site": site, "ids": json.dumps(touched)},
        )
    return new, updated, unchanged


def _upsert_rows(
    conn: sqlite3.Connection,
    table: str,
    columns: Sequence[str],
    key: Sequence[str],
    rows: Sequence[Row],
) -> None:
    """Write full rows (already merged), many per statement.

    Many rows per statement rather than executemany: every statement that writes an
    FTS5 table opens a savepoint, and FTS5 flushes its pending index to disk at each
    one. Row-at-a-time writes thus made one tiny FTS segment per comment and cost
    five times as much as the rows themselves. One statement per few hundred rows
    lets FTS5 batch the tokenised text as it does for a bulk load.
    """
    if not rows:
        return
    limit = conn.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    per = max(1, min(500, limit // len(columns)))
    one = "(" + ", ".join("?" * len(columns)) + ")"
    assigns = ", ".join(f"{c} = excluded.{c}" for c in columns if c not in key)
    for start in range(0, len(rows), per):
        chunk = rows[start : start + per]
        conn.execute(
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES {', '.join([one] * len(chunk))}"
            f" ON CONFLICT ({', '.join(key)}) DO UPDATE SET {assigns}",
            [value for row in chunk for value in row],
        )


# -- pages -------------------------------------------------------------------------


def save_failed_page(
    db: sqlite_utils.Database,
    page: FetchedPage,
    *,
    error: str,
    crawl_id: int | None = None,
    story_id: str | None = None,
) -> None:
    """Keep a page that could not be parsed, with why, so it can be re-parsed later."""
    with transaction(db) as conn:
        _save_page(conn, page, story_id=story_id, crawl_id=crawl_id, error=error)


def _save_page(
    conn: sqlite3.Connection,
    page: FetchedPage,
    *,
    story_id: str | None,
    crawl_id: int | None,
    error: str | None,
) -> int:
    """Store a fetched body once per (url, sha256); return 1 if a row was added.

    ``error`` is the latest verdict on this body: None once it parsed, so a page that
    failed before and parses now is no longer listed as failed.
    """
    sha = hashlib.sha256(page.body).hexdigest()
    fetched = iso_utc(page.fetched_at)
    assert fetched is not None
    stored = conn.execute(
        "SELECT id, first_fetched_at, last_fetched_at, fetch_count, story_id, crawl_id"
        " FROM pages WHERE url = ? AND sha256 = ?",
        (page.url, sha),
    ).fetchone()
    if stored is None:
        conn.execute(
            "INSERT INTO pages (site, url, status, sha256, body, first_fetched_at,"
            " last_fetched_at, fetch_count, story_id, crawl_id, error)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?)",
            (page.site, page.url, page.status, sha, zlib.compress(page.body), fetched,
             fetched, story_id, crawl_id, error),
        )  # fmt: skip
        return 1
    page_id, first, last, count, old_story, old_crawl = stored
    # The same fetch saved again (a re-save of the same records) is not a new fetch.
    if fetched not in (first, last):
        count += 1
    first, last = _seen(first, last, fetched)
    conn.execute(
        "UPDATE pages SET first_fetched_at = ?, last_fetched_at = ?, fetch_count = ?,"
        " story_id = ?, crawl_id = ?, error = ? WHERE id = ?",
        (first, last, count, story_id if story_id is not None else old_story,
         crawl_id if crawl_id is not None else old_crawl, error, page_id),
    )  # fmt: skip
    return 0
