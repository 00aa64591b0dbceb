"""Publishing staged comments (``import_comments``, see :mod:`archive.bulk`) into the
archive: ONE transaction, set-based SQL, so that when it returns every comment read is
in ``comments``, placed in its tree, indexed and searchable, or (killed) none is.

* A comment whose story is not in the archive gets the story as a row with what is
  known of it (its id, when it was seen); a submissions dump, or a crawl, fills it in.
  The threads were noted while staging (``archive.bulk.start_story_log``); a resumed
  import, or a comment staged twice, has them read again from the staged rows.
* A staged comment the archive already has (a thread crawled live, an earlier dump)
  is merged by the store's history rules (:mod:`archive.bulk_merge`): versions, not
  duplicates. Only new comments take the fast path below.
* depth: from the parents, by a recursive query down from the comments whose parent
  is the story (depth 0), a stored comment (its depth + 1), or nowhere to be found.
  Such a comment is kept, with its ``parent_id`` as the dump gave it and
  ``"parent_missing": true`` in ``extra``, at depth 1: under its missing parent,
  whose depth is unknown but at least 0. A later import that brings the parent
  places it and its replies properly and takes the marker away.
* position: siblings (same story and parent) in time order (``created_at``, then id),
  after any siblings already stored: a dump says nothing of the site's display order.
* Each new row goes into ``comments`` by one INSERT ... SELECT, whose triggers write the
  full-text index as one batch, rather than a row at a time.
* Per thread: its archived count, a ``thread_crawls`` row and the author summaries
  (:mod:`archive.bulk_threads`).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from archive import bulk_merge, bulk_threads, bulk_tree
from archive.bulk import STAGED_COLUMNS, STORY_LOG, staged_count
from archive.db import transaction
from archive.rows import canonical_json

if TYPE_CHECKING:
    import sqlite_utils

CACHE_KIB = 32 * 1024  # page cache of the archive, and of SQLite's temporary tables
MISSING = "parent_missing"  # the key in a comment's extra for a parent not in the archive


@dataclass(frozen=True, slots=True, kw_only=True)
class Published:
    new: int  # comments added to the archive
    merged: int  # staged comments the archive had, merged into their rows
    changed: int  # of those, the ones whose row changed
    missing_parents: int  # new comments whose parent is in no file read nor the archive
    stories: int  # stories added with what the comments say of them


def _with_key(extra: str | None, key: str, value: str | None) -> str | None:
    """``extra`` (canonical JSON) with ``key`` set to the JSON ``value``, or taken
    away (None), still canonical: SQLite's json_set would not keep the keys sorted."""
    values = json.loads(extra) if extra else {}
    if value is None:
        values.pop(key, None)
    else:
        values[key] = json.loads(value)
    return canonical_json(values, "extra")


_CONTENT = ", ".join(c for c in STAGED_COLUMNS[2:]
                     if c not in ("extra", "source", "last_crawl_id"))
# The staged rows in their own order (the file's: a dump's ids grow with time, so the
# comments' key is appended to), each finding its place in bulk_tree by rowid.
# Comments no walk reached (a cycle of parents in a broken file) are kept as orphans.
_INSERT = f"""
INSERT INTO comments (site, id, depth, position, {_CONTENT}, extra, last_crawl_id, source)
SELECT s.site, s.id, coalesce(t.depth, 1), coalesce(t.position, 0){{base}},
       {", ".join(f"s.{c}" for c in _CONTENT.split(", "))},
       CASE WHEN coalesce(t.orphan, 1)
            THEN linkthread_with_key(s.extra, 'parent_missing', 'true') ELSE s.extra END,
       s.last_crawl_id, s.source
FROM import_comments s
LEFT JOIN temp.bulk_tree t ON t.row = s.rowid{{join}}
"""
_BASE_JOIN = """
LEFT JOIN temp.bulk_base b
       ON b.site = s.site AND b.story_id = s.story_id AND b.parent_id IS s.parent_id"""


def publish(db: sqlite_utils.Database, *, crawl_id: int | None,
            time_order: str | None = None) -> Published:
    """Move every staged comment into the archive, in one transaction (see the module).
    ``time_order``: the site's name for oldest-first, recorded as ``extra.sort`` of the
    threads whose comments all came from the staged rows."""
    conn = db.conn
    conn.create_function("linkthread_with_key", 3, _with_key, deterministic=True)
    # Every story a staged comment needs is written first in the same transaction, so
    # checking the key of each comment on insert would find nothing: it is off for it
    # (the pragma only changes between transactions).
    foreign_keys = conn.execute("PRAGMA foreign_keys").fetchone()[0]
    caches = [conn.execute(f"PRAGMA {schema}.cache_size").fetchone()[0]
              for schema in ("main", "temp")]
    conn.execute("PRAGMA foreign_keys = OFF")
    # One transaction writes every staged row, sorts them and walks their tree: with
    # SQLite's 2 MB page cache it would spend its time moving pages to and from disk.
    # A fixed cache (not one that grows with the dump) keeps memory flat.
    for schema in ("main", "temp"):
        conn.execute(f"PRAGMA {schema}.cache_size = -{CACHE_KIB}")
    try:
        return _publish(db, crawl_id, time_order)
    finally:
        conn.execute(f"PRAGMA foreign_keys = {int(foreign_keys)}")
        for schema, size in zip(("main", "temp"), caches, strict=True):
            conn.execute(f"PRAGMA {schema}.cache_size = {int(size)}")


