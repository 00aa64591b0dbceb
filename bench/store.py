"""Store rate: generated threads saved into a fresh archive, then seen again unchanged.

Run: python bench/store.py [--comments 5000] [--threads 5] [--against DIR --rounds 5]

Prints comments/s of CPU time (process time: a loaded machine's waits left out) for
(the target is >= 60k comments/s for the first save):

* first save: every comment new (the anchor);
* same fetch saved again: the shortcut an earlier version of this bench measured as
  "re-save", where nothing moves at all;
* a later fetch, parsed again: ``save_thread`` of the same comments an hour later,
  the path of a re-crawl that parses (``LINKTHREAD_REPARSE=1``, or a thread one of
  whose pages changed): every comment compared, none rewritten;
* an unchanged re-crawl: what the archive does for a crawl whose pages all come back
  with their stored hashes: the spider's look-up of the pages the thread's latest crawl
  read (``last_page_set``, before its first page), then ``save_unchanged_thread``: O(1)
  rows, no comment read. Its figure is per thread, not per comment (bench/recrawl.py
  measures the whole crawl, downloads and hashing included).

``--split``: then a first save again, into a fresh archive, its CPU time statement by
statement (bench/scale_save.py's clock): the statements' sum is SQLite's own work, the
floor of this schema whatever the Python around it does.

``--against DIR``: another checkout (main's, as ``git worktree add /tmp/main main``)
runs its own copy of this bench in a subprocess, alternately with this one, --rounds
times; the best first save of each is printed beside the other (the same generated
threads: tests/hnpages.py is seeded).
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

from sqlite_utils import Database

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from archive.db import open_db
from archive.models import FetchedPage, Thread
from archive.revisits import last_page_set, save_unchanged_thread
from archive.store import save_thread
from bench.scale_save import statement_clock
from scraper.parsers import hn
from scraper.parsers.tree import assemble_thread
from tests import hnpages


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--comments", type=int, default=5000)
    ap.add_argument("--threads", type=int, default=5)
    ap.add_argument("--against", type=Path, help="Another checkout's code, timed alternately.")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--split", action="store_true", help="Time a first save by statement.")
    args = ap.parse_args()
    if args.against:
        _against(args)
        return
    threads = bench_threads(args.comments, args.threads)
    later = [_later(t, hours=1) for t in threads]
    revisit = [_later(t, hours=2) for t in threads]
    total = args.comments * args.threads
    with tempfile.TemporaryDirectory() as tmp:
        db = open_db(Path(tmp) / "bench.db")
        runs: list[tuple[str, Callable[[], None]]] = [
            ("first save", lambda: _each(threads, lambda t: save_thread(db, t))),
            ("same fetch saved again", lambda: _each(threads, lambda t: save_thread(db, t))),
            ("a later fetch, parsed", lambda: _each(later, lambda t: save_thread(db, t))),
            ("unchanged re-crawl", lambda: _each(revisit, lambda t: _unchanged(db, t))),
        ]
        anchor = 0.0
        for label, run in runs:
            start = time.process_time()
            run()
            elapsed = time.process_time() - start
            anchor = anchor or elapsed
            print(f"{label:23}: {args.threads} threads x {args.comments} comments in "
                  f"{elapsed:.3f} s = {total / elapsed:>12,.0f} comments/s "
                  f"({elapsed / anchor:.1%} of the first save; "
                  f"{elapsed / args.threads * 1e3:.2f} ms a thread)")
        print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        db.close()
    if args.split:
        _split(threads, total)


def _split(threads: list[Thread], total: int) -> None:
    with tempfile.TemporaryDirectory() as tmp, statement_clock() as clock:
        db = open_db(Path(tmp) / "split.db")
        clock.clear()
        start = time.process_time()
        _each(threads, lambda t: save_thread(db, t))
        elapsed = time.process_time() - start
        db.close()
    sql = sum(clock.values())
    print(f"\nfirst save by statement (CPU s, {elapsed:.3f} s in all in this pass):")
    for statement, spent in sorted(clock.items(), key=lambda kv: -kv[1])[:8]:
        print(f"  {statement:64} {spent:.3f} {spent / elapsed:4.0%}")
    print(f"  the statements together: {sql:.3f} s = {total / sql:,.0f} comments/s (SQLite's"
          f" own work); the rest (Python) {elapsed - sql:.3f} s")


def bench_threads(comments: int, count: int) -> list[Thread]:
    """The generated threads every line of this bench saves (tests/hnpages.py, seeded),
    parsed by the HN parser."""
    threads = []
    for k in range(count):
        gen = hnpages.random_thread(comments, seed=k, story_id=str(40_000_000 + k * 10**6))
        url = f"https://news.ycombinator.com/item?id={gen.story_id}"
        page = hnpages.site_pages(gen)[f"/item?id={gen.story_id}"]
        thread = assemble_thread([hn.parse_item_page(page, url=url,
                                                     fetched_at=hnpages.FETCHED_AT)])
        # A stand-in body: compressing the 5 MB page is the page store's cost, which
        # bench/recrawl.py measures; this bench measures the comments' store.
        fetched = FetchedPage(site="hn", url=url, fetched_at=hnpages.FETCHED_AT, status=200,
                              body=f"<html>{gen.story_id}</html>".encode())
        threads.append(replace(thread, pages=(fetched,)))
    return threads


def _against(args: argparse.Namespace) -> None:
    """Both checkouts' first saves, alternately, each in a fresh process."""
    size = ["--comments", str(args.comments), "--threads", str(args.threads)]
    sides = {"this": Path(__file__), "against": args.against / "bench" / "store.py"}
    best: dict[str, float] = {}
    for _ in range(args.rounds):
        for name, script in sides.items():
            out = subprocess.run([sys.executable, str(script), *size], capture_output=True,
                                 text=True, check=True, cwd=script.parent.parent).stdout
            found = re.search(r"first save\s*: .* in ([\d.]+) s", out)
            if found is None:
                raise SystemExit(f"{script}: no first save in its output:\n{out}")
            best[name] = min(best.get(name, float("inf")), float(found[1]))
    total = args.comments * args.threads
    for name in sides:
        print(f"first save, {name:7} ({sides[name].parent.parent}): best of {args.rounds}"
              f" {best[name]:.3f} s = {total / best[name]:>9,.0f} comments/s")
    print(f"this / against: {best['against'] / best['this']:.2f}x the comments/s"
          " (target >= 60,000 comments/s)")
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


def _unchanged(db: Database, thread: Thread) -> None:
    stored = last_page_set(db, "hn", thread.story.id)
    if stored != tuple((p.url, p.sha256) for p in thread.pages):
        raise SystemExit(f"thread {thread.story.id}: its pages are not the stored ones")
    save_unchanged_thread(db, site="hn", story_id=thread.story.id, pages=thread.pages)


def _later(thread: Thread, *, hours: int) -> Thread:
    at = thread.fetched_at + timedelta(hours=hours)
    return replace(thread, fetched_at=at, pages=tuple(replace(p, fetched_at=at)
                                                      for p in thread.pages))


def _each(threads: list[Thread], save: Callable[[Thread], object]) -> None:
    for thread in threads:
        save(thread)


if __name__ == "__main__":
    main()
