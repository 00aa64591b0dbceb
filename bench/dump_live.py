"""What writing a dump's rows once, straight into ``comments``, would cost while its
secondary indexes and full-text triggers stay live (as they must, for a killed import
to leave a usable archive), against the bare load of bench/dump.py: the same rows,
indexes and triggers dropped, then built once.

Run: python bench/dump_live.py [--comments 250000] [--runs 2]

Both load the same generated .zst dump into an empty archive in transactions of
20,000 rows, with the import's 32 MiB page cache, alternating; CPU seconds, best of
the runs. The figure decides the design: if live indexes cost several times the bare
insert, writing rows once means dropping them across committed batches.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.dump import _lines

BATCH = 20_000
CACHE_KIB = 32 * 1024


def load(path: Path, db_path: Path, *, live: bool) -> float:
    """CPU seconds to load the file's comments (with the index builds when not live)."""
    from archive.db import open_db
    from archive.schema import COMMENT_COLUMNS
    from scraper.importers.reddit_dump_rows import comment_row, loads

    db = open_db(db_path)
    conn = db.conn
    conn.execute("PRAGMA foreign_keys = OFF")
    conn.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
    conn.execute("PRAGMA mmap_size = 0")
    kept = conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE tbl_name = 'comments'"
        " AND type IN ('index', 'trigger') AND sql IS NOT NULL").fetchall()
    if not live:
        for name, sql in kept:
            kind = "INDEX" if sql.startswith("CREATE INDEX") else "TRIGGER"
            conn.execute(f'DROP {kind} "{name}"')
    insert = (f"INSERT INTO comments ({', '.join(COMMENT_COLUMNS)})"
              f" VALUES ({', '.join('?' * len(COMMENT_COLUMNS))})")
    rows: list[tuple[object, ...]] = []
    spent = 0.0

    def write() -> None:
        nonlocal spent
        at = time.process_time()
        with conn:
            conn.executemany(insert, rows)
        spent += time.process_time() - at
        rows.clear()

    for line in _lines(path):
        staged = comment_row(loads(line), 0)
        rows.append((*staged[:4], 0, 0, *staged[4:]))
        if len(rows) >= BATCH:
            write()
    write()
    if not live:
        at = time.process_time()
        with conn:
            for _, sql in kept:
                conn.execute(sql)
            conn.execute("INSERT INTO comments_fts (comments_fts) VALUES ('rebuild')")
        spent += time.process_time() - at
    db.close()
    return spent


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--comments", type=int, default=250_000)
    ap.add_argument("--runs", type=int, default=2)
    args = ap.parse_args()
    from tests.redditdump import generate

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        dump = generate(folder, comments=args.comments, threads=max(100, args.comments // 100),
                        truth=False)
        best = {"bare": float("inf"), "live": float("inf")}
        loads = [os.getloadavg()[0]]
        for run in range(args.runs):
            for mode in best:
                db = folder / f"{mode}-{run}.db"
                best[mode] = min(best[mode], load(dump.comments_path, db, live=mode == "live"))
                loads.append(os.getloadavg()[0])
        print(f"{args.comments:,} comments, writes only (CPU s, best of {args.runs}):"
              f" bare (indexes built once) {best['bare']:.1f} s,"
              f" live indexes and triggers {best['live']:.1f} s:"
              f" {best['live'] / best['bare']:.2f}x")
        print(f"load average (1 min) over the runs: {min(loads):.1f}-{max(loads):.1f}")


if __name__ == "__main__":
    main()
