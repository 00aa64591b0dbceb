"""Where the sources of one observation of a thread disagree (migration ``0011_hn_api``).

A crawl that reads a thread two ways at once (HN ``--via both``: the official API's
tree and the item page) stores one row per comment, merged; what the two forms say
differently is not dropped in that merge but kept here, one row per comment and
disagreement, written in the thread's own transaction:

* kind ``only``: the comment is in one form (``shown_by``) and not the other, as the
  API returns ``null`` for some items and a logged-out page leaves dead ones out;
* kind ``parent``: both have it, under different parents (``detail`` says which each
  gives); the comment row keeps the page's place, as the page is what readers see.

``changes`` lists these rows beside a thread's versions, and ``gaps`` lists the threads
whose latest crawl has any.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from archive.rows import canonical_json

if TYPE_CHECKING:
    from archive.models import Difference

DIFFERENCES_TABLE = """
CREATE TABLE source_differences (
    site TEXT NOT NULL,
    story_id TEXT NOT NULL,
    comment_id TEXT NOT NULL,
    seen_at TEXT NOT NULL,
    crawl_id INTEGER REFERENCES crawls(id),
    kind TEXT NOT NULL CHECK (kind IN ('only', 'parent')),
    shown_by TEXT NOT NULL,
    other TEXT NOT NULL,
    detail TEXT,
    PRIMARY KEY (site, comment_id, seen_at, kind)
)"""


def m0011_hn_api(conn: sqlite3.Connection) -> None:
    """source_differences: what the sources of one crawl of a thread disagree on."""
    conn.execute(DIFFERENCES_TABLE)
    conn.execute("CREATE INDEX source_differences_story ON source_differences"
                 " (site, story_id, seen_at)")


def save_differences(conn: sqlite3.Connection, *, site: str, story_id: str, seen: str,
                     crawl_id: int | None, differences: Sequence[Difference]) -> int:
    """Write this observation's differences (inside the caller's transaction)."""
    conn.executemany(
        "INSERT INTO source_differences (site, story_id, comment_id, seen_at, crawl_id, kind,"
        " shown_by, other, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (site, comment_id, seen_at, kind) DO UPDATE SET"
        " story_id = excluded.story_id, crawl_id = coalesce(excluded.crawl_id, crawl_id),"
        " shown_by = excluded.shown_by, other = excluded.other, detail = excluded.detail",
        [(site, story_id, d.comment_id, seen, crawl_id, d.kind, d.shown_by, d.other,
          canonical_json(d.detail, f"difference {site}/{d.comment_id}"))
         for d in differences],
    )  # fmt: skip
    return len(differences)


def describe(kind: str, shown_by: str, other: str, detail: str | None) -> str:
    """One line for ``changes``: "only in html, not in api", "parent: api 15, html 1"."""
    if kind == "only":
        return f"only in {shown_by}, not in {other}"
    parents = json.loads(detail) if detail else {}
    return "parent differs: " + ", ".join(
        f"{source} {'top level' if parent is None else parent}"
        for source, parent in sorted(parents.items()))


def changes(conn: sqlite3.Connection, site: str, story_id: str,
            since: str | None) -> list[dict[str, Any]]:
    """A thread's differences as ``changes`` rows (change 'differs'), oldest first, in
    the thread's first-archived order within one crawl."""
    cur = conn.execute(
        "SELECT d.seen_at, d.comment_id, c.author, d.kind, d.shown_by, d.other, d.detail"
        " FROM source_differences d"
        " LEFT JOIN comments c ON c.site = d.site AND c.id = d.comment_id"
        " WHERE d.site = ? AND d.story_id = ? AND (? IS NULL OR d.seen_at >= ?)"
        " ORDER BY d.seen_at, coalesce(c.rowid, 0), d.rowid",
        (site, story_id, since, since),
    )
    return [{"seen_at": seen, "comment_id": cid, "author": author, "change": "differs",
             "text": describe(kind, shown_by, other, detail)}
            for seen, cid, author, kind, shown_by, other, detail in cur]  # fmt: skip


def disagreeing(conn: sqlite3.Connection, site: str | None) -> list[dict[str, Any]]:
    """Threads whose latest crawl found its sources disagreeing, most differences first,
    in ``archive.history.GAP_COLUMNS`` (``shortfall``: the comments they differ on)."""
    cur = conn.execute(
        "SELECT t.site, t.story_id, s.title, t.seen_at, t.declared, t.archived, t.dead,"
        " t.deleted, t.unexpanded, count(DISTINCT d.comment_id) AS shortfall"
        " FROM thread_crawls t"
        " JOIN (SELECT site, story_id, max(seen_at) AS seen_at FROM thread_crawls"
        "       GROUP BY site, story_id) latest USING (site, story_id, seen_at)"
        " JOIN source_differences d ON d.site = t.site AND d.story_id = t.story_id"
        "  AND d.seen_at = t.seen_at"
        " LEFT JOIN stories s ON s.site = t.site AND s.id = t.story_id"
        " WHERE (? IS NULL OR t.site = ?)"
        " GROUP BY t.site, t.story_id ORDER BY shortfall DESC, t.site, t.story_id",
        (site, site),
    )
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur]
