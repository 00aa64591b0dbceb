"""The markup-drift alarm: what a crawl's pages gave, against what the same kind of
page gave before.

A site that changes its markup is the main way an archiver goes wrong in silence: the
parser still finds rows, but no author, no time, or nothing at all. So every crawl
counts, per (site, kind of page), how many pages it read, how many failed to parse,
how many rows they gave, and how many of those rows had each field that rows of that
kind normally have (``FIELDS``). At its end, those counts are stored
(``markup_health``) and compared with the crawls before (the last ``BASELINE``
crawls that read such pages): a field that was on nearly every row
(>= ``USUAL``) and is now on few (< ``RARE``), or pages that now fail to parse most of
the time where they rarely did, make one line: "the markup of hn thread pages seems
to have changed since T (author on 0% of 412 comments, was 100%)". The line goes into
``crawls.drift`` (and the ``health`` view), the crawl prints it and exits non-zero,
and the pages stay kept, so ``reparse`` can read them again once the parser is fixed.

Too few rows or pages to tell (``MIN_ROWS``, ``MIN_PAGES``) make no judgement, and
neither does a first crawl: the alarm compares, it does not guess.
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from archive.models import Comment, Listing, Thread

# The fields a row of each kind of page has when the parser understands the page.
# Comments deleted, dead or removed show no author or text, so they are not counted.
FIELDS = {
    "thread": ("author", "created_at", "text"),
    "listing": ("title", "created_at"),
}
BASELINE = 5
USUAL, RARE = 0.9, 0.5
MIN_ROWS, MIN_PAGES = 20, 3
# What the message calls each kind's rows.
_ROWS = {"thread": "comments", "listing": "entries"}


@dataclass
class Seen:
    pages: int = 0
    failed: int = 0
    rows: int = 0
    fields: Counter[str] = field(default_factory=Counter)


@dataclass
class Health:
    """What one crawl's pages gave, per (site, kind): fed as the crawl stores them."""

    seen: dict[tuple[str, str], Seen] = field(default_factory=dict)

    def _of(self, site: str, kind: str) -> Seen:
        return self.seen.setdefault((site, kind), Seen())

    def thread(self, thread: Thread) -> None:
        s = self._of(thread.story.site, "thread")
        s.pages += max(len(thread.pages), 1)
        for c in thread.comments:
            if _shows_content(c):
                s.rows += 1
                s.fields.update(f for f in FIELDS["thread"] if getattr(c, f) is not None)

    def listing(self, listing: Listing) -> None:
        s = self._of(listing.site, "listing")
        s.pages += 1
        for e in listing.entries:
            s.rows += 1
            s.fields.update(f for f in FIELDS["listing"] if getattr(e, f) is not None)

    def failed(self, site: str, kind: str) -> None:
        self._of(site, kind).failed += 1


def _shows_content(c: Comment) -> bool:
    return not (c.deleted or c.dead or c.removed)


def record(conn: sqlite3.Connection, crawl_id: int, seen_at: str, health: Health) -> list[str]:
    """Store this crawl's counts, compare them with the crawls before, and return one
    line per kind of page whose markup seems to have changed (stored in crawls.drift).
    In the caller's transaction."""
    lines: list[str] = []
    for (site, kind), s in sorted(health.seen.items()):
        line = _judge(conn, site, kind, s, crawl_id)
        if line:
            lines.append(line)
        conn.execute(
            "INSERT INTO markup_health (crawl_id, site, kind, seen_at, pages, failed, rows,"
            " fields, drift) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (crawl_id, site,"
            " kind) DO UPDATE SET seen_at = excluded.seen_at, pages = excluded.pages,"
            " failed = excluded.failed, rows = excluded.rows, fields = excluded.fields,"
            " drift = excluded.drift",
            (crawl_id, site, kind, seen_at, s.pages, s.failed, s.rows,
             json.dumps(dict(sorted(s.fields.items()))), line))  # fmt: skip
    if lines:
        conn.execute("UPDATE crawls SET drift = ? WHERE id = ?", ("; ".join(lines), crawl_id))
    return lines


def _judge(conn: sqlite3.Connection, site: str, kind: str, now: Seen,
           crawl_id: int) -> str | None:
    before = conn.execute(
        "SELECT seen_at, pages, failed, rows, fields FROM markup_health WHERE site = ?"
        " AND kind = ? AND crawl_id != ? AND drift IS NULL ORDER BY seen_at DESC LIMIT ?",
        (site, kind, crawl_id, BASELINE)).fetchall()
    if not before:
        return None
    since = before[0][0]
    pages = sum(r[1] for r in before)
    failed = sum(r[2] for r in before)
    rows = sum(r[3] for r in before)
    fields: Counter[str] = Counter()
    for r in before:
        fields.update(json.loads(r[4]))
    what: list[str] = []
    total = now.pages + now.failed
    if total >= MIN_PAGES and now.failed / total >= RARE and failed / max(pages + failed, 1) < 0.1:
        what.append(f"{now.failed} of {total} pages did not parse, "
                    f"was {failed} of {pages + failed}")
    if now.rows >= MIN_ROWS and rows >= MIN_ROWS:
        for name in FIELDS.get(kind, ()):
            was, is_ = fields[name] / rows, now.fields[name] / now.rows
            if was >= USUAL and is_ < RARE:
                what.append(f"{name} on {is_:.0%} of {now.rows} {_ROWS[kind]}, was {was:.0%}")
    if not what:
        return None
    return (f"the markup of {site} {kind} pages seems to have changed since {since} "
            f"({'; '.join(what)})")


def m0016_markup_health(conn: sqlite3.Connection) -> None:
    """``markup_health`` (what each crawl's pages gave), ``crawls.drift``, and the
    ``health`` view of the crawls whose pages seemed to change markup."""
    conn.execute("""
        CREATE TABLE markup_health (
            crawl_id INTEGER NOT NULL REFERENCES crawls(id),
            site TEXT NOT NULL,
            kind TEXT NOT NULL,
            seen_at TEXT NOT NULL,
            pages INTEGER NOT NULL,
            failed INTEGER NOT NULL,
            rows INTEGER NOT NULL,
            fields TEXT NOT NULL,
            drift TEXT,
            PRIMARY KEY (crawl_id, site, kind)
        )""")
    conn.execute("CREATE INDEX markup_health_site_kind ON markup_health (site, kind, seen_at)")
    conn.execute("ALTER TABLE crawls ADD COLUMN drift TEXT")
    conn.execute("""
        CREATE VIEW health AS
        SELECT h.crawl_id, c.started_at, c.command, h.site, h.kind, h.pages, h.failed,
               h.rows, h.drift
        FROM markup_health h JOIN crawls c ON c.id = h.crawl_id
        WHERE h.drift IS NOT NULL
        ORDER BY c.started_at DESC""")
