"""An archive someone else made: every column holds what a crawler would never write.

Built row by row with plain sqlite3 over the real schema, so nothing of linkthread's
own writing cleans it first. Terminal escapes (clear screen, window title, 8-bit CSI,
bidi override), line breaks in one-line fields, Markdown and HTML in every text
column, text in number columns. Used by the tests of show, history, changes, gaps,
watch list and every export format.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from archive.db import open_db

# What a terminal would obey: clear screen, set title (ended by BEL), 8-bit CSI,
# a carriage return over the line, a right-to-left override.
ESC = "\x1b[2J\x1b]0;owned\x07\x9b31m\rX\u202e"
CONTROLS = ("\x1b", "\x07", "\x9b", "\r", "\u202e")
MD = "](javascript:alert(1))\n# heading\r- item <script>alert(1)</script> &amp; *x*"

STORY = {
    "site": "hn", "id": "666", "title": f"Title {ESC} <script>alert(1)</script> #",
    "url": f"javascript:alert(1)//{ESC}", "domain": f"<b>{ESC}</b>",
    "author": f"mallory{ESC}\n# root", "score": f"9{ESC}", "comment_count": 10,
    "created_at": f"{MD}{ESC}", "created_at_raw": "raw", "text": f"story text {ESC}\n{MD}",
    "text_html": f"<p>story <script>alert(1)</script>{ESC}</p>", "kind": "story",
    "first_seen_at": "2026-01-14T09:30:00Z", "last_seen_at": f"2026-01-15T00:00:00Z{ESC}",
    "archived_count": 2,
}  # fmt: skip
COMMENT = {
    "site": "hn", "id": "1", "story_id": "666", "parent_id": None, "depth": 0, "position": 0,
    "author": f"eve{ESC}\n# admin", "created_at": f"{MD}{ESC}", "text": f"body {ESC}\n{MD}",
    "text_html": f"<p>body<script>alert(1)</script>{ESC}</p>",
    "first_seen_at": "2026-01-14T09:30:00Z", "last_seen_at": "2026-01-14T09:30:00Z",
}  # fmt: skip
GONE = {
    "site": "hn", "id": "2", "story_id": "666", "parent_id": "1", "depth": 1, "position": 0,
    "author": "bob", "created_at": "2026-01-14T09:00:00Z", "text": "a reply that vanished",
    "text_html": "<p>a reply that vanished</p>", "first_seen_at": "2026-01-14T09:30:00Z",
    "last_seen_at": "2026-01-14T09:30:00Z", "gone_at": "2026-01-15T00:00:00Z",
}  # fmt: skip
# Seen in a listing with 3 comments declared; its thread was never crawled.
UNARCHIVED = {
    "site": "hn", "id": "777", "title": f"Never crawled {ESC}", "comment_count": 3,
    "kind": "story", "first_seen_at": "2026-01-14T09:30:00Z",
    "last_seen_at": "2026-01-14T10:00:00Z",
}  # fmt: skip

# A site name is quoted back in the error for an unknown site.
ODD_SITE = {
    "site": f"odd{ESC}", "id": "1", "kind": "story", "first_seen_at": "2026-01-14T09:30:00Z",
    "last_seen_at": "2026-01-14T09:30:00Z",
}  # fmt: skip


def _insert(conn: sqlite3.Connection, table: str, row: dict[str, object]) -> None:
    names = ", ".join(row)
    marks = ", ".join("?" * len(row))
    conn.execute(f"INSERT INTO {table} ({names}) VALUES ({marks})", tuple(row.values()))


def make_hostile_archive(path: Path) -> Path:
    open_db(path).close()  # the real schema, every migration
    conn = sqlite3.connect(path)
    with conn:
        for story in (STORY, UNARCHIVED, ODD_SITE):
            _insert(conn, "stories", story)
        for comment in (COMMENT, GONE):
            _insert(conn, "comments", comment)
        _insert(conn, "comment_versions", {
            "site": "hn", "comment_id": "1", "seen_at": "2026-01-15T00:00:00Z",
            "change": "edited", "text": f"edited {ESC}",
        })  # fmt: skip
        _insert(conn, "story_snapshots", {
            "site": "hn", "story_id": "666", "seen_at": f"2026-01-15T00:00:00Z{ESC}",
            "source": f"listing:{ESC}\nfake", "score": f"1{ESC}", "comment_count": 10,
            "rank": 1,
        })  # fmt: skip
        _insert(conn, "thread_crawls", {
            "site": "hn", "story_id": "666", "seen_at": "2026-01-15T00:00:00Z",
            "declared": 10, "archived": 1, "dead": 0, "deleted": 0,
        })  # fmt: skip
        _insert(conn, "watches", {
            "site": "hn", "kind": "thread", "target": f"666{ESC}", "interval": 600,
            "added_at": "2026-01-14T09:30:00Z", "next_due_at": "2099-01-01T00:00:00Z",
            "last_status": f"failed{ESC}", "last_result": f"error\n{ESC}",
        })  # fmt: skip
    conn.close()
    return path
