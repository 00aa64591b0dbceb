"""The floor of a first save: SQLite alone writing the comments the store writes.

Run: python bench/store_floor.py [--comments 5000] [--threads 5] [--rounds 3]

bench/store.py's threads are saved once through the store with its comments' INSERT
left out and the rows it would have written kept; that archive is the base. Each line
then copies the base and times (CPU, best of --rounds) the same INSERT statements of
the same rows (the store's own SQL, 2,500 rows a statement, one transaction a thread)
on the schema as it is (the anchor) and with one part of it taken away: the full-text
trigger (alone, and with the same rows indexed by one INSERT ... SELECT after each
thread's statements), or one index. Nothing but the statements is timed: the first
line is what the comments' INSERT costs whatever Python builds the rows, the others
what each part of the schema costs within it.
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable
from itertools import chain
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import archive.store
from archive import rows
from archive.db import open_db, open_writer
from archive.schema import COMMENT_COLUMNS
from bench.store import bench_threads

INDEXES = ("comments_site_story_id", "comments_site_parent_id", "comments_author_created_at",
           "comments_created_at")  # fmt: skip
FTS_AFTER = ("INSERT INTO comments_fts (rowid, text, author)"
             " SELECT rowid, text, author FROM comments WHERE rowid > ?")  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--comments", type=int, default=5000)
    ap.add_argument("--threads", type=int, default=5)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    threads = bench_threads(args.comments, args.threads)
    total = args.comments * args.threads
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp) / "base.db"
        written = _base(base, threads)
        lines: list[tuple[str, list[str], bool]] = [
            ("the schema as it is (anchor)", [], False),
            ("without the full-text trigger", ["DROP TRIGGER comments_ai"], False),
            ("  ... and the rows indexed after each thread", ["DROP TRIGGER comments_ai"], True),
            *((f"without {name}", [f"DROP INDEX {name}"], False) for name in INDEXES),
            ("without the trigger and the four indexes",
             ["DROP TRIGGER comments_ai", *(f"DROP INDEX {n}" for n in INDEXES)], False),
        ]  # fmt: skip
        anchor = 0.0
        for label, ddl, fts_after in lines:
            best = min(_time(base, Path(tmp) / "run.db", written, ddl, fts_after)
                       for _ in range(args.rounds))  # fmt: skip
            anchor = anchor or best
            print(f"{label:46} {best:.3f} s = {total / best:>8,.0f} comments/s"
                  f" ({best / anchor:.0%} of the anchor)", flush=True)


def _base(path: Path, threads: list) -> list[list[rows.Row]]:  # type: ignore[type-arg]
    """The archive of the threads without their comments, and the comments' rows."""
    written: list[list[rows.Row]] = []

    def keep(conn: sqlite3.Connection, table: str, columns: object, new: list[rows.Row]) -> None:
        written.append(list(new))

    real = archive.store.insert_rows
    archive.store.insert_rows = keep  # type: ignore[assignment]
    try:
        db = open_db(path)
        for thread in threads:
            archive.store.save_thread(db, thread)
        db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        db.close()
    finally:
        archive.store.insert_rows = real
    return written


def _time(base: Path, run: Path, written: list[list[rows.Row]], ddl: list[str],
          fts_after: bool) -> float:
    shutil.copy(base, run)
    conn = open_writer(run)
    try:
        for statement in ddl:
            conn.execute(statement)
        conn.commit()
        insert: Callable[[list[rows.Row]], None] = lambda chunk: conn.execute(  # noqa: E731
            f"INSERT INTO comments ({', '.join(COMMENT_COLUMNS)}) VALUES "
            + ", ".join(["(" + ", ".join("?" * len(COMMENT_COLUMNS)) + ")"] * len(chunk)),
            list(chain.from_iterable(chunk)))  # fmt: skip
        start = time.process_time()
        for thread_rows in written:
            conn.execute("BEGIN IMMEDIATE")
            last = conn.execute("SELECT coalesce(max(rowid), 0) FROM comments").fetchone()[0]
            for i in range(0, len(thread_rows), rows.ROWS_PER_STATEMENT):
                insert(thread_rows[i : i + rows.ROWS_PER_STATEMENT])
            if fts_after:
                conn.execute(FTS_AFTER, (last,))
            conn.execute("COMMIT")
        return time.process_time() - start
    finally:
        conn.close()
        for path in run.parent.glob(run.name + "*"):
            path.unlink()


if __name__ == "__main__":
    main()
