"""Store rate: a generated thread saved into a fresh archive, then saved again unchanged.

Run: python bench/store.py [--comments 5000] [--threads 5]
Prints comments/s for first saves and for re-saves (the target is >= 100k comments/s).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from archive.db import open_db
from archive.store import save_thread
from scraper.parsers import hn
from scraper.parsers.tree import assemble_thread
from tests import hnpages


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--comments", type=int, default=5000)
    ap.add_argument("--threads", type=int, default=5)
    args = ap.parse_args()
    threads = []
    for k in range(args.threads):
        gen = hnpages.random_thread(args.comments, seed=k, story_id=str(40_000_000 + k * 10**6))
        page = hnpages.site_pages(gen)[f"/item?id={gen.story_id}"]
        threads.append(assemble_thread([hn.parse_item_page(
            page, url=f"https://news.ycombinator.com/item?id={gen.story_id}",
            fetched_at=hnpages.FETCHED_AT)]))
    total = args.comments * args.threads
    with tempfile.TemporaryDirectory() as tmp:
        db = open_db(Path(tmp) / "bench.db")
        for label in ("first save", "re-save"):
            start = time.perf_counter()
            for thread in threads:
                save_thread(db, thread)
            elapsed = time.perf_counter() - start
            print(f"{label:10}: {args.threads} threads x {args.comments} comments in "
                  f"{elapsed:.3f} s = {total / elapsed:,.0f} comments/s")
        db.close()


if __name__ == "__main__":
    main()
