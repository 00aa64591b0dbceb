"""The stop of a crawl that runs in one thread, without an event loop.

Reddit's and Lobsters' crawls of threads send one request at a time (Reddit forbids
concurrent morechildren calls and allows 100 requests a minute), so they run in the
process's main thread, the GET and the pace in it too: no event loop, no hand-off to a
worker thread and back for every answer (bench/reddit_api.py).

The first SIGINT or SIGTERM runs :meth:`Stop._signalled` in that thread, between two
bytecodes of whatever it was doing: it sets a flag, makes the next signal end the
process at once (the signal's own default action), and calls the crawl's aborts
(``Http.abort``: the socket of a request in flight is shut, so its read fails at
once). It logs nothing and takes no lock: either could wait for what the interrupted
code holds. A wait (the pace, a back-off) selects on the signals' wakeup fd, which
the interpreter writes as the signal arrives, so it ends at once too; the next request
or wait raises :class:`Stopped`. A thread being stored is not interrupted: the store
runs to its end, and the crawl stops after it.
"""

from __future__ import annotations

import contextlib
import select
import signal
import socket
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

SIGNALS = (signal.SIGINT, signal.SIGTERM)
T = TypeVar("T")


class Stopped(BaseException):
    """The crawl was stopped: what was being read is dropped. A BaseException, as
    asyncio's CancelledError is, so that no ``except Exception`` of a reading takes it
    for a failure of its target."""


class Stop:
    """The first SIGINT or SIGTERM sets ``requested``; the next one ends the process."""

    def __init__(self) -> None:
        self.requested = False
        self.signal_name: str | None = None
        self._aborts: list[Callable[[], None]] = []
        self._previous: dict[int, Any] = {}
        self._wakeup = -1
        self._r: socket.socket | None = None
        self._w: socket.socket | None = None

    def on_stop(self, abort: Callable[[], None]) -> None:
        """``abort`` is called by the signal's handler: it must neither block nor log."""
        self._aborts.append(abort)

    def install(self) -> None:
        self._r, self._w = socket.socketpair()
        self._r.setblocking(False)
        self._w.setblocking(False)
        self._wakeup = signal.set_wakeup_fd(self._w.fileno(), warn_on_full_buffer=False)
        for s in SIGNALS:
            self._previous[s] = signal.signal(s, self._signalled)

    def remove(self) -> None:
        """The handlers there were before (unless a signal came: the next one still
        ends the process), and the wakeup fd."""
        if not self.requested:
            for s, handler in self._previous.items():
                signal.signal(s, handler)
        self._previous = {}
        if self._r is not None and self._w is not None:
            signal.set_wakeup_fd(self._wakeup)
            self._r.close()
            self._w.close()
            self._r = self._w = None

    def _signalled(self, signum: int, frame: object) -> None:
        if self.requested:
            return
        self.requested = True
        self.signal_name = signal.Signals(signum).name
        for s in SIGNALS:
            signal.signal(s, signal.SIG_DFL)  # the next one ends the process at once
        for abort in self._aborts:
            abort()

    def check(self) -> None:
        if self.requested:
            raise Stopped

    def wait(self, seconds: float) -> None:
        """Sleep ``seconds`` (none if not positive); Stopped at once on a stop."""
        self.check()
        if seconds <= 0:
            return
        end = time.monotonic() + seconds
        while (left := end - time.monotonic()) > 0:
            self._select(left)
            self.check()

    def call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """``fn(*args, **kwargs)`` in a thread of its own, waited for here: for a
        blocking call whose socket cannot be shut from here (a library's client; the
        token's POST went through urllib so). Stopped at once on a stop; the thread is
        left to end by its timeout."""
        self.check()
        if self._r is None:
            return fn(*args, **kwargs)  # not installed: nothing could stop it anyway
        done: list[tuple[bool, Any]] = []

        def work() -> None:
            try:
                done.append((True, fn(*args, **kwargs)))
            except BaseException as e:  # handed to the caller, whatever it is
                done.append((False, e))
            finally:
                if self._w is not None:
                    with contextlib.suppress(OSError):  # full: a wake is pending anyway
                        self._w.send(b"\0")

        threading.Thread(target=work, name="stop-call", daemon=True).start()
        while not done:
            self._select(None)
            self.check()
        ok, value = done[0]
        if not ok:
            raise value
        return value

    def _select(self, timeout: float | None) -> None:
        if self._r is None:
            # Not installed (a crawl driven from a test): a plain wait, never stopped.
            time.sleep(timeout or 0.0)
            return
        ready, _, _ = select.select([self._r], [], [], timeout)
        if ready:
            with contextlib.suppress(BlockingIOError):
                while self._r.recv(512):
                    pass
