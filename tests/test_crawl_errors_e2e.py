"""End to end: a crawl that fails says so in one line per failure, once, and exits 1.

A host that does not resolve or refuses connections fails at once (no retries); a
page the parser rejects, a full disk: each fails its target, the crawl's status and
exit code say so, and a target the disk could not take is resumed later.
"""

from __future__ import annotations

import os
import random
import shutil
import socket
import subprocess
from pathlib import Path

import pytest

from archive.db import open_db
from tests import hnpages
from tests.conftest import LINKTHREAD, ROOT, rows, run_linkthread
from tests.server import SiteServer

pytestmark = pytest.mark.e2e

# glibc's resolver: one try of one second at most, should a name server be configured
# but unreachable. A .invalid name never resolves (RFC 2606); most resolvers say so at once.
FAST_RESOLVER = {"RES_OPTIONS": "timeout:1 attempts:1"}


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize(("host", "reason"), [
    ("nonexistent.invalid", "DNS lookup failed"),
    ("127.0.0.1:{closed_port}", "Connection was refused"),
])  # fmt: skip
def test_an_unreachable_site_fails_at_once_in_one_line(
        tmp_path: Path, host: str, reason: str) -> None:
    base_url = "http://" + host.format(closed_port=closed_port())
    db = tmp_path / "hn.db"
    result = run_linkthread("crawl", "hn", "1", "--db", str(db), base_url=base_url,
                            env=FAST_RESOLVER)

    assert result.returncode == 1
    [line] = result.stderr.splitlines()  # no traceback, no second report of it
    assert line.startswith(f"Error: hn item 1: could not fetch {base_url}/item?id=1: {reason}")
    assert rows(db, "select status, errors from crawls") == [("failed", 1)]
    assert rows(db, "select target, state from crawl_targets") == [("1", "failed")]

    # Asked once each, robots.txt and the page: Scrapy logs every retry at DEBUG.
    debug = run_linkthread("crawl", "hn", "1", "--db", str(db), "--log-level", "DEBUG",
                           base_url=base_url, env=FAST_RESOLVER)
    assert debug.returncode == 1
    assert "Retrying" not in debug.stderr
    assert "Traceback" not in debug.stderr


def test_a_page_the_parser_rejects_fails_the_crawl_once(site: SiteServer, tmp_path: Path) -> None:
    thread = hnpages.random_thread(3, seed=2, story_id="4000")
    site.routes["/item?id=4000"] = hnpages.modern_page(thread, [], declared=57)
    db = tmp_path / "hn.db"

    result = run_linkthread("crawl", "hn", "4000", "--db", str(db), base_url=site.base_url)

    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "Error: hn item 4000: page says 57 comments but none were found"]
    assert result.stdout == f"archived 0 of 1 thread(s), 0 comments, into {db}\n"
    assert rows(db, "select status, errors from crawls") == [("failed", 1)]
    assert rows(db, "select count(*) from pages where status = 200") == [(1,)], "raw page kept"


def test_listings_and_profiles_say_what_was_stored(site: SiteServer, tmp_path: Path) -> None:
    stories = [hnpages.GenStory(id=str(9000 + k), title=f"Story {k}", score=k, comments=1)
               for k in range(20)]
    site.routes["/news"] = hnpages.listing_page(stories[:12], next_href="?p=2")
    site.routes["/news?p=2"] = hnpages.listing_page(stories[12:], first_rank=13)
    site.routes["/user?id=pg"] = hnpages.user_page("pg", karma=157_000, about="Bug fixer.")
    db = tmp_path / "hn.db"

    result = run_linkthread("crawl", "hn", "front", "user", "pg", "--pages", "2",
                            "--db", str(db), base_url=site.base_url)

    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.splitlines() == ["hn news: 20 entries on 2 pages",
                                          "hn user pg: profile stored"]
    assert rows(db, "select status from crawls") == [("finished",)]


# ------------------------------------------------------------------ a full disk

def full_disk_runner() -> list[str]:
    """A child with a small tmpfs mounted on ``$DISK`` (its own mount namespace)."""
    unshare = shutil.which("unshare")
    if unshare is None:
        pytest.skip("unshare(1) is not installed: cannot mount a small file system")
    cmd = [unshare, "-m"] if os.geteuid() == 0 else [unshare, "-r", "-m"]
    script = ('mount -t tmpfs -o size="$SIZE" tmpfs "$DISK" && cp "$SEED" "$DISK/hn.db" '
              '&& "$@"; code=$?; cp "$DISK/hn.db" "$OUT"; exit $code')
    return [*cmd, "sh", "-c", script, "sh"]


def test_a_full_disk_fails_that_thread_in_one_line_and_resume_takes_it(
        site: SiteServer, tmp_path: Path) -> None:
    small = hnpages.random_thread(3, seed=5, story_id="6000")
    big = hnpages.random_thread(40, seed=6, story_id="7000")
    rng = random.Random(6)
    for c in big.comments:  # about 4 MB of text that neither compresses nor repeats
        c.text = " ".join(f"{rng.choice(hnpages.WORDS)}{rng.randrange(10**6)}"
                          for _ in range(10_000))
    site.routes.update(hnpages.site_pages(small))
    site.routes.update(hnpages.site_pages(big))
    seed = tmp_path / "seed.db"
    open_db(seed).close()
    disk, out = tmp_path / "disk", tmp_path / "hn.db"
    disk.mkdir()
    env = {**os.environ, "LINKTHREAD_DOWNLOAD_DELAY": "0", "LINKTHREAD_HN_BASE_URL":
           site.base_url, "DISK": str(disk), "SEED": str(seed), "OUT": str(out),
           "SIZE": "1m"}  # fmt: skip
    env.pop("LINKTHREAD_DB", None)
    db = disk / "hn.db"
    crawl = [str(LINKTHREAD), "crawl", "hn", "7000", "6000", "--db", str(db)]
    probe = subprocess.run([*full_disk_runner(), "true"], env=env, capture_output=True,
                           text=True, check=False)
    if probe.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {probe.stderr.strip()}")

    full = subprocess.run([*full_disk_runner(), *crawl], env=env, cwd=ROOT,
                          capture_output=True, text=True, check=False)

    assert full.returncode == 1
    assert full.stderr.splitlines() == [
        f"Error: hn item 7000: could not store it in {db}: database or disk is full"]
    assert full.stdout == f"archived 1 of 2 thread(s), 3 comments, into {db}\n"
    assert rows(out, "select distinct story_id from comments") == [("6000",)]
    assert rows(out, "select target, state from crawl_targets order by target") == [
        ("6000", "done"), ("7000", "queued")]
    assert rows(out, "select status, errors from crawls") == [("finished", 1)]

    # Room again: the thread the disk could not take is what a resume crawls.
    shutil.copy(out, seed)
    resumed = subprocess.run(
        [*full_disk_runner(), str(LINKTHREAD), "crawl", "hn", "--resume", "--db", str(db)],
        env={**env, "SIZE": "64m"}, cwd=ROOT, capture_output=True, text=True, check=False)

    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert resumed.stdout == f"archived 1 of 1 thread(s), 40 comments, into {db}\n"
    assert rows(out, "select story_id, count(*) from comments group by 1 order by 1") == [
        ("6000", 3), ("7000", 40)]
    assert site.hits("/item?id=6000") == 1, "only what was left is fetched again"
