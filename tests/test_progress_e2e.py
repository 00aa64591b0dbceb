"""End to end: at a terminal `linkthread crawl` shows a live line (targets, comments,
errors, what it fetches, the politeness wait it is in); off a terminal, nothing more."""

from __future__ import annotations

import os
import pty
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests import hnpages
from tests.conftest import LINKTHREAD, ROOT, rows, run_linkthread
from tests.server import Reply, SiteServer

pytestmark = pytest.mark.e2e

WAIT = 120.0


def serve(site: SiteServer, *ids: str) -> dict[str, int]:
    sizes = {}
    for n, story_id in enumerate(ids, start=4):
        site.routes.update(hnpages.site_pages(hnpages.random_thread(n, seed=n,
                                                                    story_id=story_id)))
        sizes[story_id] = n
    return sizes


class Terminal:
    """`linkthread crawl` with its stderr on a pseudo-terminal, as at a shell."""

    def __init__(self, site: SiteServer, db: Path, *args: str) -> None:
        self.leader, follower = pty.openpty()
        env = {**os.environ, "LINKTHREAD_DOWNLOAD_DELAY": "0", "COLUMNS": "200",
               "TERM": "xterm-256color", "LINKTHREAD_HN_BASE_URL": site.base_url}
        env.pop("LINKTHREAD_DB", None)
        cmd = [str(LINKTHREAD)] if LINKTHREAD.exists() else [sys.executable, "-m",
                                                               "scraper.cli"]
        self.proc = subprocess.Popen([*cmd, "crawl", "hn", *args, "--db", str(db)],
                                     env=env, cwd=ROOT, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=follower, text=True)
        os.close(follower)
        self.shown = ""

    def read_until(self, *texts: str) -> str:
        """What the terminal showed once it showed every one of ``texts``."""
        deadline = time.monotonic() + WAIT
        while not all(t in self.shown for t in texts):
            left = deadline - time.monotonic()
            if left <= 0 or not self._read(left):
                self.proc.kill()
                pytest.fail(f"the terminal never showed {texts}; it showed {self.shown[-3000:]!r}")
        return self.shown

    def _read(self, timeout: float) -> bool:
        ready, _, _ = select.select([self.leader], [], [], timeout)
        if not ready:
            return False
        try:
            chunk = os.read(self.leader, 65536)
        except OSError:  # the far side closed: the crawl ended
            return False
        self.shown += chunk.decode("utf-8", "replace")
        return bool(chunk)

    def finish(self) -> tuple[int, str]:
        """The exit status and stdout, reading the terminal to its end."""
        while self._read(WAIT):
            pass
        os.close(self.leader)
        assert self.proc.stdout is not None
        out = self.proc.stdout.read()
        try:
            return self.proc.wait(timeout=WAIT), out
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise


def test_a_terminal_shows_the_crawl_delay_it_waits_for(site: SiteServer,
                                                       tmp_path: Path) -> None:
    site.robots = "User-agent: *\nCrawl-delay: 30\n"
    serve(site, "1000", "2000")
    db = tmp_path / "hn.db"
    term = Terminal(site, db, "1000", "2000")

    # robots.txt was read; the first item waits its turn, and the line says why.
    shown = term.read_until("Crawl-delay 30 s of 127.0.0.1")
    line = shown.rsplit("0/2 targets", 1)[-1]
    assert "waiting " in line and " s: Crawl-delay 30 s of 127.0.0.1" in line, shown[-2000:]
    assert "0 comments · 0 errors · next hn item 1000" in line
    term.proc.send_signal(signal.SIGINT)
    code, out = term.finish()

    assert code == 130, term.shown[-3000:]
    assert "interrupted: 0 of 2 targets done; finish with: linkthread crawl hn --resume" in (
        term.shown)
    assert out == f"archived 0 of 2 thread(s), 0 comments, into {db}\n"
    assert [t for _, t in site.log] == ["/robots.txt"]


def test_a_terminal_shows_a_back_off_and_the_counts_so_far(site: SiteServer,
                                                          tmp_path: Path) -> None:
    sizes = serve(site, "1000", "2000")
    site.routes["/item?id=2000"] = [Reply("busy", status=429, headers={"Retry-After": "600"}),
                                    Reply(str(site.routes["/item?id=2000"]))]
    db = tmp_path / "hn.db"
    term = Terminal(site, db, "1000", "2000")

    host = site.base_url.removeprefix("http://")
    shown = term.read_until(f"1/2 targets · {sizes['1000']} comments · 0 errors",
                            f"back-off of {host} after HTTP 429 (strike 1)")
    assert any(f"waiting {s} s: back-off of {host}" in shown for s in (600, 599)), shown
    term.proc.send_signal(signal.SIGINT)
    code, _ = term.finish()

    assert code == 130, term.shown[-3000:]
    assert rows(db, "SELECT status, threads FROM crawls") == [("interrupted", 1)]


def test_off_a_terminal_a_crawl_prints_nothing_more(site: SiteServer, tmp_path: Path) -> None:
    sizes = serve(site, "1000", "2000")
    db = tmp_path / "hn.db"

    result = run_linkthread("crawl", "hn", "1000", "2000", "--db", str(db),
                            base_url=site.base_url)

    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout == (
        f"archived 2 of 2 thread(s), {sum(sizes.values())} comments, into {db}\n")
    assert result.stderr == ""
