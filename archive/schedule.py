"""The watch list and its revisit policy: what ``linkthread run`` visits, and when.

A watch is one target of one site: a thread, a listing or a user's profile, unique
by (site, kind, target). Nothing here reads the clock: every function that needs
the time takes ``now`` (an aware UTC datetime), so tests drive the policy with a
clock of their own. Times are stored as UTC ISO text, like every time in the archive.

Revisit policy (:func:`next_visit`), applied after each visit at time ``now``:

* With ``--every E``: the next visit is at ``now + E``, whatever the visit found,
  a failed one included. Listings and users always have a fixed interval: ``--every``,
  or else 1 hour for a listing and 1 day for a user.
* A thread without ``--every`` is adaptive. Its interval starts at 10 minutes. A
  visit that stored new comments sets it back to 10 minutes; a visit that found none
  (a quiet visit) doubles it, up to 12 hours; a failed visit doubles it too (the site
  may be down or throttling us) without counting as quiet. The next visit is at
  ``now + interval``: a thread that goes quiet is visited after 10m, 20m, 40m, 1h20m,
  2h40m, 5h20m, 10h40m, then every 12h.
* End: ``until`` is ``added_at + --for``; a thread's default is 3 days, a listing or a
  user has no end unless ``--for`` is given. A watch is finished once its next visit
  would fall at or after ``until``: ``next_due_at`` is set to ``until`` and the watch is
  never due again. Adding it again restarts it (and a new ``--for`` counts from then).
* Due: ``next_due_at <= now``, not finished, ``now`` before ``until``, and not claimed
  by a live runner. A new watch is due at once.

Runners claim due watches (:func:`claim_due`) with a lease in ``claimed_by`` /
``claimed_until``, in one BEGIN IMMEDIATE transaction, so two runners never take the
same watch. A claim may be taken over when its lease has run out, or when its holder
(a runner id ``host:pid:token``) ran on this host and that process is gone.
"""

from __future__ import annotations

import json
import os
import re
import socket
import sqlite3
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from archive import sites
from archive.crawls import pid_alive
from archive.db import transaction
from archive.errors import ArchiveError
from archive.rows import iso_utc

KINDS = ("thread", "listing", "user")
FIRST_INTERVAL = 10 * 60  # an adaptive thread's interval after a visit with new comments
MAX_INTERVAL = 12 * 3600  # the ceiling a quiet thread's interval doubles up to
THREAD_LIFETIME = 3 * 86400  # a thread's default --for
DEFAULT_EVERY = {"listing": 3600, "user": 86400}
# HN asks for 30 s between requests (Lobsters' limits allow one per 9 s); revisiting one
# target more often than a minute would be impolite and could not even finish a long
# thread in time.
MIN_EVERY = 60
MAX_DURATION = 10 * 365 * 86400

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_PART = re.compile(r"([0-9]+)([smhdw])")  # ASCII digits: int() also reads "١٣"


# -- targets -----------------------------------------------------------------------


def parse_targets(site: str, words: Sequence[str], *,
                  base_url: str | None = None) -> list[tuple[str, str]]:
    """(kind, target) pairs a watch stores, read from words as ``crawl`` reads them (the
    site's grammar in ``archive.sites``). A comment URL that does not name its story
    (Lobsters ``/c/ID``) is refused: a watch is of the story, and only a crawl can ask
    the site which story that is."""
    out = []
    for t in sites.parse_targets(site, words, base_url=base_url):
        if t.kind not in KINDS:
            raise ArchiveError(f"{t.target!r} names a {t.kind}, not its story: watch the "
                               f"story (its id or URL) instead")
        out.append((t.kind, t.target))
    return out


# -- durations ---------------------------------------------------------------------


