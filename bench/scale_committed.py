"""Committed saves: a series of new 1,000-comment threads saved and committed into the
big archive and into an empty one (the anchor), alternately, as a crawl saves them.

A rolled-back save (bench/scale_save.py) starts from the same state every round, so it
pays the same FTS5 merge every time, or none; committed saves pay the merges as a
crawl does, one save in so many, and the commit writes every page the save changed to
the WAL (and, every 1,000 pages, the checkpoint copies them into the file). So the
series prints the median, the 90th percentile and the worst save, CPU and wall, and
``split`` the CPU time of each statement (an average over the series).

It changes the archive (it grows by the threads): only for a copy of one's own, never
an archive to keep as built. ``settings`` are applied to both archives before the
series (an FTS5 setting is kept in the archive, so each run sets every one it varies);
``merge`` runs FTS5's ``('merge', N)`` on both after each save, outside it, timed
apart: merge work moved out of the save, as an upkeep step would do it.

``floor``: the same series' rows inserted and committed by plain SQL (the story row,
then the comments, whose triggers write the full-text index), with no store around
them: SQLite's own growth from an empty archive to this one, the anchor of the save's.

Run: ``python bench/scale_committed.py --db COPY [--saves 30] [--split] [--floor]
[--automerge N] [--crisismerge N] [--cache-mib N] [--autocheckpoint N] [--merge N]
[--upkeep]``
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from archive import search_auto, search_merge
from archive.db import checkpoint, open_db, transaction
from archive.models import Thread
from archive.rows import Row, insert_rows
from archive.schema import COMMENT_COLUMNS
from archive.search_segments import shape
from archive.store import save_thread
from bench.scale_data import SHOW_COMMENTS, Generator
from bench.scale_save import statement_clock

# Stories of committed saves, above every built story id and the rolled-back thread's.
FIRST_STORY = 910_000_000


@dataclass(frozen=True, slots=True)
class Settings:
    automerge: int | None = None
    crisismerge: int | None = None
    cache_mib: int | None = None
    autocheckpoint: int | None = None  # WAL pages; 0: checkpoint after each save, outside
    merge: int = 0  # ('merge', N) after each save, outside it
    upkeep: bool = False  # the crawl's-end merges and checkpoint after each save

    def apply(self, conn: sqlite3.Connection) -> None:
        for name in ("automerge", "crisismerge"):
            value = getattr(self, name)
            if value is not None:
                conn.execute("INSERT INTO comments_fts (comments_fts, rank) VALUES (?, ?)",
                             (name, value))
        conn.commit()  # the config rows' implicit transaction, not the first save's
        if self.cache_mib is not None:
            conn.execute(f"PRAGMA cache_size = -{self.cache_mib * 1024}")
        if self.autocheckpoint is not None:
            conn.execute(f"PRAGMA wal_autocheckpoint = {self.autocheckpoint}")

    def after(self, conn: sqlite3.Connection) -> None:
        """The work moved out of the save, done after it (the save's split leaves it
        out)."""
        run = sqlite3.Connection.execute
        if self.merge:
            run(conn, "BEGIN IMMEDIATE")
            run(conn, "INSERT INTO comments_fts (comments_fts, rank) VALUES ('merge', ?)",
                (self.merge,))
            run(conn, "COMMIT")
        if self.autocheckpoint == 0:
            run(conn, "PRAGMA wal_checkpoint(PASSIVE)")
        if self.upkeep:  # as search_auto.upkeep does them (its bands' part left out)
            search_merge.merge(conn, deadline=time.monotonic() + search_auto.SECONDS)
            checkpoint(conn)


@dataclass
class Series:
    cpu: list[float] = field(default_factory=list)
    wall: list[float] = field(default_factory=list)
    after_cpu: list[float] = field(default_factory=list)
    statements: dict[str, float] = field(default_factory=dict)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def thread_for(story: int) -> Thread:
    gen = Generator(SHOW_COMMENTS, seed=story)
    gen.next_comment = 10**10 + (story - FIRST_STORY) * 2 * SHOW_COMMENTS
    return gen.thread(str(story), SHOW_COMMENTS)


def next_story(conn: sqlite3.Connection) -> int:
    # Past the threads an earlier run committed: every save is of a new thread.
    row = conn.execute("SELECT max(CAST(id AS INTEGER)) FROM stories"
                       " WHERE CAST(id AS INTEGER) >= ?", (FIRST_STORY,)).fetchone()
    return (row[0] or FIRST_STORY - 1) + 1


def _timed(fn: Callable[[], Any]) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - wall, time.process_time() - cpu


def run_series(paths: dict[str, Path], count: int, settings: Settings,
               prepare: Callable[[int], Any], save: Callable[[Any, Any], None]
               ) -> dict[str, Series]:
    """``count`` + 1 new threads through ``save`` into each archive, alternately (each
    made by ``prepare`` of its story id before the clock starts); the first of each
    warms its connection and is not counted."""
    series = {name: Series() for name in paths}
    dbs = {}
    for name, path in paths.items():
        with statement_clock() as clock:
            dbs[name] = open_db(path)
        series[name].statements = clock
        settings.apply(dbs[name].conn)
    try:
        first = max(next_story(db.conn) for db in dbs.values())
        for k in range(count + 1):
            made = prepare(first + k)
            for name, db in dbs.items():
                if k == 1:
                    series[name].statements.clear()
                wall, cpu = _timed(lambda: save(db, made))  # noqa: B023
                spent = dict(series[name].statements)
                merged = _timed(lambda: settings.after(db.conn))[1]  # noqa: B023
                # The split is the save's: what ran after it is timed apart.
                series[name].statements.clear()
                series[name].statements.update(spent)
                if k:
                    series[name].cpu.append(cpu)
                    series[name].wall.append(wall)
                    series[name].after_cpu.append(merged)
    finally:
        for db in dbs.values():
            db.close()
    return series


def print_series(series: dict[str, Series], title: str, split: bool) -> None:
    count = len(series["empty"].cpu)
    print(f"\n{title}: {count} new threads into each, alternately (ms)", flush=True)
    for clock in ("cpu", "wall"):
        empty, big = getattr(series["empty"], clock), getattr(series["big"], clock)
        figures = []
        for label, fn in (("median", lambda v: percentile(v, 0.5)),
                          ("p90", lambda v: percentile(v, 0.9)), ("max", max),
                          ("mean", lambda v: sum(v) / len(v))):
            e, b = fn(empty), fn(big)
            figures.append(f"{label} {e * 1000:.1f} -> {b * 1000:.1f} = {b / e:.2f}x")
        print(f"  {clock:4}: {'; '.join(figures)}", flush=True)
    merged = series["big"].after_cpu
    if any(merged):
        print(f"  the work after each save, CPU: median {percentile(merged, 0.5) * 1000:.1f},"
              f" max {max(merged) * 1000:.1f}, mean {sum(merged) / count * 1000:.1f} ms"
              f" (empty: mean {sum(series['empty'].after_cpu) / count * 1000:.1f} ms)")
    if split:
        spent = {name: {sql: t / count for sql, t in s.statements.items()}
                 for name, s in series.items()}
        print(f"  CPU ms per save by statement (average of {count}): empty -> big")
        for sql in sorted(spent["big"], key=lambda sql: -spent["big"][sql]):
            e, b = spent["empty"].get(sql, 0.0), spent["big"][sql]
            if max(e, b) >= 0.05e-3:
                print(f"    {sql:64} {e * 1000:6.1f} -> {b * 1000:6.1f}")
        print(f"    {'total':64} {sum(spent['empty'].values()) * 1000:6.1f} ->"
              f" {sum(spent['big'].values()) * 1000:6.1f}", flush=True)  # fmt: skip


def _rows_of(thread: Thread) -> list[Row]:
    """The comment rows a first save of ``thread`` writes, as stored (from a save into
    a scratch archive)."""
    with tempfile.TemporaryDirectory() as tmp:
        db = open_db(Path(tmp) / "rows.db")
        try:
            save_thread(db, thread)
            return db.conn.execute(
                f"SELECT {', '.join(COMMENT_COLUMNS)} FROM comments ORDER BY rowid").fetchall()
        finally:
            db.close()


def floor_rows(story: int) -> tuple[Thread, list[Row]]:
    thread = thread_for(story)
    return thread, _rows_of(thread)


def insert_floor(db: Any, made: tuple[Thread, list[Row]]) -> None:
    """A thread's rows by plain SQL, committed: what the save cannot do without."""
    thread, rows = made
    with transaction(db) as conn:
        conn.execute("INSERT INTO stories (site, id, first_seen_at, last_seen_at)"
                     " VALUES (?, ?, '', '')", (thread.story.site, thread.story.id))
        insert_rows(conn, "comments", COMMENT_COLUMNS, rows)


