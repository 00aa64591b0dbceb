"""The one sandbox for SQL and full-text queries a user typed: query, search, export --where.

Each path keeps its own SQL but runs it here, under the same bounds:

- the authorizer (:mod:`archive.guard`): reading only, no functions that reach outside;
- a time limit enforced from outside the statement: the watchdog thread
  (:mod:`archive.watchdog`) calls ``conn.interrupt()`` at the deadline, beside a
  progress handler that looks at the clock between VM steps;
- Ctrl-C stops the statement at once the same way, through the watchdog;
- value sizes capped to what an archive holds, which also bounds the one C call that
  no interrupt reaches (``instr`` of two long strings is quadratic in their length),
  and printf()'s repeated characters checked against that cap before it runs
  (:mod:`archive.printf_bound`);
- SQLite's heap bounded and temporary storage kept in that memory, so a sort of big
  values can neither fill memory nor write temporary files;
- the bytes a caller fetches are counted against a budget (:meth:`Sandbox.fetch`).
"""

from __future__ import annotations

import math
import signal
import sqlite3
import threading
import time
from collections.abc import Mapping
from types import FrameType, TracebackType
from typing import Any

from archive import watchdog
from archive.errors import ArchiveError, Interrupted
from archive.guard import Guard
from archive.printf_bound import BoundPrintf, needed, schema_calls

MAX_SQL_BYTES = 100_000
# The largest value SQL may build or read. Stored values are far smaller: a comment is
# a few KiB, a compressed HN page about a quarter of its size (the largest saved page,
# 386 KB, compresses to 98 KB), so this holds a page of a megabyte. The cap is also
# what bounds the one C call no interrupt reaches: instr() of a value and a needle
# half its size compares about (cap/2)^2 bytes, 0.3-0.5 s at 256 KiB on a loaded core
# (1.2-2 s at 512 KiB), and the statement stops only once that call returns.
MAX_VALUE_BYTES = 256 * 1024
# LIKE and GLOB patterns: matching is about len(value) * len(pattern) steps in one call,
# 0.2 s at the value cap with this (1 s with 1,000); real patterns are a word or two.
MAX_PATTERN_BYTES = 200
# SQLite's whole heap (process-wide; the pragma can only lower it, and nothing else
# linkthread does needs a tenth of it). Temporary tables and sorts live in it too.
HEAP_LIMIT_BYTES = 256 * 1024 * 1024
CACHE_KIB = 16 * 1024
DEFAULT_MAX_BYTES = 64 * 1024 * 1024  # of values fetched into Python, per result
# VM instructions between two looks at the clock by the progress handler.
_PROGRESS_STEPS = 2_000
_BATCH = 200  # rows a fetch asks SQLite for at once


def mib(n: int) -> str:
    return f"{n / (1024 * 1024):.3g} MiB" if n >= 1024 * 1024 else f"{n // 1024} KiB"


