from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.server import SiteServer, serve

ROOT = Path(__file__).resolve().parent.parent
LINKTHREAD = Path(sys.executable).with_name("linkthread")


@pytest.fixture
def site() -> Iterator[SiteServer]:
    with serve(SiteServer()) as s:
        yield s


def run_linkthread(
    *args: str, base_url: str | None = None, env: dict[str, str] | None = None,
    cwd: Path | None = None, timeout: float = 300,
) -> subprocess.CompletedProcess[str]:
    """The real console script in a child process (Scrapy's reactor runs once a process)."""
    full_env = {**os.environ, "LINKTHREAD_DOWNLOAD_DELAY": "0",
                "LINKTHREAD_BACKOFF_BASE": "0.05", "LINKTHREAD_BACKOFF_MAX": "0.2",
                # A site's published minimum delay holds when robots.txt is not read;
                # the local stand-ins have none.
                "LINKTHREAD_MIN_DELAY": "0"}
    full_env.pop("LINKTHREAD_DB", None)
    if base_url:
        full_env["LINKTHREAD_HN_BASE_URL"] = base_url
    full_env.update(env or {})
    cmd = [str(LINKTHREAD)] if LINKTHREAD.exists() else [sys.executable, "-m", "scraper.cli"]
    return subprocess.run([*cmd, *args], capture_output=True, text=True, env=full_env,
                          cwd=cwd or ROOT, timeout=timeout, check=False)


def rows(db: Path, sql: str, *params: object) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql, params).fetchall()
