"""The registry in the archive: a ``sites`` table, so SQL can link to a site (migration 0007).

A view cannot call Python, and 0004's views wrote HN's item URL into their SQL (a
``CASE`` per site), so each new site would have needed a migration that rewrites
them. Since 0007 the views read each site's URL forms from the ``sites`` table
instead, and ``sync`` copies the registry (``archive.sites``) into it whenever the
archive is opened for writing: a site added to the registry is linked by every view,
Datasette page and query at the next open, with no new migration.

A URL form is stored as the literal pieces around its ids (``story_prefix`` + story
id + ``story_suffix``), cut from the registry's own URL functions, never as a
template with placeholders: an id is pasted in whole, whatever characters it holds.
"""

from __future__ import annotations

import sqlite3

from archive import sites, views

SITES_TABLE = """
CREATE TABLE sites (
    name TEXT PRIMARY KEY,
    label TEXT NOT NULL,
    base_url TEXT NOT NULL,
    story_prefix TEXT NOT NULL,
    story_suffix TEXT NOT NULL,
    comment_prefix TEXT NOT NULL,
    comment_between TEXT,
    comment_suffix TEXT NOT NULL
)"""

COLUMNS = ("name", "label", "base_url", "story_prefix", "story_suffix", "comment_prefix",
           "comment_between", "comment_suffix")

# Stand-ins for the ids while a URL form is cut into pieces; no URL form contains them.
_STORY, _COMMENT = "\x00story\x00", "\x00comment\x00"


def url_pieces(site: sites.Site) -> dict[str, str | None]:
    """The row of ``site``: its story URL and comment URL cut around the ids.

    ``comment_between`` is None when a comment's URL does not name its story (HN's
    ``item?id=`` is one form for both). ValueError for a form this table cannot hold
    (an id twice, or the comment before its story).
    """
    story = site.item_url(_STORY).split(_STORY)
    if len(story) != 2:
        raise ValueError(f"{site.name}: its story URL must hold the story id once")
    comment = site.comment_url(_STORY, _COMMENT)
    head, sep, tail = comment.partition(_STORY)
    between: str | None = None
    if sep:
        between, sep, tail = tail.partition(_COMMENT)
    else:
        head, sep, tail = comment.partition(_COMMENT)
    if not sep or _STORY in tail or _COMMENT in tail or _COMMENT in head:
        raise ValueError(f"{site.name}: its comment URL must hold the comment id once, "
                         "after the story id if it has one")
    return {"name": site.name, "label": site.label, "base_url": site.base_url,
            "story_prefix": story[0], "story_suffix": story[1], "comment_prefix": head,
            "comment_between": between, "comment_suffix": tail}


def _rows() -> list[tuple[str | None, ...]]:
    return [tuple(url_pieces(site)[c] for c in COLUMNS) for site in sites.SITES.values()]


def _fill(conn: sqlite3.Connection) -> None:
    placeholders = ", ".join("?" for _ in COLUMNS)
    updates = ", ".join(f"{c} = excluded.{c}" for c in COLUMNS[1:])
    conn.executemany(
        f"INSERT INTO sites ({', '.join(COLUMNS)}) VALUES ({placeholders})"
        f" ON CONFLICT (name) DO UPDATE SET {updates}", _rows())


def sync(conn: sqlite3.Connection) -> None:
    """Make the ``sites`` table say what the registry says (a read when it already
    does, so an open writes nothing). Rows of sites the registry no longer has stay:
    their comments are still in the archive. Before 0007 there is no table: nothing."""
    if conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sites'"
                    ).fetchone() is None:
        return
    stored = set(conn.execute(f"SELECT {', '.join(COLUMNS)} FROM sites").fetchall())
    if set(_rows()) <= stored:
        return
    # Imported here: archive.db migrates on open, so it imports this module's migration.
    from archive.db import transaction

    with transaction(conn):
        _fill(conn)


def item_url_sql(comment: str, story: str) -> str:
    """SQL for a comment's page on its site, from the ``sites`` table; NULL for a site
    the table does not know. A synthetic id (made up by the archive, the page gave
    none) has no page: it links to its thread, where it is shown."""
    c, s = comment, story
    return (
        f"(SELECT CASE WHEN {c}.synthetic_id THEN u.story_prefix || {s} || u.story_suffix"
        " ELSE u.comment_prefix || CASE WHEN u.comment_between IS NULL THEN ''"
        f" ELSE {s} || u.comment_between END || {c}.id || u.comment_suffix END"
        f" FROM sites AS u WHERE u.name = {c}.site)"
    )


def m0007_site_urls(conn: sqlite3.Connection) -> None:
    """The ``sites`` table, filled from the registry, and the views that link
    comments (thread_comments, recent_comments) rebuilt to read it."""
    conn.execute(SITES_TABLE)
    _fill(conn)
    for name, create in views.linked_views(item_url_sql("c", "c.story_id")):
        conn.execute(f"DROP VIEW IF EXISTS {name}")
        conn.execute(create)
