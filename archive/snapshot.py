"""Consistent copies of the archive, now or as it stood at an earlier time.

A snapshot is ``VACUUM INTO`` a temporary file beside the target, then a hard link to
the target's name, which fails rather than replace a file that exists.
``VACUUM INTO`` reads inside one read transaction, and in WAL mode a reader sees
exactly the transactions committed when it began: a crawl writing meanwhile neither
blocks the copy nor shows up in it half done. Since every thread is saved in one
transaction, a snapshot holds only whole threads.

``as_of`` then rolls the copy back to a time T with the history tables (migration
``0002_history``). What history keeps is restored exactly; the rest is as last seen:

* rows first seen after T are dropped (stories, comments, users, pages, crawls and
  their targets, and every history row after T);
* a comment's text and dead/flagged/deleted flags are its latest version at or
  before T (see ``comment_versions`` in the README), and ``gone_at`` says whether
  the crawls up to T still showed it;
* a comment's removed and edited flags and edit time are its latest version's too,
  and its score is its latest ``comment_scores`` row at or before T;
* a story's score, declared comment count and title are its latest snapshot at or
  before T; a user's karma and about likewise (and ``about_html`` is NULL where the
  about differs from the last seen);
* what no history table records (a comment's place in the tree, a story's text and
  tags, a page's fetch count) stays as last seen, and ``last_seen_at`` is clamped to T;
* a crawl that ended after T is running again, and its targets that changed state
  after T are queued again.

Every copy first gets each comment's last sighting written into its row
(``archive.seen``: a re-crawl leaves it to the thread's ``thread_crawls`` row), so a
copy's ``comments.last_seen_at`` needs no view; ``page_visits`` after T go too. So do
the visits an unchanged crawl kept in its row (``archive.thread_visits``): each copy gets
them written as rows, and its ``pages`` rows say their fetches without ``pages_seen``.

The snapshot records what it is in a one-row table ``_snapshot``.
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
from pathlib import Path

from archive import seen, summaries, thread_visits
from archive.db import check_archive_file, connect_readonly, transaction
from archive.errors import ArchiveError
from archive.rows import now_iso

SNAPSHOT_TABLE = """
CREATE TABLE _snapshot (
    taken_at TEXT NOT NULL,
    as_of TEXT,
    source TEXT NOT NULL
)
"""

# A value as it stood at :t, once the snapshots after :t are gone.
_STORY_AT_T = (
    "(SELECT s.{column} FROM story_snapshots s WHERE s.site = stories.site"
    " AND s.story_id = stories.id AND s.{column} IS NOT NULL"
    " ORDER BY s.seen_at DESC, s.source = 'thread' DESC LIMIT 1)"
)
_USER_AT_T = (
    "(SELECT u.{column} FROM user_snapshots u WHERE u.site = users.site"
    " AND u.user_id = users.id AND u.{column} IS NOT NULL ORDER BY u.seen_at DESC LIMIT 1)"
)

# Each statement rolls one part of the copy back to :t (run in this order).
_AS_OF = (
    "DELETE FROM comment_versions WHERE seen_at > :t",
    "DELETE FROM story_snapshots WHERE seen_at > :t",
    "DELETE FROM listing_snapshots WHERE seen_at > :t",
    "DELETE FROM thread_crawls WHERE seen_at > :t",
    "DELETE FROM source_differences WHERE seen_at > :t",
    "DELETE FROM user_snapshots WHERE seen_at > :t",
    "DELETE FROM comments WHERE first_seen_at > :t",
    # A comment's state at T is its latest version at or before T, where it has one.
    """
    UPDATE comments SET (text_html, text, dead, flagged, deleted, gone_at) = (
        SELECT v.text_html, v.text, v.dead, v.flagged, v.deleted,
               CASE WHEN v.change = 'gone' THEN v.seen_at END
        FROM comment_versions v WHERE v.site = comments.site AND v.comment_id = comments.id
        ORDER BY v.seen_at DESC, v.rowid DESC LIMIT 1)
    WHERE EXISTS (SELECT 1 FROM comment_versions v
                  WHERE v.site = comments.site AND v.comment_id = comments.id)
    """,
    "UPDATE comments SET gone_at = NULL WHERE gone_at > :t",
    "UPDATE comments SET last_seen_at = :t WHERE last_seen_at > :t",
    "DELETE FROM stories WHERE first_seen_at > :t",
    # Of any source (a listing saw it too), and as for users, the newest value shown.
    f"""
    UPDATE stories SET score = {_STORY_AT_T.format(column="score")},
        comment_count = {_STORY_AT_T.format(column="comment_count")},
        title = {_STORY_AT_T.format(column="title")}
    WHERE EXISTS (SELECT 1 FROM story_snapshots s
                  WHERE s.site = stories.site AND s.story_id = stories.id)
    """,
    """
    UPDATE stories SET archived_count = (
        SELECT count(*) FROM comments c WHERE c.site = stories.site AND c.story_id = stories.id)
    """,
    "UPDATE stories SET last_seen_at = :t WHERE last_seen_at > :t",
    "DELETE FROM users WHERE first_seen_at > :t",
    # A snapshot stores the page's values as shown, NULL where it showed none, while
    # the row kept the last value shown: so each is the newest one that is not NULL.
    # about_html has no history: it stays only beside the about it was stored with.
    f"""
    UPDATE users SET karma = {_USER_AT_T.format(column="karma")},
        about = {_USER_AT_T.format(column="about")},
        about_html = CASE WHEN about IS {_USER_AT_T.format(column="about")} THEN about_html END
    WHERE EXISTS (SELECT 1 FROM user_snapshots u
                  WHERE u.site = users.site AND u.user_id = users.id)
    """,
    "UPDATE users SET last_seen_at = :t WHERE last_seen_at > :t",
    "DELETE FROM pages WHERE first_fetched_at > :t",
    "UPDATE pages SET last_fetched_at = :t WHERE last_fetched_at > :t",
    # Rows above point at crawls by id; the crawls after T go last.
    "UPDATE stories SET last_crawl_id = NULL WHERE last_crawl_id IN"
    " (SELECT id FROM crawls WHERE started_at > :t)",
    "UPDATE comments SET last_crawl_id = NULL WHERE last_crawl_id IN"
    " (SELECT id FROM crawls WHERE started_at > :t)",
    "UPDATE pages SET crawl_id = NULL WHERE crawl_id IN"
    " (SELECT id FROM crawls WHERE started_at > :t)",
    "DELETE FROM crawls WHERE started_at > :t",
    # A crawl still running at T had not finished then.
    "UPDATE crawls SET status = 'running', finished_at = NULL WHERE finished_at > :t",
)

# The site fields (migration 0006_sites), after _AS_OF has cut comment_versions at T.
# A comment's removed/edited state and edit time are its latest version's, its score
# its latest comment_scores row. Tags have no history: as last seen.
_AS_OF_SITES = (
    "DELETE FROM comment_scores WHERE seen_at > :t",
    "DELETE FROM comment_scores WHERE NOT EXISTS (SELECT 1 FROM comments c"
    " WHERE c.site = comment_scores.site AND c.id = comment_scores.comment_id)",
    """
    UPDATE comments SET (removed, edited, edited_at, edited_at_raw) = (
        SELECT v.removed, v.edited, v.edited_at, v.edited_at_raw
        FROM comment_versions v WHERE v.site = comments.site AND v.comment_id = comments.id
        ORDER BY v.seen_at DESC, v.rowid DESC LIMIT 1)
    WHERE EXISTS (SELECT 1 FROM comment_versions v
                  WHERE v.site = comments.site AND v.comment_id = comments.id)
    """,
    """
    UPDATE comments SET score = (
        SELECT s.score FROM comment_scores s WHERE s.site = comments.site
        AND s.comment_id = comments.id ORDER BY s.seen_at DESC LIMIT 1)
    WHERE EXISTS (SELECT 1 FROM comment_scores s
                  WHERE s.site = comments.site AND s.comment_id = comments.id)
    """,
    "DELETE FROM story_tags WHERE NOT EXISTS (SELECT 1 FROM stories s"
    " WHERE s.site = story_tags.site AND s.id = story_tags.story_id)",
    "UPDATE comment_scores SET crawl_id = NULL WHERE crawl_id NOT IN (SELECT id FROM crawls)",
)

# page_visits (migration 0013_revisits), before _AS_OF drops the pages first fetched
# after T, all of whose visits are after T.
_AS_OF_VISITS = ("DELETE FROM page_visits WHERE fetched_at > :t",)
# The same since 0020, whose page_visits is a view: the visits a crawl kept are rows
# of the copy by then (thread_visits.MATERIALIZE).
_AS_OF_FETCHES = ("DELETE FROM page_fetches WHERE fetched_at > :t",)

# crawl_targets (migration 0003_schedule), before _AS_OF drops the crawls after T.
_AS_OF_TARGETS = (
    "DELETE FROM crawl_targets WHERE crawl_id IN (SELECT id FROM crawls WHERE started_at > :t)",
    # Only inserting a row makes it 'queued': one queued after T was not there yet.
    "DELETE FROM crawl_targets WHERE state = 'queued' AND updated_at > :t",
    # Done, failed or resumed after T, it was still queued then (if it was there at
    # all: its queue time is gone), so that the copy's running crawls can be resumed.
    "UPDATE crawl_targets SET state = 'queued', detail = NULL, updated_at = :t"
    " WHERE updated_at > :t",
)


def snapshot(source: str | Path, target: str | Path, *, as_of: str | None = None) -> Path:
    """Write a consistent copy of the archive at ``source`` to ``target``; return it.

    ``as_of``: a UTC time (``2026-01-20T00:00:00Z``); the copy is then the archive as
    it stood at that time, as far as its history allows (see the module docstring).
    Never overwrites: an existing ``target`` is an :class:`ArchiveError`, also when it
    appears while the copy is being written.
    """
    source, target = Path(source), Path(target)
    if not source.is_file():
        raise ArchiveError(f"no archive at {source}")
    _check_target(target)
    try:
        fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as e:
        raise ArchiveError(f"cannot write {target}: {e.strerror or e}") from e
    os.close(fd)
    tmp = Path(name)
    try:
        tmp.unlink()  # VACUUM INTO wants to create the file itself
        _vacuum_into(source, tmp)
        _finish(tmp, source=source, as_of=as_of)
        # link() refuses an existing name, so a file that appeared meanwhile survives.
        try:
            os.link(tmp, target)
        except FileExistsError as e:
            raise ArchiveError(f"{target} already exists; not overwriting it") from e
        except OSError as e:  # a file system without hard links, say
            raise ArchiveError(f"cannot write {target}: {e.strerror or e}") from e
    finally:
        tmp.unlink(missing_ok=True)
    return target


def _check_target(target: Path) -> None:
    if target.exists():
        raise ArchiveError(f"{target} already exists; not overwriting it")
    if not target.parent.is_dir():
        raise ArchiveError(f"cannot write {target}: {target.parent} is not a directory")


def _vacuum_into(source: Path, tmp: Path) -> None:
    # A plain read-only connection: archive.db.open_readonly also forbids ATTACH and
    # sets query_only, and VACUUM INTO needs both to write its new file.
    check_archive_file(source)
    conn = connect_readonly(source)
    try:
        conn.execute("VACUUM INTO ?", (str(tmp),))
    except sqlite3.Error as e:
        raise ArchiveError(f"cannot copy {source}: {e}") from e
    finally:
        conn.close()


def _finish(tmp: Path, *, source: Path, as_of: str | None) -> None:
    conn = sqlite3.connect(str(tmp))
    try:
        tables = {
            row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        }
        if as_of is not None and "comment_versions" not in tables:
            raise ArchiveError(f"{source} has no history tables; cannot go back to {as_of}")
        with transaction(conn):
            if "page_visits" in tables or "page_fetches" in tables:
                # Each comment's last sighting into its row (archive.seen), before
                # any rolling back: the copy's rows then say it, as of T too.
                conn.execute(seen.MATERIALIZE)
            if "page_fetches" in tables:
                # Likewise each visit an unchanged crawl kept in its thread_crawls row.
                for statement in thread_visits.MATERIALIZE:
                    conn.execute(statement)
            if as_of is not None:
                targets = _AS_OF_TARGETS if "crawl_targets" in tables else ()
                sites = _AS_OF_SITES if "comment_scores" in tables else ()
                visits = (_AS_OF_FETCHES if "page_fetches" in tables
                          else _AS_OF_VISITS if "page_visits" in tables else ())  # fmt: skip
                # Comments deleted above leave the summary tables (0014) counting them.
                recount = summaries.REBUILD if "author_counts" in tables else ()
                for statement in (*targets, *visits, *_AS_OF, *sites, *recount):
                    conn.execute(statement, {"t": as_of})
            conn.execute(SNAPSHOT_TABLE)
            conn.execute(
                "INSERT INTO _snapshot (taken_at, as_of, source) VALUES (?, ?, ?)",
                (now_iso(), as_of, str(source.resolve())),
            )
        if as_of is not None:
            # The deletes went through the FTS triggers; merging their segments and
            # dropping freed pages keeps the rolled-back copy as small as a fresh one.
            for fts in ("comments_fts", "stories_fts"):
                conn.execute(f"INSERT INTO {fts} ({fts}) VALUES ('optimize')")
            conn.commit()
            conn.execute("VACUUM")
        check = conn.execute("PRAGMA integrity_check").fetchone()[0]
        if check != "ok":
            raise ArchiveError(f"the snapshot failed its integrity check: {check}")
    except sqlite3.Error as e:
        raise ArchiveError(f"cannot write the snapshot: {e}") from e
    finally:
        conn.close()