def committed_saves(db_path: Path, count: int, settings: Settings, *, split: bool = False,
                    floor: bool = False) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        paths = {"empty": Path(tmp) / "empty.db", "big": db_path}
        before = _shape(db_path)
        print("\nthe full-text index before:", *before, sep="\n", flush=True)
        if floor:
            print_series(run_series(paths, count, settings, floor_rows, insert_floor),
                         "floor, the rows by plain SQL, committed", split)
        series = run_series(paths, count, settings, thread_for, save_thread)
        print_series(series, f"committed saves ({settings})", split)
        print("\nthe full-text index after:", *_shape(db_path), sep="\n", flush=True)


def _shape(path: Path) -> list[str]:
    conn = sqlite3.connect(path)
    try:
        return shape(conn).lines()
    finally:
        conn.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", type=Path, required=True, help="A copy of the big archive (grows).")
    ap.add_argument("--saves", type=int, default=30)
    ap.add_argument("--split", action="store_true")
    ap.add_argument("--floor", action="store_true")
    ap.add_argument("--automerge", type=int)
    ap.add_argument("--crisismerge", type=int)
    ap.add_argument("--cache-mib", type=int)
    ap.add_argument("--autocheckpoint", type=int, metavar="PAGES",
                    help="PRAGMA wal_autocheckpoint; 0: a checkpoint after each save, outside it")
    ap.add_argument("--merge", type=int, default=0, metavar="PAGES")
    ap.add_argument("--upkeep", action="store_true",
                    help="After each save, the merges and checkpoint of a crawl's end.")
    args = ap.parse_args()
    if not args.db.is_file():
        raise SystemExit(f"no archive at {args.db}")
    settings = Settings(args.automerge, args.crisismerge, args.cache_mib, args.autocheckpoint,
                        args.merge, args.upkeep)
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    committed_saves(args.db, args.saves, settings, split=args.split, floor=args.floor)
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
