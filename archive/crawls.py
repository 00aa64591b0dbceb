"""Crawls and their targets: the part of a crawl's state that must survive a crash.

A crawl is a row in ``crawls`` (with the host and pid of its process) and one row per
target in ``crawl_targets``: 'queued' when the crawl starts (or when a listing shows
a thread to follow), 'done' in the same transaction that stores it (see
``archive.store``), 'failed' when the crawl ended without it. So whatever kills a
crawl (SIGKILL, a power cut), the archive says what is left: the queued targets of
crawls whose process is gone. ``crawl --resume`` starts a crawl that takes exactly
those over, marking the old rows 'resumed' in the same transaction that records the
new crawl: a resume killed before it began leaves them to the next one, and two
resumes at once never share one.

Scrapy's JOBDIR is no substitute: it is written only on a clean stop.
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import time
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from archive.db import connection, transaction
from archive.rows import now_iso
from archive.targets import KINDS as KINDS  # re-exported, with Target
from archive.targets import Target as Target

if TYPE_CHECKING:
    import sqlite_utils

CRAWL_STATUSES = ("running", "finished", "failed", "interrupted")
# Commands whose observations carry the times their files give, not the clock's.
FILE_TIMED = ("import", "reparse")


def start_crawl(
    db: sqlite_utils.Database | sqlite3.Connection,
    *,
    command: str,
    args: dict[str, Any],
    targets: Iterable[Target] = (),
    resume: str | None = None,
) -> int:
    """Record a crawl as running, queue its targets, and return its id.

    Crawls left 'running' by a process that is gone are marked 'interrupted' first.
    ``resume``: a site whose stopped crawls' queued targets this one takes over, in
    the same transaction: they are marked 'resumed' there and queued here, and the
    crawls they came from go into ``args["resume_from"]``. Being one write
    transaction, two resuming crawls can never both take a target; read the
    crawl's targets back with :func:`crawl_targets`.
    """
    if command not in FILE_TIMED:
        _past_last_crawl(connection(db))
    with transaction(db) as conn:
        recover_dead_crawls(conn)
        left = _left_queued(conn, resume) if resume is not None else []
        if resume is not None:
            args = {**args, "resume_from": sorted({crawl for crawl, _ in left})}
        cur = conn.execute(
            "INSERT INTO crawls (started_at, command, args, status, host, pid)"
            " VALUES (?, ?, ?, 'running', ?, ?)",
            (now_iso(), command, json.dumps(args, sort_keys=True, default=str),
             socket.gethostname(), os.getpid()),
        )  # fmt: skip
        assert cur.lastrowid is not None
        crawl_id = cur.lastrowid
        queue_targets(conn, crawl_id, [*targets, *(t for _, t in left)])
        conn.executemany(
            "UPDATE crawl_targets SET state = 'resumed', detail = ?, updated_at = ?"
            " WHERE crawl_id = ? AND site = ? AND kind = ? AND target = ?",
            [(f"by crawl {crawl_id}", now_iso(), crawl, t.site, t.kind, t.target)
             for crawl, t in left],
        )  # fmt: skip
    return crawl_id


def _past_last_crawl(conn: sqlite3.Connection) -> None:
    """Wait, if need be, for the second after the archive's latest crawl ended.

    Observations are stamped to the second, and two of one thing in one second are one
    row (the later replaces the earlier, as a re-save of one observation must): a crawl
    begun in the second its predecessor ended would overwrite a rank or a score that
    one saw. Back to back is the only case; the wait is under a second."""
    last = conn.execute("SELECT max(coalesce(finished_at, started_at)) FROM crawls"
                        ).fetchone()[0]  # fmt: skip
    while last == now_iso():  # a clock set back is not waited for
        time.sleep(1.0005 - time.time() % 1.0)


def crawl_args(db: sqlite_utils.Database | sqlite3.Connection,
               crawl_ids: Sequence[int]) -> list[dict[str, Any]]:
    """The arguments each of these crawls was started with."""
    return [json.loads(row[0]) for row in connection(db).execute(
        "SELECT args FROM crawls WHERE id IN (SELECT value FROM json_each(?)) ORDER BY id",
        (json.dumps(list(crawl_ids)),))]  # fmt: skip


def crawl_targets(db: sqlite_utils.Database | sqlite3.Connection, crawl_id: int) -> list[Target]:
    """Every target of a crawl, in the order they were queued."""
    return [Target(*row) for row in connection(db).execute(
        "SELECT site, kind, target FROM crawl_targets WHERE crawl_id = ? ORDER BY rowid",
        (crawl_id,))]  # fmt: skip


def queue_targets(conn: sqlite3.Connection, crawl_id: int, targets: Iterable[Target]) -> None:
    """Queue targets for a crawl (inside the caller's transaction); known ones stay as they are."""
    now = now_iso()
    conn.executemany(
        "INSERT INTO crawl_targets (crawl_id, site, kind, target, state, updated_at)"
        " VALUES (?, ?, ?, ?, 'queued', ?) ON CONFLICT DO NOTHING",
        [(crawl_id, t.site, t.kind, t.target, now) for t in targets],
    )


def mark_done(conn: sqlite3.Connection, crawl_id: int | None, target: Target) -> None:
    """Mark a target stored, inside the transaction that stores it."""
    if crawl_id is None:
        return
    conn.execute(
        "UPDATE crawl_targets SET state = 'done', detail = NULL, updated_at = ?"
        " WHERE crawl_id = ? AND site = ? AND kind = ? AND target = ?",
        (now_iso(), crawl_id, target.site, target.kind, target.target),
    )


def finish_crawl(
    db: sqlite_utils.Database | sqlite3.Connection,
    crawl_id: int,
    *,
    status: str,
    pages: int,
    threads: int,
    comments: int,
    errors: int,
    message: str | None = None,
    failures: Sequence[str] = (),
    unstored: Iterable[Target] = (),
) -> str:
    """Close a crawl with its outcome and counts; return the status it was closed with.

    A crawl that ran to its end ('finished' or 'failed') marks what it did not store
    'failed', with the failure message naming it if there is one; an interrupted
    crawl leaves them queued, for ``--resume``. So do the ``unstored`` targets: fetched
    and read, but the archive could not take them (a full disk, an I/O error), which
    says nothing about the site, so ``--resume`` takes them again. A 'finished' crawl
    that stored none of its targets is closed 'failed'.
    """
    if status not in CRAWL_STATUSES:
        raise ValueError(f"crawl status must be one of {CRAWL_STATUSES}, not {status!r}")
    keep = {(t.kind, t.target) for t in unstored}
    with transaction(db) as conn:
        cur = conn.execute(
            "UPDATE crawls SET finished_at = ?, errors = ?, message = ? WHERE id = ?",
            (now_iso(), errors, message, crawl_id),
        )
        if cur.rowcount != 1:
            raise ValueError(f"no crawl with id {crawl_id}")
        left = [] if status == "interrupted" else conn.execute(
            "SELECT kind, target FROM crawl_targets WHERE crawl_id = ? AND state = 'queued'",
            (crawl_id,),
        ).fetchall()
        for kind, target in left:
            detail = next((f for f in failures if _names(f, kind, target)), "not archived")
            conn.execute(
                "UPDATE crawl_targets SET state = ?, detail = ?, updated_at = ?"
                " WHERE crawl_id = ? AND kind = ? AND target = ?",
                ("queued" if (kind, target) in keep else "failed", detail, now_iso(),
                 crawl_id, kind, target),
            )  # fmt: skip
        if status == "finished" and left and not conn.execute(
            "SELECT 1 FROM crawl_targets WHERE crawl_id = ? AND state = 'done'", (crawl_id,)
        ).fetchone():
            status = "failed"
        conn.execute(
            "UPDATE crawls SET status = ?, pages = ?, threads = ?, comments = ? WHERE id = ?",
            (status, pages, threads, comments, crawl_id),
        )
    return status


def target_label(target: Target) -> str:
    """How failure messages name a target: "hn item 123", "hn news", "hn user pg"."""
    word = _WORDS[target.kind]
    return f"{target.site} {word} {target.target}" if word else f"{target.site} {target.target}"


def failed_targets(db: sqlite_utils.Database | sqlite3.Connection,
                   crawl_id: int) -> list[tuple[Target, str]]:
    """The targets a crawl marked failed, each with why (its failure, or "not archived")."""
    return [(Target(site, kind, target), detail or "not archived")
            for site, kind, target, detail in connection(db).execute(
                "SELECT site, kind, target, detail FROM crawl_targets"
                " WHERE crawl_id = ? AND state = 'failed' ORDER BY rowid", (crawl_id,))]


_WORDS = {"thread": "item", "listing": "", "user": "user"}


def _names(failure: str, kind: str, target: str) -> bool:
    # Failure messages start with the spider's label ("hn item 123: ...").
    label = failure.partition(": ")[0]
    word = _WORDS[kind]
    return label.endswith(f"{word} {target}".strip())


def recover_dead_crawls(conn: sqlite3.Connection) -> int:
    """Mark 'interrupted' the running crawls of this host whose process is gone.

    Only this host's: another machine's pids mean nothing here. A pid reused by an
    unrelated process keeps its crawl 'running' until that process ends; the cost is
    a crawl that waits longer to be resumed, never one resumed twice.
    """
    rows = conn.execute(
        "SELECT id, pid FROM crawls WHERE status = 'running' AND host = ? AND pid IS NOT NULL",
        (socket.gethostname(),),
    ).fetchall()
    dead = [crawl_id for crawl_id, pid in rows if not pid_alive(pid)]
    for crawl_id in dead:
        conn.execute(
            "UPDATE crawls SET status = 'interrupted', message = coalesce(message,"
            " 'the crawl process ended without closing the crawl') WHERE id = ?",
            (crawl_id,),
        )
    return len(dead)


def pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists; it is someone else's
    return True


def resumable(db: sqlite_utils.Database | sqlite3.Connection,
              site: str) -> tuple[list[int], list[Target]]:
    """The crawls of ``site`` that stopped early, and their targets still queued: what
    ``start_crawl(resume=site)`` would take over now.

    Runs :func:`recover_dead_crawls` first, so a crawl killed outright counts.
    """
    with transaction(db) as conn:
        recover_dead_crawls(conn)
        left = _left_queued(conn, site)
    crawl_ids = sorted({crawl for crawl, _ in left})
    return crawl_ids, list(dict.fromkeys(t for _, t in left))


def _left_queued(conn: sqlite3.Connection, site: str) -> list[tuple[int, Target]]:
    rows = conn.execute(
        "SELECT t.crawl_id, t.kind, t.target FROM crawl_targets t"
        " JOIN crawls c ON c.id = t.crawl_id"
        " WHERE t.state = 'queued' AND t.site = ? AND c.status != 'running'"
        " ORDER BY t.crawl_id, t.rowid",
        (site,),
    ).fetchall()
    return [(crawl, Target(site, kind, target)) for crawl, kind, target in rows]