def _publish(db: sqlite_utils.Database, crawl_id: int | None,
             time_order: str | None) -> Published:
    with transaction(db) as tx:
        _withhold(tx)
        stories = _stories(tx, crawl_id)
        merged, changed = bulk_merge.merge_known(tx, crawl_id=crawl_id)
        before = tx.execute("SELECT coalesce(max(rowid), 0) FROM comments").fetchone()[0]
        new, missing = _insert_new(tx, before)
        _found_parents(tx, before)
        _withheld_taken_out(tx)
        # A new comment's score is its first comment_scores row, as a save writes it.
        tx.execute("INSERT INTO comment_scores (site, comment_id, seen_at, crawl_id, score)"
                   " SELECT site, id, last_seen_at, last_crawl_id, score FROM import_comments"
                   " WHERE score IS NOT NULL ON CONFLICT DO NOTHING")
        bulk_threads.threads_published(tx, crawl_id=crawl_id, every=not before)
        if time_order is not None:
            # Whose comments all came from dumps: siblings in time order, recorded
            # where a crawl records its sort, under the name the site gives that order.
            tx.execute(
                "UPDATE stories SET extra = linkthread_with_key(extra, 'sort', ?)"
                " WHERE (site, id) IN (SELECT site, story_id FROM temp.bulk_stories)"
                " AND NOT EXISTS (SELECT 1 FROM temp.bulk_base b"
                "                 WHERE b.site = stories.site AND b.story_id = stories.id)",
                (json.dumps(time_order),))
        tx.execute("DELETE FROM import_comments")
        tx.execute("UPDATE import_progress SET state = 'done' WHERE state = 'read'")
        for table in ("bulk_tree", "bulk_base", "bulk_stories", "bulk_withheld"):
            tx.execute(f"DROP TABLE IF EXISTS temp.{table}")
    return Published(new=new, merged=merged, changed=changed, missing_parents=missing,
                     stories=stories)


_HELD = """
INSERT OR IGNORE INTO temp.bulk_withheld (site, id, forget)
SELECT s.site, s.id, s.author IN (SELECT value FROM json_each(:authors))
FROM import_comments s
WHERE s.site = :site AND (
    s.story_id IN (SELECT value FROM json_each(:threads))
    OR s.id IN (SELECT value FROM json_each(:ids))
    OR s.author IN (SELECT value FROM json_each(:authors))
    OR (:deleted AND (s.deleted OR s.removed))
    OR EXISTS (SELECT 1 FROM comments c
               WHERE c.site = s.site AND c.id = s.id AND c.redacted_at IS NOT NULL))
"""


def _withhold(tx: sqlite3.Connection) -> None:
    """What a redaction in force names (archive.redact) is never stored again: the
    staged texts it covers (and the author's name, for an author) become NULL before
    anything is written, as :func:`archive.redact.withhold` does for a save."""
    tx.execute("CREATE TEMP TABLE bulk_withheld (site TEXT, id TEXT, forget INTEGER,"
               " PRIMARY KEY (site, id)) WITHOUT ROWID")
    rules: dict[str, list[tuple[str, str]]] = {}
    for site, kind, key in tx.execute("SELECT site, kind, key FROM redactions"
                                      " WHERE unredacted_at IS NULL"):
        rules.setdefault(site, []).append((kind, key))
    for site, named in rules.items():
        keys = {kind: json.dumps([k for kd, k in named if kd == kind])
                for kind in ("thread", "comment", "author")}
        tx.execute(_HELD, {"site": site, "threads": keys["thread"], "ids": keys["comment"],
                           "authors": keys["author"],
                           "deleted": any(kind == "deleted-on-site" for kind, _ in named)})
    tx.execute(
        "UPDATE import_comments SET text = NULL, text_html = NULL, author = CASE WHEN"
        " (SELECT forget FROM temp.bulk_withheld w WHERE w.site = import_comments.site"
        "  AND w.id = import_comments.id) THEN NULL ELSE author END"
        " WHERE (site, id) IN (SELECT site, id FROM temp.bulk_withheld)")


def _withheld_taken_out(tx: sqlite3.Connection) -> None:
    # As archive.redact.after_save: the rows say they were redacted, and no version
    # keeps a text the redaction names.
    now = tx.execute("SELECT strftime('%Y-%m-%dT%H:%M:%SZ', 'now')").fetchone()[0]
    tx.execute("UPDATE comments SET redacted_at = coalesce(redacted_at, ?)"
               " WHERE (site, id) IN (SELECT site, id FROM temp.bulk_withheld)", (now,))
    tx.execute("UPDATE comment_versions SET text = NULL, text_html = NULL"
               " WHERE (site, comment_id) IN (SELECT site, id FROM temp.bulk_withheld)")


