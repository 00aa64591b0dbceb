"""The worst queries and searches we could construct, against the sandbox's bounds.

Run: python bench/guard.py [--comments 5000] [--threads 4]
Each case runs in a child process of its own, so its peak RSS is its own. Prints the
wall time beside the time limit, the peak RSS, and how the case ended. The goals:
under 512 MB, and within twice the time limit.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from archive.db import open_db
from archive.errors import ArchiveError
from archive.query import run_query
from archive.sandbox import MAX_PATTERN_BYTES, MAX_VALUE_BYTES
from archive.search import DEFAULT_TIME_LIMIT as SEARCH_TIME_LIMIT
from archive.search import search
from archive.store import save_thread
from scraper.parsers import hn
from scraper.parsers.tree import assemble_thread
from tests import hnpages

CAP = MAX_VALUE_BYTES - 8
FOREVER = "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) "
WORDS = "python thread story cache latency startup karma browser crawl history tree kernel"
QUERIES = {
    "zeroblob 32 MiB x 300": "select zeroblob(33554432) from comments limit 300",
    "randomblob at the cap, every comment": f"select randomblob({CAP}) from comments",
    "randomblob 30 MB, every comment": "select randomblob(30000000) from comments",
    "instr at the cap, every row": (
        f"{FOREVER}SELECT instr(printf('%.*c', {CAP}, 'a') || n, "
        f"printf('%.*c', {CAP // 2}, 'a') || 'b') FROM r"
    ),
    "replace at the cap, every row": (
        f"{FOREVER}SELECT length(replace(printf('%.*c', {CAP}, 'a') || n, "
        f"printf('%.*c', {CAP // 2}, 'a') || 'b', 'x')) FROM r"
    ),
    "like, longest pattern, every row": (
        f"{FOREVER}SELECT printf('%.*c', {CAP}, 'a') || n LIKE "
        f"'%' || printf('%.*c', {MAX_PATTERN_BYTES - 3}, 'a') || 'b%' FROM r"
    ),
    "distinct of big blobs (sort)": (
        f"{FOREVER}SELECT count(*) FROM (SELECT DISTINCT zeroblob(200000) || n FROM r)"
    ),
    "order by big random blobs": (
        f"SELECT length(x) FROM (SELECT randomblob({CAP}) AS x FROM comments ORDER BY x)"
    ),
    "recursive CTE forever": f"{FOREVER}SELECT count(*) FROM r",
    "group_concat to the cap": "SELECT length(group_concat(text, text)) FROM comments",
}
SEARCHES = {
    "5,000 unknown words OR": " OR ".join(f"{w}{i}" for i in range(420) for w in WORDS.split()),
    "20,000 prefixes OR": " OR ".join(f"{w[:2]}{i}*" for i in range(1700) for w in WORDS.split()),
    "NEAR of 600 words, 1000": f"NEAR({' '.join(WORDS.split() * 50)}, 1000)",
    "4,300 NEAR groups OR": " OR ".join(
        f"NEAR({w} {v}, 100)" for w in WORDS.split() for v in WORDS.split()
    )
    * 30,
    "5,000 known words OR": " OR ".join(WORDS.split() * 420),
}


def build(path: Path, comments: int, threads: int) -> None:
    db = open_db(path)
    for k in range(threads):
        gen = hnpages.random_thread(comments, seed=k, story_id=str(40_000_000 + k * 10**6))
        page = hnpages.site_pages(gen)[f"/item?id={gen.story_id}"]
        url = f"https://news.ycombinator.com/item?id={gen.story_id}"
        save_thread(db, assemble_thread([hn.parse_item_page(
            page, url=url, fetched_at=hnpages.FETCHED_AT)]))  # fmt: skip
    db.close()


def peak_rss_mb() -> float:
    # VmHWM is this process's own peak; ru_maxrss would carry the parent's across exec.
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def one(db: str, kind: str, name: str) -> None:
    start = time.monotonic()
    try:
        if kind == "query":
            result = run_query(db, QUERIES[name])
            outcome = f"ok, {len(result.rows)} rows"
        else:
            from archive.db import open_readonly

            conn = open_readonly(db)
            outcome = f"ok, {len(search(conn, SEARCHES[name], limit=10_000))} hits"
            conn.close()
    except ArchiveError as e:
        outcome = str(e)
    elapsed = time.monotonic() - start
    rss = peak_rss_mb()
    print(json.dumps({"elapsed": elapsed, "rss_mb": rss, "outcome": outcome}))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--comments", type=int, default=5000)
    ap.add_argument("--threads", type=int, default=4)
    ap.add_argument("--one", nargs=3, metavar=("DB", "KIND", "NAME"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        one(*args.one)
        return
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.db"
        build(db, args.comments, args.threads)
        print(f"archive: {args.threads} threads x {args.comments} comments")
        cases = [("query", n, 1.0) for n in QUERIES] + [
            ("search", n, SEARCH_TIME_LIMIT) for n in SEARCHES
        ]
        for kind, name, limit in cases:
            done = subprocess.run(
                [sys.executable, __file__, "--one", str(db), kind, name],
                capture_output=True, text=True, check=True,
            )  # fmt: skip
            r = json.loads(done.stdout)
            print(f"{kind:6} {name:38} {r['elapsed']:6.2f} s (limit {limit:g} s) "
                  f"{r['rss_mb']:5.0f} MB  {r['outcome'][:90]}")  # fmt: skip


if __name__ == "__main__":
    main()
