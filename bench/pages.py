"""The kept pages: their size on a re-crawled archive, and the cost of `reparse`.

Run: python bench/pages.py [--threads 50] [--comments 200] [--visits 5]

Builds an archive by importing generated HN thread pages (``--threads`` threads of
``--comments`` comments, 30 to a page), then ``--visits - 1`` more imports of the same
pages at later times, with one thread in ten edited at each visit (a re-crawl).
Prints:

* the pages table as stored (one body per distinct URL and content, every later
  fetch of it a visit) beside what it would hold with a body per fetch: bytes and
  rows, and the ratio;
* ``reparse`` of every kept page: seconds per 1,000 pages, beside the anchor of the
  same run: importing the same pages once (the same reading and saving, from files).
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from archive.db import open_db
from scraper.importers.run import import_paths
from scraper.reparse import reparse
from tests import hnpages

T0 = datetime(2026, 1, 14, 12, 0, tzinfo=UTC)


def write_pages(folder: Path, threads: list[hnpages.GenThread]) -> int:
    n = 0
    for t in threads:
        for path, html in hnpages.site_pages(t, per_page=30).items():
            target = folder / f"news.ycombinator.com{path}"
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(html)
            n += 1
    return n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--threads", type=int, default=50)
    ap.add_argument("--comments", type=int, default=200)
    ap.add_argument("--visits", type=int, default=5)
    args = ap.parse_args()
    threads = [hnpages.random_thread(args.comments, seed=k, story_id=str(30_000_000 + k))
               for k in range(args.threads)]
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        db = open_db(root / "pages.db")
        fetches = 0
        for visit in range(args.visits):
            folder = root / f"visit{visit}"
            for k, t in enumerate(threads):
                if visit and k % 10 == visit % 10:
                    t.comments[0].text += f" (edited at visit {visit})"
            fetches += write_pages(folder, threads)
            import_paths(db, [folder], fetched_at=T0 + timedelta(hours=visit))
        conn = sqlite3.connect(root / "pages.db")
        rows, stored = conn.execute("SELECT count(*), sum(length(body)) FROM pages").fetchone()
        per_fetch = conn.execute(
            "SELECT sum(length(body) * fetch_count) FROM pages").fetchone()[0]
        conn.close()
        print(f"pages table after {args.visits} visits of {args.threads} threads "
              f"({fetches} fetches): {rows} rows, {stored / 1e6:.2f} MB of bodies; "
              f"a body per fetch would be {fetches} rows, {per_fetch / 1e6:.2f} MB "
              f"({per_fetch / stored:.1f}x)")

        start = time.process_time()
        done = reparse(db)
        took = time.process_time() - start
        db.close()

        fresh = open_db(root / "anchor.db")
        start = time.process_time()
        import_paths(fresh, [root / "visit0"], fetched_at=T0)
        anchor = time.process_time() - start
        fresh.close()
        first_visit = fetches // args.visits
        print(f"reparse: {done.pages} kept pages ({done.threads} threads) in {took:.2f} s CPU"
              f" = {1000 * took / done.pages:.2f} s per 1,000 pages")
        print(f"anchor, import of {first_visit} pages once: {anchor:.2f} s CPU = "
              f"{1000 * anchor / first_visit:.2f} s per 1,000 pages; reparse/import "
              f"{(took / done.pages) / (anchor / first_visit):.2f}x per page")


if __name__ == "__main__":
    main()
