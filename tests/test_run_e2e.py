"""End to end: `linkthread run` against a local server, watches checked row by row."""

from __future__ import annotations

import os
import pty
import signal
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests import hnpages
from tests.conftest import LINKTHREAD, ROOT, rows, run_linkthread
from tests.server import Reply, SiteServer

pytestmark = pytest.mark.e2e

WATCH_ROW = "select target, runs, last_status, last_result, claimed_by from watches"


def fast_env(site: SiteServer) -> dict[str, str]:
    env = {**os.environ, "LINKTHREAD_HN_BASE_URL": site.base_url,
           "LINKTHREAD_DOWNLOAD_DELAY": "0", "LINKTHREAD_BACKOFF_BASE": "0.05",
           "LINKTHREAD_BACKOFF_MAX": "0.2"}  # fmt: skip
    env.pop("LINKTHREAD_DB", None)
    return env


def linkthread() -> list[str]:
    """The console script, as conftest's run_linkthread finds it."""
    return [str(LINKTHREAD)] if LINKTHREAD.exists() else [sys.executable, "-m", "scraper.cli"]


def serve_thread(site: SiteServer, story_id: str, n: int, delay: float = 0.0) -> None:
    pages = hnpages.site_pages(hnpages.random_thread(n, seed=int(story_id), story_id=story_id))
    site.routes.update({path: Reply(body, delay=delay) for path, body in pages.items()})


def watch(site: SiteServer, db: Path, *targets: str) -> None:
    result = run_linkthread("watch", "add", "hn", *targets, "--db", str(db),
                            base_url=site.base_url)
    assert result.returncode == 0, result.stderr


def item_hits(site: SiteServer) -> list[str]:
    return sorted(t for _, t in site.log if t.startswith("/item"))


def dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_run_once_runs_exactly_what_is_due(site: SiteServer, tmp_path: Path) -> None:
    for story_id in ("1000", "2000", "3000", "4000", "5000"):
        serve_thread(site, story_id, 12)
    site.routes["/news"] = hnpages.listing_page(
        [hnpages.GenStory(id=str(7000 + k), title=f"Story {k}", score=5, comments=1)
         for k in range(5)])  # fmt: skip
    site.routes["/user?id=pg"] = hnpages.user_page("pg", karma=157316, about="Bug fixer.")
    db = tmp_path / "hn.db"
    watch(site, db, "1000", "2000", "3000", "4000", "5000", "front", "user", "pg", "424242")
    holder = f"{socket.gethostname()}:{os.getpid()}:test"  # alive: this very test
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE watches SET next_due_at = '2999-01-01T00:00:00Z'"
                     " WHERE target = '2000'")  # not due yet
        conn.execute("UPDATE watches SET next_due_at = until WHERE target = '3000'")  # finished
        conn.execute("UPDATE watches SET claimed_by = ?, claimed_until = '2999-01-01T00:00:00Z'"
                     " WHERE target = '4000'", (holder,))  # a live runner has it
        conn.execute("UPDATE watches SET claimed_by = ?, claimed_until = '2999-01-01T00:00:00Z'"
                     " WHERE target = '5000'", (f"{socket.gethostname()}:{dead_pid()}:x",))
    before = dict(rows(db, "select target, next_due_at from watches"))

    result = run_linkthread("run", "--once", "--db", str(db), base_url=site.base_url)

    assert result.returncode == 1, result.stderr  # 424242 failed
    assert item_hits(site) == ["/item?id=1000", "/item?id=424242", "/item?id=5000"]
    assert site.hits("/news") == 1 and site.hits("/user?id=pg") == 1
    assert sorted(rows(db, WATCH_ROW)) == [
        ("1000", 1, "ok", "+12 comments (12 archived)", None),
        ("2000", 0, None, None, None),
        ("3000", 0, None, None, None),
        ("4000", 0, None, None, holder),
        ("424242", 1, "failed", f"Error: hn item 424242: could not fetch {site.base_url}"
                                "/item?id=424242: HTTP 404", None),
        ("5000", 1, "ok", "+12 comments (12 archived)", None),
        ("front", 1, "ok", "5 entries", None),
        ("pg", 1, "ok", "profile, karma 157,316", None),
    ]
    gaps = rows(db, "select target, cast(round((julianday(next_due_at) - julianday(last_run_at))"
                    " * 86400) as integer) from watches where runs = 1 order by target")
    assert gaps == [("1000", 600), ("424242", 1200), ("5000", 600), ("front", 3600),
                    ("pg", 86400)]  # fmt: skip
    for target in ("2000", "3000", "4000"):
        assert rows(db, "select next_due_at from watches where target = ?", target) == [
            (before[target],)]
    lines = result.stdout.splitlines()
    assert len(lines) == 1, "one line per crawl"
    assert "1000 ok: +12 comments (12 archived)" in lines[0] and "424242 failed" in lines[0]

    again = run_linkthread("run", "--once", "--db", str(db), base_url=site.base_url)
    assert again.returncode == 0 and "nothing due; next visit at" in again.stdout
    assert len(item_hits(site)) == 3


