"""What one visit of a watch stored, read from the archive itself.

A runner reads a :class:`Mark` of each target before its crawl and compares it
afterwards (:func:`visit_result`). The archive is the witness, not the crawl's output:
a target counts as stored only if the rows a save writes moved, so a crawl that was
stopped, or crashed, or printed something unexpected cannot report a visit that did not
happen. A thread's mark also counts its stored comments, which is what the adaptive
policy (``archive.schedule``) feeds on: comments are never deleted from the archive, so
the difference is the number of new ones.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any

from archive import sites
from archive.schedule import Watch


@dataclass(frozen=True, slots=True)
class Mark:
    """A target's footprint: ``stamp`` moves whenever a crawl stores the target again;
    ``count`` is a thread's stored comments (0 for other kinds)."""

    stamp: tuple[Any, ...]
    count: int = 0


def snapshot_name(site: str, target: str) -> str:
    """The name a listing target's rows carry in ``listing_snapshots`` (the site's
    parser names them: HN's ``front`` is ``news``)."""
    known = sites.SITES.get(site)
    return known.snapshot_name(target) if known is not None else target


def mark(conn: sqlite3.Connection, w: Watch) -> Mark:
    """Read it before a visit and pass it to :func:`visit_result` after."""
    if w.kind == "thread":
        # crawl_id and the row count move even when two visits fall in one second.
        stamp = conn.execute(
            "SELECT max(crawl_id), max(seen_at), count(*) FROM thread_crawls"
            " WHERE site = ? AND story_id = ?",
            (w.site, w.target),
        ).fetchone()
        count = conn.execute(
            "SELECT count(*) FROM comments WHERE site = ? AND story_id = ?", (w.site, w.target)
        ).fetchone()[0]
        return Mark(tuple(stamp), count)
    if w.kind == "listing":
        stamp = conn.execute(
            "SELECT max(crawl_id), max(seen_at) FROM listing_snapshots"
            " WHERE site = ? AND listing = ?",
            (w.site, snapshot_name(w.site, w.target)),
        ).fetchone()
        return Mark(tuple(stamp))
    row = conn.execute(
        "SELECT last_seen_at, karma FROM users WHERE site = ? AND id = ?", (w.site, w.target)
    ).fetchone()
    return Mark(tuple(row or ()))


def visit_result(
    conn: sqlite3.Connection, w: Watch, before: Mark
) -> tuple[bool, str, int | None]:
    """(stored again since ``before``?, a one-line result, a thread's new comments).

    Results read ``+12 comments (340 archived)``, ``30 entries``, ``profile, karma 5``.
    """
    after = mark(conn, w)
    stored = after.stamp != before.stamp
    if w.kind == "thread":
        new = after.count - before.count
        return stored, f"+{new:,} comments ({after.count:,} archived)", new
    if w.kind == "listing":
        entries = 0
        if stored:
            entries = conn.execute(
                "SELECT count(*) FROM listing_snapshots WHERE site = ? AND listing = ?"
                " AND seen_at > ?",
                (w.site, snapshot_name(w.site, w.target), before.stamp[1] or ""),
            ).fetchone()[0]
        return stored, f"{entries:,} entries", None
    karma = after.stamp[1] if after.stamp else None
    return stored, "profile" + (f", karma {karma:,}" if karma is not None else ""), None