def parse_duration(text: str) -> int:
    """Seconds in ``90s``, ``15m``, ``2h``, ``3d``, ``1w`` or a sum like ``1h30m``."""
    value = text.strip().lower()
    parts = _PART.findall(value)
    if not value or "".join(n + u for n, u in parts) != value:
        raise ArchiveError(
            f"{text!r} is not a duration: give a number and a unit (s, m, h, d, w), "
            "e.g. 90s, 15m, 2h, 3d"
        )
    seconds = sum(int(n) * _UNITS[u] for n, u in parts)
    if seconds <= 0:
        raise ArchiveError(f"{text!r} is not a duration: it must be longer than 0")
    if seconds > MAX_DURATION:
        raise ArchiveError(f"{text!r} is too long a duration (at most 10 years)")
    return seconds


def format_duration(seconds: int) -> str:
    """The inverse of :func:`parse_duration`: 5400 -> ``1h30m``."""
    out = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        n, seconds = divmod(seconds, size)
        if n:
            out.append(f"{n}{unit}")
    return "".join(out) or "0s"


# -- the policy --------------------------------------------------------------------


def iso(value: datetime) -> str:
    return iso_utc(value) or ""


def parse_time(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


@dataclass(frozen=True, slots=True, kw_only=True)
class NextVisit:
    interval: int
    quiet_runs: int
    next_due_at: datetime
    finished: bool


def next_visit(
    *, every: int | None, interval: int, quiet_runs: int, until: datetime | None,
    now: datetime, ok: bool, new_comments: int | None,
) -> NextVisit:  # fmt: skip
    """The policy of the module docstring, as a pure function of one visit's outcome.

    ``new_comments`` is None for visits that cannot tell (listings, users).
    """
    if ok and new_comments is not None:
        quiet_runs = 0 if new_comments > 0 else quiet_runs + 1
    if every is not None:
        interval = every
    elif ok and new_comments:
        interval = FIRST_INTERVAL
    else:
        interval = min(interval * 2, MAX_INTERVAL)
    due = now + timedelta(seconds=interval)
    if until is not None and due >= until:
        return NextVisit(interval=interval, quiet_runs=quiet_runs, next_due_at=until,
                         finished=True)
    return NextVisit(interval=interval, quiet_runs=quiet_runs, next_due_at=due, finished=False)


# -- the watch list ----------------------------------------------------------------

COLUMNS = ("id", "site", "kind", "target", "every", "interval", "until", "added_at",
           "next_due_at", "last_run_at", "last_status", "last_result", "runs", "quiet_runs",
           "claimed_by", "claimed_until")  # fmt: skip
_SELECT = f"SELECT {', '.join(COLUMNS)} FROM watches"


@dataclass(frozen=True, slots=True, kw_only=True)
class Watch:
    """One row of ``watches``; times are UTC ISO text, as stored."""

    id: int
    site: str
    kind: str
    target: str
    every: int | None  # None: adaptive (threads only)
    interval: int
    until: str | None
    added_at: str
    next_due_at: str
    last_run_at: str | None = None
    last_status: str | None = None
    last_result: str | None = None
    runs: int = 0
    quiet_runs: int = 0
    claimed_by: str | None = None
    claimed_until: str | None = None

    @property
    def finished(self) -> bool:
        return self.until is not None and self.next_due_at >= self.until

    def state(self, now: datetime) -> str:
        """``finished``, ``running`` (claimed, lease live), ``due`` or ``waiting``."""
        t = iso(now)
        if self.finished or (self.until is not None and t >= self.until):
            return "finished"
        if self.claimed_by is not None and (self.claimed_until or "") > t:
            return "running"
        return "due" if self.next_due_at <= t else "waiting"

    def words(self) -> list[str]:
        """The target as ``crawl`` takes it on its command line."""
        return ["user", self.target] if self.kind == "user" else [self.target]

    def as_dict(self) -> dict[str, Any]:
        return {c: getattr(self, c) for c in COLUMNS}


def _watches(conn: sqlite3.Connection, where: str = "",
             params: Sequence[Any] | Mapping[str, Any] = ()) -> list[Watch]:  # fmt: skip
    rows = conn.execute(f"{_SELECT} {where}", params).fetchall()
    return [Watch(**dict(zip(COLUMNS, row, strict=True))) for row in rows]


def add_watch(
    conn: sqlite3.Connection, now: datetime, *, site: str, kind: str, target: str,
    every: int | None = None, duration: int | None = None,
) -> Watch:  # fmt: skip
    """Watch a target from ``now`` on; due at once. Adding a watched target again
    replaces its settings and restarts its schedule (its run counts stay)."""
    if kind not in KINDS:
        raise ArchiveError(f"kind must be one of {', '.join(KINDS)}, not {kind!r}")
    if every is not None and every < MIN_EVERY:
        raise ArchiveError(f"--every {format_duration(every)} is too often: at least "
                           f"{format_duration(MIN_EVERY)}, to be polite to the site")
    if every is None:
        every = DEFAULT_EVERY.get(kind)
    if duration is None and kind == "thread":
        duration = THREAD_LIFETIME
    until = iso(now + timedelta(seconds=duration)) if duration else None
    with transaction(conn):
        conn.execute(
            "INSERT INTO watches (site, kind, target, every, interval, until, added_at,"
            " next_due_at) VALUES (:site, :kind, :target, :every, :interval, :until, :now, :now)"
            " ON CONFLICT (site, kind, target) DO UPDATE SET every = excluded.every,"
            " interval = excluded.interval, until = excluded.until,"
            " added_at = excluded.added_at, next_due_at = excluded.next_due_at, quiet_runs = 0",
            {"site": site, "kind": kind, "target": target, "every": every,
             "interval": every or FIRST_INTERVAL, "until": until, "now": iso(now)},
        )  # fmt: skip
        return _watches(conn, "WHERE site = ? AND kind = ? AND target = ?",
                        (site, kind, target))[0]  # fmt: skip


def list_watches(conn: sqlite3.Connection, site: str | None = None) -> list[Watch]:
    """Every watch (of ``site``), soonest due first."""
    if site is None:
        return _watches(conn, "ORDER BY next_due_at, id")
    return _watches(conn, "WHERE site = ? ORDER BY next_due_at, id", (site,))


def remove_watches(conn: sqlite3.Connection, site: str,
                   targets: Sequence[tuple[str, str]]) -> None:  # fmt: skip
    """Remove the watches of ``targets`` (kind, target): all of them, or, if one is not
    watched, none. A runner visiting one meanwhile finds it gone and records nothing."""
    with transaction(conn):
        for kind, target in targets:
            cur = conn.execute(
                "DELETE FROM watches WHERE site = ? AND kind = ? AND target = ?",
                (site, kind, target),
            )
            if cur.rowcount == 0:
                shown = f"user {target}" if kind == "user" else target
                raise ArchiveError(f"{site} {shown} is not watched (see: linkthread watch list)")


# -- runners and their claims ------------------------------------------------------


def runner_id() -> str:
    """``host:pid:token``: who holds a claim, and whether that process still lives."""
    import secrets  # here: it imports hmac and hashlib, for every command otherwise

    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


def holder_gone(runner: str) -> bool:
    """True if ``runner`` ran on this host and its process has ended. Another host's
    pids mean nothing here: its claims are left to their lease."""
    host, _, rest = runner.partition(":")
    pid = rest.partition(":")[0]
    return host == socket.gethostname() and pid.isdigit() and not pid_alive(int(pid))


def _claimable(w: Watch, now: str, runner: str) -> bool:
    if w.claimed_by is None:
        return True
    if w.claimed_by == runner:
        return False  # ours already: being visited now
    if w.claimed_until is None or w.claimed_until <= now:
        return True
    return holder_gone(w.claimed_by)


def claim_due(
    conn: sqlite3.Connection, now: datetime, runner: str, lease: int, *,
    limit: int | None = None, skip: Collection[int] = (),
) -> list[Watch]:  # fmt: skip
    """Claim the watches due at ``now`` (at most ``limit``, none of ``skip``) for
    ``runner`` until ``now + lease``, and return them, soonest due first.

    One write transaction: a second runner waits for it, then sees the claims.
    """
    t = iso(now)
    claimed_until = iso(now + timedelta(seconds=lease))
    with transaction(conn):
        due = _watches(conn, "WHERE next_due_at <= :now AND (until IS NULL OR"
                             " (next_due_at < until AND :now < until)) ORDER BY next_due_at, id",
                       {"now": t})  # fmt: skip
        take = [w for w in due if w.id not in skip and _claimable(w, t, runner)][:limit]
        conn.executemany(
            "UPDATE watches SET claimed_by = ?, claimed_until = ? WHERE id = ?",
            [(runner, claimed_until, w.id) for w in take],
        )
    return [Watch(**{**w.as_dict(), "claimed_by": runner, "claimed_until": claimed_until})
            for w in take]  # fmt: skip


def renew(conn: sqlite3.Connection, runner: str, now: datetime, lease: int) -> int:
    """Extend every claim ``runner`` holds to ``now + lease``; return how many."""
    with transaction(conn):
        return conn.execute(
            "UPDATE watches SET claimed_until = ? WHERE claimed_by = ?",
            (iso(now + timedelta(seconds=lease)), runner),
        ).rowcount


def release(conn: sqlite3.Connection, runner: str, ids: Collection[int] | None = None) -> int:
    """Drop ``runner``'s claims (on ``ids`` only, if given) without recording a visit:
    the watches stay due as they were."""
    only = "" if ids is None else " AND id IN (SELECT value FROM json_each(:ids))"
    with transaction(conn):
        return conn.execute(
            "UPDATE watches SET claimed_by = NULL, claimed_until = NULL"
            f" WHERE claimed_by = :r{only}",
            {"r": runner, "ids": json.dumps(sorted(ids or ()))},
        ).rowcount


def finish(
    conn: sqlite3.Connection, watch_id: int, runner: str, now: datetime, status: str,
    result: str, new_comments: int | None = None,
) -> Watch | None:  # fmt: skip
    """Record a visit (``status`` ok or failed, a one-line ``result``), schedule the next
    one by the policy and drop the claim. None if ``runner`` no longer holds the watch
    (removed, or taken over after its lease ran out): the holder records instead."""
    if status not in ("ok", "failed"):
        raise ValueError(f"status must be 'ok' or 'failed', not {status!r}")
    with transaction(conn):
        found = _watches(conn, "WHERE id = ? AND claimed_by = ?", (watch_id, runner))
        if not found:
            return None
        w = found[0]
        nxt = next_visit(
            every=w.every, interval=w.interval, quiet_runs=w.quiet_runs,
            until=parse_time(w.until) if w.until else None, now=now, ok=status == "ok",
            new_comments=new_comments,
        )  # fmt: skip
        conn.execute(
            "UPDATE watches SET last_run_at = ?, last_status = ?, last_result = ?,"
            " runs = runs + 1, interval = ?, quiet_runs = ?, next_due_at = ?,"
            " claimed_by = NULL, claimed_until = NULL WHERE id = ?",
            (iso(now), status, " ".join(result.split())[:500], nxt.interval, nxt.quiet_runs,
             iso(nxt.next_due_at), watch_id),
        )  # fmt: skip
        return _watches(conn, "WHERE id = ?", (watch_id,))[0]


def next_wakeup(conn: sqlite3.Connection, now: datetime) -> datetime | None:
    """The earliest time a watch may become claimable: its due time, or the end of a
    live claim on it. None when every watch is finished (or there are none)."""
    t = iso(now)
    active = _watches(conn, "WHERE until IS NULL OR (next_due_at < until AND ? < until)", (t,))
    times = [max(w.next_due_at, w.claimed_until or "") for w in active]
    return parse_time(min(times)) if times else None

