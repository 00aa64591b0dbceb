"""Read-only views of the history tables (migration ``0002_history``): how a story's
score and comment count moved, what changed in its comments, which threads fall short
of the count the site declares. Nothing here writes; rows come back as plain dicts.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from archive import differences
from archive.db import connection
from archive.errors import ArchiveError
from archive.export_output import atomic_binary_output
from archive.query import _dicts, _missing_thread_message
from archive.rows import user_time

if TYPE_CHECKING:
    import sqlite_utils

EXCERPT = 80  # characters of a comment's text shown by `changes`
# linkthread is installed from a checkout, not from a package index: name the commands
# that work there, and the plain one that works anywhere.
PLOT_HINT = "pip install -e '.[plot]' in a linkthread checkout, or pip install matplotlib"


def _conn(conn_or_db: sqlite3.Connection | sqlite_utils.Database) -> sqlite3.Connection:
    return connection(conn_or_db)


def _require_story(conn: sqlite3.Connection, site: str, story_id: str) -> None:
    found = conn.execute(
        "SELECT 1 FROM stories WHERE site = ? AND id = ?", (site, story_id)
    ).fetchone()
    if not found:
        raise ArchiveError(_missing_thread_message(conn, site, story_id))


def story_history(
    conn_or_db: sqlite3.Connection | sqlite_utils.Database, site: str, story_id: str
) -> list[dict[str, Any]]:
    """Every snapshot of a story, oldest first: seen_at, source, score, comment_count, rank.

    Sources are 'thread' (its own page) and 'listing:<name>' (a ranked listing).
    """
    conn = _conn(conn_or_db)
    _require_story(conn, site, story_id)
    return _dicts(
        conn.execute(
            "SELECT seen_at, source, score, comment_count, rank FROM story_snapshots"
            " WHERE site = ? AND story_id = ? ORDER BY seen_at, source",
            (site, story_id),
        )
    )


def excerpt(text: str | None, width: int = EXCERPT) -> str | None:
    """The text on one line, cut at ``width`` characters with an ellipsis."""
    if text is None:
        return None
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1].rstrip() + "…"


def comment_changes(
    conn_or_db: sqlite3.Connection | sqlite_utils.Database,
    site: str,
    story_id: str,
    since: str | None = None,
) -> list[dict[str, Any]]:
    """The changes to a thread's comments, oldest first (``since``: at or after that time,
    a date or time read as ``search --since`` reads it).

    Each: seen_at, comment_id, author, change, text (an excerpt of the comment's text
    after the change; a deleted comment shows its last known text). A comment with no
    version row never changed: its 'added' change is its row in ``comments``.
    """
    # Checked before anything is read: "nope" is a typo, not a time before every change.
    start = user_time(since, "--since") if since is not None else None
    conn = _conn(conn_or_db)
    _require_story(conn, site, story_id)
    # Within one crawl, changes come in the thread's first-archived order (comments'
    # rowid), a comment's own changes in the order they were written.
    rows = _dicts(
        conn.execute(
            "SELECT seen_at, comment_id, author, change, text FROM ("
            " SELECT v.seen_at, v.comment_id, c.author, v.change, v.text, c.rowid AS o,"
            "  v.rowid AS o2"
            " FROM comments c JOIN comment_versions v ON v.site = c.site AND v.comment_id = c.id"
            " WHERE c.site = :site AND c.story_id = :story"
            " UNION ALL"
            " SELECT c.first_seen_at, c.id, c.author, 'added', c.text, c.rowid, 0"
            " FROM comments c WHERE c.site = :site AND c.story_id = :story AND NOT EXISTS"
            "  (SELECT 1 FROM comment_versions v WHERE v.site = c.site AND v.comment_id = c.id)"
            ") WHERE :since IS NULL OR seen_at >= :since ORDER BY seen_at, o, o2",
            {"site": site, "story": story_id, "since": start},
        )
    )
    for row in rows:
        row["text"] = excerpt(row["text"])
    # Where the sources of one crawl disagreed; sorted in after that crawl's versions.
    return sorted(rows + differences.changes(conn, site, story_id, start),
                  key=lambda row: row["seen_at"])


GAP_COLUMNS = ("kind", "site", "story_id", "title", "seen_at", "declared", "archived", "dead",
               "deleted", "unexpanded", "shortfall")  # fmt: skip


def gaps(
    conn_or_db: sqlite3.Connection | sqlite_utils.Database, site: str | None = None
) -> list[dict[str, Any]]:
    """Threads whose latest crawl left comments out.

    Counted against the latest ``thread_crawls`` row of each thread. Where the crawl
    counted what it left unexpanded (``unexpanded``, Reddit's stubs), that count is the
    shortfall and the thread is short while it is above 0: a declared count that is
    only an upper bound (Reddit's counts removed and spam comments) does not judge it.
    Elsewhere archived (live) + dead + deleted < declared. Largest shortfall first.
    """
    conn = _conn(conn_or_db)
    # thread_latest (migration 0014, archive/summaries.py) says which crawl is each
    # thread's latest; its partial index holds the short ones, largest shortfall first.
    return _dicts(
        conn.execute(
            "SELECT t.site, t.story_id, s.title, t.seen_at, t.declared, t.archived, t.dead,"
            " t.deleted, t.unexpanded, l.shortfall"
            " FROM thread_latest l"
            " JOIN thread_crawls t"
            "  ON t.site = l.site AND t.story_id = l.story_id AND t.seen_at = l.seen_at"
            " LEFT JOIN stories s ON s.site = t.site AND s.id = t.story_id"
            " WHERE l.shortfall > 0 AND (? IS NULL OR l.site = ?)"
            " ORDER BY l.shortfall DESC, l.site, l.story_id",
            (site, site),
        )
    )


def drifted(
    conn_or_db: sqlite3.Connection | sqlite_utils.Database, site: str | None = None
) -> list[dict[str, Any]]:
    """Crawls whose pages seemed to change markup (:mod:`archive.health`), newest first."""
    conn = _conn(conn_or_db)
    return _dicts(conn.execute(
        "SELECT crawl_id, started_at, site, kind, drift FROM health"
        " WHERE ? IS NULL OR site = ? ORDER BY started_at DESC, crawl_id DESC", (site, site)))


def unarchived(
    conn_or_db: sqlite3.Connection | sqlite_utils.Database, site: str | None = None
) -> list[dict[str, Any]]:
    """Stories a page (a listing) showed with comments whose thread was never archived.

    Declared count > 0 (the newest any page showed), no crawl of the thread, no comment
    stored: the whole thread is missing, where :func:`gaps` lists threads that came up
    short. Most declared comments first. Same keys as :func:`gaps`; ``seen_at`` is the
    last time a page showed the story.
    """
    conn = _conn(conn_or_db)
    return _dicts(
        conn.execute(
            "SELECT s.site, s.id AS story_id, s.title, s.last_seen_at AS seen_at,"
            " s.comment_count AS declared, 0 AS archived, 0 AS dead, 0 AS deleted,"
            " NULL AS unexpanded, s.comment_count AS shortfall"
            " FROM stories s"
            " WHERE s.comment_count > 0 AND s.archived_count = 0 AND (? IS NULL OR s.site = ?)"
            "  AND NOT EXISTS (SELECT 1 FROM thread_crawls t"
            "                  WHERE t.site = s.site AND t.story_id = s.id)"
            "  AND NOT EXISTS (SELECT 1 FROM comments c"
            "                  WHERE c.site = s.site AND c.story_id = s.id)"
            " ORDER BY declared DESC, s.site, s.id",
            (site, site),
        )
    )


def all_gaps(
    conn_or_db: sqlite3.Connection | sqlite_utils.Database, site: str | None = None
) -> list[dict[str, Any]]:
    """:func:`gaps`, :func:`unarchived`, then the threads whose sources disagreed, each
    row with :data:`GAP_COLUMNS`: ``kind`` says which ('short': archived with fewer
    comments; 'unarchived': never archived; 'disagree': the latest crawl's sources (an
    API and the page) differ on ``shortfall`` comments, see ``archive.differences``)."""
    return [{"kind": kind, **row}
            for kind, read in (("short", gaps), ("unarchived", unarchived),
                               ("disagree", _disagreeing))
            for row in read(conn_or_db, site)]  # fmt: skip


def _disagreeing(conn_or_db: sqlite3.Connection | sqlite_utils.Database,
                 site: str | None) -> list[dict[str, Any]]:
    return differences.disagreeing(_conn(conn_or_db), site)


def plot_history(points: list[dict[str, Any]], path: str | Path, *, title: str,
                 force: bool = False) -> None:
    """Write a PNG of score and declared comment count over time, whole or not at all,
    and over an existing file only with ``force`` (as an export).

    matplotlib is imported here, not at module load: it is an optional extra
    (the ``plot`` extra) and slow to import. The Agg backend needs no display.
    """
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as e:
        raise ArchiveError(f"--plot needs matplotlib: {PLOT_HINT}") from e

    def series(key: str) -> tuple[list[Any], list[Any]]:  # matplotlib takes datetimes
        kept = [(_plot_time(p["seen_at"]), _plot_number(p[key], key, p["seen_at"]))
                for p in points if p[key] is not None]  # fmt: skip
        return [t for t, _ in kept], [v for _, v in kept]

    fig, score_ax = plt.subplots(figsize=(8, 4.5), dpi=100)
    try:
        count_ax = score_ax.twinx()
        score_ax.plot(*series("score"), marker="o", color="tab:orange", label="score")
        count_ax.plot(*series("comment_count"), marker="s", color="tab:blue", label="comments")
        score_ax.set_xlabel("time (UTC)")
        score_ax.set_ylabel("score (points)", color="tab:orange")
        count_ax.set_ylabel("comments (declared)", color="tab:blue")
        score_ax.set_title(title)
        fig.autofmt_xdate()
        fig.tight_layout()
        with atomic_binary_output(path, force=force) as out:
            fig.savefig(out, format="png")
    finally:
        plt.close(fig)


# A plot places each row by its time and height: a row an archive of someone else's
# making holds as text of another kind is refused by name, not drawn somewhere or
# dropped from the picture.
def _plot_time(value: Any) -> datetime:
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise ArchiveError(f"--plot: the archive holds a time that is not one: {value!r}") \
            from None  # fmt: skip


def _plot_number(value: Any, key: str, seen_at: Any) -> int | float:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    raise ArchiveError(f"--plot: the {key} seen at {seen_at!r} is not a number: {value!r}")
