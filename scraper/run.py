"""``linkthread run``: visit the watches that are due, each visit a real crawl.

Every crawl runs in a child process (``python -m scraper.cli crawl SITE TARGETS...``):
Scrapy's reactor starts once per process, and a runner goes on to crawl again. The
watches of one site claimed together are crawled together, at most ``batch`` at a
time, so a long list is recorded batch by batch and other runners can share it.

While a child crawls, the runner renews its claims. Afterwards each watch is judged
from the archive (``archive.visits``): stored again means ok, with a result such as
"+12 comments (340 archived)"; else the child's ``Error:`` line naming it is the
failure. The policy in ``archive.schedule`` then sets its next visit.

Stopping (SIGTERM, SIGINT, and SIGHUP unless it is ignored): no new claims; the running
crawl gets one SIGTERM, which Scrapy takes as a graceful stop (what it was fetching is
never stored as half a thread); the runner waits for it, records what was stored and
releases the rest unchanged, so they are due again at the next start. A second signal is
forwarded too: Scrapy then stops at once, still storing no half thread. The child runs
in its own process group, so a terminal's Ctrl-C reaches it only through the runner,
once.
"""

from __future__ import annotations

import logging
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Protocol

from archive import sites
from archive.db import open_db
from archive.errors import ArchiveError
from archive.schedule import (
    Watch,
    claim_due,
    finish,
    format_duration,
    iso,
    next_wakeup,
    release,
    renew,
    runner_id,
)
from archive.visits import mark, visit_result

if TYPE_CHECKING:
    import sqlite_utils

logger = logging.getLogger(__name__)

LEASE = 300  # seconds a claim lasts unless renewed: how long a vanished runner blocks
RENEW_EVERY = 60.0
BATCH = 20
MAX_SLEEP = 60.0  # the daemon looks at the list at least this often: new watches
POLL = 0.2

Clock = Callable[[], datetime]


class Display(Protocol):
    def crawl_started(self, what: str) -> None: ...
    def line(self, text: str) -> None: ...
    def waiting(self, text: str) -> None: ...


class PlainDisplay:
    """One line per crawl on stdout, for logs and pipes."""

    def crawl_started(self, what: str) -> None:
        pass

    def line(self, text: str) -> None:
        print(text, flush=True)

    def waiting(self, text: str) -> None:
        pass


@dataclass(frozen=True, slots=True, kw_only=True)
class Outcome:
    watch: Watch
    status: str  # ok, failed, or released: stopped before it was stored, left due
    result: str


@dataclass
class Stopper:
    """What SIGTERM/SIGINT set: stop claiming, and pass the signal to the running crawl."""

    requested: bool = False
    child: subprocess.Popen[bytes] | None = None
    signals: int = 0
    _forwarded: int = field(default=0, repr=False)

    def install(self) -> Callable[[], None]:
        old = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)}
        # A closed terminal (SIGHUP) stops cleanly too, unless SIGHUP is ignored: under
        # nohup the user asked the runner to outlive its terminal.
        if old[signal.SIGHUP] == signal.SIG_IGN:
            del old[signal.SIGHUP]
        for s in old:
            signal.signal(s, self._handle)

        def restore() -> None:
            for s, handler in old.items():
                signal.signal(s, handler)

        return restore

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        self.requested = True
        self.signals += 1
        self.forward()

    def forward(self) -> None:
        # One SIGTERM to the child per signal received, never more: a second one makes
        # Scrapy stop at once, which only a second signal from the user should do.
        child = self.child
        if child is not None and child.poll() is None and self._forwarded < self.signals:
            self._forwarded = self.signals
            child.send_signal(signal.SIGTERM)

    def sleep(self, seconds: float, tick: Callable[[], None] | None = None) -> None:
        end = time.monotonic() + seconds
        while not self.requested and time.monotonic() < end:
            time.sleep(min(POLL, max(0.0, end - time.monotonic())))
            if tick is not None:
                tick()


def _clock(now: datetime | None) -> Clock:
    return (lambda: now) if now is not None else (lambda: datetime.now(UTC))


def label(w: Watch) -> str:
    """How the spider names a target in its ``Error:`` lines."""
    if w.kind == "thread":
        return f"{w.site} item {w.target}"
    if w.kind == "user":
        return f"{w.site} user {w.target}"
    try:
        return f"{w.site} {sites.get(w.site).listing_path(w.target)}"
    except ValueError:
        # A watch stored before its grammar was checked (front?day=2026-13-01): its
        # crawl is refused with the reason, and the runner must live to record that.
        return f"{w.site} {w.target}"


def run_once(
    db_path: str, *, now: datetime | None = None, runner: str | None = None,
    batch: int = BATCH, lease: int = LEASE, stopper: Stopper | None = None,
    display: Display | None = None,
) -> list[Outcome]:  # fmt: skip
    """Visit every watch due at ``now`` (default: the clock) once, then return.

    ``now`` drives the schedule only (claims, due times); the crawls are real.
    """
    if not Path(db_path).is_file():
        raise ArchiveError(f"no archive at {db_path} (add watches with: linkthread watch add)")
    clock, display = _clock(now), display or PlainDisplay()
    db = open_db(db_path)
    try:
        outcomes = run_due(db, db_path, clock=clock, runner=runner or runner_id(), batch=batch,
                           lease=lease, stopper=stopper or Stopper(), display=display)
        if not outcomes:
            wake = next_wakeup(db.conn, clock())
            display.line(f"{iso(clock())} nothing due" +
                         (f"; next visit at {iso(wake)}" if wake else "; no active watches"))
    finally:
        db.close()
    return outcomes


