"""Where each row came from: the ``source`` of an observation, and migration 0008.

Every save is one observation with one source (``Thread.source``, ``Listing.source``,
``User.source``):

* ``html``: a crawl of the site's own pages (HTML, or the JSON form of the same pages);
* ``api``: an official API (Reddit's OAuth Data API, HN's Firebase API);
* ``algolia``: a saved HN Algolia response; ``import``: a saved page or file;
  ``dump``: a community dump; ``warc``: a record of a WARC file.

A current-state row (``comments``, ``stories``, ``users``) keeps the *set* of sources
that ever observed it, sorted and comma-joined (``api,html``): a row seen through an
API stays known as such after a page confirmed it, which is what a removal request
under an API's terms needs to find. History rows keep the one source of their
observation (``comment_versions.source``; ``via`` in the snapshot tables, whose
``source`` column already names the page kind).
"""

from __future__ import annotations

import sqlite3

SOURCES = ("html", "api", "algolia", "import", "dump", "warc")


def check(source: str) -> str:
    """``source`` if it is one of SOURCES, or a set of them (``api,html``: one
    observation merged from two, as HN's ``crawl --via both``), in canonical form;
    ValueError otherwise (a bug upstream)."""
    if source in SOURCES:
        return source
    parts = set(source.split(","))
    if not parts <= set(SOURCES):
        raise ValueError(f"unknown source {source!r} (known: {', '.join(SOURCES)})")
    return ",".join(sorted(parts))


def union(stored: str | None, source: str) -> str:
    """The stored set of sources with ``source`` (one, or a set) added, in canonical form."""
    if stored is None or stored == source:
        return source
    parts = set(stored.split(","))
    if source in parts:
        return stored
    return ",".join(sorted(parts | set(source.split(","))))


# What an archive made before 0008 knew of its rows' origin: imports are crawls with
# the command "import"; everything else was a crawl of the site's pages.
_WAS = ("CASE WHEN last_crawl_id IN (SELECT id FROM crawls WHERE command = 'import')"
        " THEN 'import' ELSE 'html' END")
_VERSION_WAS = ("CASE WHEN crawl_id IN (SELECT id FROM crawls WHERE command = 'import')"
                " THEN 'import' ELSE 'html' END")


def m0008_source(conn: sqlite3.Connection) -> None:
    """``source`` on comments, stories, users and comment_versions; ``via`` on the
    snapshot tables; existing rows told what their crawl was."""
    for table in ("comments", "stories", "users"):
        conn.execute(f"ALTER TABLE {table} ADD COLUMN source TEXT")
    conn.execute("ALTER TABLE comment_versions ADD COLUMN source TEXT")
    for table in ("story_snapshots", "user_snapshots", "listing_snapshots"):
        conn.execute(f"ALTER TABLE {table} ADD COLUMN via TEXT")
    for table in ("comments", "stories"):
        conn.execute(f"UPDATE {table} SET source = {_WAS}")
    conn.execute("UPDATE users SET source = 'html'")
    for table in ("comment_versions", "story_snapshots", "user_snapshots", "listing_snapshots"):
        column = "source" if table == "comment_versions" else "via"
        conn.execute(f"UPDATE {table} SET {column} = {_VERSION_WAS}")