def check_text(text: str, what: str) -> None:
    """Refuse text Python cannot hand SQLite as UTF-8 (bytes from the shell that were not
    UTF-8 arrive as lone surrogates), in one line rather than a traceback."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as e:
        bad = text[e.start].encode("utf-8", "surrogateescape")
        raise ArchiveError(
            f"{what} is not valid UTF-8 (byte 0x{bad.hex()} at character {e.start + 1})"
        ) from None


def check_time_limit(value: float | None) -> float | None:
    if value is not None and not (math.isfinite(value) and value >= 0):
        raise ArchiveError(f"the time limit must be a finite number of seconds >= 0, not {value}")
    return value or None


class Sandbox:
    """Bounds on one connection while a user's statements run; a context manager.

    ``command`` names the command in messages ("query", "search", "export --where"),
    and ``option`` the flag that raises the time limit.
    """

    def __init__(
        self,
        conn: sqlite3.Connection,
        *,
        time_limit: float | None,
        command: str = "query",
        option: str = "--time-limit",
    ) -> None:
        self.conn = conn
        self.time_limit = check_time_limit(time_limit)
        self.command = command
        self.option = option
        self.timed_out = False
        self.interrupted = False
        self.guard = Guard("", command)
        self._deadline: float | None = None
        self._isolation: Any = None
        self._old_sigint: Any = None
        self._old_wakeup_fd: int | None = None
        self._printf: BoundPrintf | None = None
        self._schema_printf: list[str] = []

    def __enter__(self) -> Sandbox:
        conn = self.conn
        conn.setlimit(sqlite3.SQLITE_LIMIT_ATTACHED, 0)
        conn.setlimit(sqlite3.SQLITE_LIMIT_SQL_LENGTH, MAX_SQL_BYTES)
        conn.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, MAX_VALUE_BYTES)
        conn.setlimit(sqlite3.SQLITE_LIMIT_LIKE_PATTERN_LENGTH, MAX_PATTERN_BYTES)
        # Set before the authorizer, which refuses these pragmas to the user.
        conn.execute("PRAGMA temp_store = MEMORY")
        conn.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
        conn.execute(f"PRAGMA hard_heap_limit = {HEAP_LIMIT_BYTES}")
        self._schema_printf = schema_calls(conn)
        # No implicit BEGIN from Python: the authorizer refuses transactions, and a
        # refused BEGIN would hide what the statement itself tried to do.
        self._isolation = conn.isolation_level
        conn.isolation_level = None
        conn.set_authorizer(self._authorize)
        conn.set_progress_handler(self._progress, _PROGRESS_STEPS)
        self._watch_ctrl_c()
        if self.time_limit is not None:
            self._deadline = time.monotonic() + self.time_limit
        watchdog.WATCHDOG.watch(self, self._deadline, self._on_deadline, self._stop)
        return self

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _value: BaseException | None,
        _tb: TracebackType | None,
    ) -> None:
        watchdog.WATCHDOG.unwatch(self)
        self._unwatch_ctrl_c()
        self.conn.set_progress_handler(None, 0)
        self.conn.set_authorizer(None)
        if self._printf is not None:
            self._printf.remove()
            self._printf = None
        self.conn.isolation_level = self._isolation

    # Ctrl-C

    def _watch_ctrl_c(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return  # signals reach only the main thread; a worker has no Ctrl-C to catch
        self._old_sigint = signal.signal(signal.SIGINT, self._on_sigint)
        self._old_wakeup_fd = signal.set_wakeup_fd(
            watchdog.WATCHDOG.signal_w, warn_on_full_buffer=False
        )

    def _unwatch_ctrl_c(self) -> None:
        if self._old_wakeup_fd is None:
            return
        signal.set_wakeup_fd(self._old_wakeup_fd)
        signal.signal(signal.SIGINT, self._old_sigint)

    def _on_sigint(self, _signum: int, _frame: FrameType | None) -> None:
        # Runs between two Python bytecodes, e.g. while a caller writes fetched rows.
        self._stop()

    def _stop(self) -> None:
        self.interrupted = True
        self.conn.interrupt()

    def _on_deadline(self) -> None:
        self.timed_out = True
        self.conn.interrupt()

    def _progress(self) -> int:
        if self.interrupted or self.timed_out:
            return 1
        if self._deadline is not None and time.monotonic() > self._deadline:
            self.timed_out = True
            return 1  # non-zero makes SQLite interrupt the statement
        return 0

    def _authorize(
        self, action: int, a: str | None, b: str | None, db: str | None, src: str | None
    ) -> int:
        return self.guard.authorize(action, a, b, db, src)

    # Running statements

    def execute(self, sql: str, params: Mapping[str, Any] | None = None) -> sqlite3.Cursor:
        """Start ``sql`` under the guard. A refusal, the time limit or Ctrl-C is an
        :class:`ArchiveError`; other SQLite errors are raised as they are, for the
        caller to word (see :meth:`stopped`)."""
        size = len(sql.encode("utf-8", "surrogatepass"))
        if size > MAX_SQL_BYTES:
            raise ArchiveError(
                f"refused: the SQL is {size:,} bytes; linkthread {self.command} takes at most "
                f"{MAX_SQL_BYTES:,}"
            )
        check_text(sql, "the SQL")
        values = dict(params or {})
        for name, value in values.items():
            if isinstance(value, str):
                check_text(value, f"the parameter {name!r}")
        self.guard = Guard(sql, self.command)
        # A statement that starts past the deadline would run its first C call (an
        # FTS5 query of 20,000 words: 2.6 s) before any interrupt reaches it.
        if self._deadline is not None and time.monotonic() > self._deadline:
            self.timed_out = True
        if self.timed_out or self.interrupted:
            late = self.stopped(TimeoutError())
            assert late is not None  # timed out or interrupted: always a stop
            raise late
        if self._printf is None and needed(sql, self._schema_printf):
            self._printf = BoundPrintf(self.conn, MAX_VALUE_BYTES)
        try:
            return self.conn.execute(sql, values)
        # sqlite3.Warning: Python < 3.12 reports "only one statement at a time" with it.
        except (sqlite3.Error, sqlite3.Warning, MemoryError) as e:
            stop = self.stopped(e)
            if stop is None:
                raise
            raise stop from e

    def fetch(
        self,
        cur: sqlite3.Cursor,
        max_rows: int | None,
        max_bytes: int | None,
        hint: str = "raise it with --max-bytes, or 0 for none",
    ) -> tuple[list[tuple[Any, ...]], bool]:
        """Up to ``max_rows`` rows, and whether there were more. Past ``max_bytes`` of
        values, an :class:`ArchiveError` that names the budget."""
        rows: list[tuple[Any, ...]] = []
        used = 0
        # One row past the cap tells "exactly max_rows" from "more", without reading on.
        while True:
            want = _BATCH if max_rows is None else min(_BATCH, max_rows + 1 - len(rows))
            batch = self.fetchmany(cur, want)
            for row in batch:
                if max_rows is not None and len(rows) == max_rows:
                    return rows, True  # the row past the cap is only looked at
                used += sum(len(v) if isinstance(v, str | bytes) else 8 for v in row) + 16
                if max_bytes is not None and used > max_bytes:
                    raise ArchiveError(
                        f"{self.command} stopped: its result passed {mib(max_bytes)} after "
                        f"{len(rows):,} rows (the result limit; {hint})"
                    )
                rows.append(row)
            if len(batch) < want:
                return rows, False

    def fetchmany(self, cur: sqlite3.Cursor, n: int) -> list[Any]:
        try:
            rows = cur.fetchmany(n)
        except (sqlite3.Error, MemoryError) as e:
            stop = self.stopped(e)
            if stop is None:
                raise
            raise stop from e
        if self.interrupted:  # Ctrl-C while the caller was busy with the last rows
            raise Interrupted(f"{self.command} interrupted")
        return rows

    def stopped(self, e: BaseException) -> ArchiveError | None:
        """The one-line error for what the sandbox stopped or refused, or None for a
        plain SQLite error (syntax, no such column) that the caller words itself."""
        if self.interrupted:
            return Interrupted(f"{self.command} interrupted")
        if self.timed_out:
            return ArchiveError(
                f"{self.command} stopped after {float(self.time_limit or 0)} s "
                f"(time limit; raise it with {self.option})"
            )
        if self.guard.refusal:
            return ArchiveError(self.guard.refusal)
        if isinstance(e, MemoryError):
            return ArchiveError(
                f"{self.command} stopped: it needed more than {mib(HEAP_LIMIT_BYTES)} of memory "
                "(SQLite's heap limit)"
            )
        text = str(e)
        if text == "string or blob too big":
            return ArchiveError(
                f"{self.command} stopped: a value is or grew past {mib(MAX_VALUE_BYTES)}, the "
                "largest linkthread reads or builds (string or blob too big)"
            )
        if text.startswith("LIKE or GLOB pattern too complex"):
            return ArchiveError(
                f"{self.command} stopped: a LIKE or GLOB pattern is longer than "
                f"{MAX_PATTERN_BYTES:,} bytes"
            )
        return None
