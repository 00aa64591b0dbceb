from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.server import SiteServer, serve

ROOT = Path(__file__).resolve().parent.parent
LINKTHREAD = Path(sys.executable).with_name("linkthread")
# HN crawls read the page alone unless a test asks for --via api or both: the tests
# written before the API serve only pages, and no test may reach the real API.
os.environ.setdefault("LINKTHREAD_HN_VIA", "html")


@pytest.fixture
def site() -> Iterator[SiteServer]:
    with serve(SiteServer()) as s:
        yield s


def crawl_env(env: dict[str, str] | None = None, *,
              base_url: str | None = None) -> dict[str, str]:
    """What a test's crawl sets over the environment: no delays, short back-offs."""
    changes = {"LINKTHREAD_DOWNLOAD_DELAY": "0",
               "LINKTHREAD_BACKOFF_BASE": "0.05", "LINKTHREAD_BACKOFF_MAX": "0.2",
               # A site's published minimum delay holds when robots.txt is not read;
               # the local stand-ins have none.
               "LINKTHREAD_MIN_DELAY": "0"}
    if base_url:
        changes["LINKTHREAD_HN_BASE_URL"] = base_url
    changes.update(env or {})
    return changes


def run_linkthread(
    *args: str, base_url: str | None = None, env: dict[str, str] | None = None,
    cwd: Path | None = None, timeout: float = 300,
) -> subprocess.CompletedProcess[str]:
    """The real console script in a child process (Scrapy's reactor runs once a process)."""
    full_env = {**os.environ, **crawl_env(env, base_url=base_url)}
    full_env.pop("LINKTHREAD_DB", None)
    cmd = [str(LINKTHREAD)] if LINKTHREAD.exists() else [sys.executable, "-m", "scraper.cli"]
    return subprocess.run([*cmd, *args], capture_output=True, text=True, env=full_env,
                          cwd=cwd or ROOT, timeout=timeout, check=False)


def rows(db: Path, sql: str, *params: object) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql, params).fetchall()


def wait_until(done: Callable[[], bool], what: str,
               proc: subprocess.Popen[str] | None = None, timeout: float = 120) -> None:
    """Wait for a state the server cannot report (a row in the archive) by looking again
    and again; fail naming it after ``timeout``, or at once if ``proc`` has ended."""
    deadline = time.monotonic() + timeout
    while not done():
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"the process ended ({proc.returncode}) before {what}")
        if time.monotonic() > deadline:
            raise AssertionError(f"no {what} within {timeout} s")
        time.sleep(0.02)  # looking again, not waiting for time to pass


def read_until(proc: subprocess.Popen[str], text: str) -> list[str]:
    """Read the process's stderr line by line up to the one that holds ``text``; the lines
    read, that one included. Fails naming them if the process ends before saying it."""
    assert proc.stderr is not None
    lines: list[str] = []
    for line in proc.stderr:
        lines.append(line)
        if text in line:
            return lines
    raise AssertionError(f"the process ended ({proc.wait()}) without saying {text!r}: "
                         f"{''.join(lines[-20:])}")