def run_due(
    db: sqlite_utils.Database, db_path: str, *, clock: Clock, runner: str, batch: int,
    lease: int, stopper: Stopper, display: Display,
) -> list[Outcome]:  # fmt: skip
    """Claim and crawl batches until nothing is due (a watch is visited at most once
    per call) or a stop is requested. Claims left over are released, whatever happens."""
    conn = db.conn
    outcomes: list[Outcome] = []
    visited: set[int] = set()
    try:
        while not stopper.requested:
            claimed = claim_due(conn, clock(), runner, lease, limit=batch, skip=visited)
            if not claimed:
                break
            visited.update(w.id for w in claimed)
            for site in dict.fromkeys(w.site for w in claimed):
                if stopper.requested:
                    break
                group = [w for w in claimed if w.site == site]
                outcomes += _visit(conn, db_path, site, group, clock=clock, runner=runner,
                                   lease=lease, stopper=stopper, display=display)
    finally:
        release(conn, runner)
    return outcomes


def _visit(
    conn: sqlite3.Connection, db_path: str, site: str, group: list[Watch], *,
    clock: Clock, runner: str, lease: int, stopper: Stopper, display: Display,
) -> list[Outcome]:  # fmt: skip
    before = {w.id: mark(conn, w) for w in group}
    words = [word for w in group for word in w.words()]
    display.crawl_started(f"{site} {' '.join(words)}")
    started = time.monotonic()
    code, errors = _crawl(conn, db_path, site, words, clock=clock, runner=runner, lease=lease,
                          stopper=stopper)
    outcomes = []
    for w in group:
        stored, result, new = visit_result(conn, w, before[w.id])
        # Exit 0 means the crawl stored every target (a listing may have had no rows).
        if not (stored or code == 0):
            named = [e for e in errors if e.removeprefix("Error: ").startswith(label(w) + ":")]
            if not named and stopper.requested:
                release(conn, runner, [w.id])
                outcomes.append(Outcome(watch=w, status="released",
                                        result="stopped before it was stored"))
                continue
            result = " | ".join(named or errors) or f"the crawl exited with status {code}"
        status = "ok" if stored or code == 0 else "failed"
        if finish(conn, w.id, runner, clock(), status, result, new if status == "ok" else None) \
                is None:
            result += " (not recorded: the watch was removed or taken over meanwhile)"
        outcomes.append(Outcome(watch=w, status=status, result=result))
    took = format_duration(round(time.monotonic() - started))
    display.line(f"{iso(clock())} {site} " + "; ".join(
        f"{' '.join(o.watch.words())} {o.status}: {o.result}" for o in outcomes) + f" [{took}]")
    return outcomes


def _crawl(
    conn: sqlite3.Connection, db_path: str, site: str, words: list[str], *,
    clock: Clock, runner: str, lease: int, stopper: Stopper,
) -> tuple[int, list[str]]:  # fmt: skip
    """Run one crawl in a child process, renewing the claims while it runs; return its
    exit status and its ``Error:`` lines (or its last line, if it printed none)."""
    cmd = [sys.executable, "-m", "scraper.cli", "crawl", site, *words, "--db", db_path]
    with tempfile.TemporaryFile() as err:
        # Files, not pipes: a chatty crawl can never block on a full pipe.
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=err, process_group=0)
        stopper.child = proc
        try:
            stopper.forward()  # a signal that came while it was starting
            renewed = time.monotonic()
            while True:
                try:
                    code = proc.wait(timeout=POLL)
                    break
                except subprocess.TimeoutExpired:
                    pass
                if time.monotonic() - renewed >= RENEW_EVERY:
                    try:
                        renew(conn, runner, clock(), lease)
                        renewed = time.monotonic()
                    except sqlite3.OperationalError as e:
                        # The archive stayed locked past busy_timeout. The lease outlasts
                        # several renewals, so try again rather than kill a healthy crawl.
                        logger.warning("could not renew the claims (%s); trying again", e)
        except BaseException:
            proc.kill()
            proc.wait()
            raise
        finally:
            stopper.child = None
        err.seek(0)
        lines = [line.strip() for line in err.read().decode("utf-8", "replace").splitlines()]
    errors = [line for line in lines if line.startswith("Error: ")]
    if not errors and code != 0:
        last = next((line for line in reversed(lines) if line), "")
        errors = [f"the crawl exited with status {code}" + (f": {last}" if last else "")]
    return code, errors


def run_forever(
    db_path: str, *, batch: int = BATCH, lease: int = LEASE, display: Display | None = None
) -> None:
    """Visit due watches until SIGTERM or SIGINT, sleeping until the next one is due
    (never longer than MAX_SLEEP, so new watches are seen)."""
    if not Path(db_path).is_file():
        raise ArchiveError(f"no archive at {db_path} (add watches with: linkthread watch add)")
    display = display or PlainDisplay()
    clock, runner, stopper = _clock(None), runner_id(), Stopper()
    restore = stopper.install()
    db = open_db(db_path)
    try:
        display.line(f"{iso(clock())} running the watches of {db_path} as {runner}"
                     " (SIGTERM or Ctrl-C stops)")
        while not stopper.requested:
            try:
                run_due(db, db_path, clock=clock, runner=runner, batch=batch, lease=lease,
                        stopper=stopper, display=display)
                wake = next_wakeup(db.conn, clock())
            except (ArchiveError, sqlite3.OperationalError) as e:
                # A locked or busy archive passes; anything else is a bug: let it end us.
                display.line(f"{iso(clock())} error: {e}")
                wake = None
            if stopper.requested:
                break
            wait = MAX_SLEEP
            if wake is not None:
                wait = min(max((wake - clock()).total_seconds(), 1.0), MAX_SLEEP)
            display.waiting(f"next visit at {iso(wake)}" if wake else "no active watches")
            stopper.sleep(wait)
        display.line(f"{iso(clock())} stopped")
    finally:
        db.close()
        restore()