def test_two_runners_at_once_never_crawl_a_target_twice(site: SiteServer,
                                                        tmp_path: Path) -> None:
    ids = [str(1000 * k) for k in range(1, 7)]
    for story_id in ids:
        serve_thread(site, story_id, 5)
    db = tmp_path / "hn.db"
    watch(site, db, *ids)
    # Every thread waits at the server until two are waiting at once: one crawl asks for
    # one page at a time, so then both runners have claimed theirs, whatever their speed.
    site.hold(*(f"/item?id={i}" for i in ids))
    cmd = [*linkthread(), "run", "--once", "--batch", "2", "--db", str(db)]
    procs = [subprocess.Popen(cmd, env=fast_env(site), cwd=ROOT, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(2)]  # fmt: skip
    site.next_held(timeout=120)
    site.next_held(timeout=120)
    site.release()
    outs = [p.communicate(timeout=120) for p in procs]

    assert [p.returncode for p in procs] == [0, 0], outs
    assert item_hits(site) == sorted(f"/item?id={i}" for i in ids), "each thread once"
    assert sorted(rows(db, "select target, runs, last_status, claimed_by from watches")) == [
        (i, 1, "ok", None) for i in sorted(ids)]
    # They really overlapped: each ran crawls of its own.
    assert all(" ok: +5 comments" in out for out, _ in outs), outs
    assert rows(db, "pragma integrity_check") == [("ok",)]


def test_the_daemon_stops_cleanly_on_sigterm_mid_crawl(site: SiteServer,
                                                       tmp_path: Path) -> None:
    serve_thread(site, "1000", 30)
    long = hnpages.random_thread(300, seed=13, story_id="2000")
    pages = hnpages.site_pages(long, per_page=100)
    site.routes.update(pages)
    second = "/item?id=2000&p=2"
    site.routes[second] = Reply(pages[second], delay=3)
    db = tmp_path / "hn.db"
    watch(site, db, "1000", "2000")
    due_before = rows(db, "select next_due_at from watches where target = '2000'")
    proc = subprocess.Popen([*linkthread(), "run", "--db", str(db)], env=fast_env(site),
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    site.wait_asked(second)
    # The runner says nothing when it passes the signal on to its crawl, so the page's
    # 3 s are the crawl's time to take it.
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=60)

    assert proc.returncode == 0, err
    assert site.hits("/item?id=2000&p=3") == 0
    assert rows(db, "select story_id, count(*) from comments group by 1") == [("1000", 30)]
    assert rows(db, "select count(*) from watches where claimed_by is not null") == [(0,)]
    assert sorted(rows(db, "select target, runs, last_status from watches")) == [
        ("1000", 1, "ok"), ("2000", 0, None)]
    # Stopped before it was stored: still due, as it was.
    assert rows(db, "select next_due_at from watches where target = '2000'") == due_before
    assert rows(db, "pragma integrity_check") == [("ok",)]
    assert "2000 released: stopped before it was stored" in out
    assert out.splitlines()[-1].endswith(" stopped")
    assert "Traceback" not in err


def idle_daemon(site: SiteServer, tmp_path: Path, *, ignore_hup: bool = False,
                ) -> subprocess.Popen[str]:
    db = tmp_path / "hn.db"
    watch(site, db, "front", "--every", "1h")
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE watches SET next_due_at = '2999-01-01T00:00:00Z'")
    # What nohup does: the runner starts with SIGHUP ignored. Otherwise it starts with
    # SIGHUP's default, whatever the test's own process was started with (a suite run
    # under nohup, or by a scheduler that ignores SIGHUP, passes the ignore on).
    disposition = signal.SIG_IGN if ignore_hup else signal.SIG_DFL

    def hup() -> None:
        signal.signal(signal.SIGHUP, disposition)

    proc = subprocess.Popen([*linkthread(), "run", "--db", str(db)], env=fast_env(site),
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=hup)
    assert proc.stdout is not None
    assert "running the watches of" in proc.stdout.readline()
    return proc


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGHUP], ids=["SIGINT", "SIGHUP"])
def test_the_daemon_stops_at_once_when_idle(site: SiteServer, tmp_path: Path,
                                            signum: signal.Signals) -> None:
    proc = idle_daemon(site, tmp_path)
    proc.send_signal(signum)
    # The next watch is due in 2999: any bound proves "at once"; a generous one keeps a
    # loaded machine's slow start from failing the test.
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert out.strip().endswith("stopped") and site.log == []


def test_under_nohup_a_closed_terminal_does_not_stop_the_daemon(site: SiteServer,
                                                               tmp_path: Path) -> None:
    proc = idle_daemon(site, tmp_path, ignore_hup=True)
    proc.send_signal(signal.SIGHUP)
    with pytest.raises(subprocess.TimeoutExpired):
        proc.wait(timeout=1.5)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert out.strip().endswith("stopped")


def test_a_terminal_gets_the_rich_display(site: SiteServer, tmp_path: Path) -> None:
    serve_thread(site, "1000", 7)
    db = tmp_path / "hn.db"
    watch(site, db, "1000")
    leader, follower = pty.openpty()
    proc = subprocess.Popen([*linkthread(), "run", "--once", "--db", str(db)],
                            env={**fast_env(site), "COLUMNS": "200"}, cwd=ROOT,
                            stdout=follower, stderr=subprocess.PIPE)  # fmt: skip
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # the terminal's far side closed
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    assert proc.wait(timeout=60) == 0, proc.stderr.read() if proc.stderr else ""
    shown = b"".join(chunks).decode("utf-8", "replace")
    assert "1000 ok: +7 comments (7 archived)" in shown
    assert rows(db, "select runs, last_status from watches") == [(1, "ok")]


def test_run_without_an_archive_is_one_clear_line(tmp_path: Path) -> None:
    result = run_linkthread("run", "--once", "--db", str(tmp_path / "none.db"))
    assert result.returncode == 1
    assert result.stderr.strip().startswith("Error: no archive at")
    assert not (tmp_path / "none.db").exists()
