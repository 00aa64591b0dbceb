"""The CLI run more cheaply than as a fresh console script, for tests that run it by the
hundred: ``in_process`` (click's CliRunner: commands that start no reactor) and
``forked`` (a child forked from a warm parent, tests/clifork.py: a Scrapy crawl).

Both answer a ``subprocess.CompletedProcess`` with what the console script would have
given: its exit status, its stdout, and on stderr its lines, log lines included, and
the traceback of an uncaught exception. ``run_linkthread`` (tests/conftest.py) stays
the real console script, for the tests that need the script itself.
"""

from __future__ import annotations

import atexit
import faulthandler
import gc
import json
import logging
import os
import select
import subprocess
import sys
import tempfile
import threading
import traceback
from pathlib import Path
from typing import IO, Any

from click.testing import CliRunner

from tests.conftest import ROOT, crawl_env

# The direct loop's log lines, as its own basicConfig would write them.
LOG_FORMAT = "%(asctime)s [%(name)s] %(levelname)s: %(message)s"


class _Stderr(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stderr`` is when a line is logged: CliRunner's."""

    @property  # type: ignore[override]
    def stream(self) -> IO[str]:
        return sys.stderr

    @stream.setter
    def stream(self, value: object) -> None:
        pass


def in_process(*args: str, env: dict[str, str] | None = None,
               timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """``linkthread ARGS`` run by click in this process, with the environment of
    ``run_linkthread``. A run past ``timeout`` ends the test process with every thread's
    stack (a hang is a failure, not a stuck suite)."""
    from scraper.cli import cli

    changes: dict[str, str | None] = {**crawl_env(env), "LINKTHREAD_DB": None}
    handler = _Stderr()
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    handler.setLevel(logging.WARNING)
    root = logging.getLogger()
    root.addHandler(handler)
    faulthandler.dump_traceback_later(timeout, exit=True)
    try:
        result = CliRunner().invoke(cli, list(args), env=changes, catch_exceptions=True,
                                    prog_name="linkthread")
    finally:
        faulthandler.cancel_dump_traceback_later()
        root.removeHandler(handler)
        gc.unfreeze()  # a crawl freezes what it built, for its process's lifetime
    stderr = result.stderr
    if result.exc_info is not None and not issubclass(result.exc_info[0], SystemExit):
        stderr += "Traceback (most recent call last):\n" + "".join(
            traceback.format_exception(*result.exc_info)[1:])
    return subprocess.CompletedProcess(["linkthread", *args], result.exit_code,
                                       result.stdout, stderr)


class Forker:
    """The warm parent (tests/clifork.py), started on first use, one per test process."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen([sys.executable, "-m", "tests.clifork"], cwd=ROOT,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     text=True, bufsize=1)
        assert self._answer(120) == {"ready": True}

    def _answer(self, timeout: float) -> dict[str, Any]:
        assert self.proc.stdout is not None
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        if not ready:
            raise TimeoutError
        line = self.proc.stdout.readline()
        if not line:
            raise AssertionError(f"the warm parent ended ({self.proc.wait()})")
        answer: dict[str, Any] = json.loads(line)
        return answer

    def run(self, args: tuple[str, ...], env: dict[str, str], cwd: Path,
            timeout: float) -> subprocess.CompletedProcess[str]:
        assert self.proc.stdin is not None
        with tempfile.TemporaryDirectory(prefix="clifork-") as tmp:
            out, err = Path(tmp, "out"), Path(tmp, "err")
            self.proc.stdin.write(json.dumps({"args": list(args), "env": env,
                                              "cwd": str(cwd), "out": str(out),
                                              "err": str(err)}) + "\n")
            self.proc.stdin.flush()
            pid = self._answer(60)["pid"]
            try:
                code = self._answer(timeout)["returncode"]
            except TimeoutError:
                os.kill(pid, 9)
                self._answer(60)
                raise subprocess.TimeoutExpired(["linkthread", *args], timeout,
                                                err.read_text()) from None
            return subprocess.CompletedProcess(["linkthread", *args], code,
                                               out.read_text(), err.read_text())

    def close(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        self.proc.wait(60)


_forker: Forker | None = None


_one_at_a_time = threading.Lock()


def forked(*args: str, env: dict[str, str] | None = None, base_url: str | None = None,
           cwd: Path | None = None, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """``linkthread ARGS`` in a child of the warm parent, with the environment of
    ``run_linkthread``. One at a time: crawls that must overlap need ``run_linkthread``."""
    global _forker
    if not _one_at_a_time.acquire(blocking=False):
        raise AssertionError("forked() runs one child at a time; use run_linkthread for "
                             "crawls that overlap")
    try:
        if _forker is None or _forker.proc.poll() is not None:
            _forker = Forker()
            atexit.register(_forker.close)
        full_env = {**os.environ, **crawl_env(env, base_url=base_url)}
        full_env.pop("LINKTHREAD_DB", None)
        return _forker.run(args, full_env, cwd or ROOT, timeout)
    finally:
        _one_at_a_time.release()