def _stories(tx: sqlite3.Connection, crawl_id: int | None) -> int:
    # Kept while staging (archive.bulk.start_story_log), unless given up.
    if not tx.execute("SELECT 1 FROM temp.sqlite_master WHERE name = 'bulk_stories'"
                      " AND type = 'table'").fetchone():  # fmt: skip
        tx.execute(STORY_LOG)
        tx.execute("INSERT INTO temp.bulk_stories SELECT site, story_id,"
                   " min(first_seen_at), max(last_seen_at)"
                   " FROM import_comments GROUP BY site, story_id")
    cur = tx.execute(
        "INSERT INTO stories (site, id, first_seen_at, last_seen_at, last_crawl_id, source)"
        " SELECT site, story_id, first, last, ?, 'dump' FROM temp.bulk_stories WHERE true"
        " ON CONFLICT (site, id) DO NOTHING", (crawl_id,))  # fmt: skip
    return cur.rowcount


def _insert_new(tx: sqlite3.Connection, before: int) -> tuple[int, int]:
    bulk_tree.place(tx, stored=before > 0)
    tx.execute(
        "CREATE TEMP TABLE bulk_base AS SELECT site, story_id, parent_id,"
        " max(position) + 1 AS base FROM comments"
        " WHERE (site, story_id) IN (SELECT site, story_id FROM temp.bulk_stories)"
        " GROUP BY site, story_id, parent_id")
    siblings = tx.execute("SELECT 1 FROM temp.bulk_base LIMIT 1").fetchone() is not None
    sql = _INSERT.format(base=" + coalesce(b.base, 0)" if siblings else "",
                         join=_BASE_JOIN if siblings else "")
    staged = staged_count(tx)
    placed, orphans = tx.execute(
        "SELECT count(*), coalesce(sum(orphan), 0) FROM temp.bulk_tree").fetchone()
    with _indexes_rebuilt(tx, before, rebuild=staged >= before):
        new = tx.execute(sql).rowcount
    # Orphans: the roots with a parent nowhere, and what no walk reached (a cycle).
    return new, orphans + staged - placed


@contextmanager
def _indexes_rebuilt(tx: sqlite3.Connection, before: int, *, rebuild: bool) -> Iterator[None]:
    """Inside: the comments' secondary indexes and full-text triggers dropped, when
    ``rebuild`` (as many rows coming as there are): building an index once from
    sorted rows costs less than updating it a row at a time, and the full-text index
    takes the new rows (rowid above ``before``) in one batch. In the caller's
    transaction, so a kill restores them with the rest."""
    if not rebuild:
        yield
        return
    # Only the full-text triggers: the rows they would have written are written below.
    kept = tx.execute(
        "SELECT type, name, sql FROM sqlite_master WHERE tbl_name = 'comments' AND sql"
        " IS NOT NULL AND (type = 'index' OR name IN ('comments_ai', 'comments_ad',"
        " 'comments_au')) ORDER BY type, name").fetchall()
    for kind, name, _ in kept:
        tx.execute(f'DROP {kind.upper()} "{name}"')
    yield
    for _, _, sql in kept:
        tx.execute(sql)
    tx.execute("INSERT INTO comments_fts (rowid, text, author)"
               " SELECT rowid, text, author FROM comments WHERE rowid > ?", (before,))


_SUBTREE = """
WITH RECURSIVE tree(site, id, story_id, depth) AS (
    SELECT c.site, c.id, c.story_id, p.depth + 1
    FROM comments c JOIN comments p ON p.site = c.site AND p.id = c.parent_id
                                    AND p.story_id = c.story_id
    WHERE c.rowid <= :before AND c.extra LIKE '%"parent_missing":true%'
      AND p.rowid > :before
    UNION ALL
    SELECT c.site, c.id, c.story_id, tree.depth + 1
    FROM tree JOIN comments c ON c.site = tree.site AND c.parent_id = tree.id
                              AND c.story_id = tree.story_id
)
SELECT site, id, depth FROM tree
"""


def _found_parents(tx: sqlite3.Connection, before: int) -> None:
    """Comments stored before (rowid up to ``before``) with a missing parent that this
    import brought: their marker goes and they, and their replies, take their depth
    under it. The rows added now knew every parent there is, so only the older ones
    are looked at (none, in an archive a dump is first loaded into). The parents this
    import brought are the rows above ``before``: the merged ones left the staging
    table before the insert, so no copy of the new keys is needed to tell them."""
    if not before:
        return
    moved = tx.execute(_SUBTREE, {"before": before}).fetchall()
    if not moved:
        return
    tx.executemany("UPDATE comments SET depth = ? WHERE site = ? AND id = ?",
                   [(depth, site, cid) for site, cid, depth in moved])
    tx.execute(
        "UPDATE comments SET extra = linkthread_with_key(extra, 'parent_missing', NULL)"
        " WHERE rowid <= ? AND extra LIKE '%\"parent_missing\":true%'"
        " AND EXISTS (SELECT 1 FROM comments p WHERE p.site = comments.site"
        " AND p.id = comments.parent_id AND p.story_id = comments.story_id)", (before,))
