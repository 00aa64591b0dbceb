"""Redaction: content taken out of the archive for good (``linkthread redact``).

A redaction names what goes: one comment, everything an author wrote (their
comments' text, their name on them, their profile's about text, their stories'
text), one thread (its story's title and text and every comment's text), or
everything a site shows as deleted or removed (``deleted-on-site``; Reddit's API
terms ask for that). It is taken out of every place the archive holds it:

* current rows (``comments``, ``stories``, ``users``): the content columns become
  NULL and ``redacted_at`` is set; the tree (ids, parents, positions, times, flags)
  stays, so a thread still reads as a thread with holes;
* history: ``comment_versions`` texts, ``story_snapshots`` titles, ``user_snapshots``
  about texts;
* the full-text indexes (through their triggers, then ``optimize``, which rewrites
  the index without the deleted entries);
* the raw pages that hold it (the thread's pages, and any other kept page whose body
  contains a redacted text or, for an author, is their profile): the body is dropped
  (``pages.redacted_at`` set, the body emptied, its hash replaced), since one page
  holds many comments and cannot be reparsed without its body.

``redactions`` logs each one (kind, site, key, time, reason, counts), never the
content. While a redaction is in force, saves withhold the content again
(:func:`withhold`): a re-crawl or re-import does not bring it back. ``--unredact``
lifts it for what comes later; what was removed stays removed.

The bytes: ``secure_delete`` is on for the change, so freed space is zeroed; then the
WAL is checkpointed and truncated, and ``VACUUM`` rewrites the file (unless the
caller skips it, and is told what stays until one runs).
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from archive import sites, summaries
from archive.db import transaction
from archive.errors import ArchiveError
from archive.models import Comment, Story, Thread, User
from archive.rows import now_iso

if TYPE_CHECKING:
    import sqlite_utils

KINDS = ("comment", "author", "thread", "deleted-on-site")
_EMPTY = hashlib.sha256(b"").hexdigest()  # a withheld page's body
# Shorter texts are too common to find a page by (and are found by its thread anyway).
_SNIPPET = 24


class RedactError(ArchiveError):
    """A redaction that names nothing the archive holds, or a bad request: one line."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Redacted:
    comments: int
    stories: int
    users: int
    versions: int
    pages: int
    redaction_id: int | None  # None for a dry run


# -- the command ---------------------------------------------------------------------


def redact(db: sqlite_utils.Database, *, site: str, kind: str, key: str, reason: str,
           dry_run: bool = False) -> Redacted:
    """Take out what the redaction names (see the module docstring), log it, and keep
    it out of later saves. ``dry_run`` counts what would go and changes nothing."""
    if kind not in KINDS:
        raise RedactError(f"unknown redaction {kind!r} (known: {', '.join(KINDS)})")
    if not reason.strip():
        raise RedactError("say why (--reason): the log keeps the reason, never the content")
    conn = db.conn
    if not dry_run:
        conn.execute("PRAGMA secure_delete = ON")
    try:
        with transaction(conn):
            result = _redact(conn, site=site, kind=kind, key=key, reason=reason)
            if dry_run:
                raise _DryRun(result)
    except _DryRun as e:
        return replace(e.result, redaction_id=None)
    return result


class _DryRun(Exception):
    def __init__(self, result: Redacted) -> None:
        self.result = result


