"""One thread per process that stops sandboxed statements from outside.

At a statement's deadline, or when Ctrl-C arrives, it runs the sandbox's callback,
which calls ``conn.interrupt()``: thread-safe, and possible while the statement steps
because Python's sqlite3 releases the GIL then. Python's own SIGINT handler would run
only once SQLite returned, so the C-level handler's wakeup pipe
(:func:`signal.set_wakeup_fd`) is what this thread listens on.

The thread lives as long as the process: starting and joining one per statement costs
milliseconds of scheduling on a loaded machine, more than many queries take.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

# The longest one wait may be: select() refuses a timeout past the platform's time_t
# (a --time-limit of 1e308 would end this thread, and every later limit with it), so a
# far deadline is waited for in steps.
_MAX_WAIT = 3600.0


@dataclass(slots=True)
class _Watched:
    deadline: float | None
    on_deadline: Callable[[], None]
    on_sigint: Callable[[], None]


class Watchdog:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._watched: dict[int, _Watched] = {}
        self._thread: threading.Thread | None = None
        self._wake_r, self._wake_w = _pipe()
        self.signal_r, self.signal_w = _pipe()

    def watch(
        self,
        key: object,
        deadline: float | None,
        on_deadline: Callable[[], None],
        on_sigint: Callable[[], None],
    ) -> None:
        with self._lock:
            self._watched[id(key)] = _Watched(deadline, on_deadline, on_sigint)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="watchdog", daemon=True)
                self._thread.start()
        self._wake()

    def unwatch(self, key: object) -> None:
        """After this returns, no callback of ``key`` runs (they run under the lock)."""
        with self._lock:
            self._watched.pop(id(key), None)

    def _wake(self) -> None:
        with contextlib.suppress(BlockingIOError):  # full of wake-ups already
            os.write(self._wake_w, b"w")

    def _run(self) -> None:
        while True:
            with self._lock:
                now = time.monotonic()
                for key, w in list(self._watched.items()):
                    if w.deadline is not None and w.deadline <= now:
                        del self._watched[key]
                        w.on_deadline()
                deadlines = [w.deadline for w in self._watched.values() if w.deadline is not None]
            timeout = (min(_MAX_WAIT, max(0.0, min(deadlines) - time.monotonic()))
                       if deadlines else None)
            ready, _, _ = select.select([self._wake_r, self.signal_r], [], [], timeout)
            if self._wake_r in ready:
                _drain(self._wake_r)
            # Any signal with a Python handler writes its number here; only SIGINT stops.
            if self.signal_r in ready and signal.SIGINT in _drain(self.signal_r):
                with self._lock:
                    for w in self._watched.values():
                        w.on_sigint()


def _drain(fd: int) -> bytes:
    try:
        return os.read(fd, 4096)
    except BlockingIOError:
        return b""


def _pipe() -> tuple[int, int]:
    r, w = os.pipe()
    os.set_blocking(r, False)
    os.set_blocking(w, False)
    return r, w


WATCHDOG = Watchdog()


def _after_fork() -> None:
    # A forked child has no watchdog thread: give it a watchdog of its own.
    global WATCHDOG
    WATCHDOG = Watchdog()


os.register_at_fork(after_in_child=_after_fork)