def _redact(conn: sqlite3.Connection, *, site: str, kind: str, key: str,
            reason: str) -> Redacted:
    comment_ids, story_ids, user_ids = _targets(conn, site, kind, key)
    if not (comment_ids or story_ids or user_ids) and kind != "deleted-on-site":
        raise RedactError(f"the archive holds no {kind} {site}/{key}")
    now = now_iso()
    snippets = _snippets(conn, site, comment_ids, story_ids)
    comments, stories, users, versions = take_out(
        conn, site, comment_ids, story_ids, user_ids, now=now, forget_author=kind == "author")
    pages = _drop_pages(conn, site, story_ids if kind != "author" else [], snippets,
                        user_pages=user_ids, now=now)
    redaction_id = conn.execute(
        "INSERT INTO redactions (site, kind, key, reason, redacted_at, comments, stories,"
        " users, pages) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (site, kind, key, reason, now, comments, stories, users, pages)).lastrowid
    return Redacted(comments=comments, stories=stories, users=users, versions=versions,
                    pages=pages, redaction_id=redaction_id)


def purge(db: sqlite_utils.Database, *, vacuum: bool = True) -> None:
    """Make the removed bytes unreadable: rewrite the full-text indexes, checkpoint and
    truncate the WAL, and (``vacuum``) rewrite the file."""
    conn = db.conn
    conn.execute("PRAGMA secure_delete = ON")
    with transaction(conn):
        for fts in ("comments_fts", "stories_fts"):
            conn.execute(f"INSERT INTO {fts} ({fts}) VALUES ('optimize')")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    if vacuum:
        conn.execute("VACUUM")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def unredact(db: sqlite_utils.Database, *, site: str, kind: str, key: str,
             reason: str) -> int:
    """Lift the redactions in force for (site, kind, key): later saves keep what they
    see again. What was removed is not restored. Returns how many were lifted."""
    with transaction(db) as conn:
        lifted = conn.execute(
            "UPDATE redactions SET unredacted_at = ?, unredact_reason = ? WHERE site = ?"
            " AND kind = ? AND key = ? AND unredacted_at IS NULL",
            (now_iso(), reason, site, kind, key)).rowcount
        if not lifted:
            raise RedactError(f"no {kind} redaction of {site}/{key} is in force")
        comment_ids, story_ids, user_ids = _targets(conn, site, kind, key)
        for table, ids in (("comments", comment_ids), ("stories", story_ids),
                           ("users", user_ids)):
            conn.execute(f"UPDATE {table} SET redacted_at = NULL WHERE site = ?"
                         " AND id IN (SELECT value FROM json_each(?))", (site, json.dumps(ids)))
    return lifted


# -- what a redaction names -------------------------------------------------------------


def _ids(conn: sqlite3.Connection, sql: str, params: Sequence[object]) -> list[str]:
    return [row[0] for row in conn.execute(sql, params)]


def _targets(conn: sqlite3.Connection, site: str, kind: str,
             key: str) -> tuple[list[str], list[str], list[str]]:
    """(comment ids, story ids whose own content goes, user ids) a redaction names."""
    if kind == "comment":
        return _ids(conn, "SELECT id FROM comments WHERE site = ? AND id = ?", (site, key)), [], []
    if kind == "author":
        return (_ids(conn, "SELECT id FROM comments WHERE site = ? AND author = ?", (site, key)),
                _ids(conn, "SELECT id FROM stories WHERE site = ? AND author = ?", (site, key)),
                _ids(conn, "SELECT id FROM users WHERE site = ? AND id = ?", (site, key)))
    if kind == "thread":
        return (_ids(conn, "SELECT id FROM comments WHERE site = ? AND story_id = ?",
                     (site, key)),
                _ids(conn, "SELECT id FROM stories WHERE site = ? AND id = ?", (site, key)), [])
    return (_ids(conn, "SELECT id FROM comments WHERE site = ? AND (deleted = 1 OR removed = 1)",
                 (site,)),
            _ids(conn, "SELECT id FROM stories WHERE site = ? AND deleted = 1", (site,)), [])


def _snippets(conn: sqlite3.Connection, site: str, comment_ids: list[str],
              story_ids: list[str]) -> set[bytes]:
    """Distinctive pieces of every text that goes (current and past versions), as a
    kept page's body would hold them, to find the pages that hold them."""
    texts: set[str] = set()
    for sql, ids in (
        ("SELECT text, text_html FROM comments WHERE site = ? AND id IN (SELECT value FROM"
         " json_each(?))", comment_ids),
        ("SELECT text, text_html FROM comment_versions WHERE site = ? AND comment_id IN"
         " (SELECT value FROM json_each(?))", comment_ids),
        ("SELECT text, text_html FROM stories WHERE site = ? AND id IN (SELECT value FROM"
         " json_each(?))", story_ids),
    ):
        for row in conn.execute(sql, (site, json.dumps(ids))):
            for value in row:
                for line in (value or "").splitlines():
                    if len(line.strip()) >= _SNIPPET:
                        texts.add(line.strip()[:80])
    return {t.encode() for t in texts}


# -- taking it out -----------------------------------------------------------------


def take_out(conn: sqlite3.Connection, site: str, comment_ids: Sequence[str],
             story_ids: Sequence[str], user_ids: Sequence[str], *, now: str,
             forget_author: bool) -> tuple[int, int, int, int]:
    """NULL the content of those rows and their history, in the caller's transaction.
    Returns (comments, stories, users, versions) changed."""
    cids, sids, uids = json.dumps(list(comment_ids)), json.dumps(list(story_ids)), \
        json.dumps(list(user_ids))
    author = ", author = NULL" if forget_author else ""
    comments = conn.execute(
        f"UPDATE comments SET text = NULL, text_html = NULL{author},"
        " redacted_at = coalesce(redacted_at, ?) WHERE site = ?"
        " AND id IN (SELECT value FROM json_each(?))", (now, site, cids)).rowcount
    if forget_author:
        # The author counts name the author too: their threads' parts are recounted.
        summaries.threads_saved(conn, site, [row[0] for row in conn.execute(
            "SELECT DISTINCT story_id FROM comments WHERE site = ?"
            " AND id IN (SELECT value FROM json_each(?))", (site, cids))])  # fmt: skip
    versions = conn.execute(
        "UPDATE comment_versions SET text = NULL, text_html = NULL WHERE site = ?"
        " AND comment_id IN (SELECT value FROM json_each(?))", (site, cids)).rowcount
    # A story's title goes with its thread, not with its author (a submitted link's
    # title is usually the linked page's).
    title = "" if forget_author else ", title = NULL, url = NULL, domain = NULL"
    stories = conn.execute(
        f"UPDATE stories SET text = NULL, text_html = NULL{author}{title},"
        " redacted_at = coalesce(redacted_at, ?) WHERE site = ?"
        " AND id IN (SELECT value FROM json_each(?))", (now, site, sids)).rowcount
    if not forget_author:
        conn.execute("UPDATE story_snapshots SET title = NULL WHERE site = ?"
                     " AND story_id IN (SELECT value FROM json_each(?))", (site, sids))
    users = conn.execute(
        "UPDATE users SET about = NULL, about_html = NULL, extra = NULL,"
        " redacted_at = coalesce(redacted_at, ?) WHERE site = ?"
        " AND id IN (SELECT value FROM json_each(?))", (now, site, uids)).rowcount
    conn.execute("UPDATE user_snapshots SET about = NULL WHERE site = ?"
                 " AND user_id IN (SELECT value FROM json_each(?))", (site, uids))
    return comments, stories, users, versions


def _drop_pages(conn: sqlite3.Connection, site: str, story_ids: list[str],
                snippets: set[bytes], *, user_pages: list[str], now: str) -> int:
    """Empty the kept pages that hold redacted content; return how many."""
    threads = {row[0] for row in conn.execute(
        "SELECT DISTINCT story_id FROM comments WHERE site = ? AND redacted_at = ?",
        (site, now))} | set(story_ids)
    doomed: list[int] = []
    rows = conn.execute("SELECT id, story_id, url, body FROM pages WHERE site = ?"
                        " AND redacted_at IS NULL", (site,))
    profiles = _profile_paths(site, user_pages)
    for page_id, story_id, url, body in rows:
        if story_id in threads or _path(url) in profiles or (
                snippets and any(s in zlib.decompress(body) for s in snippets)):
            doomed.append(page_id)
    for page_id in doomed:
        marker = hashlib.sha256(f"redacted page {page_id}".encode()).hexdigest()
        conn.execute("UPDATE pages SET body = ?, sha256 = ?, redacted_at = ?,"
                     " error = 'redacted' WHERE id = ?",
                     (zlib.compress(b""), marker, now, page_id))
    return len(doomed)


def _path(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def _profile_paths(site: str, names: Sequence[str]) -> set[str]:
    """Where the site serves these users' profiles (HTML and JSON), as path and query:
    a kept page may come from the public site or from a configured base URL."""
    known = sites.SITES.get(site)
    if known is None:
        return set()
    out = set()
    for name in names:
        for json_form in (False, True):
            try:
                out.add(_path(known.user_url(name, json=json_form)))
            except ValueError:
                continue  # the site has no JSON form
    return out


# -- keeping it out ---------------------------------------------------------------


def _rules(conn: sqlite3.Connection, site: str) -> list[tuple[str, str]]:
    return conn.execute("SELECT kind, key FROM redactions WHERE site = ?"
                        " AND unredacted_at IS NULL", (site,)).fetchall()


def withhold(conn: sqlite3.Connection, thread: Thread) -> tuple[Thread, list[str], bool]:
    """``thread`` without what a redaction in force names, the ids of the comments
    withheld, and whether the story was: :func:`after_save` takes them out of the
    stored rows too (a comment deleted on the site since the last crawl still has its
    text there). Cheap when no redaction is in force for the site."""
    story = thread.story
    rules = _rules(conn, story.site)
    if not rules:
        return thread, [], False
    authors = {key for kind, key in rules if kind == "author"}
    whole = ("thread", story.id) in rules
    deleted = any(kind == "deleted-on-site" for kind, _ in rules)
    held = {row[0] for row in conn.execute(
        "SELECT id FROM comments WHERE site = ? AND story_id = ? AND redacted_at IS NOT NULL",
        (story.site, story.id))}
    held |= {key for kind, key in rules if kind == "comment"}
    out: list[Comment] = []
    withheld: list[str] = []
    for c in thread.comments:
        if whole or c.id in held or c.author in authors or (deleted and (c.deleted or c.removed)):
            out.append(_blank(c, forget=c.author in authors))
            withheld.append(c.id)
        else:
            out.append(c)
    story_held = whole or story.author in authors
    if story_held:
        story = _blank_story(story, whole=whole)
    pages = thread.pages
    if withheld or story_held:
        # The pages hold what is withheld: kept as redacted, without their bodies.
        pages = tuple(replace(p, body=b"") for p in pages)
    return (replace(thread, story=story, comments=tuple(out), pages=pages), withheld,
            story_held)


def after_save(conn: sqlite3.Connection, thread: Thread, withheld: list[str],
               story_held: bool) -> None:
    """Take the withheld content out of the stored rows and their history, in the
    save's transaction."""
    if withheld or story_held:
        site, now = thread.story.site, now_iso()
        take_out(conn, site, withheld, [thread.story.id] if story_held else [], [],
                 now=now, forget_author=False)
        conn.execute("UPDATE pages SET redacted_at = coalesce(redacted_at, ?),"
                     " error = 'redacted' WHERE site = ? AND story_id = ? AND sha256 = ?",
                     (now, site, thread.story.id, _EMPTY))


def withheld_user(conn: sqlite3.Connection, user: User) -> User:
    """``user`` without the profile text of an author whose redaction is in force."""
    if ("author", user.id) in _rules(conn, user.site):
        return replace(user, about=None, about_html=None, extra=None)
    return user


def withheld_story(conn: sqlite3.Connection, story: Story) -> tuple[Story, bool]:
    """``story`` without what a redaction in force names (its thread, or its author),
    and whether anything was withheld: a story saved alone (a dump's submission)."""
    rules = _rules(conn, story.site)
    whole = ("thread", story.id) in rules
    if whole or ("author", story.author) in rules:
        return _blank_story(story, whole=whole), True
    return story, False


def _blank(c: Comment, *, forget: bool) -> Comment:
    return replace(c, text=None, text_html=None, author=None if forget else c.author)


def _blank_story(story: Story, *, whole: bool) -> Story:
    if whole:
        return replace(story, title=None, url=None, domain=None, text=None, text_html=None)
    return replace(story, text=None, text_html=None, author=None)
